import type { SyncStatus } from '../../../shared/sync/syncStatus';
import type { S3ObjectStoreOptions } from '../storage/s3ObjectStore';
import type { SyncSettings } from './syncEngine';

/** What the worker is started with (structured-cloned into it). */
export interface SyncWorkerData {
  databasePath: string;
  nativeBinding?: string;
  storage: S3ObjectStoreOptions;
  settings?: Partial<SyncSettings>;
}

/** Main thread to worker. */
export type ToSyncWorker = { type: 'nudge' } | { type: 'stop' };

/** Worker to main thread. */
export type FromSyncWorker = { type: 'status'; status: SyncStatus } | { type: 'stopped' } | { type: 'error'; message: string };
