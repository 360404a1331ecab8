import type { ChainVerification } from '../../../shared/recording/session';
import type { EventRow } from '../db/rows';
import { eventHash, genesisHash } from './eventHashing';
import type { SqliteDatabase } from '../db/sqlite';
import type { SessionRow } from './sessionStore';

/** What the events say the sessions row must hold. */
interface Tally {
  tokens: number;
  testsPassed: number;
  testResults: number;
  snapshots: number;
  aiInteractions: number;
  bytes: number;
  started: Record<string, unknown> | null;
  last: EventRow | null;
}

function tallyEvent(tally: Tally, event: EventRow): void {
  tally.bytes += Buffer.byteLength(event.data);
  tally.last = event;
  switch (event.type) {
    case 'ai_interaction': {
      const data = JSON.parse(event.data) as { inputTokens?: number; outputTokens?: number };
      tally.aiInteractions += 1;
      tally.tokens += (data.inputTokens ?? 0) + (data.outputTokens ?? 0);
      break;
    }
    case 'test_result':
      tally.testResults += 1;
      if ((JSON.parse(event.data) as { passed?: boolean }).passed === true) tally.testsPassed += 1;
      break;
    case 'code_snapshot':
      tally.snapshots += 1;
      break;
    case 'session_started':
      tally.started = JSON.parse(event.data) as Record<string, unknown>;
      break;
  }
}

/** Why the sessions row disagrees with its (verified) events, or null when it agrees. */
function rowMismatch(session: SessionRow, tally: Tally): string | null {
  const started = tally.started;
  if (!started) return 'the session has no session_started event';
  if (started.candidateId !== session.candidate_id) return "the session's candidate is not the one it started with";
  if ((started.questionId ?? null) !== session.question_id) return "the session's question is not the one it started with";
  if (JSON.stringify(started.metadata ?? {}) !== JSON.stringify(JSON.parse(session.metadata))) return "the session's metadata is not what it started with";
  const closing = tally.last?.type === 'session_closed' ? (JSON.parse(tally.last.data) as { status?: string }) : null;
  if (session.status === 'ACTIVE' ? closing !== null : closing?.status !== session.status || session.ended_at !== tally.last?.timestamp) {
    return `the session's status (${session.status}) is not what its last event records`;
  }
  const expected: [string, number, number][] = [
    ['tokens', session.total_tokens, tally.tokens],
    ['tests passed', session.tests_passed, tally.testsPassed],
    ['test results', session.test_results, tally.testResults],
    ['snapshots', session.snapshot_count, tally.snapshots],
    ['AI interactions', session.ai_interaction_count, tally.aiInteractions],
    ['bytes', session.data_bytes, tally.bytes],
  ];
  const wrong = expected.find(([, stored, counted]) => stored !== counted);
  return wrong ? `the session's ${wrong[0]} (${wrong[1]}) do not match its events (${wrong[2]})` : null;
}

/**
 * Walks a session's events in seq order, recomputing each hash from the previous one.
 * Editing, inserting, reordering or deleting any event breaks the chain at that seq; cutting
 * events off the end no longer matches the head the sessions row recorded. The row itself
 * (candidate, metadata, status, counters) must then agree with what the events say.
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
  const tally: Tally = { tokens: 0, testsPassed: 0, testResults: 0, snapshots: 0, aiInteractions: 0, bytes: 0, started: null, last: null };
  const events = db
    .prepare<[string], EventRow>('SELECT * FROM events WHERE session_id = ? ORDER BY seq')
    .iterate(session.id);
  for (const event of events) {
    if (event.seq !== expectedSeq) return result(false, count, expectedSeq, `seq ${expectedSeq} is missing (next stored is ${event.seq})`);
    if (event.timestamp < lastTimestamp) return result(false, count, event.seq, 'timestamp goes backwards');
    const hash = eventHash({ seq: event.seq, timestamp: event.timestamp, type: event.type, fileId: event.file_id, dataJson: event.data, prevHash });
    if (hash !== event.hash) return result(false, count, event.seq, 'hash does not match the event and its predecessor');
    tallyEvent(tally, event);
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
  const mismatch = rowMismatch(session, tally);
  return mismatch ? result(false, count, null, mismatch) : result(true, count, null, null);
}
