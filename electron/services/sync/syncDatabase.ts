import { openSqlite, type SqliteDatabase } from '../db/sqlite';

/**
 * The sync engine's own connection to the recording database, with synchronous=NORMAL: in
 * WAL mode a commit then survives the app crashing but may roll back on a power cut, and it
 * skips an fsync (~0.5 ms here) per commit. Everything the engine writes can be derived
 * again (segments from the events, sync state by uploading again under the same keys), so a
 * lost commit costs a repeated upload, never a recorded event. The recorder's connection keeps
 * its own setting.
 */
export function openSyncDatabase(path: string, options: { nativeBinding?: string } = {}): SqliteDatabase {
  const db = openSqlite(path, options);
  db.pragma('synchronous = NORMAL');
  return db;
}
