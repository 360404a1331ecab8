import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../../../electron/services/db/sqlite';
import { assembleSegmentedRecording, decodeSegmentedRecording } from '../../../../electron/services/storage/segmentedRecording';
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
    expect(kept.segments.map((segment) => [segment.firstSeq, segment.lastSeq])).toEqual([
      [1, 60],
      [61, 120],
      [121, 121],
    ]);
    const sealed = kept.segments.slice(0, 2).map((segment) => ({ firstSeq: segment.firstSeq, lastSeq: segment.lastSeq, body: new Uint8Array(segment.body) }));
    expect(sealed).toEqual(stored(id).map(({ firstSeq, lastSeq: last, body }) => ({ firstSeq, lastSeq: last, body })));
    expect(restarted.segments.map((segment) => [segment.firstSeq, segment.lastSeq, segment.headHash, Buffer.from(segment.body).toString('hex')])).toEqual(
      kept.segments.map((segment) => [segment.firstSeq, segment.lastSeq, segment.headHash, Buffer.from(segment.body).toString('hex')]),
    );
  });

  it('carries the digests of the recording through every seal and merge: a close hashes only its tail and header', async () => {
    const { id } = await env.services.sessions.createSession('cand_sealer');
    const running = new SegmentSealer(db, SETTINGS);
    const metadata = { candidateId: 'cand_sealer' };
    let lastSeq = 0;
    // Every pass size leaves a different mix: level-0 segments after the merged ones or none,
    // a provisional tail or none, several merges in one pass.
    for (const count of [5, 19, 1, 40, 21, 130, 3, 60]) {
      lastSeq = await record(id, count);
      running.sealWithProvisionalTail(id, lastSeq);
      const closing = assembleSegmentedRecording({ sessionId: id, metadata, segments: running.segmentsThrough(id, lastSeq) });
      // A restarted worker reads and hashes the sealed segments anew (its tail is encoded anew, so its bytes may differ).
      const restarted = assembleSegmentedRecording({ sessionId: id, metadata, segments: new SegmentSealer(db, SETTINGS).segmentsThrough(id, lastSeq) });
      for (const recording of [closing, restarted]) {
        expect({ sha256: recording.sha256, md5: recording.md5 }).toEqual({
          sha256: createHash('sha256').update(recording.bytes).digest('hex'),
          md5: createHash('md5').update(recording.bytes).digest('hex'),
        });
        expect(decodeSegmentedRecording(recording.bytes, 'recording').events.map((event) => event.seq)).toEqual(Array.from({ length: lastSeq }, (_, index) => index + 1));
      }
    }
    expect(stored(id).filter((segment) => segment.level === 1).length).toBeGreaterThan(3);
  });

  it('rebuilds its digests from SQLite on reload, so digests that no longer match the bytes are not used again', async () => {
    const { id } = await env.services.sessions.createSession('cand_sealer');
    const sealer = new SegmentSealer(db, SETTINGS);
    const lastSeq = await record(id, 70);
    const md5Of = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');
    const kept = sealer.segmentsThrough(id, lastSeq);
    // Bytes changed behind the digests' back: what the engine's ETag check would catch.
    (kept.segments[0]!.body as Uint8Array)[5]! ^= 0xff;
    const slipped = assembleSegmentedRecording({ sessionId: id, metadata: {}, segments: kept });
    expect(slipped.md5).not.toBe(md5Of(slipped.bytes));
    sealer.reload(id);
    const rebuilt = assembleSegmentedRecording({ sessionId: id, metadata: {}, segments: sealer.segmentsThrough(id, lastSeq) });
    expect(rebuilt.md5).toBe(md5Of(rebuilt.bytes));
    expect(rebuilt.sha256).toBe(createHash('sha256').update(rebuilt.bytes).digest('hex'));
    expect(decodeSegmentedRecording(rebuilt.bytes, 'recording').events).toHaveLength(lastSeq);
  });

  it('forgets a discarded session in memory as in SQLite: sealing starts again from its first event', async () => {
    const { id } = await env.services.sessions.createSession('cand_sealer');
    const sealer = new SegmentSealer(db, SETTINGS);
    const lastSeq = await record(id, 45);
    sealer.sealCommitted(id, lastSeq);
    expect(stored(id)).toHaveLength(2);
    sealer.discard(id);
    expect(stored(id)).toEqual([]);
    expect(sealer.segmentsThrough(id, lastSeq).segments.map((segment) => [segment.firstSeq, segment.lastSeq])).toEqual([
      [1, 20],
      [21, 40],
      [41, 46],
    ]);
  });
});
