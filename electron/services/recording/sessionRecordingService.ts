import { randomUUID } from 'node:crypto';
import { AppError } from '../../../shared/errors';
import { Emitter, type Event } from '../../../shared/event';
import { FILE_EVENT_TYPES } from '../../../shared/recording/fileEventTypes';
import {
  CANDIDATE_EVENT_DATA,
  isCandidateEventType,
  isServiceEventType,
  type EventAck,
  type EventInput,
  type TextChange,
} from '../../../shared/recording/eventTypes';
import { findNonJsonValue } from '../../../shared/recording/jsonValue';
import {
  CandidateIdSchema,
  FileIdSchema,
  ClaudeInteractionSchema,
  ClosedSessionStatusSchema,
  CodeSnapshotSchema,
  CreateSessionOptionsSchema,
  SessionIdSchema,
  TestResultSchema,
  type ChainVerification,
  type ClaudeInteraction,
  type ClosedSessionStatus,
  type CodeSnapshot,
  type CreateSessionOptions,
  type Session,
  type SessionStats,
  type TestResult,
} from '../../../shared/recording/session';
import { revisionKindOf } from '../../../shared/replay/fileState';
import { parseOrThrow } from '../../../shared/validation';
import type { RecorderSettings } from '../config';
import type { SqliteDatabase } from '../db/sqlite';
import { verifySessionChain } from './chainVerifier';
import { genesisHash } from './eventHashing';
import { EventWriter, type EventBody, type PendingEvent, type SessionCursor, type StatsDelta } from './eventWriter';
import { FileLengths } from './fileLengths';
import { SnapshotEncoder } from './snapshotEncoder';
import { SessionStore, sessionFromRow, statsFromRow, type SessionRow } from './sessionStore';

/** What `onDidCloseSession` reports: the hook the sync worker listens on. */
export interface SessionClosedEvent {
  sessionId: string;
  status: ClosedSessionStatus;
  session: Session;
}

export interface SessionRecordingDeps {
  db: SqliteDatabase;
  databasePath: string;
  settings: RecorderSettings;
  /** Called after each commit, for the database's checkpoint scheduling. */
  onCommitted?: () => void;
  /** Milliseconds since the epoch; injectable so tests control time. */
  now?: () => number;
  newSessionId?: () => string;
  onListenerError?: (error: unknown) => void;
  /** Every live file of a session and its length, from the database (the replay service knows how). */
  loadFileLengths?: (sessionId: string) => Map<string, number>;
}

interface OpenSession {
  cursor: SessionCursor;
  files: FileLengths;
  /** Set while closeSession runs: the session takes no more events. */
  closing: Promise<Session> | null;
}

/**
 * The Session Recording Service (the seed's sessions API). Every event is validated,
 * chained to the previous one by sha256, and committed to SQLite before its promise
 * resolves; commits are grouped so throughput stays high.
 */
export class SessionRecordingService {
  private readonly store: SessionStore;
  private readonly writer: EventWriter;
  private readonly snapshots: SnapshotEncoder;
  private readonly open = new Map<string, OpenSession>();
  private readonly closedEmitter: Emitter<SessionClosedEvent>;
  private readonly now: () => number;
  private readonly newSessionId: () => string;

  /** Fires after a session is closed and its last event committed. */
  readonly onDidCloseSession: Event<SessionClosedEvent>;

  constructor(private readonly deps: SessionRecordingDeps) {
    this.store = new SessionStore(deps.db);
    this.writer = new EventWriter(deps.db, deps.databasePath, deps.settings.maxBatchEvents, deps.onCommitted, deps.onListenerError);
    this.snapshots = new SnapshotEncoder(deps.settings);
    this.now = deps.now ?? Date.now;
    this.newSessionId = deps.newSessionId ?? (() => `ses_${randomUUID().replaceAll('-', '')}`);
    this.closedEmitter = new Emitter(deps.onListenerError);
    this.onDidCloseSession = this.closedEmitter.event;
  }

