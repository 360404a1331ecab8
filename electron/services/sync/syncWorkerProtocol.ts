import type { SyncStatus } from '../../../shared/sync/syncStatus';
import type { S3ObjectStoreOptions } from '../storage/s3ObjectStore';
import type { SyncServerClientOptions } from './syncServerClient';
import type { SyncSettings } from './syncEngine';

/**
 * Where recordings go, in the two credential modes: `s3` signs its own requests with AWS keys
 * (company machines, on-site); `server` holds no AWS secret and uploads through URLs the
 * InterviewLM server presigns. A server, when configured, also reconciles in `s3` mode.
 */
export type SyncTarget =
  | { mode: 's3'; storage: S3ObjectStoreOptions; server?: SyncServerClientOptions }
  | { mode: 'server'; server: SyncServerClientOptions };

/** What the worker is started with (structured-cloned into it). */
export interface SyncWorkerData {
  databasePath: string;
  nativeBinding?: string;
  target: SyncTarget;
  settings?: Partial<SyncSettings>;
}

/** Main thread to worker. */
export type ToSyncWorker = { type: 'nudge' } | { type: 'stop' };

/** Worker to main thread. */
export type FromSyncWorker = { type: 'status'; status: SyncStatus } | { type: 'stopped' } | { type: 'error'; message: string };
