import type { Disposer } from '../../../shared/event';
import type { SyncStatus } from '../../../shared/sync/syncStatus';

/**
 * Where the sync engine runs: in a worker thread in the app, so compression, hashing and
 * network never share the recording thread; in-process where a test wants to step it.
 */
export interface SyncRunner {
  /** Asks for a pass soon (a session closed, or a chunk's worth of events committed). */
  nudge(): void;
  /** Statuses as the engine reports them. */
  onStatus(listener: (status: SyncStatus) => void): Disposer;
  /** Waits for the passes in progress or asked for, and stops. */
  stop(): Promise<void>;
  /** Why no engine runs at the moment (its worker crashed and restarts, or gave up), or null while one does. */
  stall(): SyncStall | null;
}

/** Why a runner has no engine running, and when it will have one again. */
export interface SyncStall {
  /** What the sessions are told. */
  reason: string;
  /** Time until the worker restarts; null when it will not (it gave up until the app restarts). */
  retryInMs: number | null;
}
