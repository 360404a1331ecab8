import { AppError, isAppError } from '../../../shared/errors';

/** The object-store operation a failure happened in, as error details name it. */
export type StorageOperation = 'put' | 'get' | 'head' | 'list' | 'delete' | 'presign';

/** What `storageErrorFrom` knows about the failed call. */
export interface StorageErrorContext {
  operation: StorageOperation;
  bucket: string;
  /** The object key, or the prefix for `list`. */
  key: string;
}

/** The details of every storage `AppError`: enough for the sync worker to decide whether to retry. */
export interface StorageErrorDetails extends StorageErrorContext {
  /** True only for STORAGE_UNAVAILABLE: the same request may succeed later. */
  transient: boolean;
  /** The HTTP status, when a response arrived. */
  status?: number;
  /** S3's error code (`NoSuchBucket`, `SlowDown`...) or the socket's (`ECONNREFUSED`...). */
  awsCode?: string;
}

/** S3 error codes that mean the credentials or the signature were refused. */
const AUTH_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccessDenied',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidSecurity',
  'Forbidden',
  'Unauthorized',
]);

/** Of those, the codes for an operation the credentials are good for but not allowed (a policy without that permission). */
const PERMISSION_CODES = new Set(['AccessDenied', 'AllAccessDisabled', 'Forbidden']);

/**
 * S3 error codes worth retrying. RequestTimeTooSkewed is here because the SDK corrects its
 * clock offset from the response's Date header, so the next attempt is signed right.
 */
const TRANSIENT_CODES = new Set(['InternalError', 'ServiceUnavailable', 'SlowDown', 'RequestTimeout', 'RequestTimeTooSkewed', 'TooManyRequests', 'TimeoutError', 'RequestAbortedError']);

/** Socket and DNS failures: the network or the server is away, which may end. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

const GENERIC_NAMES = new Set(['Error', 'AggregateError', 'S3ServiceException', 'Unknown', 'UnknownError']);

interface ErrorFacts {
  status: number | undefined;
  /** S3's error name or the socket error's code, whichever is most specific. */
  code: string | undefined;
  network: boolean;
  message: string;
}

/** Digs the useful facts out of an SDK error, a socket error, or one wrapped in `cause`/AggregateError. */
function factsOf(error: unknown): ErrorFacts {
  let status: number | undefined;
  let code: string | undefined;
  let network = false;
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const candidate = current as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: unknown }; cause?: unknown; errors?: unknown };
    const httpStatus = candidate.$metadata?.httpStatusCode;
    if (status === undefined && typeof httpStatus === 'number') status = httpStatus;
    if (typeof candidate.code === 'string' && NETWORK_CODES.has(candidate.code)) {
      network = true;
      code ??= candidate.code;
    }
    const name = typeof candidate.name === 'string' ? candidate.name : undefined;
    // 'Unknown' is what the SDK calls an error response without a body (every HEAD): the status says more.
    if (name && !GENERIC_NAMES.has(name)) code ??= name;
    if (candidate.cause !== undefined) queue.push(candidate.cause);
    if (Array.isArray(candidate.errors)) queue.push(...(candidate.errors as unknown[]));
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status, code, network, message };
}

/**
 * Maps any failure of an S3 call to a typed `AppError`:
 * - STORAGE_AUTH_FAILED: refused credentials or signature (401/403, InvalidAccessKeyId, ...);
 * - STORAGE_BUCKET_MISSING: NoSuchBucket, or a 404 on a bucket-level request;
 * - STORAGE_UNAVAILABLE (`transient: true`): refused/reset/timed-out connections, 5xx, throttling;
 * - STORAGE_FAILED: anything else.
 * `AppError`s pass through unchanged.
 */
