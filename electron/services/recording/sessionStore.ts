import type { Session, SessionStats, SessionStatus, SyncState } from '../../../shared/recording/session';
import type { SqliteDatabase } from '../db/sqlite';

/** A row of the sessions table. */
export interface SessionRow {
  id: string;
  candidate_id: string;
  question_id: string | null;
  status: SessionStatus;
  started_at: number;
  ended_at: number | null;
  last_seq: number;
  last_hash: string;
  last_timestamp: number;
  total_tokens: number;
  tests_passed: number;
  test_results: number;
  snapshot_count: number;
  ai_interaction_count: number;
  data_bytes: number;
  sync_state: SyncState;
  synced_at: number | null;
  storage_cleaned_at: number | null;
  metadata: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function sessionFromRow(row: SessionRow): Session {
  return {
    id: row.id,
    candidateId: row.candidate_id,
    questionId: row.question_id,
    status: row.status,
    startedAt: iso(row.started_at),
    endedAt: row.ended_at === null ? null : iso(row.ended_at),
    lastSeq: row.last_seq,
    syncState: row.sync_state,
    syncedAt: row.synced_at === null ? null : iso(row.synced_at),
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  };
}

export function statsFromRow(row: SessionRow, now: number): SessionStats {
  return {
    sessionId: row.id,
    status: row.status,
    eventCount: row.last_seq,
    totalTokensUsed: row.total_tokens,
    testsPassedCount: row.tests_passed,
    testResultCount: row.test_results,
    snapshotCount: row.snapshot_count,
    aiInteractionCount: row.ai_interaction_count,
    bytes: row.data_bytes,
    durationMs: Math.max(0, (row.ended_at ?? now) - row.started_at),
    startedAt: iso(row.started_at),
    endedAt: row.ended_at === null ? null : iso(row.ended_at),
  };
}

/** The SQL of the sessions table, behind named methods. */
export class SessionStore {
  private readonly insertStatement;
  private readonly byIdStatement;
  private readonly byStatusStatement;
  private readonly closeStatement;

  constructor(db: SqliteDatabase) {
    this.insertStatement = db.prepare(`
      INSERT INTO sessions (id, candidate_id, question_id, status, started_at, last_seq, last_hash, last_timestamp, metadata)
      VALUES (@id, @candidateId, @questionId, 'ACTIVE', @startedAt, 0, @genesisHash, @startedAt, @metadata)`);
    this.byIdStatement = db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?');
    this.byStatusStatement = db.prepare<[SessionStatus], SessionRow>('SELECT * FROM sessions WHERE status = ? ORDER BY started_at');
    this.closeStatement = db.prepare(
      "UPDATE sessions SET status = ?, ended_at = ?, sync_state = ? WHERE id = ? AND status = 'ACTIVE'",
    );
  }

  insert(session: { id: string; candidateId: string; questionId: string | null; startedAt: number; genesisHash: string; metadata: string }): void {
    this.insertStatement.run(session);
  }

  get(id: string): SessionRow | undefined {
    return this.byIdStatement.get(id);
  }

  listByStatus(status: SessionStatus): SessionRow[] {
    return this.byStatusStatement.all(status);
  }

  markClosed(id: string, status: SessionStatus, endedAt: number, syncState: SyncState): void {
    this.closeStatement.run(status, endedAt, syncState, id);
  }
}
