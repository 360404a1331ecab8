import type { Migration } from './index';

/**
 * The segments the sync worker seals while a session runs (brotli of col/v1 containers), so
 * that closing concatenates them instead of compressing the whole session. Level 0 segments
 * are small and sealed as events commit; level 1 merges a run of them. Rows go once the
 * consolidated recording is stored.
 */
export const migration0003SyncSegments: Migration = {
  version: 3,
  name: '0003-sync-segments',
  up(db) {
    db.exec(`
      CREATE TABLE sync_segments (
        session_id TEXT NOT NULL,
        first_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        level INTEGER NOT NULL,
        head_hash TEXT NOT NULL,
        raw_size INTEGER NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (session_id, first_seq)
      ) STRICT, WITHOUT ROWID;
      ALTER TABLE sessions ADD COLUMN storage_cleaned_at INTEGER;
      UPDATE sessions SET storage_cleaned_at = synced_at WHERE sync_state = 'SYNCED';
    `);
  },
};
