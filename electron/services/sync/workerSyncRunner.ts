import { Worker } from 'node:worker_threads';
import { ExponentialBackoff, halfJitterGenerator, type IBackoff } from 'cockatiel';
import { AppError } from '../../../shared/errors';
import { Emitter, type Disposer } from '../../../shared/event';
import type { SyncStatus } from '../../../shared/sync/syncStatus';
import type { SyncRunner, SyncStall } from './syncRunner';
import type { FromSyncWorker, SyncWorkerData, ToSyncWorker } from './syncWorkerProtocol';

/** Where the worker's code is: the built file in the app, or the TypeScript source under tsx. */
export interface SyncWorkerEntry {
  url: URL;
  /** TypeScript source: the worker registers tsx's loader before importing it. */
  typescript: boolean;
}

/** The worker entry next to this module: built JavaScript (out/main/syncWorker.js), or the TypeScript source. */
export function defaultSyncWorkerEntry(): SyncWorkerEntry {
  const fromSource = import.meta.url.endsWith('.ts');
  return fromSource
    ? { url: new URL('./syncWorkerMain.ts', import.meta.url), typescript: true }
    : { url: new URL('./syncWorker.js', import.meta.url), typescript: false };
}

/** How the runner restarts a worker that died on its own (an uncaught exception, an unexpected exit). */
export interface WorkerRestartSettings {
  /** The first wait before a restart; each crash in a row doubles it (with jitter: between half and all of it). */
  initialDelayMs: number;
  /** The longest wait before a restart. */
  maxDelayMs: number;
  /** Restarts in a row before the runner gives up until the app restarts. */
  maxRestarts: number;
  /** A worker that ran this long before it crashed was healthy: the count of crashes in a row starts over. */
  healthyAfterMs: number;
}

/** The app's restart policy: at most five restarts, ~0.5 s to ~16 s apart, before giving up. */
export const DEFAULT_WORKER_RESTART: WorkerRestartSettings = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxRestarts: 5,
  healthyAfterMs: 60_000,
};

/** Where the runner's errors go when its owner names no other place: the main process's log. */
export function logSyncWorkerError(error: unknown): void {
  console.error('[interviewlm] sync worker:', error);
}

