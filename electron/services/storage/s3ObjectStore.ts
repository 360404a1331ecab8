import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AppError } from '../../../shared/errors';
import type { StorageSettings } from '../config';
import { etagIsMd5Under, type ObjectStore, type PutOptions, type PutResult, type StoredObjectInfo } from './objectStore';
import { isPermissionRefusal, isTransientStorageError, storageErrorFrom, type StorageOperation } from './storageErrors';

/** The most keys one DeleteObjects request may name. */
const DELETE_BATCH = 1000;

/** How to reach a bucket: what `S3ObjectStore` builds its client from. */
export interface S3ObjectStoreOptions {
  bucket: string;
  region: string;
  /** An S3-compatible server (MinIO, R2, s3rver, an on-site store); unset for AWS itself. */
  endpoint?: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key`; most S3-compatible servers need it. */
  forcePathStyle?: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Keys per ListObjectsV2 page (1..1000); S3's maximum unless a test wants many pages. */
  listPageSize?: number;
}

/**
 * The store options for a config, or null when it cannot sign its own requests: no bucket,
 * or no key pair (then the app is "local only", or uploads through server-issued URLs).
 */
export function s3StoreOptionsFrom(settings: StorageSettings): S3ObjectStoreOptions | null {
  if (!settings.bucket || !settings.accessKeyId || !settings.secretAccessKey) return null;
  return {
    bucket: settings.bucket,
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
  };
}

/**
 * The S3 client settings every store uses.
 * - Checksums only when an operation requires them: s3rver (and some on-site stores) do not
 *   speak the newer x-amz-checksum-* headers; our own sha256 covers integrity end to end.
 * - One attempt: retries, backoff and the circuit breaker belong to the sync worker's policy,
 *   which sees every failure; SDK retries underneath it would multiply them unseen.
 */
export function s3ClientConfig(options: S3ObjectStoreOptions): S3ClientConfig {
  return {
    region: options.region,
    credentials: options.credentials,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  };
}

/** The header that carries a signed request's payload hash (SigV4). */
const SIGNED_PAYLOAD_HASH_HEADER = 'x-amz-content-sha256';

/**
 * `ObjectStore` over @aws-sdk/client-s3. Every SDK failure surfaces as a typed `AppError`
 * (see `storageErrorFrom`); a missing object is `null`, not an error.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly listPageSize: number;

  /** Builds its own client from `options`, or uses `client` (then `options.bucket` still names the bucket). */
  constructor(options: S3ObjectStoreOptions, client?: S3Client) {
    this.bucket = options.bucket;
    this.client = client ?? new S3Client(s3ClientConfig(options));
    this.ownsClient = client === undefined;
    this.listPageSize = options.listPageSize ?? 1000;
  }

  async put(key: string, body: Uint8Array, options: PutOptions): Promise<PutResult> {
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.byteLength, ContentType: options.contentType, Metadata: options.metadata });
    const { sha256 } = options;
    if (sha256 !== undefined) {
      // SigV4 signs the payload's hash from this header when it is set, rather than hashing
      // the body itself (a recording is ~250 KB); S3 checks the body against it.
      command.middlewareStack.add(
        (next) => (args) => {
          (args.request as { headers: Record<string, string> }).headers[SIGNED_PAYLOAD_HASH_HEADER] = sha256;
          return next(args);
        },
        { step: 'build', name: 'signedPayloadHash' },
      );
    }
    const result = await this.send('put', key, () => this.client.send(command));
    return { etag: result.ETag ?? null, etagIsMd5: etagIsMd5Under(result.ServerSideEncryption, result.SSECustomerAlgorithm) };
  }

  async get(key: string): Promise<{ body: Uint8Array; info: StoredObjectInfo } | null> {
    return this.send('get', key, async () => {
      try {
        const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        // The body streams after the headers; a reset mid-body must fail the get, so read it inside `send`.
        const body = (await result.Body?.transformToByteArray()) ?? new Uint8Array();
        return { body, info: { key, size: body.byteLength, etag: result.ETag ?? null, metadata: result.Metadata ?? {} } };
      } catch (error) {
        if (isS3ErrorNamed(error, 'NoSuchKey')) return null;
        throw error;
      }
    });
  }

  /**
   * HEAD carries no error body, so a 404 cannot tell a missing key from a missing bucket:
   * on a 404 the bucket itself is checked once, so a missing bucket is never reported as a
   * missing object.
   */
  async head(key: string): Promise<StoredObjectInfo | null> {
    return this.send('head', key, async () => {
      try {
        const result = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
        return { key, size: result.ContentLength ?? 0, etag: result.ETag ?? null, metadata: result.Metadata ?? {} };
      } catch (error) {
        if (httpStatusOf(error) !== 404) throw error;
        await this.client.send(new HeadBucketCommand({ Bucket: this.bucket })).catch((bucketError: unknown) => {
          throw httpStatusOf(bucketError) === 404 ? bucketMissing(bucketError) : bucketError;
        });
        return null;
      }
    });
  }

  /**
   * Every object under `prefix`, page by page (ListObjectsV2). ListObjectsV2 carries no user
   * metadata, so `metadata` is empty here: `head` a key for it. An empty prefix throws before
   * any request: listing the whole bucket is never what a session needs.
   */
  async list(prefix: string): Promise<StoredObjectInfo[]> {
    if (prefix.length === 0) throw new AppError('VALIDATION_FAILED', 'Refusing to list the whole bucket: list() needs a prefix (one session\'s folder).', { operation: 'list' });
    const objects: StoredObjectInfo[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.send('list', prefix, () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: this.listPageSize, ...(continuationToken ? { ContinuationToken: continuationToken } : {}) }),
        ),
      );
      for (const entry of page.Contents ?? []) {
        if (entry.Key === undefined) continue;
        objects.push({ key: entry.Key, size: entry.Size ?? 0, etag: entry.ETag ?? null, metadata: {} });
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
    return objects;
  }

  /** Removes the object; S3 answers the same whether or not it existed, so this is idempotent. */
  async delete(key: string): Promise<void> {
    await this.send('delete', key, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  /**
   * Removes many objects, 1,000 per DeleteObjects request (S3's limit); keys that do not exist
   * count as removed. Every batch is sent even when one names keys it refused; then the call
   * fails as the refusals warrant together: transient if any of them is (worth asking again),
   * a permission refusal only if all of them are.
   */
  async deleteMany(keys: readonly string[]): Promise<void> {
    const refused: AppError[] = [];
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const batch = keys.slice(start, start + DELETE_BATCH);
      const result = await this.send('delete', batch[0]!, () =>
        this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((key) => ({ Key: key })), Quiet: true } })),
      );
      // S3 answers 200 and names each key it refused, each classified by its code as a whole
      // request's would be (AccessDenied to keys without s3:DeleteObject; InternalError, SlowDown).
      for (const failed of result.Errors ?? []) {
        // No code at all: nothing says it will not pass next time.
        const keyError = Object.assign(new Error(failed.Message ?? 'no message'), { name: failed.Code ?? 'InternalError' });
        refused.push(storageErrorFrom(keyError, { operation: 'delete', bucket: this.bucket, key: failed.Key ?? batch[0]! }));
      }
    }
    if (refused.length === 0) return;
    const decisive = refused.find(isTransientStorageError) ?? refused.find((error) => !isPermissionRefusal(error)) ?? refused[0]!;
    const others = refused.length - 1;
    throw others === 0 ? decisive : new AppError(decisive.code, `${decisive.message} (${others} other key(s) not deleted either)`, decisive.details);
  }

  /** Signs locally: no request is made, so it works offline and does not check that the key exists. */
  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return this.send('presign', key, () => getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: expiresInSeconds }));
  }

  /** Closes the client's sockets, if this store built the client. */
  dispose(): void {
    if (this.ownsClient) this.client.destroy();
  }

  private async send<T>(operation: StorageOperation, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw storageErrorFrom(error, { operation, bucket: this.bucket, key });
    }
  }
}

function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function isS3ErrorNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

/** A HeadBucket 404 has no body either; give it the name S3 uses elsewhere so it maps to BUCKET_MISSING. */
function bucketMissing(error: unknown): Error {
  const missing = new Error('The specified bucket does not exist', { cause: error });
  missing.name = 'NoSuchBucket';
  Object.assign(missing, { $metadata: { httpStatusCode: 404 } });
  return missing;
}
