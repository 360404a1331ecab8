import { describe, expect, it } from 'vitest';
import { ApiKeyHolder } from '../../../../electron/services/ai/apiKeyHolder';
import { configForDataDir, type StorageSettings } from '../../../../electron/services/config';
import { SettingsService, maskSecret } from '../../../../electron/services/settings/settingsService';
import { settingsStoreUnavailable, type SavedSettings, type SettingsStore } from '../../../../electron/services/settings/settingsStore';
import { resolveStorage, withSavedSettings, type SettingsEnvironment } from '../../../../electron/services/settings/withSavedSettings';
import { AppError } from '../../../../shared/errors';

const SAVED_KEY = 'sk-ant-api03-saved-key-0000-wxyz';
const ENV_KEY = 'sk-ant-api03-environment-key-abcd';
const SECRET = 'secret-access-key-that-is-long-9876';

/** A store in memory that records every write, and can be made to fail. */
function memoryStore(initial: SavedSettings = {}) {
  const writes: SavedSettings[] = [];
  let saved = structuredClone(initial);
  let failNext: Error | null = null;
  const store: SettingsStore & { writes: SavedSettings[]; failNextWrite(error: Error): void } = {
    protection: { kind: 'file', canSave: true, description: 'memory' },
    read: () => structuredClone(saved),
    write(settings) {
      if (failNext) {
        const error = failNext;
        failNext = null;
        throw error;
      }
      saved = structuredClone(settings);
      writes.push(structuredClone(settings));
    },
    writes,
    failNextWrite: (error) => (failNext = error),
  };
  return store;
}

function environment(overrides: { apiKey?: string | null; storage?: Partial<StorageSettings> } = {}): SettingsEnvironment {
  const config = configForDataDir('/tmp/unused', { storage: { region: 'us-east-1', forcePathStyle: false, ...overrides.storage } });
  return { ai: { ...config.ai, apiKey: overrides.apiKey ?? null }, storage: config.storage };
}

function service<Store extends SettingsStore = ReturnType<typeof memoryStore>>(options: { store?: Store; environment?: SettingsEnvironment; running?: StorageSettings } = {}) {
  const env = options.environment ?? environment();
  const store = (options.store ?? memoryStore()) as Store;
  const apiKey = new ApiKeyHolder(withSavedSettings(env, store.read()).ai.apiKey);
  const settings = new SettingsService({ store, environment: env, runningStorage: options.running ?? withSavedSettings(env, store.read()).storage, apiKey });
  return { settings, apiKey, store };
}

