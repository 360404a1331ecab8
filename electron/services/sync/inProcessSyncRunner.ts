import type { Disposer } from '../../../shared/event';
import { Emitter } from '../../../shared/event';
import type { SyncStatus } from '../../../shared/sync/syncStatus';
import { SyncEngine, type SyncEngineDeps } from './syncEngine';
import type { SyncRunner, SyncStall } from './syncRunner';

/** Runs the engine on the calling thread; for tests, and for tools that sync one database and exit. */
export class InProcessSyncRunner implements SyncRunner {
  readonly engine: SyncEngine;
  private readonly statuses = new Emitter<SyncStatus>();

  constructor(
    deps: Omit<SyncEngineDeps, 'onStatus'>,
    private readonly options: { autoStart?: boolean; onStopped?: () => void } = {},
  ) {
    this.engine = new SyncEngine({ ...deps, onStatus: (status) => this.statuses.fire(status) });
    if (options.autoStart ?? true) this.engine.start();
  }

  nudge(): void {
    void this.engine.syncNow();
  }

  onStatus(listener: (status: SyncStatus) => void): Disposer {
    return this.statuses.event(listener);
  }

  stall(): SyncStall | null {
    return null;
  }

  async stop(): Promise<void> {
    await this.engine.stop();
    this.statuses.dispose();
    this.options.onStopped?.();
  }
}
