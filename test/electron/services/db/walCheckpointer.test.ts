import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openRecordingDatabase, type RecordingDatabase } from '../../../../electron/services/db/recordingDatabase';
import { WalCheckpointer } from '../../../../electron/services/db/walCheckpointer';
import { makeTempDir } from '../../../helpers/tempServices';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('WAL checkpoints', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let database: RecordingDatabase | undefined;
  let checkpoints: () => number;

  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => {
    database?.close();
    temp.cleanup();
  });

  function open(quietMs: number, maxDeferMs = 60_000): RecordingDatabase {
    database = openRecordingDatabase({ path: join(temp.dir, 'interviewlm.db'), checkpointPolicy: { quietMs, maxDeferMs } });
    database.db.exec("INSERT INTO sessions (id, candidate_id, status, started_at, last_hash, last_timestamp) VALUES ('s', 'c', 'ACTIVE', 1, 'h', 1)");
    const pragma = vi.spyOn(database.db, 'pragma');
    checkpoints = () => pragma.mock.calls.filter(([source]) => /^wal_checkpoint/.test(source)).length;
    return database;
  }

  /** Small transactions, each reported as the recorder reports its commits. */
  function commitSome(db: RecordingDatabase, count: number): void {
    for (let i = 0; i < count; i++) {
      db.db.prepare('UPDATE sessions SET data_bytes = data_bytes + 1').run();
      db.noteCommit();
    }
  }

  it('never run inside a commit: SQLite automatic checkpoints are off', () => {
    expect(open(1000).db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
  });

  it('run once recording pauses for the quiet period, and copy the WAL into the database', async () => {
    const db = open(30);
    commitSome(db, 20);
    expect(checkpoints()).toBe(0);
    await sleep(150);
    expect(checkpoints()).toBe(1);
    // Everything was copied: the next write starts the WAL again from its beginning.
    db.db.prepare('UPDATE sessions SET data_bytes = 0').run();
    expect((db.db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log).toBeLessThanOrEqual(2);
  });

  it('wait while commits keep coming within the quiet period', async () => {
    const db = open(200);
    for (let i = 0; i < 5; i++) {
      commitSome(db, 1);
      await sleep(40);
    }
    expect(checkpoints()).toBe(0);
    await sleep(400);
    expect(checkpoints()).toBe(1);
  });

  it('run anyway once commits have waited maxDeferMs, right after the turn that crossed it', async () => {
    const db = open(5_000, 50);
    commitSome(db, 10);
    await sleep(80);
    commitSome(db, 1);
    expect(checkpoints()).toBe(0);
    await nextTurn();
    expect(checkpoints()).toBe(1);
  });

  it('stop when disposed, even with a quiet-period checkpoint pending', async () => {
    const db = open(30);
    const checkpointer = new WalCheckpointer(db.db, { quietMs: 30, maxDeferMs: 60_000 });
    checkpointer.noteCommit();
    checkpointer.dispose();
    await sleep(100);
    expect(checkpoints()).toBe(0);
    checkpointer.noteCommit();
    await sleep(100);
    expect(checkpoints()).toBe(0);
  });
});
