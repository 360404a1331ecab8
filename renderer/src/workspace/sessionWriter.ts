import { AppError, isAppError } from '../../../shared/errors';
import { Emitter, type Disposer, type Event } from '../../../shared/event';
import { FILE_EVENT_TYPES } from '../../../shared/recording/fileEventTypes';
import type { Session } from '../../../shared/recording/session';
import { describeError } from '../describeError';
import type { InterviewLmClient } from '../interviewLmClient';
import type { EditorRecorder } from '../recording/editorRecorder';
import type { RecordedFile } from './editorFiles';

/*
 * The page's half of "one writer per session" (the main process enforces it: see
 * electron/ipc/sessionWriterLeases.ts). Plain TypeScript, no React and no DOM, so a Node test
 * drives it over the in-memory transport.
 */

/** 'here': this window records; 'elsewhere': another window holds the session; 'takingOver': "Use it here" is on its way. */
export type WriterState = 'here' | 'elsewhere' | 'takingOver';

/** The files the writer reloads when another window changed them (EditorFiles). */
export interface ReloadableFiles {
  reload(files: readonly RecordedFile[]): void;
}

export interface SessionWriterOptions {
  client: Pick<InterviewLmClient, 'sessions' | 'replay' | 'on'>;
  session: Session;
  recorder: EditorRecorder;
  files: ReloadableFiles;
  /** The seq the window's files match the recording at: the session's lastSeq when they were loaded. */
  loadedAtSeq: number;
  /** Another window held the session when this one opened it (`claimSession`). */
  heldElsewhere: boolean;
}

/**
 * Whether this window writes its session, and "Use it here". The state turns 'elsewhere' when
 * the recorder is refused (SESSION_OPEN_ELSEWHERE) or the main process says another window took
 * the session over; the recorder then holds everything. `takeOver` claims the session, and
 * sends what the recorder held, unless the other window changed the files meanwhile: then the
 * files become what the recording holds, and held edits to them, typed on text that no longer
 * exists, are dropped and reported rather than recorded where they would not fit.
 */
export class SessionWriter {
  private current: WriterState;
  private problem: string | null = null;
  /** Past this seq nobody but this window changed a file: its own acknowledged writes move it on. */
  private knownSeq: number;
  private readonly changes = new Emitter<WriterState>();
  private readonly subscriptions: Disposer[];

  /** The state changed. */
  readonly onDidChangeState: Event<WriterState> = this.changes.event;

  constructor(private readonly options: SessionWriterOptions) {
    this.knownSeq = options.loadedAtSeq;
    this.current = options.heldElsewhere ? 'elsewhere' : 'here';
    // Before anything is recorded: writes from this window would be refused.
    if (options.heldElsewhere) options.recorder.pause();
    this.subscriptions = [
      options.recorder.onDidChangePaused((paused) => {
        if (paused && this.current === 'here') this.setState('elsewhere');
      }),
      options.client.on('sessionTakenOver', ({ sessionId }) => {
        // Our own takeOver is announced too (while 'takingOver'): only another window's counts.
        if (sessionId === options.session.id && this.current === 'here') options.recorder.pause();
      }),
    ];
  }

  get state(): WriterState {
    return this.current;
  }

  /** Why the last "Use it here" failed, or null. */
  get error(): string | null {
    return this.problem;
  }

  /** A write of this window was acknowledged at `seq`: the recording matches its files up to there. */
  noteRecorded(seq: number): void {
    this.knownSeq = Math.max(this.knownSeq, seq);
  }

  /** "Use it here": takes the session over, brings the files up to date if another window changed them, and sends what was held. */
  async takeOver(): Promise<void> {
    if (this.current !== 'elsewhere') return;
    const { client, session, recorder, files } = this.options;
    this.problem = null;
    this.setState('takingOver');
    try {
      const taken = await client.sessions.takeOver(session.id);
      if (await this.filesChangedBetween(this.knownSeq, taken.lastSeq)) {
        const recorded = await client.replay.getFilesAt(session.id, { seq: taken.lastSeq });
        recorder.discardHeld(
          (item) => (FILE_EVENT_TYPES as ReadonlySet<string>).has(item.type),
          new AppError('SESSION_OPEN_ELSEWHERE', 'Edits typed here after another window took the interview over were not recorded: that window had changed the code since.'),
        );
        files.reload(recorded);
      }
      this.knownSeq = Math.max(this.knownSeq, taken.lastSeq);
      this.setState('here');
      recorder.resume();
    } catch (error) {
      this.problem = describeError(error);
      this.setState('elsewhere');
    }
  }

  dispose(): void {
    this.subscriptions.forEach((dispose) => dispose());
    this.changes.dispose();
  }

  /** Whether any event after `afterSeq`, up to `lastSeq`, changed a file: another window wrote code. */
  private async filesChangedBetween(afterSeq: number, lastSeq: number): Promise<boolean> {
    if (lastSeq <= afterSeq) return false;
    const [first] = await this.options.client.replay.getEvents(this.options.session.id, { afterSeq, limit: 1, types: [...FILE_EVENT_TYPES] });
    return first !== undefined && first.seq <= lastSeq;
  }

  private setState(state: WriterState): void {
    if (this.current === state) return;
    this.current = state;
    this.changes.fire(state);
  }
}

/** A session as a window opened it: whether it writes it, or another window does. */
export interface ClaimedSession {
  session: Session;
  heldElsewhere: boolean;
}

/** How long a window keeps asking for a session another connection holds, and how often. */
export interface ClaimOptions {
  retryForMs?: number;
  intervalMs?: number;
  /** Injected so tests need not wait. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Resumes a session for this window. While another connection holds it the claim is retried
 * for a few seconds: after a reload the old page's socket may not have been seen closing yet,
 * and its session should simply carry on here. Still held after that, the session is returned
 * with `heldElsewhere`, for the workspace to open read-only behind "Use it here".
 */
export async function claimSession(client: Pick<InterviewLmClient, 'sessions'>, sessionId: string, options: ClaimOptions = {}): Promise<ClaimedSession> {
  const { retryForMs = 3000, intervalMs = 150, sleep = (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)), now = () => Date.now() } = options;
  const deadline = now() + retryForMs;
  for (;;) {
    try {
      return { session: await client.sessions.resumeSession(sessionId), heldElsewhere: false };
    } catch (error) {
      if (!isAppError(error, 'SESSION_OPEN_ELSEWHERE')) throw error;
      if (now() >= deadline) return { session: await client.sessions.getSession(sessionId), heldElsewhere: true };
      await sleep(intervalMs);
    }
  }
}
