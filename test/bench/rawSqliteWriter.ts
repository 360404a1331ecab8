import { openRecordingDatabase, type Durability, type RecordingDatabase } from '../../electron/services/db/recordingDatabase';
import type { EventRow } from '../../electron/services/db/rows';
import type { SqliteDatabase } from '../../electron/services/db/sqlite';
import type { FileRevisionKind } from '../../shared/replay/fileState';
import { issuePaced } from './issuePaced';

/** A row of the events table with every column the recorder writes, `revision` included. */
export type RecordedEventRow = EventRow & { revision: FileRevisionKind | null };

/** The events rows of a session between two seqs, both included, in seq order. */
export function readEventRows(db: SqliteDatabase, sessionId: string, fromSeq: number, toSeq: number): RecordedEventRow[] {
  return db
    .prepare<[string, number, number], RecordedEventRow>(
      'SELECT session_id, seq, timestamp, type, file_id, revision, data, hash FROM events WHERE session_id = ? AND seq BETWEEN ? AND ? ORDER BY seq',
    )
    .all(sessionId, fromSeq, toSeq);
}

/** The PRAGMA synchronous level openRecordingDatabase sets for a durability. */
export function synchronousOf(durability: Durability): 'FULL' | 'NORMAL' {
  return durability === 'full' ? 'FULL' : 'NORMAL';
}

export interface RawSqliteWriterOptions {
  /** Passed to openRecordingDatabase, as the recorder it is compared with was opened. */
  durability: Durability;
  /** Also run the recorder's one sessions UPDATE per transaction (the "all writes" variant). */
  advanceSession: boolean;
}

/**
 * Plain better-sqlite3 writes of rows the recorder already produced, into a database opened
 * exactly as the recorder's (openRecordingDatabase with the same durability: migration 0001,
 * WAL, its synchronous level, WAL auto-checkpoint off and checkpoints after a quiet period):
 * one single-row prepared INSERT of all 8 columns per row, no validation, no hashing, no
 * promises. With `advanceSession`, each transaction also runs what the recorder's does
 * besides the events inserts: one sessions UPDATE.
 */
export class RawSqliteWriter {
  private readonly database: RecordingDatabase;
  private readonly writeRange: (rows: readonly RecordedEventRow[], from: number, to: number) => void;

  constructor(path: string, options: RawSqliteWriterOptions) {
    this.database = openRecordingDatabase({ path, durability: options.durability });
    const { db } = this.database;
    const insertEvent = db.prepare(
      'INSERT INTO events (session_id, seq, timestamp, type, file_id, revision, data, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    // The recorder's own UPDATE, so the page it touches and the work it does are the same.
    const advanceSession = db.prepare(`
      UPDATE sessions SET last_seq = ?, last_hash = ?, last_timestamp = ?, data_bytes = data_bytes + ?,
        total_tokens = total_tokens + ?, tests_passed = tests_passed + ?, test_results = test_results + ?,
        snapshot_count = snapshot_count + ?, ai_interaction_count = ai_interaction_count + ?
      WHERE id = ?`);
    const createSession = db.prepare("INSERT INTO sessions (id, candidate_id, status, started_at, last_hash, last_timestamp) VALUES (?, 'bench', 'ACTIVE', 0, '', 0)");
    const createdSessions = new Set<string>();
    this.writeRange = db.transaction((rows: readonly RecordedEventRow[], from: number, to: number) => {
      let bytes = 0;
      for (let i = from; i < to; i++) {
        const row = rows[i]!;
        insertEvent.run(row.session_id, row.seq, row.timestamp, row.type, row.file_id, row.revision, row.data, row.hash);
        bytes += row.data.length;
      }
      if (options.advanceSession) {
        const last = rows[to - 1]!;
        // The row the UPDATE advances, created once (the recorder's is created with the session).
        if (!createdSessions.has(last.session_id)) {
          createSession.run(last.session_id);
          createdSessions.add(last.session_id);
        }
        advanceSession.run(last.seq, last.hash, last.timestamp, bytes, 0, 0, 0, 0, 0, last.session_id);
      }
    }).immediate;
  }

  /** Writes `rows[from, to)` in one transaction. */
  write(rows: readonly RecordedEventRow[], from = 0, to = rows.length): void {
    this.writeRange(rows, from, to);
    // As the recorder's writer does after each commit: the same WAL checkpoint schedule.
    this.database.noteCommit();
  }

  /** Writes all `rows`, `batchSize` per transaction; returns the ms it took. */
  writeInBatches(rows: readonly RecordedEventRow[], batchSize: number): number {
    const startedAt = performance.now();
    for (let from = 0; from < rows.length; from += batchSize) this.write(rows, from, Math.min(rows.length, from + batchSize));
    return performance.now() - startedAt;
  }

  /**
   * Writes `rows` at a steady rate, each timer wake-up's due rows in one transaction.
   * Returns, per row, ms from the write call to its commit: the disk's floor under the
   * recorder's paced latency.
   */
  async writePaced(rows: readonly RecordedEventRow[], ratePerSecond: number): Promise<Float64Array> {
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
