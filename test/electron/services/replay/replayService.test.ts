import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_SQL } from '../../../../electron/services/replay/replayService';
import type { RecordedEvent } from '../../../../shared/recording/eventTypes';
import { ReplayTimeline } from '../../../../shared/replay/replayTimeline';
import { tempServices } from '../../../helpers/tempServices';

/** A deterministic pseudo-random generator, so failures reproduce. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('ReplayService over SQLite', () => {
  let env: ReturnType<typeof tempServices>;
  let sessionId: string;
  let events: RecordedEvent[];
  const truth = new Map<number, Map<string, string>>();
  let now = 1_700_000_000_000;

  beforeAll(async () => {
    env = tempServices({ recorder: { checkpointEverySnapshots: 5 } as never }, { now: () => now });
    const s = env.services.sessions;
    sessionId = (await s.createSession('cand')).id;
    const rand = random(7);
    const files = new Map<string, string>();
    const names = ['main.py', 'util.py', 'test.py'];
    for (const [i, name] of names.entries()) {
      const content = `# ${name}\n`;
      await s.recordEvent(sessionId, { type: 'file_created', fileId: `f${i}`, data: { fileName: name, language: 'python', content } });
      files.set(`f${i}`, content);
    }
    for (let step = 0; step < 1500; step++) {
      now += Math.floor(rand() * 2000);
      const fileId = `f${Math.floor(rand() * 3)}`;
      let text = files.get(fileId)!;
      const roll = rand();
      if (roll < 0.75) {
        const offset = Math.floor(rand() * (text.length + 1));
        const deleting = rand() < 0.2 && offset < text.length;
        const change = deleting
          ? { rangeOffset: offset, rangeLength: Math.min(3, text.length - offset), text: '' }
          : { rangeOffset: offset, rangeLength: 0, text: rand() < 0.1 ? '\n' : 'abcdefg'[Math.floor(rand() * 7)]! };
        text = text.slice(0, change.rangeOffset) + change.text + text.slice(change.rangeOffset + change.rangeLength);
        await s.recordEvent(sessionId, { type: 'code_edit', fileId, data: { changes: [change] } });
      } else if (roll < 0.8) {
        text += '\ndef pasted():\n    return 1\n';
        await s.recordEvent(sessionId, { type: 'code_edit', fileId, data: { changes: [{ rangeOffset: files.get(fileId)!.length, rangeLength: 0, text: '\ndef pasted():\n    return 1\n' }] } });
      } else if (roll < 0.95) {
        await s.recordCodeSnapshot(sessionId, { fileId, fileName: names[Number(fileId.slice(1))]!, language: 'python', content: text });
      } else {
        await s.recordEvent(sessionId, { type: 'cursor', fileId, data: { lineNumber: 1, column: 1 } });
      }
      files.set(fileId, text);
      const stats = await s.getSession(sessionId);
      truth.set(stats.lastSeq, new Map(files));
    }
    events = env.services.replay.getEvents(sessionId, { limit: 10_000 });
  });
  afterAll(() => env.cleanup());

  it('recorded both patches and checkpoints', () => {
    const kinds = new Set(events.filter((e) => e.type === 'code_snapshot').map((e) => (e.data as { kind: string }).kind));
    expect(kinds).toEqual(new Set(['checkpoint', 'patch']));
  });

  it('rebuilds every file at every seq exactly as it was typed', () => {
    for (const [seq, files] of truth) {
      for (const [fileId, content] of files) {
        expect(env.services.replay.getFileAt(sessionId, fileId, { seq })?.content, `${fileId} at ${seq}`).toBe(content);
      }
    }
  });

  it('agrees with the in-memory ReplayTimeline the viewer uses', () => {
    const timeline = new ReplayTimeline(events);
    for (let seq = 1; seq <= timeline.lastSeq; seq += 37) {
      expect(env.services.replay.getFilesAt(sessionId, { seq }).map(({ seq: _s, ...file }) => file)).toEqual(
        timeline.filesAt(seq).map(({ fileId, fileName, language, content, exists }) => ({ fileId, fileName, language, content, exists })),
      );
    }
  });

  it('seeks by timestamp to the last event at or before it', () => {
    const target = events[800]!;
    expect(env.services.replay.resolveSeq(sessionId, { timestamp: target.timestamp })).toBe(
      events.filter((e) => e.timestamp <= target.timestamp).at(-1)!.seq,
    );
    expect(env.services.replay.resolveSeq(sessionId, { timestamp: 0 })).toBe(0);
    expect(env.services.replay.getFileAt(sessionId, 'f0', { timestamp: 0 })).toBeNull();
  });

  it('pages the timeline and filters by type', () => {
    const page = env.services.replay.getTimeline(sessionId, { afterSeq: 10, limit: 5 });
    expect(page.map((entry) => entry.seq)).toEqual([11, 12, 13, 14, 15]);
    const created = env.services.replay.getTimeline(sessionId, { types: ['file_created'] });
    expect(created.map((entry) => entry.label)).toEqual(['created main.py', 'created util.py', 'created test.py']);
  });

  it('answers unknown sessions with SESSION_NOT_FOUND and unknown files with null', () => {
    expect(() => env.services.replay.getFileAt('ses_nope', 'f0', { seq: 1 })).toThrow(expect.objectContaining({ code: 'SESSION_NOT_FOUND' }));
    expect(env.services.replay.getFileAt(sessionId, 'nope', { seq: 100 })).toBeNull();
  });

  it.each(Object.entries(REPLAY_SQL))('query %s searches an index instead of scanning', (_name, sql) => {
    const params = (sql.match(/\?/g) ?? []).map(() => 'x');
    const plan = env.services.database.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
    const details = plan.map((row) => row.detail);
    expect(details.some((detail) => /^SEARCH/.test(detail))).toBe(true);
    expect(details.filter((detail) => /^SCAN/.test(detail))).toEqual([]);
  });
});
