import { isAppError, type ErrorCode } from '../../../shared/errors';
import { Emitter, type Event } from '../../../shared/event';
import type { EventInput, TextChange } from '../../../shared/recording/eventTypes';
import type { CodeSnapshot } from '../../../shared/recording/session';

/*
 * Everything the candidate does in the editor, turned into recorder events. Pure TypeScript:
 * no React, no Monaco. The clock and the sink are passed in, so a test drives it with a fake
 * clock and a fake sink, and the page hands in the IPC client.
 */

/**
 * The recorder's limit on one event's data, as stored (JSON text, UTF-8): the main process's
 * `maxEventBytes` (electron/services/config.ts DEFAULT_RECORDER_SETTINGS), which the renderer
 * cannot import. Events over it are refused with PAYLOAD_TOO_LARGE.
 */
export const MAX_EVENT_BYTES = 1024 * 1024;

/**
 * The most UTF-16 code units of candidate text one event carries (a paste's content, a
 * code_edit's inserted text). A code unit is at most 6 bytes of JSON (`\u0001`), so 128 Ki
 * of them stay under MAX_EVENT_BYTES with room for the rest of the event.
 */
export const MAX_EVENT_TEXT = 128 * 1024;

/** Time and timers, injected so tests control them. */
export interface RecorderClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Where events go: the IPC client's sessions.recordEvent / recordCodeSnapshot in the app. */
export interface RecorderSink {
  record(sessionId: string, event: EventInput): Promise<unknown>;
  snapshot(sessionId: string, snapshot: CodeSnapshot): Promise<unknown>;
}

/** A record or snapshot call that failed; `willRetry` is false when the event was given up. */
export interface RecorderFailure {
  type: string;
  fileId: string | null;
  error: unknown;
  /** How many times this item has failed so far. */
  attempt: number;
  willRetry: boolean;
  /** Items still waiting (the failed one included while it is retried). */
  pending: number;
}

export interface EditorRecorderOptions {
  sink: RecorderSink;
  /** A file's current content, for snapshots; null when the file no longer exists. */
  readFile(fileId: string): CodeSnapshot | null;
  clock?: RecorderClock;
  /** Content changes are sent at most this long after the first of a batch. */
  editFlushMs?: number;
  /** ...or as soon as a batch holds this many changes. */
  maxChangesPerEdit?: number;
  /** Cursor and selection events at most once per this interval each; the latest always wins. */
  cursorIntervalMs?: number;
  /** A changed file is snapshotted once edits pause this long... */
  idleSnapshotMs?: number;
  /** ...or after this many content changes, whichever comes first. */
  snapshotEveryEdits?: number;
  /** Paste content is cut to this many code units (the length is always the full one). */
  maxPasteText?: number;
  /** Waits between retries of a failed call; the last repeats. */
  retryDelaysMs?: readonly number[];
}

/** An event the recorder holds while paused, as `discardHeld` shows it. */
export interface HeldItem {
  /** The event type; `code_snapshot` for a snapshot. */
  type: string;
  fileId: string | null;
}

/** Where a focus, blur or paste happened. */
export type RecorderTarget = 'window' | 'editor' | 'assistant';

export interface CursorPosition {
  lineNumber: number;
  column: number;
}

export interface SelectionRange {
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
}

/** A file as `fileCreated` records it. */
export interface NewFile {
  fileId: string;
  fileName: string;
  language: string;
  content: string;
}

type QueueItem = { kind: 'event'; event: EventInput; fileId: string | null } | { kind: 'snapshot'; snapshot: CodeSnapshot; fileId: string };

interface Throttle {
  lastSentAt: number;
  pending: EventInput | null;
  timer: unknown;
}

/** Failures a retry cannot fix: the event itself, or the session, is wrong. */
const PERMANENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'VALIDATION_FAILED',
  'UNKNOWN_EVENT_TYPE',
  'PAYLOAD_TOO_LARGE',
  'NOT_JSON',
  'FILE_NOT_FOUND',
  'UNKNOWN_CHANNEL',
  'UNTRUSTED_SENDER',
]);
const SESSION_GONE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['SESSION_NOT_FOUND', 'SESSION_CLOSED']);

const systemClock: RecorderClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

/**
 * Turns editor activity into recorder events, in order, one call in flight at a time:
 * content changes batched into `code_edit`s, cursor and selection throttled, pastes capped,
 * snapshots when edits pause or pile up. Nothing is recorded before `start`. A failed call is
 * retried (and reported through `onDidFail`) until it succeeds; one the recorder refuses for
 * good is reported and, for content, replaced by a snapshot so the file stays replayable.
 * A call refused because another window holds the session pauses sending, dropping nothing,
 * until `resume`.
 */
