import { AppError } from '../../../shared/errors';
import { openSqlite, type SqliteDatabase } from './sqlite';

/** Held while this process owns a data directory; `release` gives it up. */
export interface InstanceLock {
  readonly path: string;
  release(): void;
}

/**
 * Claims a data directory for this process, so one recording database never has two
 * writers. The lock is SQLite's own exclusive file lock on a small side file: the OS drops
 * it when the process dies, even by kill -9, so a crash never leaves a stale lock behind.
 */
export function acquireInstanceLock(path: string, nativeBinding?: string): InstanceLock {
  let connection: SqliteDatabase | undefined;
  try {
    connection = openSqlite(path, { nativeBinding, timeoutMs: 0 });
    connection.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock; locking_mode keeps it until close.
    connection.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since INTEGER NOT NULL)');
    connection.prepare('DELETE FROM holder').run();
    connection.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, Date.now());
  } catch (error) {
    connection?.close();
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      throw new AppError(
        'DATABASE_LOCKED',
        `Another InterviewLM instance is using this data folder (${path}). Close it first, or set INTERVIEWLM_DATA_DIR to another folder.`,
        { lockPath: path },
      );
    }
    throw error;
  }
  const held = connection;
  return {
    path,
    release: () => {
      if (held.open) held.close();
    },
  };
}
