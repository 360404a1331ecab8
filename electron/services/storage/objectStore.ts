/**
 * The small interface the storage and sync services use instead of an S3 client, so tests
 * can run them against s3rver on loopback, or a fault-injecting proxy, and a server-issued
 * presigned-URL uploader can stand in for a client that holds no AWS secret.
 */

/** What storage reports about one object. */
export interface StoredObjectInfo {
  key: string;
  size: number;
  etag: string | null;
  /** User metadata (x-amz-meta-*), keys lower-cased. */
  metadata: Record<string, string>;
}

/** How an object is put. */
export interface PutOptions {
  contentType: string;
  /** User metadata (x-amz-meta-*). */
  metadata: Record<string, string>;
  /**
   * The hex sha256 of the body, when the caller has it already: a store that signs its
   * requests sends it as the signed payload hash (S3 then refuses a body that does not match
   * it) instead of hashing the body again.
   */
  sha256?: string;
}

/** What storage answers a put with. */
export interface PutResult {
  etag: string | null;
  /**
   * False when storage says the ETag is not the MD5 of the bytes: an object encrypted with
   * SSE-KMS or a customer-provided key gets an opaque ETag. Otherwise a single-part object's
   * 32-hex ETag is that MD5 (plain or SSE-S3 objects, and stores that do not encrypt).
   */
  etagIsMd5?: boolean;
}

/**
 * Whether S3's ETag for a single-part PUT is the MD5 of the bytes, from the encryption its
 * answer reports (x-amz-server-side-encryption, x-amz-server-side-encryption-customer-algorithm).
 */
export function etagIsMd5Under(serverSideEncryption: string | null | undefined, customerKeyAlgorithm: string | null | undefined): boolean {
  return !customerKeyAlgorithm && (!serverSideEncryption || serverSideEncryption === 'AES256');
}

export interface ObjectStore {
  /** Stores `body` at `key` (overwriting); resolves with the ETag. */
  put(key: string, body: Uint8Array, options: PutOptions): Promise<PutResult>;
  /** The object's bytes and metadata, or null when there is none. */
  get(key: string): Promise<{ body: Uint8Array; info: StoredObjectInfo } | null>;
  /** The object's size and metadata, or null when there is none. */
  head(key: string): Promise<StoredObjectInfo | null>;
  /** Every object under `prefix` (one session's folder: never the whole bucket). */
  list(prefix: string): Promise<StoredObjectInfo[]>;
  /** A time-limited GET URL for `key`. */
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
  /** Removes the object, whether or not it exists. Optional: a presigned-URL uploader may not be allowed to. */
  delete?(key: string): Promise<void>;
  /** Removes many objects at once (S3's DeleteObjects). Optional, like `delete`. */
  deleteMany?(keys: readonly string[]): Promise<void>;
}