describe('the settings service', () => {
  it('masks every secret: at most the last four characters, none of a short one', () => {
    expect(maskSecret(SAVED_KEY)).toEqual({ lastFour: 'wxyz' });
    expect(maskSecret('S3RVER')).toEqual({ lastFour: null });
  });

  it('saves a key, which the assistant uses from the next request, and shows it masked as saved', () => {
    const { settings, apiKey, store } = service();
    expect(settings.view().apiKey).toEqual({ source: 'none', inUse: null, saved: null });
    const view = settings.save({ apiKey: SAVED_KEY });
    expect(apiKey.current).toBe(SAVED_KEY);
    expect(store.writes).toEqual([{ anthropicApiKey: SAVED_KEY }]);
    expect(view.apiKey).toEqual({ source: 'saved', inUse: { lastFour: 'wxyz' }, saved: { lastFour: 'wxyz' } });
    expect(JSON.stringify(view)).not.toContain(SAVED_KEY);
  });

  it('clears a saved key with null, and keeps it when the member is absent', () => {
    const { settings, apiKey } = service({ store: memoryStore({ anthropicApiKey: SAVED_KEY }) });
    settings.save({ storage: { bucket: 'kept-key-bucket', region: 'us-east-1', endpoint: null, forcePathStyle: false, accessKeyId: null } });
    expect(apiKey.current).toBe(SAVED_KEY);
    const view = settings.save({ apiKey: null });
    expect(apiKey.current).toBeNull();
    expect(view.apiKey).toEqual({ source: 'none', inUse: null, saved: null });
    expect(view.storage.saved?.bucket).toBe('kept-key-bucket');
  });

  it('lets the environment win, and says so, while keeping the saved key for when it is gone', () => {
    const { settings, apiKey } = service({ environment: environment({ apiKey: ENV_KEY }) });
    const view = settings.save({ apiKey: SAVED_KEY });
    expect(apiKey.current).toBe(ENV_KEY);
    expect(view.apiKey).toEqual({ source: 'environment', inUse: { lastFour: 'abcd' }, saved: { lastFour: 'wxyz' } });
  });

  it('changes nothing when the store cannot write, and says why', () => {
    const store = memoryStore({ anthropicApiKey: SAVED_KEY });
    const { settings, apiKey } = service({ store });
    store.failNextWrite(new AppError('SETTINGS_SAVE_FAILED', 'disk full'));
    expect(() => settings.save({ apiKey: 'sk-ant-api03-another-key-1111' })).toThrow(expect.objectContaining({ code: 'SETTINGS_SAVE_FAILED' }));
    expect(apiKey.current).toBe(SAVED_KEY);
    expect(settings.view().apiKey.saved).toEqual({ lastFour: 'wxyz' });
  });

  it('refuses to save where nothing can be protected', () => {
    const { settings, apiKey } = service({ store: settingsStoreUnavailable('no keychain here') });
    expect(() => settings.save({ apiKey: SAVED_KEY })).toThrow(expect.objectContaining({ code: 'SETTINGS_UNAVAILABLE', message: 'no keychain here' }));
    expect(apiKey.current).toBeNull();
    expect(settings.view().protection).toEqual({ kind: 'none', canSave: false, description: 'no keychain here' });
  });

  it('validates what it is given, naming the field and never echoing a secret', () => {
    const { settings, store } = service();
    const badKey = 'sk-ant-api03 with a space in the middle';
    let error: unknown;
    try {
      settings.save({ apiKey: badKey });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/apiKey/) });
    expect(JSON.stringify((error as AppError).toPayload())).not.toContain(badKey);
    expect(() => settings.save({ storage: { bucket: 'Bad_Bucket', region: 'us-east-1', endpoint: null, forcePathStyle: false, accessKeyId: null } })).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/storage\.bucket/) }),
    );
    expect(store.writes).toEqual([]);
  });

  describe('cloud storage', () => {
    const bucket = { bucket: 'interviewlm-proctor', region: 'eu-west-3', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true };

    it('saves a bucket with its key pair, masks the secret, and applies at the next start', () => {
      const { settings, store } = service();
      const view = settings.save({ storage: { ...bucket, accessKeyId: 'AKIAEXAMPLE123', secretAccessKey: SECRET } });
      expect(store.writes.at(-1)).toEqual({ storage: { ...bucket, accessKeyId: 'AKIAEXAMPLE123', secretAccessKey: SECRET } });
      expect(view.storage).toEqual({
        source: 'saved',
        configured: { ...bucket, accessKeyId: 'AKIAEXAMPLE123', secretAccessKey: { lastFour: '9876' } },
        saved: { ...bucket, accessKeyId: 'AKIAEXAMPLE123', secretAccessKey: { lastFour: '9876' } },
        runningBucket: null,
        restartNeeded: true,
      });
      expect(JSON.stringify(view)).not.toContain(SECRET);
    });

    it('keeps the saved secret when the form leaves it alone, and asks for a new one with a new access key id', () => {
      const { settings } = service({ store: memoryStore({ storage: { ...bucket, accessKeyId: 'AKIAEXAMPLE123', secretAccessKey: SECRET } }) });
      const kept = settings.save({ storage: { ...bucket, bucket: 'renamed-bucket', accessKeyId: 'AKIAEXAMPLE123' } });
      expect(kept.storage.saved).toMatchObject({ bucket: 'renamed-bucket', secretAccessKey: { lastFour: '9876' } });
      expect(() => settings.save({ storage: { ...bucket, accessKeyId: 'AKIADIFFERENT999' } })).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/storage\.secretAccessKey/) }),
      );
      expect(() => settings.save({ storage: { ...bucket, accessKeyId: null, secretAccessKey: SECRET } })).toThrow(
        expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/storage\.accessKeyId/) }),
      );
      // Clearing the id (the secret left alone) clears the pair.
      expect(settings.save({ storage: { ...bucket, accessKeyId: null } }).storage.saved).toMatchObject({ accessKeyId: null, secretAccessKey: null });
    });

    it('clears saved storage with null; the running app keeps its bucket until the next start', () => {
      const { settings } = service({ store: memoryStore({ storage: { ...bucket } }) });
      expect(settings.save({ storage: null }).storage).toEqual({ source: 'none', configured: null, saved: null, runningBucket: 'interviewlm-proctor', restartNeeded: true });
    });

    it('lets a bucket in the environment win as a whole, with the saved one shown as saved', () => {
      const env = environment({ storage: { bucket: 'env-bucket', accessKeyId: 'ENVKEY', secretAccessKey: 'ENVSECRET' } });
      const { settings } = service({ environment: env });
      const view = settings.save({ storage: { ...bucket, accessKeyId: null } });
      expect(view.storage).toMatchObject({ source: 'environment', configured: { bucket: 'env-bucket', endpoint: null }, saved: { bucket: 'interviewlm-proctor' }, runningBucket: 'env-bucket', restartNeeded: false });
    });

    it('uses the environment\u2019s key pair with a saved bucket that has none', () => {
      const env = environment({ storage: { accessKeyId: 'ENVKEY', secretAccessKey: 'ENVSECRET', apiUrl: 'https://api.example' } });
      const { storage, source } = resolveStorage(env, { storage: { ...bucket } });
      expect(source).toBe('saved');
      expect(storage).toEqual({ ...bucket, accessKeyId: 'ENVKEY', secretAccessKey: 'ENVSECRET', apiUrl: 'https://api.example' });
    });

    it('needs no restart once the running app already uses what is configured', () => {
      const store = memoryStore({ storage: { ...bucket } });
      const { settings } = service({ store });
      expect(settings.view().storage).toMatchObject({ runningBucket: 'interviewlm-proctor', restartNeeded: false });
    });
  });

  it('tells its listeners after each save, with the masked view', () => {
    const { settings } = service();
    const seen: unknown[] = [];
    const dispose = settings.onDidChangeSettings((view) => seen.push(view));
    settings.save({ apiKey: SAVED_KEY });
    dispose();
    settings.save({ apiKey: null });
    expect(seen).toHaveLength(1);
    expect(JSON.stringify(seen)).not.toContain(SAVED_KEY);
  });
});
