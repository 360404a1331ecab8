import { AppError } from '../../../shared/errors';

/** Whether `error` is one better-sqlite3 or Node raised with a `code`. */
function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : '';
}

/**
 * Turns a SQLite or file-system failure on the recording database into a typed error that
 * tells a candidate or proctor what happened and what to do. The file is never touched.
 */
export function toDatabaseError(error: unknown, databasePath: string): AppError {
  if (error instanceof AppError) return error;
  const code = errorCode(error);
  const reason = error instanceof Error ? error.message : String(error);
  const details = { databasePath, sqliteCode: code || undefined };
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new AppError(
      'DATABASE_LOCKED',
      `The recording database ${databasePath} is in use by another InterviewLM window or process. Close it and try again.`,
      details,
    );
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new AppError(
      'DATABASE_CORRUPT',
      `The recording database ${databasePath} is damaged (${reason}). It was left untouched: keep a copy for support, then move it aside to start a new one.`,
      details,
    );
  }
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_AUTH' ||
    ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'EISDIR'].includes(code)
  ) {
    return new AppError(
      'DATABASE_UNWRITABLE',
      `Cannot write the recording database ${databasePath} (${reason}). Choose a writable folder with INTERVIEWLM_DATA_DIR.`,
      details,
    );
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new AppError('DATABASE_WRITE_FAILED', `The disk holding ${databasePath} is full; nothing more can be recorded until space is freed.`, details);
  }
  return new AppError('DATABASE_WRITE_FAILED', `The recording database ${databasePath} failed: ${reason}`, details);
}

function isSqliteError(error: unknown): boolean {
  return errorCode(error).startsWith('SQLITE_');
}

/**
 * Wraps a service so that any SQLite error escaping one of its methods, thrown or rejected,
 * becomes the typed database error. Applied once in the composition root, so no read path
 * can forget it.
 */
export function withDatabaseErrors<T extends object>(service: T, databasePath: string): T {
  const translate = (error: unknown): never => {
    throw isSqliteError(error) ? toDatabaseError(error, databasePath) : error;
  };
  return new Proxy(service, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        try {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result instanceof Promise ? result.catch(translate) : result;
        } catch (error) {
          return translate(error);
        }
      };
    },
  });
}