export class EditorRecorder {
  private readonly options: Required<Omit<EditorRecorderOptions, 'sink' | 'readFile' | 'clock'>>;
  private readonly clock: RecorderClock;
  private session: string | null = null;
  private disposed = false;

  private batch: { fileId: string; changes: TextChange[]; timer: unknown } | null = null;
  private readonly throttles = new Map<'cursor' | 'selection', Throttle>();
  /** Content changes per file since its last snapshot. */
  private readonly editsSinceSnapshot = new Map<string, number>();
  private idleTimer: unknown = null;

  private readonly queue: QueueItem[] = [];
  private inFlight = false;
  private attempt = 0;
  private retryTimer: unknown = null;
  private drained: (() => void)[] = [];
  private paused = false;

  private readonly failures = new Emitter<RecorderFailure>();
  private readonly pendingChanges = new Emitter<number>();
  private readonly pausedChanges = new Emitter<boolean>();

  /** A call failed: retried (`willRetry`) or given up. */
  readonly onDidFail: Event<RecorderFailure> = this.failures.event;
  /** The number of events waiting to be recorded changed. */
  readonly onDidChangePending: Event<number> = this.pendingChanges.event;
  /** Sending stopped (true: another window holds the session) or started again (false, after `resume`). */
  readonly onDidChangePaused: Event<boolean> = this.pausedChanges.event;

  constructor(private readonly deps: EditorRecorderOptions) {
    this.clock = deps.clock ?? systemClock;
    this.options = {
      editFlushMs: deps.editFlushMs ?? 50,
      maxChangesPerEdit: deps.maxChangesPerEdit ?? 50,
      cursorIntervalMs: deps.cursorIntervalMs ?? 100,
      idleSnapshotMs: deps.idleSnapshotMs ?? 3000,
      snapshotEveryEdits: deps.snapshotEveryEdits ?? 200,
      maxPasteText: Math.min(deps.maxPasteText ?? MAX_EVENT_TEXT, MAX_EVENT_TEXT),
      retryDelaysMs: deps.retryDelaysMs ?? [250, 500, 1000, 2000, 5000],
    };
  }

  /** The session being recorded, or null before `start`. */
  get sessionId(): string | null {
    return this.session;
  }

  /** Events queued or in flight, not yet acknowledged. */
  get pendingCount(): number {
    return this.queue.length + (this.batch ? 1 : 0);
  }

  /** True while another window holds the session: events are kept, none is sent. */
  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Stops sending, keeping everything (recording goes on into the queue): another window
   * holds the session, so a write would be refused. The recorder pauses by itself when a call
   * is refused with SESSION_OPEN_ELSEWHERE; the page pauses it when told of a takeover.
   */
  pause(): void {
    if (this.paused || this.disposed) return;
    this.paused = true;
    this.pausedChanges.fire(true);
  }

  /** Sends what was held, in order, and carries on: this window holds the session again. */
  resume(): void {
    if (!this.paused || this.disposed) return;
    this.paused = false;
    this.pausedChanges.fire(false);
    this.pump();
  }

  /**
   * Drops held events matching `predicate` (never the one in flight) and reports them once
   * through `onDidFail` with `reason`; returns how many. For edits typed on text another
   * window has since changed: they cannot land where they were typed.
   */
  discardHeld(predicate: (item: HeldItem) => boolean, reason: unknown): number {
    const first = this.inFlight ? 1 : 0;
    const kept = this.queue.slice(0, first);
    const dropped: QueueItem[] = [];
    for (const item of this.queue.slice(first)) (predicate({ type: itemType(item), fileId: item.fileId }) ? dropped : kept).push(item);
    if (dropped.length === 0) return 0;
    this.queue.length = 0;
    this.queue.push(...kept);
    for (const item of dropped) if (item.fileId !== null) this.editsSinceSnapshot.delete(item.fileId);
    this.failures.fire({ type: itemType(dropped[0]!), fileId: dropped[0]!.fileId, error: reason, attempt: 0, willRetry: false, pending: this.queue.length });
    this.pendingChanges.fire(this.pendingCount);
    return dropped.length;
  }

  /** Starts recording into `sessionId`; every call before this is ignored. */
  start(sessionId: string): void {
    if (this.disposed) throw new Error('EditorRecorder is disposed');
    this.session = sessionId;
  }

