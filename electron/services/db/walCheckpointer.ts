import type { SqliteDatabase } from './sqlite';

export interface WalCheckpointPolicy {
  /** Checkpoint once no commit has happened for this long. */
  quietMs: number;
  /** ...but never let committed pages wait longer than this, even under constant load. */
  maxDeferMs: number;
}

export const DEFAULT_WAL_CHECKPOINT_POLICY: WalCheckpointPolicy = { quietMs: 1000, maxDeferMs: 30_000 };

/**
 * Moves WAL checkpoints off the recording path. SQLite's automatic checkpoint runs inside
 * whichever commit crosses the threshold, adding milliseconds to that event's acknowledgement;
 * here it runs when recording pauses instead (a candidate reading, thinking), or at the
 * latest after `maxDeferMs`.
 */
export class WalCheckpointer {
  private timer: NodeJS.Timeout | null = null;
  private oldestUncheckpointedCommit: number | null = null;
  private disposed = false;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly policy: WalCheckpointPolicy = DEFAULT_WAL_CHECKPOINT_POLICY,
    private readonly now: () => number = Date.now,
    /** Sees a failed checkpoint (a full disk): the data is safe in the WAL, so it is only reported. */
    private readonly onError: (error: unknown) => void = (error) => console.error('[interviewlm] WAL checkpoint failed:', error),
  ) {
    db.pragma('wal_autocheckpoint = 0');
  }

  /** Called after every commit: restarts the quiet period. */
  noteCommit(): void {
    if (this.disposed) return;
    const now = this.now();
    this.oldestUncheckpointedCommit ??= now;
    if (now - this.oldestUncheckpointedCommit >= this.policy.maxDeferMs) {
      // After this turn's acknowledgements have gone out, not before them.
      this.oldestUncheckpointedCommit = now;
      setImmediate(() => this.checkpoint());
      return;
    }
    if (this.timer) {
      this.timer.refresh();
    } else {
      this.timer = setTimeout(() => this.checkpoint(), this.policy.quietMs);
      // A pending checkpoint must not keep a script's process alive.
      this.timer.unref();
    }
  }

  /** Copies committed WAL pages into the database file now, without blocking on readers. */
  checkpoint(): void {
    this.clearTimer();
    if (this.disposed || !this.db.open) return;
    this.oldestUncheckpointedCommit = null;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch (error) {
      this.onError(error);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.clearTimer();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
