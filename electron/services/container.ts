import type { AppConfig } from './config';
import { withDatabaseErrors } from './db/databaseErrors';
import { openRecordingDatabase, type RecordingDatabase } from './db/recordingDatabase';
import { ReplayService } from './replay/replayService';
import { SessionRecordingService } from './recording/sessionRecordingService';
import { S3ObjectStore, s3StoreOptionsFrom } from './storage/s3ObjectStore';
import { S3StorageService } from './storage/s3StorageService';

/** Every service of the app, built from one config. */
export interface Services {
  readonly config: AppConfig;
  readonly database: RecordingDatabase;
  readonly sessions: SessionRecordingService;
  readonly replay: ReplayService;
  /** The seed's S3 Storage Service; null when no bucket and keys are configured ("local only"). */
  readonly storage: S3StorageService | null;
  /** Commits what is queued, releases the database and its instance lock. */
  dispose(): void;
}

/** Hooks for tests and the shell: a clock, and where listener errors go. */
export interface ServiceOverrides {
  now?: () => number;
  onListenerError?: (error: unknown) => void;
}

/**
 * The composition root: opens the database and builds each service with its dependencies
 * passed in. Tests build their own on a temp folder; the app builds one at start.
 */
export function createServices(config: AppConfig, overrides: ServiceOverrides = {}): Services {
  const database = openRecordingDatabase({
    path: config.databasePath,
    durability: config.durability,
    ...(config.sqliteNativeBinding ? { nativeBinding: config.sqliteNativeBinding } : {}),
  });
  let sessions: SessionRecordingService;
  let replay: ReplayService;
  let objectStore: S3ObjectStore | null;
  let storage: S3StorageService | null;
  try {
    sessions = withDatabaseErrors(new SessionRecordingService({
      db: database.db,
      databasePath: database.path,
      settings: config.recorder,
      onCommitted: database.noteCommit,
      loadFileLengths: (sessionId) => new Map(replay.getFilesAt(sessionId, { seq: Number.MAX_SAFE_INTEGER }).map((file) => [file.fileId, file.content.length])),
      ...(overrides.now ? { now: overrides.now } : {}),
      onListenerError: overrides.onListenerError ?? ((error) => console.error('[interviewlm] listener failed:', error)),
    }), database.path);
    replay = withDatabaseErrors(new ReplayService(database.db), database.path);
    // Without a bucket and keys the app is "local only": no client, nothing to fail.
    const storeOptions = s3StoreOptionsFrom(config.storage);
    objectStore = storeOptions ? new S3ObjectStore(storeOptions) : null;
    storage = objectStore
      ? new S3StorageService({ store: objectStore, lookupSession: (sessionId) => sessions.getSession(sessionId), ...(overrides.now ? { now: overrides.now } : {}) })
      : null;
  } catch (error) {
    // A service that fails to build must not leave the database and its lock held.
    database.close();
    throw error;
  }
  let disposed = false;
  return {
    config,
    database,
    sessions,
    replay,
    storage,
    dispose() {
      if (disposed) return;
      disposed = true;
      try {
        sessions.dispose();
      } finally {
        objectStore?.dispose();
        database.close();
      }
    },
  };
}