  /** Monaco content changes of one model event, in Monaco's order (each applies after the previous). */
  contentChanged(fileId: string, changes: readonly TextChange[]): void {
    if (!this.recording || changes.length === 0) return;
    if (this.batch && this.batch.fileId !== fileId) this.flushBatch();
    for (const change of changes) {
      for (const piece of splitChange(change)) {
        if (this.batch && (this.batch.changes.length >= this.options.maxChangesPerEdit || textLength(this.batch.changes) + piece.text.length > MAX_EVENT_TEXT)) {
          this.flushBatch();
        }
        this.batch ??= { fileId, changes: [], timer: this.clock.setTimeout(() => this.flushBatch(), this.options.editFlushMs) };
        this.batch.changes.push({ rangeOffset: piece.rangeOffset, rangeLength: piece.rangeLength, text: piece.text });
      }
    }
    if (this.batch && this.batch.changes.length >= this.options.maxChangesPerEdit) this.flushBatch();

    const edits = (this.editsSinceSnapshot.get(fileId) ?? 0) + 1;
    this.editsSinceSnapshot.set(fileId, edits);
    if (edits >= this.options.snapshotEveryEdits) this.snapshotFile(fileId);
    this.restartIdleTimer();
  }

  /** The caret moved (throttled; the latest position is always recorded). */
  cursorMoved(fileId: string, position: CursorPosition): void {
    if (!this.recording) return;
    this.throttled('cursor', { type: 'cursor', fileId, data: { lineNumber: position.lineNumber, column: position.column } });
  }

  /** A non-empty selection changed (throttled like the cursor). */
  selectionChanged(fileId: string, selection: SelectionRange): void {
    if (!this.recording) return;
    const { startLineNumber, startColumn, endLineNumber, endColumn } = selection;
    this.throttled('selection', { type: 'selection', fileId, data: { startLineNumber, startColumn, endLineNumber, endColumn } });
  }

  /** Text was pasted; its length always, its content up to the cap (`truncated: true` beyond). */
  pasted(text: string, where: { target: RecorderTarget; fileId?: string }): void {
    if (!this.recording) return;
    const truncated = text.length > this.options.maxPasteText;
    const kept = truncated ? cutText(text, this.options.maxPasteText) : text;
    const data = { text: kept, length: text.length, lines: countLines(text), target: where.target, ...(truncated ? { truncated: true } : {}) };
    this.enqueueOrdered({ type: 'paste', ...(where.fileId ? { fileId: where.fileId } : {}), data });
  }

  focused(target: RecorderTarget): void {
    if (this.recording) this.enqueueOrdered({ type: 'focus', data: { target } });
  }

  blurred(target: RecorderTarget): void {
    if (this.recording) this.enqueueOrdered({ type: 'blur', data: { target } });
  }

  visibilityChanged(visible: boolean): void {
    if (this.recording) this.enqueueOrdered({ type: 'visibility', data: { visible } });
  }

  questionViewed(questionId: string): void {
    if (this.recording) this.enqueueOrdered({ type: 'question_viewed', data: { questionId } });
  }

  fileCreated(file: NewFile): void {
    if (!this.recording) return;
    this.enqueueOrdered({ type: 'file_created', fileId: file.fileId, data: { fileName: file.fileName, language: file.language, content: file.content } });
  }

  /** A rename, or a language change (the name may stay the same). */
  fileRenamed(fileId: string, fileName: string, language: string): void {
    if (this.recording) this.enqueueOrdered({ type: 'file_renamed', fileId, data: { fileName, language } });
  }

  fileDeleted(fileId: string): void {
    if (!this.recording) return;
    this.editsSinceSnapshot.delete(fileId);
    this.enqueueOrdered({ type: 'file_deleted', fileId, data: {} });
  }

  /** The candidate switched to a file's tab. */
  fileOpened(fileId: string): void {
    if (this.recording) this.enqueueOrdered({ type: 'file_opened', fileId, data: {} });
  }

  /**
   * Records the file's full content now (after a language change, before a test run). A file
   * over the event limit (a huge paste) is not snapshotted, as the recorder would refuse it:
   * its edits, each cut below the limit, already replay it exactly.
   */
  snapshotFile(fileId: string): void {
    if (!this.recording) return;
    this.flushBatch();
    this.editsSinceSnapshot.delete(fileId);
    const snapshot = this.deps.readFile(fileId);
    if (snapshot && fitsInOneEvent(snapshot.content)) this.push({ kind: 'snapshot', snapshot, fileId });
  }