  /** Starts a recording; its first event, seq 1, is `session_started`. */
  async createSession(candidateId: string, opts?: CreateSessionOptions): Promise<Session> {
    const candidate = parseOrThrow(CandidateIdSchema, candidateId, 'candidate id');
    const options = parseOrThrow(CreateSessionOptionsSchema.optional(), opts, 'session options') ?? {};
    const metadataJson = this.toJson(options.metadata ?? {}, 'session metadata');
    this.checkSize(Buffer.byteLength(metadataJson), 'session metadata');
    const id = this.newSessionId();
    const startedAt = this.now();
    const cursor: SessionCursor = { sessionId: id, lastSeq: 0, lastHash: genesisHash(id), lastTimestamp: startedAt };
    const row = { id, candidateId: candidate, questionId: options.questionId ?? null, startedAt, genesisHash: cursor.lastHash, metadata: metadataJson };
    // Everything the row says about the session is also in its first event, so the chain covers it.
    const body = this.bodyOf('session_started', { candidateId: candidate, questionId: row.questionId, metadata: options.metadata ?? {} });
    // The row and its first event commit together: a failed start leaves nothing behind.
    const started = this.writer.enqueue({ cursor, type: 'session_started', fileId: null, body, stats: null, recordedAt: startedAt, alsoWrite: () => this.store.insert(row) });
    this.open.set(id, { cursor, files: this.fileLengthsOf(id), closing: null });
    try {
      await started;
    } catch (error) {
      this.open.delete(id);
      throw error;
    }
    return this.getSessionSync(id);
  }

