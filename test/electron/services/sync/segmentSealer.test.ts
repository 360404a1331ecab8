import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../../../electron/services/db/sqlite';
import { SegmentSealer } from '../../../../electron/services/sync/segmentSealer';
import { tempServices } from '../../../helpers/tempServices';

const SETTINGS = { segmentEvents: 20, segmentMergeFactor: 3 };

describe('SegmentSealer', () => {
  let env: ReturnType<typeof tempServices>;
  let db: SqliteDatabase;

  beforeEach(() => {
    env = tempServices();
    // The sealer has its own connection, as in the sync worker.
    db = openSqlite(env.config.databasePath);
  });
  afterEach(() => {
    db.close();
    env.cleanup();
  });

  async function record(sessionId: string, count: number): Promise<number> {
    for (let i = 0; i < count; i++) await env.services.sessions.recordEvent(sessionId, { type: i % 2 === 0 ? 'blur' : 'focus', data: {} });
    return (await env.services.sessions.getSession(sessionId)).lastSeq;
  }

  const stored = (sessionId: string) =>
    db
      .prepare<[string], { first_seq: number; last_seq: number; level: number; body: Buffer }>('SELECT first_seq, last_seq, level, body FROM sync_segments WHERE session_id = ? ORDER BY first_seq')
      .all(sessionId)
      .map((row) => ({ firstSeq: row.first_seq, lastSeq: row.last_seq, level: row.level, body: new Uint8Array(row.body) }));

  it('keeps in memory exactly what it wrote, so a restarted worker reading SQLite builds the same recording', async () => {
    const { id } = await env.services.sessions.createSession('cand_sealer');
    const running = new SegmentSealer(db, SETTINGS);
    // Sealed over several passes: level-0 segments, merges of three into level 1, and a tail.
    for (const count of [25, 30, 50, 12]) running.sealWithProvisionalTail(id, await record(id, count));
    const lastSeq = await record(id, 3);
    const kept = running.segmentsThrough(id, lastSeq);
    const restarted = new SegmentSealer(db, SETTINGS).segmentsThrough(id, lastSeq);

    // session_started is seq 1; at close, 101..120 fills a third level-0 segment, and 61..120 merge.
    expect(stored(id).map(({ firstSeq, lastSeq: last, level }) => [firstSeq, last, level])).toEqual([
      [1, 60, 1],
      [61, 120, 1],
    ]);
    expect(kept.map((segment) => [segment.firstSeq, segment.lastSeq])).toEqual([
      [1, 60],
      [61, 120],
      [121, 121],
    ]);
    const sealed = kept.slice(0, 2).map((segment) => ({ firstSeq: segment.firstSeq, lastSeq: segment.lastSeq, body: new Uint8Array(segment.body) }));
    expect(sealed).toEqual(stored(id).map(({ firstSeq, lastSeq: last, body }) => ({ firstSeq, lastSeq: last, body })));
    expect(restarted.map((segment) => [segment.firstSeq, segment.lastSeq, segment.headHash, Buffer.from(segment.body).toString('hex')])).toEqual(
      kept.map((segment) => [segment.firstSeq, segment.lastSeq, segment.headHash, Buffer.from(segment.body).toString('hex')]),
    );
  });

  it('forgets a discarded session in memory as in SQLite: sealing starts again from its first event', async () => {
    const { id } = await env.services.sessions.createSession('cand_sealer');
    const sealer = new SegmentSealer(db, SETTINGS);
    const lastSeq = await record(id, 45);
    sealer.sealCommitted(id, lastSeq);
    expect(stored(id)).toHaveLength(2);
    sealer.discard(id);
    expect(stored(id)).toEqual([]);
    expect(sealer.segmentsThrough(id, lastSeq).map((segment) => [segment.firstSeq, segment.lastSeq])).toEqual([
      [1, 20],
      [21, 40],
      [41, 46],
    ]);
  });
});
