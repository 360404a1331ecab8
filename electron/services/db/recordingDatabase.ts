import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { toDatabaseError } from './databaseErrors';
import { acquireInstanceLock, type InstanceLock } from './instanceLock';
import { migrate } from './migrations/index';
import { openSqlite, type SqliteDatabase } from './sqlite';

/**
 * How hard a commit is pushed to disk. `full` (the default) fsyncs the WAL on every commit,
 * so an acknowledged event survives a power cut; `normal` survives an app crash but may lose
 * the last commits on power loss, for machines with very slow disks.
 */
export type Durability = 'full' | 'normal';

export interface RecordingDatabaseOptions {
  path: string;
  durability?: Durability;
  nativeBinding?: string;
}

/** The open recording database, owned by this process until `close`. */
export interface RecordingDatabase {
  readonly path: string;
  readonly db: SqliteDatabase;
  close(): void;
}

/**
 * Opens (creating if needed) the recording database: claims the instance lock, switches to
 * WAL, and applies migrations. Every failure comes back as a typed `AppError`.
 */
export function openRecordingDatabase(options: RecordingDatabaseOptions): RecordingDatabase {
  const { path, nativeBinding } = options;
  let lock: InstanceLock | undefined;
  let db: SqliteDatabase | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    lock = acquireInstanceLock(`${path}.lock`, nativeBinding);
    db = openSqlite(path, { nativeBinding });
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw Object.assign(new Error(`journal_mode is ${String(mode)}, not wal`), { code: 'SQLITE_READONLY' });
    db.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    // Reading the schema touches page 1, so a file that is not a database fails here, at open.
    migrate(db);
  } catch (error) {
    db?.close();
    lock?.release();
    throw toDatabaseError(error, path);
  }
  const opened = db;
  const held = lock;
  return {
    path,
    db: opened,
    close: () => {
      if (opened.open) {
        // Fold the WAL back into the main file so the closed database is one self-contained file.
        try {
          opened.pragma('wal_checkpoint(TRUNCATE)');
        } finally {
          opened.close();
        }
      }
      held.release();
    },
  };
}
