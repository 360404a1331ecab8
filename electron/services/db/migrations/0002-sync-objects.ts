import type { Migration } from './index';

/**
 * The sync worker's state: every object it has put in storage for a session (chunks, the
 * consolidated recording, the manifest) with its sha256 and ETag, so it resumes after a
 * restart and can prove the remote copy equals the local one. Plus when a session was synced.
 */
export const migration0002SyncObjects: Migration = {
  version: 2,
  name: '0002-sync-objects',
  up(db) {
    db.exec(`
      CREATE TABLE sync_objects (
        session_id TEXT NOT NULL,
        key TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('chunk', 'recording', 'manifest')),
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        event_count INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        compressed_size INTEGER NOT NULL,
        etag TEXT,
        uploaded_at INTEGER NOT NULL,
        PRIMARY KEY (session_id, key)
      ) STRICT, WITHOUT ROWID;
      ALTER TABLE sessions ADD COLUMN synced_at INTEGER;
    `);
  },
};
