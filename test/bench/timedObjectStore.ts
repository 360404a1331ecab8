import type { PutOptions, PutResult, StoredObjectInfo } from '../../electron/services/storage/objectStore';
import type { S3ObjectStore } from '../../electron/services/storage/s3ObjectStore';
import type { SyncObjectStore } from '../../electron/services/sync/syncEngine';

/** Requests made through a `TimedObjectStore`, and the wall time spent waiting for them. */
export interface StoreTimings {
  requests: number;
  ms: number;
  byOperation: Record<string, { requests: number; ms: number }>;
}

/**
 * Wraps a store and adds up the time each call takes, so a bench can split a sync pass into
 * time waiting for storage and time spent on this side (reading, encoding, hashing).
 */
export class TimedObjectStore implements SyncObjectStore {
  timings: StoreTimings = { requests: 0, ms: 0, byOperation: {} };

  constructor(private readonly inner: S3ObjectStore) {}

  reset(): void {
    this.timings = { requests: 0, ms: 0, byOperation: {} };
  }

  put(key: string, body: Uint8Array, options: PutOptions): Promise<PutResult> {
    return this.timed('put', () => this.inner.put(key, body, options));
  }

  get(key: string): Promise<{ body: Uint8Array; info: StoredObjectInfo } | null> {
    return this.timed('get', () => this.inner.get(key));
  }

  head(key: string): Promise<StoredObjectInfo | null> {
    return this.timed('head', () => this.inner.head(key));
  }

  list(prefix: string): Promise<StoredObjectInfo[]> {
    return this.timed('list', () => this.inner.list(prefix));
  }

  presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return this.inner.presignGet(key, expiresInSeconds);
  }

  delete(key: string): Promise<void> {
    return this.timed('delete', () => this.inner.delete(key));
  }

  deleteMany(keys: readonly string[]): Promise<void> {
    return this.timed('deleteMany', () => this.inner.deleteMany(keys));
  }

  private async timed<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    try {
      return await call();
    } finally {
      const ms = performance.now() - startedAt;
      const entry = (this.timings.byOperation[operation] ??= { requests: 0, ms: 0 });
      entry.requests += 1;
      entry.ms += ms;
      this.timings.requests += 1;
      this.timings.ms += ms;
    }
  }
}
