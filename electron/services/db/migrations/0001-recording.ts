import type { Migration } from './index';

/** Sessions, their hash-chained events, and the per-file revision index replay seeks with. */
export const migration0001Recording: Migration = {
  version: 1,
  name: '0001-recording',
  up(db) {
    db.exec(`
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        candidate_id TEXT NOT NULL,
        question_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'COMPLETED', 'ABANDONED', 'EXPIRED')),
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        last_seq INTEGER NOT NULL DEFAULT 0,
        last_hash TEXT NOT NULL,
        last_timestamp INTEGER NOT NULL,
        total_tokens INTEGER NOT NULL DEFAULT 0,
        tests_passed INTEGER NOT NULL DEFAULT 0,
        test_results INTEGER NOT NULL DEFAULT 0,
        snapshot_count INTEGER NOT NULL DEFAULT 0,
        ai_interaction_count INTEGER NOT NULL DEFAULT 0,
        data_bytes INTEGER NOT NULL DEFAULT 0,
        sync_state TEXT NOT NULL DEFAULT 'LOCAL_ONLY' CHECK (sync_state IN ('LOCAL_ONLY', 'PENDING', 'SYNCED')),
        metadata TEXT NOT NULL DEFAULT '{}'
      ) STRICT;
      CREATE INDEX sessions_by_status ON sessions (status);

      CREATE TABLE events (
        session_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        timestamp INTEGER NOT NULL,
        type TEXT NOT NULL,
        file_id TEXT,
        -- How the event changes its file, for replay's index; null for events that do not.
        revision TEXT CHECK (revision IN ('created', 'renamed', 'deleted', 'checkpoint', 'patch', 'edit')),
        data TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
      ) STRICT;
      -- Replay seeks a file's revisions through this; a partial index costs nothing for other events.
      CREATE INDEX events_by_file_revision ON events (session_id, file_id, seq) WHERE revision IS NOT NULL;
    `);
  },
};
