import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempServices } from '../../../helpers/tempServices';

describe('verifySession: the tamper-evident hash chain', () => {
  let env: ReturnType<typeof tempServices>;
  let sessionId: string;

  beforeEach(async () => {
    env = tempServices();
    const s = env.services.sessions;
    sessionId = (await s.createSession('cand')).id;
    await s.recordEvent(sessionId, { type: 'file_created', fileId: 'f', data: { fileName: 'a.js', content: '' } });
    for (let i = 0; i < 8; i++) {
      await s.recordEvent(sessionId, { type: 'code_edit', fileId: 'f', data: { changes: [{ rangeOffset: i, rangeLength: 0, text: 'x' }] } });
    }
    await s.recordTestResult(sessionId, { testName: 't1', passed: false });
    await s.closeSession(sessionId, 'COMPLETED');
  });
  afterEach(() => env.cleanup());

  const run = (sql: string, ...params: unknown[]) => env.services.database.db.prepare(sql).run(...params);

  it('accepts an untouched recording', async () => {
    expect(await env.services.sessions.verifySession(sessionId)).toEqual({
      sessionId,
      valid: true,
      eventCount: 12,
      firstBrokenSeq: null,
      reason: null,
    });
  });

  it('names the first seq whose data was edited after the fact', async () => {
    run("UPDATE events SET data = json_set(data, '$.passed', json('true')) WHERE session_id = ? AND type = 'test_result'", sessionId);
    expect(await env.services.sessions.verifySession(sessionId)).toMatchObject({ valid: false, firstBrokenSeq: 11 });
  });

  it('detects an edit even when the editor recomputed that one hash naively', async () => {
    run("UPDATE events SET type = 'keystroke', hash = 'ab' || substr(hash, 3) WHERE session_id = ? AND seq = 5", sessionId);
    expect(await env.services.sessions.verifySession(sessionId)).toMatchObject({ valid: false, firstBrokenSeq: 5 });
  });

  it('detects a changed timestamp', async () => {
    run('UPDATE events SET timestamp = timestamp + 1 WHERE session_id = ? AND seq = 7', sessionId);
    expect(await env.services.sessions.verifySession(sessionId)).toMatchObject({ valid: false, firstBrokenSeq: 7 });
  });

  it('detects a deleted event in the middle', async () => {
    run('DELETE FROM events WHERE session_id = ? AND seq = 4', sessionId);
    expect(await env.services.sessions.verifySession(sessionId)).toMatchObject({ valid: false, firstBrokenSeq: 4 });
  });

  it('detects events cut off the end', async () => {
    run('DELETE FROM events WHERE session_id = ? AND seq >= 11', sessionId);
    expect(await env.services.sessions.verifySession(sessionId)).toMatchObject({ valid: false, firstBrokenSeq: 11 });
  });

  it('detects two events swapped', async () => {
    run('UPDATE events SET seq = -1 WHERE session_id = ? AND seq = 3', sessionId);
    run('UPDATE events SET seq = 3 WHERE session_id = ? AND seq = 4', sessionId);
    run('UPDATE events SET seq = 4 WHERE session_id = ? AND seq = -1', sessionId);
    expect(await env.services.sessions.verifySession(sessionId)).toMatchObject({ valid: false, firstBrokenSeq: 3 });
  });

  it.each([
    ['a counter', 'UPDATE sessions SET tests_passed = 1 WHERE id = ?', /tests passed/],
    ['the candidate', "UPDATE sessions SET candidate_id = 'someone_else' WHERE id = ?", /candidate/],
    ['the status', "UPDATE sessions SET status = 'ABANDONED' WHERE id = ?", /status/],
    ['the metadata', `UPDATE sessions SET metadata = '{"proctor":"x"}' WHERE id = ?`, /metadata/],
  ])('detects %s of the sessions row edited to disagree with the events', async (_what, sql, reason) => {
    run(sql, sessionId);
    expect(await env.services.sessions.verifySession(sessionId)).toMatchObject({ valid: false, reason: expect.stringMatching(reason) });
  });

  it('detects the close event cut off with the head re-pointed to match', async () => {
    const head = env.services.database.db.prepare('SELECT seq, hash FROM events WHERE session_id = ? AND seq = 11').get(sessionId) as { seq: number; hash: string };
    run('DELETE FROM events WHERE session_id = ? AND seq = 12', sessionId);
    run('UPDATE sessions SET last_seq = ?, last_hash = ?, data_bytes = data_bytes - 19 WHERE id = ?', head.seq, head.hash, sessionId);
    expect(await env.services.sessions.verifySession(sessionId)).toMatchObject({ valid: false, reason: expect.stringMatching(/status/) });
  });

  it('reports unknown sessions as such', async () => {
    await expect(env.services.sessions.verifySession('ses_unknown')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });
});
