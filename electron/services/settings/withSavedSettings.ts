import type { SettingSource } from '../../../shared/settings/settings';
import type { AppConfig, StorageSettings } from '../config';
import type { SavedSettings } from './settingsStore';

/** The parts of the config that saved settings may fill in: the API key and cloud storage. */
export type SettingsEnvironment = Pick<AppConfig, 'ai' | 'storage'>;

/** The API key the app uses, and where it comes from. The environment's wins. */
export function resolveApiKey(environment: SettingsEnvironment, saved: SavedSettings): { apiKey: string | null; source: SettingSource } {
  if (environment.ai.apiKey) return { apiKey: environment.ai.apiKey, source: 'environment' };
  if (saved.anthropicApiKey) return { apiKey: saved.anthropicApiKey, source: 'saved' };
  return { apiKey: null, source: 'none' };
}

/**
 * The cloud storage the app uses, and where it comes from. Storage is decided as a whole: when
 * the environment names a bucket (AWS_S3_BUCKET), the environment's storage settings apply
 * and the saved ones are ignored, because a saved endpoint or region mixed with the
 * environment's bucket would send recordings somewhere nobody chose. Otherwise a saved bucket
 * applies with its region, endpoint and path style, and its key pair, or else the
 * environment's pair (credentials, not a destination). The InterviewLM server's URL and token
 * always come from the environment.
 */
export function resolveStorage(environment: SettingsEnvironment, saved: SavedSettings): { storage: StorageSettings; source: SettingSource } {
  const fromEnvironment = environment.storage;
  if (fromEnvironment.bucket) return { storage: fromEnvironment, source: 'environment' };
  const chosen = saved.storage;
  if (!chosen) return { storage: fromEnvironment, source: 'none' };
  const savedPair = chosen.accessKeyId && chosen.secretAccessKey ? { accessKeyId: chosen.accessKeyId, secretAccessKey: chosen.secretAccessKey } : null;
  const { accessKeyId, secretAccessKey, apiUrl, apiToken } = fromEnvironment;
  const environmentPair = accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : null;
  return {
    storage: {
      bucket: chosen.bucket,
      region: chosen.region,
      forcePathStyle: chosen.forcePathStyle,
      ...(chosen.endpoint ? { endpoint: chosen.endpoint } : {}),
      ...(savedPair ?? environmentPair ?? {}),
      ...(apiUrl ? { apiUrl } : {}),
      ...(apiToken ? { apiToken } : {}),
    },
    source: 'saved',
  };
}

/** The config with saved settings filled in where the environment sets nothing (see resolveApiKey and resolveStorage). */
export function withSavedSettings<Config extends SettingsEnvironment>(environment: Config, saved: SavedSettings): Config {
  return {
    ...environment,
    ai: { ...environment.ai, apiKey: resolveApiKey(environment, saved).apiKey },
    storage: resolveStorage(environment, saved).storage,
  };
}
