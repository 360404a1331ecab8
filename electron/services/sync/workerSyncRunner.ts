import { Worker } from 'node:worker_threads';
import { Emitter, type Disposer } from '../../../shared/event';
import type { SyncStatus } from '../../../shared/sync/syncStatus';
import type { SyncRunner } from './syncRunner';
import type { FromSyncWorker, SyncWorkerData, ToSyncWorker } from './syncWorkerProtocol';

/** Where the worker's code is: the built file in the app, or the TypeScript source under tsx. */
export interface SyncWorkerEntry {
  url: URL;
  execArgv: string[];
}

/** The worker entry next to this module: built JavaScript, or TypeScript run through tsx. */
export function defaultSyncWorkerEntry(): SyncWorkerEntry {
  const fromSource = import.meta.url.endsWith('.ts');
  return fromSource
    ? { url: new URL('./syncWorkerMain.ts', import.meta.url), execArgv: ['--import', 'tsx'] }
    : { url: new URL('./syncWorker.js', import.meta.url), execArgv: [] };
}

/** Runs the sync engine in a worker thread. */
export class WorkerSyncRunner implements SyncRunner {
  private readonly worker: Worker;
  private readonly statuses = new Emitter<SyncStatus>();
  private readonly stopped: Promise<void>;

  constructor(data: SyncWorkerData, entry: SyncWorkerEntry = defaultSyncWorkerEntry(), onError: (error: unknown) => void = () => {}) {
    this.worker = new Worker(entry.url, { workerData: data, execArgv: entry.execArgv });
    this.worker.unref();
    this.stopped = new Promise((resolve) => {
      this.worker.on('message', (message: FromSyncWorker) => {
        if (message.type === 'status') this.statuses.fire(message.status);
        if (message.type === 'error') onError(new Error(message.message));
        if (message.type === 'stopped') resolve();
      });
      this.worker.on('error', (error) => {
        onError(error);
        resolve();
      });
      this.worker.on('exit', () => resolve());
    });
  }

  nudge(): void {
    this.post({ type: 'nudge' });
  }

  onStatus(listener: (status: SyncStatus) => void): Disposer {
    return this.statuses.event(listener);
  }

  async stop(): Promise<void> {
    this.post({ type: 'stop' });
    await this.stopped;
    this.statuses.dispose();
  }

  private post(message: ToSyncWorker): void {
    this.worker.postMessage(message);
  }
}