  /**
   * Sends everything held back (the edit batch, throttled positions, snapshots of changed
   * files) and resolves once every queued event is acknowledged. For End interview, and
   * before a test run so the run follows the code it ran in the recording.
   */
  flush(): Promise<void> {
    if (this.recording) {
      this.flushBatch();
      for (const kind of ['cursor', 'selection'] as const) this.sendThrottled(kind);
      this.clearIdleTimer();
      for (const fileId of [...this.editsSinceSnapshot.keys()]) this.snapshotFile(fileId);
    }
    if (this.queue.length === 0 && !this.inFlight) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /**
   * The page is going away (a reload, a closed window): there is no time to wait for answers,
   * so everything held back or queued is sent at once, in order (the main process records
   * calls in the order they arrive), and the recorder stops. Without this, the last batch of
   * edits and whatever queued behind the call in flight would be lost with the page.
   */
  unload(): void {
    if (!this.recording) return;
    // Held for another window's session: sent now they would be refused, or, were that window
    // gone at the same moment, land on text it had changed. They go with the page.
    if (this.paused) return this.dispose();
    const sessionId = this.session!;
    this.flushBatch();
    for (const kind of ['cursor', 'selection'] as const) this.sendThrottled(kind);
    // The head is in flight already (pump runs on every push), unless a retry is waiting.
    const unsent = this.queue.slice(this.inFlight ? 1 : 0);
    for (const item of unsent) {
      const call = item.kind === 'event' ? this.deps.sink.record(sessionId, item.event) : this.deps.sink.snapshot(sessionId, item.snapshot);
      call.catch(() => {});
    }
    this.dispose();
  }

  /** Stops recording: timers cleared, anything still queued dropped, `flush` waiters released. */
  dispose(): void {
    this.disposed = true;
    this.session = null;
    if (this.batch) this.clock.clearTimeout(this.batch.timer);
    this.batch = null;
    for (const throttle of this.throttles.values()) if (throttle.timer !== null) this.clock.clearTimeout(throttle.timer);
    this.throttles.clear();
    this.clearIdleTimer();
    if (this.retryTimer !== null) this.clock.clearTimeout(this.retryTimer);
    this.queue.length = 0;
    this.releaseDrained();
    this.failures.dispose();
    this.pendingChanges.dispose();
    this.pausedChanges.dispose();
  }

  private get recording(): boolean {
    return this.session !== null && !this.disposed;
  }

  /** Anything not batched goes after the edits made before it. */
  private enqueueOrdered(event: EventInput): void {
    this.flushBatch();
    this.push({ kind: 'event', event, fileId: event.fileId ?? null });
  }

  private flushBatch(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = null;
    this.clock.clearTimeout(batch.timer);
    this.push({ kind: 'event', event: { type: 'code_edit', fileId: batch.fileId, data: { changes: batch.changes } }, fileId: batch.fileId });
  }

  private throttled(kind: 'cursor' | 'selection', event: EventInput): void {
    const throttle = this.throttles.get(kind) ?? { lastSentAt: Number.NEGATIVE_INFINITY, pending: null, timer: null };
    this.throttles.set(kind, throttle);
    throttle.pending = event;
    if (throttle.timer !== null) return;
    const wait = throttle.lastSentAt + this.options.cursorIntervalMs - this.clock.now();
    if (wait <= 0) this.sendThrottled(kind);
    else throttle.timer = this.clock.setTimeout(() => this.sendThrottled(kind), wait);
  }

  private sendThrottled(kind: 'cursor' | 'selection'): void {
    const throttle = this.throttles.get(kind);
    if (!throttle) return;
    if (throttle.timer !== null) this.clock.clearTimeout(throttle.timer);
    throttle.timer = null;
    const event = throttle.pending;
    if (!event || !this.recording) return;
    throttle.pending = null;
    throttle.lastSentAt = this.clock.now();
    this.push({ kind: 'event', event, fileId: event.fileId ?? null });
  }

  private restartIdleTimer(): void {
    this.clearIdleTimer();
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = null;
      for (const fileId of [...this.editsSinceSnapshot.keys()]) this.snapshotFile(fileId);
    }, this.options.idleSnapshotMs);
  }

  private clearIdleTimer(): void {
    if (this.idleTimer !== null) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private push(item: QueueItem): void {
    this.queue.push(item);
    this.pendingChanges.fire(this.pendingCount);
    this.pump();
  }

  /** Sends the head of the queue; one call in flight keeps the recorder's order and file lengths right. */
  private pump(): void {
    if (this.inFlight || this.retryTimer !== null || !this.recording || this.paused) return;
    const sessionId = this.session!;
    const item = this.queue[0];
    if (!item) {
      this.releaseDrained();
      return;
    }
    this.inFlight = true;
    const call = item.kind === 'event' ? this.deps.sink.record(sessionId, item.event) : this.deps.sink.snapshot(sessionId, item.snapshot);
    call.then(
      () => this.settle(item, null),
      (error: unknown) => this.settle(item, error ?? new Error('record failed')),
    );
  }

  private settle(item: QueueItem, error: unknown): void {
    this.inFlight = false;
    if (this.disposed) return;
    if (error === null) {
      this.attempt = 0;
      this.queue.shift();
    } else if (isAppError(error, 'SESSION_OPEN_ELSEWHERE')) {
      // Not a failure: the item stays at the head, with everything behind it, until `resume`.
      this.attempt = 0;
      this.pause();
      return;
    } else {
      this.attempt += 1;
      const willRetry = !isAppError(error) || (!PERMANENT_CODES.has(error.code) && !SESSION_GONE_CODES.has(error.code));
      this.failures.fire({ type: itemType(item), fileId: item.fileId, error, attempt: this.attempt, willRetry, pending: this.queue.length });
      if (willRetry) {
        const delays = this.options.retryDelaysMs;
        const delay = delays[Math.min(this.attempt, delays.length) - 1] ?? 1000;
        this.retryTimer = this.clock.setTimeout(() => {
          this.retryTimer = null;
          this.pump();
        }, delay);
        return;
      }
      this.attempt = 0;
      if (isAppError(error) && SESSION_GONE_CODES.has(error.code)) this.queue.length = 0;
      else this.giveUp(item);
    }
    this.pendingChanges.fire(this.pendingCount);
    this.pump();
  }

  /**
   * Drops an item the recorder refused for good. A refused edit would leave the recorded file
   * wrong from there on, so every queued edit and snapshot of that file is replaced by one
   * snapshot of its content now, which the recorder accepts whatever it knew of the file.
   */
  private giveUp(item: QueueItem): void {
    this.queue.shift();
    const contentOf = (entry: QueueItem) => entry.fileId === item.fileId && (entry.kind === 'snapshot' || entry.event.type === 'code_edit' || entry.event.type === 'file_created');
    const isContent = item.kind === 'snapshot' || item.event.type === 'code_edit' || item.event.type === 'file_created';
    if (!isContent || item.fileId === null || item.kind === 'snapshot') return;
    // The batch's changes are already in the model, so the snapshot read below covers them.
    if (this.batch?.fileId === item.fileId) {
      this.clock.clearTimeout(this.batch.timer);
      this.batch = null;
    }
    const rest = this.queue.filter((entry) => !contentOf(entry));
    this.queue.length = 0;
    this.queue.push(...rest);
    this.editsSinceSnapshot.delete(item.fileId);
    const snapshot = this.deps.readFile(item.fileId);
    if (snapshot) this.queue.unshift({ kind: 'snapshot', snapshot, fileId: item.fileId });
  }

  private releaseDrained(): void {
    const waiting = this.drained;
    this.drained = [];
    for (const resolve of waiting) resolve();
  }
}

