import { Worker } from 'node:worker_threads';
import { Emitter, type Disposer } from '../../../shared/event';
import type { SyncStatus } from '../../../shared/sync/syncStatus';
import type { SyncRunner } from './syncRunner';
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

function startWorker(entry: SyncWorkerEntry, data: SyncWorkerData): Worker {
  if (!entry.typescript) return new Worker(entry.url, { workerData: data });
  // Node 20 does not apply --import loaders to a worker's entry module, so register tsx first, in the worker.
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

/** Runs the sync engine in a worker thread. */
export class WorkerSyncRunner implements SyncRunner {
  private readonly worker: Worker;
  private readonly statuses = new Emitter<SyncStatus>();
  private readonly stopped: Promise<void>;

  constructor(data: SyncWorkerData, entry: SyncWorkerEntry = defaultSyncWorkerEntry(), onError: (error: unknown) => void = () => {}) {
    this.worker = startWorker(entry, data);
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
