/**
 * Typed errors shared by every process. Services throw `AppError`s; transports carry
 * them as plain `{ code, message, details? }` objects and rebuild them on the far side.
 */

/** Every error code a service or transport may report. */
export const ERROR_CODES = [
  /** A request, event or config value did not match its schema. */
  'VALIDATION_FAILED',
  /** The IPC channel does not exist in the contract. */
  'UNKNOWN_CHANNEL',
  /** An IPC message came from a frame that is not the app's own page. */
  'UNTRUSTED_SENDER',
  'UNKNOWN_EVENT_TYPE',
  'PAYLOAD_TOO_LARGE',
  /** Event data that JSON cannot represent (BigInt, cycles, NaN, functions, ...). */
  'NOT_JSON',
  'SESSION_NOT_FOUND',
  'SESSION_CLOSED',
  /** Another window (or tab) holds the session's writer lease; nothing was written. `sessions.takeOver` moves it here. */
  'SESSION_OPEN_ELSEWHERE',
  'FILE_NOT_FOUND',
  'CONFIG_INVALID',
  /** Another app instance holds the data directory. */
  'DATABASE_LOCKED',
  'DATABASE_CORRUPT',
  'DATABASE_UNWRITABLE',
  /** The database was written by a newer version of the app. */
  'DATABASE_TOO_NEW',
  /** A write to the database failed; the events in it were not recorded. */
  'DATABASE_WRITE_FAILED',
  'RECORDER_CLOSED',
  /** Cloud storage is not set up (no bucket or no keys); the message names the variables to set. */
  'STORAGE_NOT_CONFIGURED',
  /** The storage service refused the credentials or the request's signature (403, InvalidAccessKeyId...). Not transient. */
  'STORAGE_AUTH_FAILED',
  /** The configured bucket does not exist. Not transient. */
  'STORAGE_BUCKET_MISSING',
  /** The storage service could not be reached or answered 5xx; `details.transient` is true, so a retry may succeed. */
  'STORAGE_UNAVAILABLE',
  /** Any other storage failure; `details` carry the operation, key and S3 error code. */
  'STORAGE_FAILED',
  /** No recording object exists for the session; the message names the key. */
  'RECORDING_NOT_FOUND',
  /** A recording object whose bytes, sha256, gzip, JSON or schema do not check out; the message names the key. */
  'RECORDING_CORRUPT',
  /**
   * Storage already holds a recording of the session that an upload does not cover (more
   * events, or another hash at its last seq); nothing was written. The message names the key
   * and both recordings' events.
   */
  'RECORDING_CONFLICT',
  /** Writing a session export (.json.gz) to the chosen path failed. */
  'EXPORT_FAILED',
  /** The language is unknown, or its toolchain is not on this machine; the message says which. */
  'LANGUAGE_UNAVAILABLE',
  /** No sandbox with that id (never created, or destroyed). */
  'SANDBOX_NOT_FOUND',
  /** The code execution backend failed (not the candidate's code: a run that fails is a result, not an error). */
  'EXECUTION_FAILED',
  /** The AI assistant cannot answer: no API key, or the model server is unreachable; the message says which, plainly. */
  'AI_UNAVAILABLE',
  /** The model server refused the request or answered something unusable (not the candidate's fault). */
  'AI_FAILED',
  /** The request was cancelled by the person (an AbortSignal). */
  'CANCELLED',
  /** No question with that id. */
  'QUESTION_NOT_FOUND',
  /** Settings cannot be saved on this computer (no encryption for secrets); the message says what to do instead. */
  'SETTINGS_UNAVAILABLE',
  /** Writing the saved settings failed (disk full, no permission); nothing was changed. */
  'SETTINGS_SAVE_FAILED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The wire form of an error, as carried by every transport. */
export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

/** An error with a stable machine-readable code and a message meant for people. */
export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The transport-safe form of this error. */
  toPayload(): ErrorPayload {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  /** Rebuilds an error received from a transport. */
  static fromPayload(payload: ErrorPayload): AppError {
    return new AppError(payload.code, payload.message, payload.details);
  }
}

/** True when `error` is an `AppError`, optionally with the given code. */
export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