function itemType(item: QueueItem): string {
  return item.kind === 'snapshot' ? 'code_snapshot' : item.event.type;
}

function textLength(changes: readonly TextChange[]): number {
  return changes.reduce((sum, change) => sum + change.text.length, 0);
}

/**
 * Splits a change whose text is over MAX_EVENT_TEXT into pieces applied one after the other:
 * the first replaces the range, each next one inserts right after the previous. Same result.
 */
function splitChange(change: TextChange): TextChange[] {
  if (change.text.length <= MAX_EVENT_TEXT) return [change];
  const pieces: TextChange[] = [];
  let offset = 0;
  while (offset < change.text.length) {
    const text = cutText(change.text.slice(offset), MAX_EVENT_TEXT);
    pieces.push({ rangeOffset: change.rangeOffset + offset, rangeLength: offset === 0 ? change.rangeLength : 0, text });
    offset += text.length;
  }
  return pieces;
}

/** The first `max` code units of `text`, one fewer when that would split a surrogate pair. */
function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/** Whether `text`, stored as a JSON string, stays within MAX_EVENT_BYTES (how the recorder measures a snapshot). */
function fitsInOneEvent(text: string): boolean {
  // A code unit is 1 to 6 bytes of JSON: measure only when the bounds cannot tell.
  if (text.length * 6 + 2 <= MAX_EVENT_BYTES) return true;
  if (text.length + 2 > MAX_EVENT_BYTES) return false;
  let bytes = 0;
  for (const char of JSON.stringify(text)) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes <= MAX_EVENT_BYTES;
}

function countLines(text: string): number {
  let lines = 1;
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) lines += 1;
  return lines;
}
