import type { RecordedEvent } from '../../../shared/recording/eventTypes';
import type { SqliteDatabase } from './sqlite';

/** A row of the events table, exactly as the recorder wrote it (data is JSON text). */
export interface EventRow {
  session_id: string;
  seq: number;
  timestamp: number;
  type: string;
  file_id: string | null;
  data: string;
  hash: string;
}

/** An events row as the services hand it out: data parsed, names in camelCase. */
export function recordedEventFromRow(row: EventRow): RecordedEvent {
  return {
    sessionId: row.session_id,
    seq: row.seq,
    timestamp: row.timestamp,
    type: row.type,
    fileId: row.file_id,
    data: JSON.parse(row.data) as unknown,
    hash: row.hash,
  };
}

/** Reads events firstSeq..lastSeq of a session, in seq order, as the services hand them out. */
export type EventRangeReader = (sessionId: string, firstSeq: number, lastSeq: number) => RecordedEvent[];

/** An `EventRangeReader` on `db`, its statement compiled once, here. */
export function eventRangeReader(db: SqliteDatabase): EventRangeReader {
  const statement = db.prepare<[string, number, number], EventRow>('SELECT * FROM events WHERE session_id = ? AND seq BETWEEN ? AND ? ORDER BY seq');
  return (sessionId, firstSeq, lastSeq) => statement.all(sessionId, firstSeq, lastSeq).map(recordedEventFromRow);
}
