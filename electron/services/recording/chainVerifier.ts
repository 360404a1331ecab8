import type { ChainVerification } from '../../../shared/recording/session';
import type { EventRow } from '../db/rows';
import { eventHash, genesisHash } from './eventHashing';
import type { SqliteDatabase } from '../db/sqlite';
import type { SessionRow } from './sessionStore';

/**
 * Walks a session's events in seq order, recomputing each hash from the previous one.
 * Editing, inserting, reordering or deleting any event breaks the chain at that seq; cutting
 * events off the end no longer matches the head the sessions row recorded.
 */
export function verifySessionChain(db: SqliteDatabase, session: SessionRow): ChainVerification {
  const result = (valid: boolean, eventCount: number, firstBrokenSeq: number | null, reason: string | null): ChainVerification => ({
    sessionId: session.id,
    valid,
    eventCount,
    firstBrokenSeq,
    reason,
  });
  let prevHash = genesisHash(session.id);
  let expectedSeq = 1;
  let count = 0;
  let lastTimestamp = -Infinity;
  const events = db
    .prepare<[string], EventRow>('SELECT * FROM events WHERE session_id = ? ORDER BY seq')
    .iterate(session.id);
  for (const event of events) {
    if (event.seq !== expectedSeq) return result(false, count, expectedSeq, `seq ${expectedSeq} is missing (next stored is ${event.seq})`);
    if (event.timestamp < lastTimestamp) return result(false, count, event.seq, 'timestamp goes backwards');
    const hash = eventHash({ seq: event.seq, timestamp: event.timestamp, type: event.type, fileId: event.file_id, dataJson: event.data, prevHash });
    if (hash !== event.hash) return result(false, count, event.seq, 'hash does not match the event and its predecessor');
    prevHash = hash;
    lastTimestamp = event.timestamp;
    expectedSeq += 1;
    count += 1;
  }
  if (count !== session.last_seq) {
    return result(false, count, count + 1, `the session recorded ${session.last_seq} events but ${count} remain`);
  }
  if (prevHash !== session.last_hash) {
    return result(false, count, count, 'the last event is not the one the session recorded as its head');
  }
  return result(true, count, null, null);
}
