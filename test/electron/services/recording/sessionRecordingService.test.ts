import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../../../electron/services/db/sqlite';
import { rejectionOf, tempServices } from '../../../helpers/tempServices';

type Env = ReturnType<typeof tempServices>;

function countRows(env: Env, sql: string, ...params: unknown[]): number {
  env.services.sessions.flush();
  return (env.services.database.db.prepare(sql).get(...params) as { n: number }).n;
}

describe('SessionRecordingService', () => {
  let env: Env;
  beforeEach(() => {
    env = tempServices();
  });
  afterEach(() => env.cleanup());

  describe('createSession', () => {
    it('starts an ACTIVE session whose first event is session_started', async () => {
      const session = await env.services.sessions.createSession('cand_123', { questionId: 'q1', metadata: { interviewCode: 'ABC' } });
      expect(session).toMatchObject({ candidateId: 'cand_123', questionId: 'q1', status: 'ACTIVE', lastSeq: 1, endedAt: null, metadata: { interviewCode: 'ABC' } });
      expect(session.id).toMatch(/^ses_[0-9a-f]{32}$/);
      const [first] = env.services.replay.getEvents(session.id);
      expect(first).toMatchObject({ seq: 1, type: 'session_started', data: { candidateId: 'cand_123' } });
    });

    it('rejects a bad candidate id or options with a typed error and writes nothing', async () => {
      expect(await rejectionOf(env.services.sessions.createSession(''))).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await rejectionOf(env.services.sessions.createSession('c', { bogus: 1 } as never))).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await rejectionOf(env.services.sessions.createSession('c', { metadata: { n: Number.NaN } }))).toMatchObject({ code: 'NOT_JSON' });
      expect(countRows(env, 'SELECT count(*) AS n FROM sessions')).toBe(0);
      expect(countRows(env, 'SELECT count(*) AS n FROM events')).toBe(0);
    });
  });

  describe('recordEvent', () => {
    it('resolves only once the event is committed, readable from a second connection', async () => {
      const { id } = await env.services.sessions.createSession('cand');
      const ack = await env.services.sessions.recordEvent(id, { type: 'file_created', fileId: 'file_1', data: { fileName: 'solution.ts' } });
      const reader = openSqlite(env.config.databasePath, { readonly: true });
      try {
        const row = reader.prepare('SELECT type, file_id, hash FROM events WHERE session_id = ? AND seq = ?').get(id, ack.seq);
        expect(row).toEqual({ type: 'file_created', file_id: 'file_1', hash: ack.hash });
      } finally {
        reader.close();
      }
    });

    it('gives every event a per-session seq with no gap and non-decreasing timestamps, even when issued concurrently', async () => {
      const a = await env.services.sessions.createSession('a');
      const b = await env.services.sessions.createSession('b');
      const acks = await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          env.services.sessions.recordEvent(i % 2 ? a.id : b.id, { type: 'keystroke', data: { key: String(i % 10) } }),
        ),
      );
      for (const session of [a, b]) {
        const seqs = acks.filter((ack) => ack.sessionId === session.id).map((ack) => ack.seq);
        expect(seqs).toEqual(Array.from({ length: 250 }, (_, i) => i + 2));
        const events = env.services.replay.getEvents(session.id, { limit: 1000 });
        expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 251 }, (_, i) => i + 1));
        for (let i = 1; i < events.length; i++) expect(events[i]!.timestamp).toBeGreaterThanOrEqual(events[i - 1]!.timestamp);
      }
    });

    it('groups the events of one turn into one transaction', async () => {
      const { id } = await env.services.sessions.createSession('cand');
      const before = env.services.sessions.commitStats;
      await Promise.all(Array.from({ length: 200 }, () => env.services.sessions.recordEvent(id, { type: 'focus', data: {} })));
      const after = env.services.sessions.commitStats;
      expect(after.events - before.events).toBe(200);
      expect(after.commits - before.commits).toBe(1);
    });

    it.each([
      ['an unknown session', 'ses_missing', { type: 'focus', data: {} }, 'SESSION_NOT_FOUND'],
      ['an unknown event type', null, { type: 'teleport', data: {} }, 'UNKNOWN_EVENT_TYPE'],
      ['a service-only event type', null, { type: 'code_snapshot', fileId: 'f', data: {} }, 'VALIDATION_FAILED'],
      ['data that breaks its type schema', null, { type: 'code_edit', fileId: 'f', data: { changes: 'x' } }, 'VALIDATION_FAILED'],
      ['a file event without fileId', null, { type: 'file_created', data: { fileName: 'a.ts' } }, 'VALIDATION_FAILED'],
      ['a payload over 1 MiB', null, { type: 'paste', data: { text: 'x'.repeat(1024 * 1024 + 1), length: 1 } }, 'PAYLOAD_TOO_LARGE'],
      ['a BigInt', null, { type: 'note', data: { text: 'n', n: 10n } }, 'NOT_JSON'],
      ['NaN', null, { type: 'note', data: { text: 'n', n: Number.NaN } }, 'NOT_JSON'],
      ['a function', null, { type: 'note', data: { text: 'n', f: () => 1 } }, 'NOT_JSON'],
      ['undefined inside data', null, { type: 'note', data: { text: 'n', u: undefined } }, 'NOT_JSON'],
      ['a Date object', null, { type: 'note', data: { text: 'n', d: new Date(0) } }, 'NOT_JSON'],
      ['a non-object event', null, 'focus', 'VALIDATION_FAILED'],
    ])('refuses %s with a typed error and writes nothing', async (_what, sessionOverride, event, code) => {
      const { id } = await env.services.sessions.createSession('cand');
      const eventsBefore = countRows(env, 'SELECT count(*) AS n FROM events');
      const error = await rejectionOf(env.services.sessions.recordEvent(sessionOverride ?? id, event as never));
      expect(error.code).toBe(code);
      expect(error.message.length).toBeGreaterThan(10);
      expect(countRows(env, 'SELECT count(*) AS n FROM events')).toBe(eventsBefore);
      expect((await env.services.sessions.getSession(id)).lastSeq).toBe(1);
    });

    it('refuses ids that would not read back as written (unpaired UTF-16 surrogates)', async () => {
      const { id } = await env.services.sessions.createSession('cand');
      const error = await rejectionOf(env.services.sessions.recordEvent(id, { type: 'file_created', fileId: 'f\uD800', data: { fileName: 'a' } }));
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('surrogate') });
      expect(await rejectionOf(env.services.sessions.createSession('cand\uDC00'))).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(countRows(env, 'SELECT count(*) AS n FROM events WHERE session_id = ?', id)).toBe(1);
    });

    it('stores and validates one serialisation, so data that changes while being read cannot slip through', async () => {
      const { id } = await env.services.sessions.createSession('cand');
      let reads = 0;
      const shifty = {
        get rangeOffset() {
          reads += 1;
          return reads === 1 ? 0 : -5;
        },
        rangeLength: 0,
        text: 'x',
      };
      await env.services.sessions.recordEvent(id, { type: 'file_created', fileId: 'f', data: { fileName: 'a', content: '' } });
      const error = await rejectionOf(env.services.sessions.recordEvent(id, { type: 'code_edit', fileId: 'f', data: { changes: [shifty] } }));
      expect(error.code).toBe('VALIDATION_FAILED');
      const throwing = { text: 'n', get boom(): string { throw new Error('getter exploded'); } };
      expect(await rejectionOf(env.services.sessions.recordEvent(id, { type: 'note', data: throwing }))).toMatchObject({ code: 'NOT_JSON' });
      expect(countRows(env, 'SELECT count(*) AS n FROM events WHERE session_id = ?', id)).toBe(2);
    });

    describe('edits replay could not apply', () => {
      const edit = (rangeOffset: number, rangeLength: number, text: string) => ({ type: 'code_edit', fileId: 'f', data: { changes: [{ rangeOffset, rangeLength, text }] } });

      it('refuses an edit to a file that was never created or snapshotted', async () => {
        const { id } = await env.services.sessions.createSession('cand');
        expect(await rejectionOf(env.services.sessions.recordEvent(id, edit(0, 0, 'x')))).toMatchObject({ code: 'FILE_NOT_FOUND' });
        expect(countRows(env, 'SELECT count(*) AS n FROM events WHERE session_id = ?', id)).toBe(1);
      });

      it('refuses an edit past the end of the file, tracking lengths through edits, snapshots and deletes', async () => {
        const s = env.services.sessions;
        const { id } = await s.createSession('cand');
        await s.recordEvent(id, { type: 'file_created', fileId: 'f', data: { fileName: 'a.js', content: 'abc' } });
        await s.recordEvent(id, edit(3, 0, 'de'));
        expect(await rejectionOf(s.recordEvent(id, edit(4, 2, '')))).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('past the end') });
        await s.recordEvent(id, edit(4, 1, ''));
        await s.recordCodeSnapshot(id, { fileId: 'f', fileName: 'a.js', language: 'javascript', content: 'x' });
        expect(await rejectionOf(s.recordEvent(id, edit(1, 1, '')))).toMatchObject({ code: 'VALIDATION_FAILED' });
        await s.recordEvent(id, { type: 'file_deleted', fileId: 'f', data: {} });
        expect(await rejectionOf(s.recordEvent(id, edit(0, 0, 'y')))).toMatchObject({ code: 'FILE_NOT_FOUND' });
        expect(env.services.replay.getFileAt(id, 'f', { seq: 100 })).toMatchObject({ content: 'x', exists: false });
      });

      it('knows the lengths again after a restart, from what was committed', async () => {
        const { id } = await env.services.sessions.createSession('cand');
        await env.services.sessions.recordEvent(id, { type: 'file_created', fileId: 'f', data: { fileName: 'a.js', content: 'abc' } });
        const restarted = env.reopen();
        expect(await rejectionOf(restarted.sessions.recordEvent(id, edit(3, 1, '')))).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect((await restarted.sessions.recordEvent(id, edit(3, 0, '!'))).seq).toBe(4);
        expect(restarted.replay.getFileAt(id, 'f', { seq: 4 })?.content).toBe('abc!');
      });

      it('forgets lengths a failed write made unsure, and rebuilds them from what committed', async () => {
        const { id } = await env.services.sessions.createSession('cand');
        await env.services.sessions.recordEvent(id, { type: 'file_created', fileId: 'f', data: { fileName: 'a.js', content: '' } });
        const db = env.services.database.db;
        db.exec("CREATE TEMP TRIGGER fail_edits BEFORE INSERT ON events WHEN NEW.type = 'code_edit' BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
        expect(await rejectionOf(env.services.sessions.recordEvent(id, edit(0, 0, 'hello')))).toMatchObject({ code: 'DATABASE_WRITE_FAILED' });
        db.exec('DROP TRIGGER fail_edits');
        // The failed edit never happened: the file is still empty.
        expect(await rejectionOf(env.services.sessions.recordEvent(id, edit(2, 0, 'x')))).toMatchObject({ code: 'VALIDATION_FAILED' });
        await env.services.sessions.recordEvent(id, edit(0, 0, 'ok'));
        expect(env.services.replay.getFileAt(id, 'f', { seq: 100 })?.content).toBe('ok');
      });
    });

    it('refuses cyclic data', async () => {
      const { id } = await env.services.sessions.createSession('cand');
      const data: Record<string, unknown> = { text: 'loop' };
      data.self = data;
      expect(await rejectionOf(env.services.sessions.recordEvent(id, { type: 'note', data }))).toMatchObject({ code: 'NOT_JSON' });
    });

    it('refuses events on a closed session', async () => {
      const { id } = await env.services.sessions.createSession('cand');
      await env.services.sessions.closeSession(id, 'COMPLETED');
      const error = await rejectionOf(env.services.sessions.recordEvent(id, { type: 'focus', data: {} }));
      expect(error.code).toBe('SESSION_CLOSED');
    });

    it('rejects every event of a failed transaction and continues the chain with no gap', async () => {
      const { id } = await env.services.sessions.createSession('cand');
      const db = env.services.database.db;
      // A trigger makes the next commit fail, as a full disk would.
      db.exec("CREATE TEMP TRIGGER fail_once BEFORE INSERT ON events WHEN NEW.type = 'blur' BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
      const results = await Promise.allSettled([
        env.services.sessions.recordEvent(id, { type: 'focus', data: {} }),
        env.services.sessions.recordEvent(id, { type: 'blur', data: {} }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'DATABASE_WRITE_FAILED' });
      db.exec('DROP TRIGGER fail_once');
      const ack = await env.services.sessions.recordEvent(id, { type: 'focus', data: {} });
      expect(ack.seq).toBe(2);
      expect(await env.services.sessions.verifySession(id)).toMatchObject({ valid: true, eventCount: 2 });
    });
  });

  describe('recordClaudeInteraction, recordTestResult and getSessionStats', () => {
    it("counts the seed's fields plus snapshots, bytes and duration", async () => {
      let now = 1_000_000;
      env.cleanup();
      env = tempServices({}, { now: () => now });
      const s = env.services.sessions;
      const { id } = await s.createSession('cand_123');
      await s.recordEvent(id, { type: 'file_created', fileId: 'file_1', data: { fileName: 'solution.ts' } });
      await s.recordClaudeInteraction(id, { role: 'assistant', content: 'Try two pointers.', model: 'claude-sonnet-4-5-20250929', inputTokens: 150, outputTokens: 300, latency: 1200 });
      await s.recordClaudeInteraction(id, { role: 'user', content: 'Why?', inputTokens: 10, outputTokens: 0 });
      await s.recordCodeSnapshot(id, { fileId: 'file_1', fileName: 'solution.ts', language: 'typescript', content: 'function solve() { return 42; }' });
      await s.recordTestResult(id, { testName: 'test_basic', passed: true, duration: 15 });
      await s.recordTestResult(id, { testName: 'test_edge', passed: false, duration: 3, error: 'expected 1' });
      now += 90_000;
      const stats = await s.getSessionStats(id);
      expect(stats).toMatchObject({
        eventCount: 7,
        totalTokensUsed: 460,
        testsPassedCount: 1,
        testResultCount: 2,
        snapshotCount: 1,
        aiInteractionCount: 2,
        durationMs: 90_000,
        status: 'ACTIVE',
      });
      const dataBytes = countRows(env, 'SELECT sum(length(CAST(data AS BLOB))) AS n FROM events WHERE session_id = ?', id);
      expect(stats.bytes).toBe(dataBytes);
      await s.closeSession(id, 'COMPLETED');
      now += 60_000;
      expect((await s.getSessionStats(id)).durationMs).toBe(90_000);
    });

    it('validates interactions and test results', async () => {
      const { id } = await env.services.sessions.createSession('cand');
      expect(await rejectionOf(env.services.sessions.recordClaudeInteraction(id, { role: 'robot', content: 'x' } as never))).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await rejectionOf(env.services.sessions.recordTestResult(id, { testName: 't' } as never))).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await rejectionOf(env.services.sessions.getSessionStats('nope'))).toMatchObject({ code: 'SESSION_NOT_FOUND' });
    });
  });

  describe('recordCodeSnapshot', () => {
    const content = (n: number) => Array.from({ length: 200 }, (_, line) => `line ${line} ${line === n ? 'changed' : ''}`).join('\n');

    it('stores a checkpoint first, then patches, then a checkpoint again every N snapshots', async () => {
      env.cleanup();
      env = tempServices({ recorder: { checkpointEverySnapshots: 4 } as never });
      const { id } = await env.services.sessions.createSession('cand');
      for (let n = 0; n < 9; n++) {
        await env.services.sessions.recordCodeSnapshot(id, { fileId: 'f', fileName: 'a.py', language: 'python', content: content(n) });
      }
      const kinds = env.services.replay.getEvents(id, { types: ['code_snapshot'] }).map((event) => (event.data as { kind: string }).kind);
      expect(kinds).toEqual(['checkpoint', 'patch', 'patch', 'patch', 'checkpoint', 'patch', 'patch', 'patch', 'checkpoint']);
      for (let n = 0; n < 9; n++) {
        expect(env.services.replay.getFileAt(id, 'f', { seq: 2 + n })?.content).toBe(content(n));
      }
    });

    it('checkpoints once the patches since the last checkpoint pass K bytes', async () => {
      env.cleanup();
      env = tempServices({ recorder: { checkpointEveryPatchBytes: 300 } as never });
      const { id } = await env.services.sessions.createSession('cand');
      for (let n = 0; n < 6; n++) {
        await env.services.sessions.recordCodeSnapshot(id, { fileId: 'f', fileName: 'a.py', language: 'python', content: content(n * 7) });
      }
      const kinds = env.services.replay.getEvents(id, { types: ['code_snapshot'] }).map((event) => (event.data as { kind: string }).kind);
      expect(kinds[0]).toBe('checkpoint');
      expect(kinds.filter((kind) => kind === 'checkpoint').length).toBeGreaterThan(1);
      expect(kinds.filter((kind) => kind === 'patch').length).toBeGreaterThan(0);
    });

    it('patches concurrent snapshots of one file against each other in queue order', async () => {
      const { id } = await env.services.sessions.createSession('cand');
      await Promise.all(
        [0, 1, 2, 3].map((n) => env.services.sessions.recordCodeSnapshot(id, { fileId: 'f', fileName: 'a.py', language: 'python', content: content(n) })),
      );
      const events = env.services.replay.getEvents(id, { types: ['code_snapshot'] });
      expect(events.map((event) => (event.data as { kind: string }).kind)).toEqual(['checkpoint', 'patch', 'patch', 'patch']);
      expect(env.services.replay.getFileAt(id, 'f', { seq: events[3]!.seq })?.content).toBe(content(3));
    });

    it('refuses a snapshot over the size cap, measured as stored (escapes included)', async () => {
      const { id } = await env.services.sessions.createSession('cand');
      const error = await rejectionOf(
        env.services.sessions.recordCodeSnapshot(id, { fileId: 'f', fileName: 'a', language: 'python', content: 'x'.repeat(1024 * 1024 + 1) }),
      );
      expect(error.code).toBe('PAYLOAD_TOO_LARGE');
      // 300k control characters are 300 KB of text but 1.8 MB as JSON (\u0001 each).
      const escaped = await rejectionOf(
        env.services.sessions.recordCodeSnapshot(id, { fileId: 'f', fileName: 'a', language: 'python', content: '\u0001'.repeat(300_000) }),
      );
      expect(escaped.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('caps session metadata like event data', async () => {
      const error = await rejectionOf(env.services.sessions.createSession('cand', { metadata: { blob: 'x'.repeat(1024 * 1024) } }));
      expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  describe('closeSession', () => {
    it('flushes queued events first, appends session_closed, and is idempotent', async () => {
      const { id } = await env.services.sessions.createSession('cand');
      const closed: string[] = [];
      const dispose = env.services.sessions.onDidCloseSession((event) => closed.push(`${event.sessionId}:${event.status}`));
      const pending = env.services.sessions.recordEvent(id, { type: 'focus', data: {} });
      const first = env.services.sessions.closeSession(id, 'COMPLETED');
      const second = env.services.sessions.closeSession(id, 'ABANDONED');
      await pending;
      const [a, b] = await Promise.all([first, second]);
      expect(a).toEqual(b);
      expect(a).toMatchObject({ status: 'COMPLETED', lastSeq: 3 });
      expect(a.endedAt).not.toBeNull();
      const third = await env.services.sessions.closeSession(id, 'EXPIRED');
      expect(third).toEqual(a);
      expect(closed).toEqual([`${id}:COMPLETED`]);
      expect(env.services.replay.getEvents(id).map((event) => event.type)).toEqual(['session_started', 'focus', 'session_closed']);
      dispose();
    });

    it('refuses ACTIVE as a closing status and unknown sessions', async () => {
      const { id } = await env.services.sessions.createSession('cand');
      expect(await rejectionOf(env.services.sessions.closeSession(id, 'ACTIVE' as never))).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(await rejectionOf(env.services.sessions.closeSession('ses_nope', 'COMPLETED'))).toMatchObject({ code: 'SESSION_NOT_FOUND' });
    });
  });

  describe('after a crash', () => {
    it('finds sessions a previous run left ACTIVE, and resumes them with the gap recorded', async () => {
      let now = 5_000_000;
      env.cleanup();
      env = tempServices({}, { now: () => now });
      const { id } = await env.services.sessions.createSession('cand');
      await env.services.sessions.recordEvent(id, { type: 'focus', data: {} });
      const done = await env.services.sessions.createSession('other');
      await env.services.sessions.closeSession(done.id, 'COMPLETED');
      expect(await env.services.sessions.listInterruptedSessions()).toEqual([]);

      now += 30_000;
      const restarted = env.reopen();
      expect((await restarted.sessions.listInterruptedSessions()).map((s) => s.id)).toEqual([id]);
      const resumed = await restarted.sessions.resumeSession(id);
      expect(resumed).toMatchObject({ id, status: 'ACTIVE', lastSeq: 3 });
      const last = restarted.replay.getEvents(id).at(-1);
      expect(last).toMatchObject({ seq: 3, type: 'session_resumed', data: { previousLastSeq: 2, gapMs: 30_000 } });
      expect(await restarted.sessions.listInterruptedSessions()).toEqual([]);
      const ack = await restarted.sessions.recordEvent(id, { type: 'blur', data: {} });
      expect(ack.seq).toBe(4);
      expect(await restarted.sessions.verifySession(id)).toMatchObject({ valid: true, eventCount: 4 });
    });

    it('marks the gap by itself when an interrupted session is recorded into without resuming', async () => {
      const { id } = await env.services.sessions.createSession('cand');
      const restarted = env.reopen();
      const ack = await restarted.sessions.recordEvent(id, { type: 'focus', data: {} });
      expect(ack.seq).toBe(3);
      expect(restarted.replay.getEvents(id).map((event) => event.type)).toEqual(['session_started', 'session_resumed', 'focus']);
    });

    it('can close an interrupted session instead', async () => {
      const { id } = await env.services.sessions.createSession('cand');
      const restarted = env.reopen();
      expect(await restarted.sessions.closeSession(id, 'ABANDONED')).toMatchObject({ status: 'ABANDONED', lastSeq: 2 });
      expect(await restarted.sessions.listInterruptedSessions()).toEqual([]);
      expect(await rejectionOf(restarted.sessions.resumeSession(id))).toMatchObject({ code: 'SESSION_CLOSED' });
    });
  });

  it('refuses events after the recorder is disposed, having committed the ones before', async () => {
    const { id } = await env.services.sessions.createSession('cand');
    const pending = env.services.sessions.recordEvent(id, { type: 'focus', data: {} });
    env.services.sessions.dispose();
    expect((await pending).seq).toBe(2);
    expect(await rejectionOf(env.services.sessions.recordEvent(id, { type: 'blur', data: {} }))).toMatchObject({ code: 'RECORDER_CLOSED' });
  });
});
