import { AppError } from '../../../shared/errors';
import type { EventAck } from '../../../shared/recording/eventTypes';
import type { FileRevisionKind } from '../../../shared/replay/fileState';
import { toDatabaseError } from '../db/databaseErrors';
import type { SqliteDatabase } from '../db/sqlite';
import { eventHash } from './eventHashing';

/** Where a session's chain stands: what the next event continues from. */
export interface SessionCursor {
  readonly sessionId: string;
  lastSeq: number;
  lastHash: string;
  lastTimestamp: number;
}

/** Increments to a session's counters, applied in the same transaction as the event. */
export interface StatsDelta {
  tokens?: number;
  testsPassed?: number;
  testResults?: number;
  snapshots?: number;
  aiInteractions?: number;
}

/** What an event's body resolves to when the writer commits it. */
export interface EventBody {
  dataJson: string;
  /** UTF-8 size of dataJson. */
  bytes: number;
  revisionKind: FileRevisionKind | null;
}

/** An event waiting for its commit. */
export interface PendingEvent {
  cursor: SessionCursor;
  type: string;
  fileId: string | null;
  /** The body, or a function that builds it at commit time (snapshots patch against a seq known only then). */
  body: EventBody | (() => EventBody);
  stats: StatsDelta | null;
  /** When the caller recorded it, in ms; made non-decreasing per session at commit. */
  recordedAt: number;
  /** Extra statements that must commit atomically with this event (e.g. a status change). */
  alsoWrite?: (seq: number, timestamp: number) => void;
  /**
   * The event's seq once written: set inside the transaction, so a later event of the same
   * batch can refer to it, and cleared again if the transaction fails.
   */
  committedSeq?: number;
}

/** A queued event and its caller's promise. The event object itself is kept, not copied: others hold references to it. */
interface QueuedEvent {
  event: PendingEvent;
  resolve(ack: EventAck): void;
  reject(error: AppError): void;
}

interface CursorDraft {
  seq: number;
  hash: string;
  timestamp: number;
  bytes: number;
  stats: Required<StatsDelta>;
}

const EVENT_COLUMNS = '(session_id, seq, timestamp, type, file_id, revision, data, hash)';
const EVENT_PLACEHOLDERS = '(?, ?, ?, ?, ?, ?, ?, ?)';
const VALUES_PER_EVENT = 8;
/** Rows per multi-row INSERT: one statement call per chunk instead of per event. */
const ROWS_PER_INSERT = 32;

/**
 * Group commit for events. Calls enqueue; the writer commits everything queued in one
 * transaction at the end of the current turn of the event loop, then resolves each promise.
 * A promise therefore resolves only once its event is on disk, and a failed transaction
 * rejects every event in it while the cursors stay at the last committed event: no gap.
 */
