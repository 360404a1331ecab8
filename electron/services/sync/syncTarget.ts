import type { StorageSettings } from '../config';
import { PresignedObjectStore } from '../storage/presignedObjectStore';
import { S3ObjectStore, s3StoreOptionsFrom } from '../storage/s3ObjectStore';
import type { SyncEngineDeps } from './syncEngine';
import { SyncServerClient, syncServerOptionsFrom } from './syncServerClient';
import type { SyncTarget } from './syncWorkerProtocol';

/** The sync target a config describes, or null for the embedded default (local only). */
export function syncTargetFrom(settings: StorageSettings): SyncTarget | null {
  const storage = s3StoreOptionsFrom(settings);
  const server = syncServerOptionsFrom(settings);
  if (storage) return { mode: 's3', storage, ...(server ? { server } : {}) };
  if (server) return { mode: 'server', server };
  return null;
}

/** The store (and server reconciler) the engine uses for a target, plus how to release them. */
export function syncEndpointsFor(target: SyncTarget): Pick<SyncEngineDeps, 'store' | 'server'> & { dispose(): void } {
  const server = target.server ? new SyncServerClient(target.server) : undefined;
  if (target.mode === 'server') {
    return { store: new PresignedObjectStore({ issuer: server! }), server: server!, dispose: () => {} };
  }
  const store = new S3ObjectStore(target.storage);
  return { store, ...(server ? { server } : {}), dispose: () => store.dispose() };
}
