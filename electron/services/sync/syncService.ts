import { AppError } from '../../../shared/errors';
import { Emitter, type Disposer, type Event } from '../../../shared/event';
import type { SyncStatus } from '../../../shared/sync/syncStatus';
import type { SqliteDatabase } from '../db/sqlite';
import type { SessionRecordingService } from '../recording/sessionRecordingService';
import type { ReplayService } from '../replay/replayService';
import { encodeRecordingAsync } from '../storage/recordingCodec';
import type { SyncRunner } from './syncRunner';
import { writeFileWhole, type WholeFileOperations } from './wholeFileWriter';

export interface SyncServiceDeps {
  db: SqliteDatabase;
  sessions: SessionRecordingService;
  replay: ReplayService;
  /** The engine's host, or null when no storage is configured (the embedded default: local only). */
  runner: SyncRunner | null;
  /** How exports reach the disk; node:fs's unless a test needs a write to fail. */
  files?: WholeFileOperations;
}

/** What `exportSession` wrote. */
export interface SessionExport {
  path: string;
  bytes: number;
  eventCount: number;
  sha256: string;
}

/**
 * The main process's side of sync: hands closed sessions to the worker, keeps the latest
 * status of every session for the sync indicator, and exports a session to a file a
 * candidate can hand over on a USB stick when there is no network at all.
 */
export class SyncService {
  private readonly latest = new Map<string, SyncStatus>();
  private readonly statusEmitter = new Emitter<SyncStatus>();
  private readonly subscriptions: Disposer[] = [];
  private disposing: Promise<void> | null = null;

  /** Fires whenever a session's sync status changes. */
  readonly onDidChangeSyncStatus: Event<SyncStatus> = this.statusEmitter.event;

  constructor(private readonly deps: SyncServiceDeps) {
    if (deps.runner) {
      const runner = deps.runner;
      this.subscriptions.push(
        runner.onStatus((status) => {
          this.latest.set(status.sessionId, status);
          this.statusEmitter.fire(status);
        }),
        deps.sessions.onDidCloseSession(() => runner.nudge()),
      );
    }
  }

  /** The session's current sync status; "local only" when no storage is configured. */
  async getSyncStatus(sessionId: string): Promise<SyncStatus> {
    const session = await this.deps.sessions.getSession(sessionId);
    const known = this.latest.get(sessionId);
    const stall = session.syncState === 'SYNCED' ? null : (this.deps.runner?.stall() ?? null);
    // While no engine runs, the runner reported the sessions it was moving offline: the countdown is to its restart, now.
    if (known) return stall && known.state === 'offline' ? { ...known, retryInMs: stall.retryInMs } : known;
    const pending = this.deps.runner ? session.lastSeq : 0;
    // A session the engine has not reported on while no engine runs is not syncing either.
    if (stall) {
      return { sessionId, state: 'offline', objectsUploaded: 0, objectsTotal: 0, bytesUploaded: 0, pendingEvents: pending, retryInMs: stall.retryInMs, syncedAt: null, message: stall.reason };
    }
    return {
      sessionId,
      state: this.deps.runner ? (session.syncState === 'SYNCED' ? 'synced' : 'syncing') : 'local_only',
      objectsUploaded: 0,
      objectsTotal: 0,
      bytesUploaded: 0,
      pendingEvents: session.syncState === 'SYNCED' ? 0 : pending,
      retryInMs: null,
      syncedAt: session.syncedAt,
      message: this.deps.runner ? null : 'No cloud storage is configured: the recording stays on this computer.',
    };
  }

  /** Writes the whole session, as the consolidated recording's gzip, to `path`, whole or not at all. */
  async exportSession(sessionId: string, path: string): Promise<SessionExport> {
    const session = await this.deps.sessions.getSession(sessionId);
    this.deps.sessions.flush();
    const events = this.deps.replay.getAllEvents(sessionId);
    // Compressed on libuv's thread pool: a long session must not freeze the window.
    const encoded = await encodeRecordingAsync({
      sessionId,
      metadata: { candidateId: session.candidateId, startedAt: session.startedAt, status: session.status, headHash: events.at(-1)?.hash ?? '' },
      events,
    });
    try {
      await writeFileWhole(path, encoded.bytes, this.deps.files);
    } catch (error) {
      throw new AppError('EXPORT_FAILED', `Could not write ${path}: ${(error as Error).message}`, { path });
    }
    return { path, bytes: encoded.bytes.length, eventCount: events.length, sha256: encoded.sha256 };
  }

  /** Stops the runner (once, however often it is called). */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      this.subscriptions.forEach((dispose) => dispose());
      await this.deps.runner?.stop();
      this.statusEmitter.dispose();
    })();
    return this.disposing;
  }
}