function startWorker(entry: SyncWorkerEntry, data: SyncWorkerData): Worker {
  if (!entry.typescript) return new Worker(entry.url, { workerData: data });
  // Node 20 does not apply --import loaders to a worker's entry module, so register tsx first, in the worker.
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs the sync engine in a worker thread. A worker that dies on its own is reported to
 * `onError` and restarted after a backoff, at most `maxRestarts` times in a row; meanwhile
 * the sessions it was moving are reported `offline`, so the indicator never shows progress
 * that is not happening. Nothing restarts once stop() is called.
 */
export class WorkerSyncRunner implements SyncRunner {
  private readonly statuses = new Emitter<SyncStatus>();
  /** Each session's last status, so a crash can tell which sessions stopped moving. */
  private readonly lastStatus = new Map<string, SyncStatus>();
  private readonly restart: WorkerRestartSettings;
  private readonly backoffs: ExponentialBackoff<number>;
  private backoff: IBackoff<unknown> | null = null;
  private crashesInARow = 0;
  /** The running worker, and a promise settled once it has stopped or died; null while none runs. */
  private current: { worker: Worker; ended: Promise<void> } | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** Set while no worker runs after a crash: what the sessions are told, and when the restart is due (null: none is). */
  private stalled: { reason: string; restartAt: number | null } | null = null;

  constructor(
    private readonly data: SyncWorkerData,
    private readonly entry: SyncWorkerEntry = defaultSyncWorkerEntry(),
    private readonly onError: (error: unknown) => void = logSyncWorkerError,
    restart: Partial<WorkerRestartSettings> = {},
  ) {
    this.restart = { ...DEFAULT_WORKER_RESTART, ...restart };
    // Half jitter keeps a floor under each wait; decorrelated jitter may wait almost nothing.
    this.backoffs = new ExponentialBackoff({ generator: halfJitterGenerator, initialDelay: this.restart.initialDelayMs, maxDelay: this.restart.maxDelayMs });
    this.launch();
  }

  nudge(): void {
    // While no worker runs the nudge is dropped: a restarted engine begins with a pass anyway.
    this.post({ type: 'nudge' });
  }

  onStatus(listener: (status: SyncStatus) => void): Disposer {
    return this.statuses.event(listener);
  }

  stall(): SyncStall | null {
    if (!this.stalled) return null;
    const { reason, restartAt } = this.stalled;
    return { reason, retryInMs: restartAt === null ? null : Math.max(0, restartAt - Date.now()) };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const current = this.current;
    this.post({ type: 'stop' });
    await current?.ended;
    this.statuses.dispose();
  }

  private launch(): void {
    this.stalled = null;
    const worker = startWorker(this.entry, this.data);
    worker.unref();
    const startedAt = Date.now();
    let uncaught: unknown;
    const ended = new Promise<void>((resolve) => {
      worker.on('message', (message: FromSyncWorker) => {
        if (message.type === 'status') this.report(message.status);
        if (message.type === 'error') this.onError(new Error(message.message));
        if (message.type === 'stopped') resolve();
      });
      // An uncaught exception in the worker: 'exit' follows, and decides what to do about it.
      worker.on('error', (error) => {
        uncaught = error;
      });
      worker.on('exit', (code) => {
        resolve();
        if (this.current?.worker === worker) this.current = null;
        if (this.stopping) {
          if (uncaught !== undefined) this.onError(uncaught);
          return;
        }
        this.crashed(uncaught ?? new Error(`it exited with code ${code} without being asked to stop`), Date.now() - startedAt);
      });
    });
    this.current = { worker, ended };
  }

  private crashed(error: unknown, ranForMs: number): void {
    if (ranForMs >= this.restart.healthyAfterMs) {
      this.crashesInARow = 0;
      this.backoff = null;
    }
    this.crashesInARow += 1;
    const reason = reasonOf(error);
    if (this.crashesInARow > this.restart.maxRestarts) {
      this.onError(
        new AppError('INTERNAL', `The sync worker crashed ${this.crashesInARow} times in a row (last: ${reason}); sync is stopped until the app restarts.`, { cause: error }),
      );
      this.markStalled(`Sync stopped: its worker keeps crashing (${reason}). The recording is safe on this computer; restart the app to sync it.`, null);
      return;
    }
    this.backoff = this.backoff ? this.backoff.next(undefined) : this.backoffs.next();
    const delayMs = Math.round(this.backoff.duration);
    this.onError(
      new AppError(
        'INTERNAL',
        `The sync worker crashed (${reason}); restarting it in ${delayMs} ms (restart ${this.crashesInARow} of at most ${this.restart.maxRestarts} in a row).`,
        { cause: error },
      ),
    );
    this.markStalled(`Sync paused: its worker crashed (${reason}) and restarts shortly. The recording is safe on this computer.`, delayMs);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopping) this.launch();
    }, delayMs);
    this.restartTimer.unref();
  }

  /** Says `offline` for every session the dead worker was still moving; synced ones and configuration problems stand as they are. */
  private markStalled(message: string, retryInMs: number | null): void {
    this.stalled = { reason: message, restartAt: retryInMs === null ? null : Date.now() + retryInMs };
    for (const status of [...this.lastStatus.values()]) {
      if (status.state !== 'syncing' && status.state !== 'offline') continue;
      this.report({ ...status, state: 'offline', retryInMs, message });
    }
  }

  private report(status: SyncStatus): void {
    this.lastStatus.set(status.sessionId, status);
    this.statuses.fire(status);
  }

  private post(message: ToSyncWorker): void {
    this.current?.worker.postMessage(message);
  }
}
