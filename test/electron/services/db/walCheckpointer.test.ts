import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRecordingDatabase, type RecordingDatabase } from '../../../../electron/services/db/recordingDatabase';
import { makeTempDir } from '../../../helpers/tempServices';

/** Writes `count` small transactions, telling the database after each, as the recorder does. */
function commitSome(database: RecordingDatabase, count: number): void {
  for (let i = 0; i < count; i++) {
    database.db.prepare('UPDATE sessions SET data_bytes = data_bytes + 1').run();
    database.noteCommit();
  }
}

/** Frames in the WAL after one more write: small once a checkpoint let the WAL restart. */
function walFramesAfterNextWrite(database: RecordingDatabase): number {
  database.db.prepare('UPDATE sessions SET data_bytes = data_bytes + 1').run();
  return (database.db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('WAL checkpoints', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let database: RecordingDatabase | undefined;
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
    return database;
  }

  it('never run inside a commit: SQLite automatic checkpoints are off', () => {
    expect(open(1000).db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
  });

  it('run once recording pauses for the quiet period', async () => {
    const db = open(30);
    commitSome(db, 20);
    await sleep(150);
    expect(walFramesAfterNextWrite(db)).toBeLessThanOrEqual(2);
  });

  it('wait while commits keep coming within the quiet period', async () => {
    const db = open(5_000);
    commitSome(db, 20);
    await sleep(150);
    expect(walFramesAfterNextWrite(db)).toBeGreaterThanOrEqual(20);
  });

  it('run anyway once commits have waited maxDeferMs under constant load', async () => {
    const db = open(5_000, 50);
    commitSome(db, 10);
    await sleep(80);
    commitSome(db, 1);
    expect(walFramesAfterNextWrite(db)).toBeLessThanOrEqual(2);
  });
});
