import { AppError } from '../../../shared/errors';
import { sessionIdOfKey, type UploadObject } from '../../../shared/sync/syncServerContract';
import type { SyncObjectStore } from '../sync/syncEngine';
import { causeOf, type IssuedUpload } from '../sync/syncServerClient';
import { etagIsMd5Under, type PutOptions, type PutResult, type StoredObjectInfo } from './objectStore';
import { sha256Hex } from './recordingCodec';
import type { StorageOperation } from './storageErrors';

/** Whoever issues presigned PUT URLs: the InterviewLM server, through `SyncServerClient`. */
export interface UploadUrlIssuer {
  requestUploadUrls(sessionId: string, objects: UploadObject[]): Promise<IssuedUpload[]>;
}

export interface PresignedObjectStoreDeps {
  issuer: UploadUrlIssuer;
  fetch?: typeof fetch;
  now?: () => number;
  /** A cached URL is used only while more than this remains of its life (at most half of it). Default 60 s. */
  renewBeforeExpiryMs?: number;
  /** Per PUT: a stalled upload must not hold the sync pass forever. Default 10 min. */
  uploadTimeoutMs?: number;
}

/** The details of a failed PUT to a presigned URL. */
export interface PresignedPutErrorDetails {
  operation: 'put';
  key: string;
  /** True for STORAGE_UNAVAILABLE only. */
  transient: boolean;
  status?: number;
  /** S3's error code from the XML body (`AccessDenied`, `SlowDown`...). */
  awsCode?: string;
}

const DEFAULT_RENEW_BEFORE_EXPIRY_MS = 60_000;
const DEFAULT_UPLOAD_TIMEOUT_MS = 10 * 60_000;
/** Enough for every object of several sessions in flight; past it the oldest URLs are forgotten. */
const MAX_CACHED_URLS = 512;
/** S3 answers worth retrying besides 5xx: throttling, a slow body, bytes that arrived damaged. */
const TRANSIENT_AWS_CODES = new Set(['SlowDown', 'RequestTimeout', 'InternalError', 'ServiceUnavailable', 'BadDigest', 'XAmzContentSHA256Mismatch']);

/**
 * The sync engine's store on a machine that holds no AWS secret (a candidate's laptop): each
 * put asks the InterviewLM server for a presigned PUT URL and sends the bytes straight to
 * storage with exactly the headers the URL was signed for. URLs are cached per object and
 * bytes until shortly before they expire, so a retried put does not ask again.
 *
 * It can only upload: reading, listing, deleting and presigning need credentials this
 * machine must not have, so they throw STORAGE_NOT_CONFIGURED, and `canList` is false, which
 * tells the engine to reconcile through the server's manifest check instead.
 */
export class PresignedObjectStore implements SyncObjectStore {
  readonly canList = false;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;
  private readonly renewBeforeExpiryMs: number;
  private readonly uploadTimeoutMs: number;
  /** Object fingerprint -> its URL and when to stop using it (local clock). */
  private readonly urls = new Map<string, { upload: IssuedUpload; useUntil: number }>();

  constructor(private readonly deps: PresignedObjectStoreDeps) {
    this.fetch = deps.fetch ?? globalThis.fetch;
    this.now = deps.now ?? Date.now;
    this.renewBeforeExpiryMs = deps.renewBeforeExpiryMs ?? DEFAULT_RENEW_BEFORE_EXPIRY_MS;
    this.uploadTimeoutMs = deps.uploadTimeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS;
  }

  /**
   * Uploads through a server-issued URL. `key` must be in a session's folder: the session
   * names the token's scope. A cached URL that storage refuses is replaced once by a fresh
   * one (it may have expired early); a fresh URL refused is STORAGE_AUTH_FAILED.
   */
  async put(key: string, body: Uint8Array, options: PutOptions): Promise<PutResult> {
    const sessionId = sessionIdOfKey(key);
    if (sessionId === null) {
      throw new AppError('VALIDATION_FAILED', `Cannot upload ${JSON.stringify(key)}: the server issues URLs only for keys under sessions/<date>/<sessionId>/.`, { operation: 'put', key });
    }
    // The caller's sha256 when it has one (the sync worker keeps the recording's as it seals it); storage checks the body against it.
    const object: UploadObject = { key, sha256: options.sha256 ?? sha256Hex(body), size: body.byteLength, contentType: options.contentType, metadata: options.metadata };
    const fingerprint = fingerprintOf(object);
    const cached = this.cachedUrl(fingerprint);
    let upload = cached ?? (await this.issue(sessionId, object, fingerprint));
    let answer = await this.send(upload, body, key);
    if (cached && (answer.status === 401 || answer.status === 403)) {
      this.urls.delete(fingerprint);
      upload = await this.issue(sessionId, object, fingerprint);
      answer = await this.send(upload, body, key);
    }
    if (answer.status < 200 || answer.status > 299) {
      const error = putErrorFrom(answer, key);
      // A URL storage was merely too busy for stays good for the retry; any other answer puts it in doubt.
      if (!(error.details as PresignedPutErrorDetails).transient) this.urls.delete(fingerprint);
      throw error;
    }
    return { etag: answer.etag, etagIsMd5: answer.etagIsMd5 };
  }