export function storageErrorFrom(error: unknown, context: StorageErrorContext): AppError {
  if (isAppError(error)) return error;
  const facts = factsOf(error);
  const where = `S3 ${context.operation} of ${JSON.stringify(context.key)} in bucket ${JSON.stringify(context.bucket)}`;
  const details = (transient: boolean): StorageErrorDetails => ({
    ...context,
    transient,
    ...(facts.status !== undefined ? { status: facts.status } : {}),
    ...(facts.code !== undefined ? { awsCode: facts.code } : {}),
  });
  const because = facts.code !== undefined ? `${facts.code}: ${facts.message}` : facts.status !== undefined ? `HTTP ${facts.status}` : facts.message;

  if (facts.code !== undefined && TRANSIENT_CODES.has(facts.code)) {
    return new AppError('STORAGE_UNAVAILABLE', `${where} failed, the storage service is unavailable (${because}); it may succeed later.`, details(true));
  }
  if ((facts.code !== undefined && AUTH_CODES.has(facts.code)) || facts.status === 401 || facts.status === 403) {
    return new AppError(
      'STORAGE_AUTH_FAILED',
      `${where} was refused: the storage service rejected the credentials (${because}). Check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and the key's permissions on the bucket.`,
      details(false),
    );
  }
  if (facts.code === 'NoSuchBucket' || (facts.status === 404 && context.operation === 'list')) {
    return new AppError('STORAGE_BUCKET_MISSING', `${where} failed: the bucket ${JSON.stringify(context.bucket)} does not exist (check AWS_S3_BUCKET, AWS_REGION and AWS_S3_ENDPOINT).`, details(false));
  }
  if (facts.network || (facts.status !== undefined && facts.status >= 500)) {
    return new AppError('STORAGE_UNAVAILABLE', `${where} failed, the storage service is unreachable or failing (${because}); it may succeed later.`, details(true));
  }
  return new AppError('STORAGE_FAILED', `${where} failed (${because}).`, details(false));
}

/**
 * STORAGE_NOT_CONFIGURED for the seed's storage functions, naming the variables still unset.
 * Recording is unaffected: sessions stay on this machine.
 */
export function storageNotConfigured(settings: { bucket?: string; accessKeyId?: string; secretAccessKey?: string; apiUrl?: string }): AppError {
  const missing = [
    ...(settings.bucket ? [] : ['AWS_S3_BUCKET']),
    ...(settings.accessKeyId ? [] : ['AWS_ACCESS_KEY_ID']),
    ...(settings.secretAccessKey ? [] : ['AWS_SECRET_ACCESS_KEY']),
  ];
  const list = missing.length > 1 ? `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)}` : missing.join('');
  const serverNote = settings.apiUrl
    ? ' INTERVIEWLM_API_URL and INTERVIEWLM_API_TOKEN alone let the sync worker upload through server-issued URLs; these functions sign their own requests and need the keys.'
    : '';
  return new AppError(
    'STORAGE_NOT_CONFIGURED',
    `Cloud storage is not configured: set ${list} (and AWS_REGION; AWS_S3_ENDPOINT and AWS_S3_FORCE_PATH_STYLE=true for an S3-compatible server). Recordings stay on this machine meanwhile.${serverNote}`,
    { missing },
  );
}

/**
 * True when storage refused an operation these credentials may not perform (keys allowed to
 * write but not to read, list or delete), as against credentials it rejects outright (an
 * unknown or expired key, a bad signature), which no operation gets past. A 403 without a
 * body (every HEAD) counts as the former.
 */
export function isPermissionRefusal(error: unknown): boolean {
  if (!isAppError(error) || error.code !== 'STORAGE_AUTH_FAILED') return false;
  const { awsCode } = (error.details ?? {}) as Partial<StorageErrorDetails>;
  return awsCode === undefined || PERMISSION_CODES.has(awsCode);
}

/** True for a storage failure the same request may get past later (`details.transient`). */
export function isTransientStorageError(error: unknown): boolean {
  return isAppError(error) && (error.details as Partial<StorageErrorDetails> | undefined)?.transient === true;
}