  /** Records one candidate event (`{ type, fileId?, data }`); resolves once it is committed. */
  recordEvent(sessionId: string, event: EventInput): Promise<EventAck> {
    try {
      const input = event as Partial<EventInput> | null;
      if (typeof input !== 'object' || input === null) throw new AppError('VALIDATION_FAILED', 'An event must be an object { type, fileId?, data }');
      const { type, fileId, data } = input;
      if (typeof type !== 'string' || !isCandidateEventType(type)) {
        if (typeof type === 'string' && isServiceEventType(type)) {
          throw new AppError('VALIDATION_FAILED', `"${type}" events are written by the services (recordCodeSnapshot, recordClaudeInteraction, recordTestResult, closeSession), not by recordEvent`);
        }
        throw new AppError('UNKNOWN_EVENT_TYPE', `Unknown event type ${JSON.stringify(type)}`, { type });
      }
      if (fileId !== undefined) parseOrThrow(FileIdSchema, fileId, 'fileId');
      if (fileId === undefined && FILE_EVENT_TYPES.has(type)) throw new AppError('VALIDATION_FAILED', `"${type}" events need a fileId`);
      // Serialise once and validate what was serialised: that text is what gets stored and hashed.
      let stored: unknown;
      const body = this.bodyOf(type, data, (value) => (stored = parseOrThrow(CANDIDATE_EVENT_DATA[type], value, `"${type}" data`)));
      const open = this.openFor(sessionId);
      const applyEdit = type === 'code_edit' ? open.files.checkEdit(fileId!, (stored as { changes: TextChange[] }).changes) : null;
      if (fileId !== undefined && type === 'file_created') {
        this.snapshots.resetFile(sessionId, fileId);
        open.files.set(fileId, (stored as { content?: string }).content?.length ?? 0);
      } else if (fileId !== undefined && type === 'file_deleted') {
        this.snapshots.resetFile(sessionId, fileId);
        open.files.delete(fileId);
      }
      applyEdit?.();
      return this.tracked(open, this.writer.enqueue({ cursor: open.cursor, type, fileId: fileId ?? null, body, stats: null, recordedAt: this.now() }));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Records a message to or from Claude, with its tokens, latency and cost. */
  async recordClaudeInteraction(sessionId: string, interaction: ClaudeInteraction): Promise<EventAck> {
    const value = parseOrThrow(ClaudeInteractionSchema, interaction, 'Claude interaction');
    const tokens = (value.inputTokens ?? 0) + (value.outputTokens ?? 0);
    const body = this.bodyOf('ai_interaction', value);
    return this.writer.enqueue({ cursor: this.cursorFor(sessionId), type: 'ai_interaction', fileId: null, body, stats: { tokens, aiInteractions: 1 }, recordedAt: this.now() });
  }

  /** Records a file's content; stored as a patch against the file's previous snapshot, or a checkpoint. */
  async recordCodeSnapshot(sessionId: string, snapshot: CodeSnapshot): Promise<EventAck> {
    const value = parseOrThrow(CodeSnapshotSchema, snapshot, 'code snapshot');
    // Measured as stored: a checkpoint holds the content as a JSON string, escapes and all.
    this.checkSize(Buffer.byteLength(JSON.stringify(value.content)), 'code snapshot content');
    const open = this.openFor(sessionId);
    const cursor = open.cursor;
    open.files.set(value.fileId, value.content.length);
    const event: PendingEvent = { cursor, type: 'code_snapshot', fileId: value.fileId, body: { dataJson: '', bytes: 0, revisionKind: null }, stats: { snapshots: 1 }, recordedAt: this.now() };
    event.body = this.snapshots.encode(sessionId, value, event);
    return this.tracked(open, this.writer.enqueue(event));
  }

  /** Records one test case's outcome. */
  async recordTestResult(sessionId: string, result: TestResult): Promise<EventAck> {
    const value = parseOrThrow(TestResultSchema, result, 'test result');
    const body = this.bodyOf('test_result', value);
    const stats = { testResults: 1, testsPassed: value.passed ? 1 : 0 };
    return this.writer.enqueue({ cursor: this.cursorFor(sessionId), type: 'test_result', fileId: null, body, stats, recordedAt: this.now() });
  }

  /**
   * Ends a recording: everything queued commits, then `session_closed`, then the status,
   * atomically. Idempotent: closing a closed session returns it unchanged.
   */
  closeSession(sessionId: string, status: ClosedSessionStatus): Promise<Session> {
    try {
      const id = parseOrThrow(SessionIdSchema, sessionId, 'session id');
      const finalStatus = parseOrThrow(ClosedSessionStatusSchema, status, 'session status');
      const open = this.open.get(id);
      if (open?.closing) return open.closing;
      // An open entry is an ACTIVE session (made from an ACTIVE row, dropped once its close
      // commits), so only a session this run has not recorded into is read first.
      let entry = open;
      if (!entry) {
        const row = this.requireRow(id);
        if (row.status !== 'ACTIVE') return Promise.resolve(sessionFromRow(row));
        entry = this.track(row);
      }
      const closing = this.enqueue(entry.cursor, 'session_closed', { status: finalStatus }, null, (_seq, timestamp) =>
        this.store.markClosed(id, finalStatus, timestamp, 'LOCAL_ONLY'),
      ).then(
        () => {
          this.open.delete(id);
          this.snapshots.resetSession(id);
          const session = this.getSessionSync(id);
          this.closedEmitter.fire({ sessionId: id, status: finalStatus, session });
          return session;
        },
        (error: unknown) => {
          entry.closing = null;
          throw error;
        },
      );
      entry.closing = closing;
      // Committed now rather than with the turn's group: nothing of the session can follow
      // it, and the sync worker's final upload waits on it.
      this.writer.flushNow();
      return closing;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async getSession(sessionId: string): Promise<Session> {
    return this.getSessionSync(sessionId);
  }

  /** The seed's stats (eventCount, totalTokensUsed, testsPassedCount, testResultCount) and more. */
  async getSessionStats(sessionId: string): Promise<SessionStats> {
    return statsFromRow(this.requireRow(parseOrThrow(SessionIdSchema, sessionId, 'session id')), this.now());
  }

  /** Sessions that a previous run of the app left ACTIVE: a crash, a kill, a power cut. */
  async listInterruptedSessions(): Promise<Session[]> {
    return this.store
      .listByStatus('ACTIVE')
      .filter((row) => !this.open.has(row.id))
      .map(sessionFromRow);
  }

  /** Continues an interrupted session; `session_resumed` records how long the gap was. */
  async resumeSession(sessionId: string): Promise<Session> {
    const id = parseOrThrow(SessionIdSchema, sessionId, 'session id');
    if (!this.open.has(id)) {
      const row = this.requireRow(id);
      if (row.status !== 'ACTIVE') throw this.closedError(row);
      await this.resume(row);
    } else if (this.open.get(id)!.closing) {
      throw new AppError('SESSION_CLOSED', `Session ${id} is closing`);
    }
    return this.getSessionSync(id);
  }

  /** Re-hashes a session's events; names the first seq that does not match. */
  async verifySession(sessionId: string): Promise<ChainVerification> {
    const id = parseOrThrow(SessionIdSchema, sessionId, 'session id');
    // Commit what is queued first, so the chain and the session row describe the same events.
    this.writer.flushNow();
    return verifySessionChain(this.deps.db, this.requireRow(id));
  }

  /** Transactions and events committed since start (the average batch size is their ratio). */
  get commitStats(): { commits: number; events: number } {
    return this.writer.commitStats;
  }

  /** Commits everything queued, now. */
  flush(): void {
    this.writer.flushNow();
  }

  /** Commits what is queued and stops accepting events. The database is closed by its owner. */
  dispose(): void {
    this.writer.close();
    this.closedEmitter.dispose();
  }

  private getSessionSync(sessionId: string): Session {
    return sessionFromRow(this.requireRow(parseOrThrow(SessionIdSchema, sessionId, 'session id')));
  }

  private requireRow(id: string): SessionRow {
    const row = this.store.get(id);
    if (!row) throw new AppError('SESSION_NOT_FOUND', `No session with id ${JSON.stringify(id)}`, { sessionId: id });
    return row;
  }

  private closedError(row: SessionRow): AppError {
    return new AppError('SESSION_CLOSED', `Session ${row.id} is ${row.status.toLowerCase()}; it takes no more events`, { sessionId: row.id, status: row.status });
  }

  /** The cursor events of this session continue from. */
  private cursorFor(sessionId: string): SessionCursor {
    return this.openFor(sessionId).cursor;
  }

  /** A failed write leaves the file lengths unsure: forget them, so they are rebuilt from what committed. */
  private tracked(open: OpenSession, ack: Promise<EventAck>): Promise<EventAck> {
    return ack.catch((error: unknown) => {
      open.files.invalidate();
      throw error;
    });
  }

  /** The open session events go to; resumes a session left by a previous run. */
  private openFor(sessionId: string): OpenSession {
    const open = this.open.get(sessionId);
    if (open) {
      if (open.closing) throw new AppError('SESSION_CLOSED', `Session ${sessionId} is closing; it takes no more events`, { sessionId });
      return open;
    }
    if (typeof sessionId !== 'string') throw new AppError('VALIDATION_FAILED', 'The session id must be a string');
    const row = this.requireRow(sessionId);
    if (row.status !== 'ACTIVE') throw this.closedError(row);
    // Recording into a session a previous run left open: mark the gap first, then go on.
    void this.resume(row).catch(() => {});
    return this.open.get(sessionId)!;
  }

  private fileLengthsOf(sessionId: string): FileLengths {
    return new FileLengths(() => {
      // Lengths come from committed events, so commit what is queued first.
      this.writer.flushNow();
      return this.deps.loadFileLengths?.(sessionId) ?? new Map();
    });
  }

  private track(row: SessionRow): OpenSession {
    const entry: OpenSession = {
      cursor: { sessionId: row.id, lastSeq: row.last_seq, lastHash: row.last_hash, lastTimestamp: row.last_timestamp },
      files: this.fileLengthsOf(row.id),
      closing: null,
    };
    this.open.set(row.id, entry);
    return entry;
  }

  private resume(row: SessionRow): Promise<EventAck> {
    const { cursor } = this.track(row);
    return this.enqueue(cursor, 'session_resumed', { previousLastSeq: row.last_seq, gapMs: Math.max(0, this.now() - row.last_timestamp) });
  }

  private checkSize(bytes: number, what: string): void {
    if (bytes > this.deps.settings.maxEventBytes) {
      throw new AppError('PAYLOAD_TOO_LARGE', `${what} is ${bytes} bytes; the limit is ${this.deps.settings.maxEventBytes}`, {
        bytes,
        limit: this.deps.settings.maxEventBytes,
      });
    }
  }

  private toJson(data: unknown, what: string): string {
    try {
      const problem = findNonJsonValue(data);
      if (problem) throw new AppError('NOT_JSON', `${what} is not JSON: ${problem.reason} at ${problem.path}`, problem);
      const json = JSON.stringify(data);
      if (typeof json !== 'string') throw new AppError('NOT_JSON', `${what} is not JSON`);
      return json;
    } catch (error) {
      // A getter or proxy that throws while being read is as unserialisable as a BigInt.
      if (error instanceof AppError) throw error;
      throw new AppError('NOT_JSON', `${what} could not be serialised: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Serialises and size-checks an event's data; throws before anything is queued. */
  private bodyOf(type: string, data: unknown, validateStored?: (stored: unknown) => void): EventBody {
    const dataJson = this.toJson(data, `"${type}" data`);
    const bytes = Buffer.byteLength(dataJson);
    this.checkSize(bytes, `"${type}" data`);
    const stored: unknown = validateStored ? JSON.parse(dataJson) : data;
    validateStored?.(stored);
    return { dataJson, bytes, revisionKind: revisionKindOf(type, stored) };
  }

  /** Queues a service-written event (the data is ours, validated by the caller). */
  private enqueue(
    cursor: SessionCursor,
    type: string,
    data: unknown,
    stats: StatsDelta | null = null,
    alsoWrite?: PendingEvent['alsoWrite'],
  ): Promise<EventAck> {
    const body = this.bodyOf(type, data);
    return this.writer.enqueue({ cursor, type, fileId: null, body, stats, recordedAt: this.now(), ...(alsoWrite ? { alsoWrite } : {}) });
  }
}