  async get(key: string): Promise<{ body: Uint8Array; info: StoredObjectInfo } | null> {
    throw unsupported('get', key);
  }

  async head(key: string): Promise<StoredObjectInfo | null> {
    throw unsupported('head', key);
  }

  async list(prefix: string): Promise<StoredObjectInfo[]> {
    throw unsupported('list', prefix);
  }

  async delete(key: string): Promise<void> {
    throw unsupported('delete', key);
  }

  async presignGet(key: string): Promise<string> {
    throw unsupported('presign', key);
  }

  private cachedUrl(fingerprint: string): IssuedUpload | null {
    const entry = this.urls.get(fingerprint);
    if (!entry) return null;
    if (this.now() < entry.useUntil) return entry.upload;
    this.urls.delete(fingerprint);
    return null;
  }

  private async issue(sessionId: string, object: UploadObject, fingerprint: string): Promise<IssuedUpload> {
    const askedAt = this.now();
    // The client answers one URL per object asked for, or throws.
    const upload = (await this.deps.issuer.requestUploadUrls(sessionId, [object]))[0]!;
    const renewBefore = Math.min(this.renewBeforeExpiryMs, upload.lifetimeMs / 2);
    this.urls.delete(fingerprint);
    this.urls.set(fingerprint, { upload, useUntil: askedAt + upload.lifetimeMs - renewBefore });
    for (const [oldest] of this.urls) {
      if (this.urls.size <= MAX_CACHED_URLS) break;
      this.urls.delete(oldest);
    }
    return upload;
  }

  /** PUTs the bytes with exactly the signed headers; a network failure is STORAGE_UNAVAILABLE. */
  private async send(upload: IssuedUpload, body: Uint8Array, key: string): Promise<PutAnswer> {
    try {
      const response = await this.fetch(upload.url, {
        method: upload.method,
        headers: upload.headers,
        body,
        // A presigned URL is signed for one host; a redirect would not carry the signature anywhere useful.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.uploadTimeoutMs),
      });
      const text = await response.text();
      const etagIsMd5 = etagIsMd5Under(response.headers.get('x-amz-server-side-encryption'), response.headers.get('x-amz-server-side-encryption-customer-algorithm'));
      return { status: response.status, etag: response.headers.get('etag'), etagIsMd5, text };
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const details: PresignedPutErrorDetails = { operation: 'put', key, transient: true };
      throw new AppError(
        'STORAGE_UNAVAILABLE',
        `The upload of ${JSON.stringify(key)} to ${new URL(upload.url).origin} failed, storage is unreachable (${timedOut ? `no answer within ${this.uploadTimeoutMs} ms` : causeOf(error)}); it may succeed later.`,
        details,
      );
    }
  }
}

interface PutAnswer {
  status: number;
  etag: string | null;
  etagIsMd5: boolean;
  text: string;
}

/** Everything the URL is bound to: the same fingerprint means the same signed request. */
function fingerprintOf(object: UploadObject): string {
  const metadata = Object.entries(object.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([object.key, object.sha256, object.size, object.contentType, metadata]);
}

/** Maps storage's answer to a PUT as `storageErrorFrom` maps the SDK's, with advice that fits a machine without keys. */
function putErrorFrom(answer: PutAnswer, key: string): AppError {
  const awsCode = /<Code>([^<]{1,100})<\/Code>/.exec(answer.text)?.[1];
  const details: PresignedPutErrorDetails = { operation: 'put', key, transient: false, status: answer.status, ...(awsCode ? { awsCode } : {}) };
  const because = `HTTP ${answer.status}${awsCode ? ` ${awsCode}` : ''}`;
  const upload = `The upload of ${JSON.stringify(key)} through a URL the InterviewLM server issued`;
  if ((awsCode !== undefined && TRANSIENT_AWS_CODES.has(awsCode)) || answer.status === 408 || answer.status === 429 || answer.status >= 500) {
    return new AppError('STORAGE_UNAVAILABLE', `${upload} failed, storage is unavailable (${because}); it may succeed later.`, { ...details, transient: true });
  }
  if (answer.status === 401 || answer.status === 403) {
    return new AppError(
      'STORAGE_AUTH_FAILED',
      `${upload} was refused by storage (${because}). The server's storage credentials, its clock or the bucket's policy are wrong: nothing on this computer can fix it; tell InterviewLM.`,
      details,
    );
  }
  if (awsCode === 'NoSuchBucket') {
    return new AppError('STORAGE_BUCKET_MISSING', `${upload} failed: the bucket the server signed for does not exist (${because}); tell InterviewLM.`, details);
  }
  return new AppError('STORAGE_FAILED', `${upload} failed (${because}).`, details);
}

function unsupported(operation: StorageOperation, key: string): AppError {
  return new AppError(
    'STORAGE_NOT_CONFIGURED',
    `Cannot ${operation} ${JSON.stringify(key)}: this computer uploads through URLs the InterviewLM server issues and holds no storage credentials, so it can write recordings but not read, list or delete them. The server reconciles what it holds instead.`,
    { operation, key, mode: 'presigned' },
  );
}