export class EventWriter {
  private queue: QueuedEvent[] = [];
  private flushScheduled = false;
  private closed = false;
  private commits = 0;
  private committedEvents = 0;
  private readonly insertEvent;
  private readonly insertEventChunk;
  private readonly advanceSession;
  /** Built once: better-sqlite3 wraps a transaction function anew on every `transaction()` call. */
  private readonly writeBatchTransaction;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly databasePath: string,
    private readonly maxBatchEvents: number,
    /** Called after each commit (the database schedules its WAL checkpoint from it). */
    private readonly onCommitted: () => void = () => {},
    /** Sees failures of that after-commit work, which must never reach a caller. */
    private readonly onHousekeepingError: (error: unknown) => void = () => {},
  ) {
    this.insertEvent = db.prepare(`INSERT INTO events ${EVENT_COLUMNS} VALUES ${EVENT_PLACEHOLDERS}`);
    this.insertEventChunk = db.prepare(`INSERT INTO events ${EVENT_COLUMNS} VALUES ${Array(ROWS_PER_INSERT).fill(EVENT_PLACEHOLDERS).join(', ')}`);
    this.advanceSession = db.prepare(`
      UPDATE sessions SET last_seq = ?, last_hash = ?, last_timestamp = ?, data_bytes = data_bytes + ?,
        total_tokens = total_tokens + ?, tests_passed = tests_passed + ?, test_results = test_results + ?,
        snapshot_count = snapshot_count + ?, ai_interaction_count = ai_interaction_count + ?
      WHERE id = ?`);
    this.writeBatchTransaction = db.transaction((batch: QueuedEvent[], drafts: Map<SessionCursor, CursorDraft>, acks: EventAck[]) => this.writeBatch(batch, drafts, acks));
  }

  /** Queues an event; resolves with its seq and hash once committed. */
  enqueue(event: PendingEvent): Promise<EventAck> {
    if (this.closed) return Promise.reject(new AppError('RECORDER_CLOSED', 'The recorder is shut down; the event was not recorded.'));
    return new Promise<EventAck>((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      this.scheduleFlush();
    });
  }

  /** Transactions committed and events in them, since start: the average batch size is their ratio. */
  get commitStats(): { commits: number; events: number } {
    return { commits: this.commits, events: this.committedEvents };
  }

  /** Events queued and not yet committed. */
  get pendingCount(): number {
    return this.queue.length;
  }

  /** Commits everything queued now, synchronously. */
  flushNow(): void {
    while (this.queue.length > 0) this.flushBatch();
  }

  /** Commits what is queued and refuses anything after. */
  close(): void {
    this.flushNow();
    this.closed = true;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate runs after the I/O callbacks of this turn: everything recorded in the
    // turn (a burst of IPC messages, a loop of calls) lands in one transaction.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushBatch();
      if (this.queue.length > 0) this.scheduleFlush();
    });
  }

  private flushBatch(): void {
    const batch = this.queue.length <= this.maxBatchEvents ? this.queue : this.queue.slice(0, this.maxBatchEvents);
    this.queue = batch === this.queue ? [] : this.queue.slice(batch.length);
    if (batch.length === 0) return;
    const drafts = new Map<SessionCursor, CursorDraft>();
    const acks: EventAck[] = [];
    try {
      this.writeBatchTransaction.immediate(batch, drafts, acks);
    } catch (error) {
      const failure = toDatabaseError(error, this.databasePath);
      for (const queued of batch) {
        queued.event.committedSeq = undefined;
        queued.reject(failure);
      }
      return;
    }
    this.commits += 1;
    this.committedEvents += batch.length;
    for (const [cursor, draft] of drafts) {
      cursor.lastSeq = draft.seq;
      cursor.lastHash = draft.hash;
      cursor.lastTimestamp = draft.timestamp;
    }
    batch.forEach((queued, i) => queued.resolve(acks[i]!));
    // The batch is committed and acknowledged; nothing after this may undo that.
    try {
      this.onCommitted();
    } catch (error) {
      this.onHousekeepingError(error);
    }
  }

  private writeBatch(batch: QueuedEvent[], drafts: Map<SessionCursor, CursorDraft>, acks: EventAck[]): void {
    const values: unknown[] = [];
    const alsoWrites: (() => void)[] = [];
    for (const { event } of batch) {
      const { cursor } = event;
      let draft = drafts.get(cursor);
      if (!draft) {
        draft = {
          seq: cursor.lastSeq,
          hash: cursor.lastHash,
          timestamp: cursor.lastTimestamp,
          bytes: 0,
          stats: { tokens: 0, testsPassed: 0, testResults: 0, snapshots: 0, aiInteractions: 0 },
        };
        drafts.set(cursor, draft);
      }
      // A body builder may read the seq of an earlier event of this batch, so seqs are assigned in queue order.
      const body = typeof event.body === 'function' ? event.body() : event.body;
      const seq = draft.seq + 1;
      const timestamp = Math.max(event.recordedAt, draft.timestamp);
      const hash = eventHash({ seq, timestamp, type: event.type, fileId: event.fileId, dataJson: body.dataJson, prevHash: draft.hash });
      const revision = event.fileId === null ? null : body.revisionKind;
      values.push(cursor.sessionId, seq, timestamp, event.type, event.fileId, revision, body.dataJson, hash);
      if (event.alsoWrite) {
        const alsoWrite = event.alsoWrite;
        alsoWrites.push(() => alsoWrite(seq, timestamp));
      }
      event.committedSeq = seq;
      draft.seq = seq;
      draft.hash = hash;
      draft.timestamp = timestamp;
      draft.bytes += body.bytes;
      if (event.stats) {
        draft.stats.tokens += event.stats.tokens ?? 0;
        draft.stats.testsPassed += event.stats.testsPassed ?? 0;
        draft.stats.testResults += event.stats.testResults ?? 0;
        draft.stats.snapshots += event.stats.snapshots ?? 0;
        draft.stats.aiInteractions += event.stats.aiInteractions ?? 0;
      }
      acks.push({ sessionId: cursor.sessionId, seq, timestamp, hash });
    }
    this.insertRows(values);
    // After the inserts, before the cursor updates: a new session's row must exist before it advances.
    for (const alsoWrite of alsoWrites) alsoWrite();
    for (const [cursor, draft] of drafts) {
      const { stats } = draft;
      this.advanceSession.run(
        draft.seq,
        draft.hash,
        draft.timestamp,
        draft.bytes,
        stats.tokens,
        stats.testsPassed,
        stats.testResults,
        stats.snapshots,
        stats.aiInteractions,
        cursor.sessionId,
      );
    }
  }

  /** Inserts flattened event rows, ROWS_PER_INSERT at a time, then the remainder one by one. */
  private insertRows(values: unknown[]): void {
    const chunkSize = ROWS_PER_INSERT * VALUES_PER_EVENT;
    let offset = 0;
    for (; offset + chunkSize <= values.length; offset += chunkSize) this.insertEventChunk.run(values.slice(offset, offset + chunkSize));
    for (; offset < values.length; offset += VALUES_PER_EVENT) this.insertEvent.run(values.slice(offset, offset + VALUES_PER_EVENT));
  }
}
