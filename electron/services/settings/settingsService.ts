import { AppError } from '../../../shared/errors';
import { Emitter, type Event } from '../../../shared/event';
import {
  MIN_LENGTH_TO_SHOW_LAST_FOUR,
  SettingsUpdateSchema,
  type MaskedSecret,
  type SettingsUpdate,
  type SettingsView,
  type StorageSettingsUpdate,
  type StorageTargetView,
} from '../../../shared/settings/settings';
import { parseOrThrow } from '../../../shared/validation';
import type { ApiKeyHolder } from '../ai/apiKeyHolder';
import type { StorageSettings } from '../config';
import type { SavedSettings, SavedStorageSettings, SettingsStore } from './settingsStore';
import { resolveApiKey, resolveStorage, type SettingsEnvironment } from './withSavedSettings';

/** What the settings service is built from. */
export interface SettingsServiceDeps {
  /** Where saved values are kept (safeStorage in the Electron shell, a 0600 file in the browser shell). */
  store: SettingsStore;
  /** What the environment alone configures; its values win over saved ones. */
  environment: SettingsEnvironment;
  /** The cloud storage this run of the app was built with: a saved change applies at the next start. */
  runningStorage: StorageSettings;
  /** The key the assistant reads at each request: a saved key applies to the next request. */
  apiKey: ApiKeyHolder;
  /** Where a throwing onDidChangeSettings listener's error goes. */
  onListenerError?: (error: unknown) => void;
}

/** A secret as the page may see it: never more than its last four characters, and none of a short one. */
export function maskSecret(secret: string): MaskedSecret {
  return { lastFour: secret.length >= MIN_LENGTH_TO_SHOW_LAST_FOUR ? secret.slice(-4) : null };
}

/**
 * The settings screen's service: reads what the environment and the saved settings add up
 * to, with every secret masked, and saves changes through the store. A saved API key applies
 * to the next assistant request; cloud storage applies at the next start (the sync worker,
 * its S3 client and the session's chunks already shipped belong to the bucket it started with).
 */
export class SettingsService {
  private saved: SavedSettings;
  private readonly changed: Emitter<SettingsView>;

  /** Fires after each save, with the new view (masked, like every view). */
  readonly onDidChangeSettings: Event<SettingsView>;

  constructor(private readonly deps: SettingsServiceDeps) {
    this.saved = deps.store.read();
    this.changed = new Emitter<SettingsView>(deps.onListenerError);
    this.onDidChangeSettings = this.changed.event;
  }

  /** The settings as the screen shows them: sources, masked secrets, the bucket, and whether a restart is needed. */
  view(): SettingsView {
    const { environment, runningStorage, store } = this.deps;
    const apiKey = resolveApiKey(environment, this.saved);
    const storage = resolveStorage(environment, this.saved);
    return {
      apiKey: {
        source: apiKey.source,
        inUse: apiKey.apiKey ? maskSecret(apiKey.apiKey) : null,
        saved: this.saved.anthropicApiKey ? maskSecret(this.saved.anthropicApiKey) : null,
      },
      storage: {
        source: storage.source,
        configured: storage.storage.bucket ? storageTargetView({ ...storage.storage, bucket: storage.storage.bucket }) : null,
        saved: this.saved.storage ? storageTargetView(this.saved.storage) : null,
        runningBucket: runningStorage.bucket ?? null,
        restartNeeded: !sameStorageTarget(storage.storage, runningStorage),
      },
      protection: store.protection,
    };
  }

  /**
   * Applies a change: for each member, absent keeps what is saved, null clears it, a value
   * replaces it. Validated (VALIDATION_FAILED names the field, never echoes a secret), then
   * written atomically by the store (SETTINGS_UNAVAILABLE without encryption,
   * SETTINGS_SAVE_FAILED when the write fails: nothing changes then). Returns the new view.
   */
  save(input: SettingsUpdate): SettingsView {
    const update = parseOrThrow(SettingsUpdateSchema, input, 'settings');
    const { store, environment, apiKey } = this.deps;
    if (!store.protection.canSave) throw new AppError('SETTINGS_UNAVAILABLE', store.protection.description);
    const next: SavedSettings = { ...this.saved };
    if (update.apiKey === null) delete next.anthropicApiKey;
    else if (update.apiKey !== undefined) next.anthropicApiKey = update.apiKey;
    if (update.storage === null) delete next.storage;
    else if (update.storage !== undefined) next.storage = savedStorageFrom(update.storage, this.saved.storage);
    store.write(next);
    this.saved = next;
    apiKey.replace(resolveApiKey(environment, next).apiKey);
    const view = this.view();
    this.changed.fire(view);
    return view;
  }

  /** Drops every onDidChangeSettings listener. */
  dispose(): void {
    this.changed.dispose();
  }
}

/** The saved storage a form's update asks for, keeping the saved secret access key where the form left it alone. */
function savedStorageFrom(update: StorageSettingsUpdate, previous: SavedStorageSettings | undefined): SavedStorageSettings {
  const accessKeyId = update.accessKeyId ?? undefined;
  // A kept secret belongs to the access key id it was saved with; a new id needs its own secret.
  const keptSecret = previous?.secretAccessKey !== undefined && previous.accessKeyId === accessKeyId ? previous.secretAccessKey : undefined;
  let secretAccessKey: string | undefined;
  if (update.secretAccessKey === undefined) secretAccessKey = accessKeyId ? keptSecret : undefined;
  else secretAccessKey = update.secretAccessKey ?? undefined;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const path = accessKeyId === undefined ? 'storage.accessKeyId' : 'storage.secretAccessKey';
    const message = accessKeyId === undefined ? 'a secret access key needs its access key id' : 'this access key id needs its secret access key';
    throw new AppError('VALIDATION_FAILED', `Invalid settings: ${path}: ${message}`, { issues: [{ path, message }] });
  }
  return {
    bucket: update.bucket,
    region: update.region,
    forcePathStyle: update.forcePathStyle,
    ...(update.endpoint ? { endpoint: update.endpoint } : {}),
    ...(accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : {}),
  };
}

function storageTargetView(storage: StorageSettings & { bucket: string }): StorageTargetView {
  return {
    bucket: storage.bucket,
    region: storage.region,
    endpoint: storage.endpoint ?? null,
    forcePathStyle: storage.forcePathStyle,
    accessKeyId: storage.accessKeyId ?? null,
    secretAccessKey: storage.secretAccessKey ? maskSecret(storage.secretAccessKey) : null,
  };
}

/** Whether two storage settings send recordings to the same place with the same credentials. */
function sameStorageTarget(a: StorageSettings, b: StorageSettings): boolean {
  const fields = ['bucket', 'region', 'endpoint', 'forcePathStyle', 'accessKeyId', 'secretAccessKey', 'apiUrl', 'apiToken'] as const;
  return fields.every((field) => (a[field] ?? null) === (b[field] ?? null));
}
