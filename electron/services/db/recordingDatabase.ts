import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { toDatabaseError } from './databaseErrors';
import { WalCheckpointer, type WalCheckpointPolicy } from './walCheckpointer';
import { acquireInstanceLock, type InstanceLock } from './instanceLock';
import { migrate } from './migrations/index';
import { openSqlite, type SqliteDatabase } from './sqlite';

/**
 * How hard a commit is pushed to disk. Both survive a crash or kill of the app: a commit is
 * in the WAL file before it is acknowledged. `normal` (the default) leaves the fsync to the
 * OS, so a power cut may lose the last second or so of events; `full` fsyncs every commit,
 * surviving a power cut at the price of the disk's fsync latency on every acknowledgement.
 */
export type Durability = 'full' | 'normal';

export interface RecordingDatabaseOptions {
  path: string;
  durability?: Durability;
  nativeBinding?: string;
  checkpointPolicy?: WalCheckpointPolicy;
}

/** The open recording database, owned by this process until `close`. */
export interface RecordingDatabase {
  readonly path: string;
  readonly db: SqliteDatabase;
  /** Tells the database a transaction committed, so it can schedule the WAL checkpoint. */
  noteCommit(): void;
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
    db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    // Reading the schema touches page 1, so a file that is not a database fails here, at open.
    const version = migrate(db);
    // A file we may read but not write (permissions, a read-only volume) fails here, not at the
    // first event: rewriting user_version is a real, harmless write.
    db.pragma(`user_version = ${version}`);
  } catch (error) {
    db?.close();
    lock?.release();
    throw toDatabaseError(error, path);
  }
  const opened = db;
  const held = lock;
  const checkpointer = new WalCheckpointer(opened, options.checkpointPolicy);
  return {
    path,
    db: opened,
    noteCommit: () => checkpointer.noteCommit(),
    close: () => {
      checkpointer.dispose();
      try {
        if (opened.open) {
          // Fold the WAL back into the main file so the closed database is one self-contained file.
          try {
            opened.pragma('wal_checkpoint(TRUNCATE)');
          } finally {
            opened.close();
          }
        }
      } finally {
        held.release();
      }
    },
  };
}
