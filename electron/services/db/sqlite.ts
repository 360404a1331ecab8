import Database from 'better-sqlite3';

/** A better-sqlite3 connection. */
export type SqliteDatabase = Database.Database;

/**
 * Opens a SQLite connection. `nativeBinding` points at a better-sqlite3 addon built for
 * Electron's ABI when running inside Electron; under plain Node it is left unset.
 */
export function openSqlite(path: string, options: { nativeBinding?: string; timeoutMs?: number; readonly?: boolean } = {}): SqliteDatabase {
  return new Database(path, {
    timeout: options.timeoutMs ?? 5000,
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
  });
}
