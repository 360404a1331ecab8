import { openRecordingDatabase, type RecordingDatabase } from '../../electron/services/db/recordingDatabase';
import type { SqliteDatabase } from '../../electron/services/db/sqlite';
import { issuePaced } from './issuePaced';

/** A row of the events table, exactly as the recorder wrote it. */
export interface EventRow {
  session_id: string;
  seq: number;
  timestamp: number;
  type: string;
  file_id: string | null;
  data: string;
  hash: string;
}

/** A row of the file_revisions table. */
export interface RevisionRow {
  session_id: string;
  file_id: string;
  seq: number;
  kind: string;
}

/** The events rows of a session between two seqs, both included, in seq order. */
export function readEventRows(db: SqliteDatabase, sessionId: string, fromSeq: number, toSeq: number): EventRow[] {
  return db
    .prepare<[string, number, number], EventRow>('SELECT session_id, seq, timestamp, type, file_id, data, hash FROM events WHERE session_id = ? AND seq BETWEEN ? AND ? ORDER BY seq')
    .all(sessionId, fromSeq, toSeq);
}

/** The file_revisions rows of a session between two seqs, both included. */
export function readRevisionRows(db: SqliteDatabase, sessionId: string, fromSeq: number, toSeq: number): RevisionRow[] {
  return db
    .prepare<[string, number, number], RevisionRow>('SELECT session_id, file_id, seq, kind FROM file_revisions WHERE session_id = ? AND seq BETWEEN ? AND ? ORDER BY seq')
    .all(sessionId, fromSeq, toSeq);
}

/**
 * Plain better-sqlite3 writes of rows the recorder already produced, into a database opened
 * exactly as the recorder's (openRecordingDatabase: migration 0001, WAL, synchronous FULL):
 * no validation, no hashing, no promises. Without `revisions` only the events rows are
 * written; with them, each transaction also writes what the recorder's does besides the
 * events: the file_revisions rows and one sessions UPDATE.
 */
export class RawSqliteWriter {
  private readonly database: RecordingDatabase;
  private readonly writeRange: (rows: readonly EventRow[], from: number, to: number) => void;

  constructor(path: string, revisions: readonly RevisionRow[] | null) {
    this.database = openRecordingDatabase({ path, durability: 'full' });
    const { db } = this.database;
    const insertEvent = db.prepare('INSERT INTO events (session_id, seq, timestamp, type, file_id, data, hash) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const insertRevision = db.prepare('INSERT INTO file_revisions (session_id, file_id, seq, kind) VALUES (?, ?, ?, ?)');
    // The recorder's own UPDATE, so the page it touches and the work it does are the same.
    const advanceSession = db.prepare(`
      UPDATE sessions SET last_seq = ?, last_hash = ?, last_timestamp = ?, data_bytes = data_bytes + ?,
        total_tokens = total_tokens + ?, tests_passed = tests_passed + ?, test_results = test_results + ?,
        snapshot_count = snapshot_count + ?, ai_interaction_count = ai_interaction_count + ?
      WHERE id = ?`);
    const createSession = db.prepare("INSERT OR IGNORE INTO sessions (id, candidate_id, status, started_at, last_hash, last_timestamp) VALUES (?, 'bench', 'ACTIVE', 0, '', 0)");
    const revisionsBySeq = new Map((revisions ?? []).map((revision) => [`${revision.session_id}/${revision.seq}`, revision]));
    this.writeRange = db.transaction((rows: readonly EventRow[], from: number, to: number) => {
      let bytes = 0;
      for (let i = from; i < to; i++) {
        const row = rows[i]!;
        insertEvent.run(row.session_id, row.seq, row.timestamp, row.type, row.file_id, row.data, row.hash);
        if (revisions) {
          const revision = revisionsBySeq.get(`${row.session_id}/${row.seq}`);
          if (revision) insertRevision.run(revision.session_id, revision.file_id, revision.seq, revision.kind);
          bytes += row.data.length;
        }
      }
      if (revisions) {
        const last = rows[to - 1]!;
        createSession.run(last.session_id);
        advanceSession.run(last.seq, last.hash, last.timestamp, bytes, 0, 0, 0, 0, 0, last.session_id);
      }
    }).immediate;
  }

  /** Writes `rows[from, to)` in one transaction. */
  write(rows: readonly EventRow[], from = 0, to = rows.length): void {
    this.writeRange(rows, from, to);
  }

  /** Writes all `rows`, `batchSize` per transaction; returns the ms it took. */
  writeInBatches(rows: readonly EventRow[], batchSize: number): number {
    const startedAt = performance.now();
    for (let from = 0; from < rows.length; from += batchSize) this.write(rows, from, Math.min(rows.length, from + batchSize));
    return performance.now() - startedAt;
  }

  /**
   * Writes `rows` at a steady rate, each timer wake-up's due rows in one transaction.
   * Returns, per row, ms from the write call to its commit: the disk's floor under the
   * recorder's paced latency.
   */
  async writePaced(rows: readonly EventRow[], ratePerSecond: number): Promise<Float64Array> {
    const latencies = new Float64Array(rows.length);
    await issuePaced(rows.length, ratePerSecond, (from, to) => {
      const calledAt = performance.now();
      this.write(rows, from, to);
      latencies.fill(performance.now() - calledAt, from, to);
    });
    return latencies;
  }

  close(): void {
    this.database.close();
  }
}
