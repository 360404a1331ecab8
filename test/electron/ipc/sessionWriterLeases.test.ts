import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIpcHost, type IpcHost } from '../../../electron/ipc/handlers';
import { createInMemoryTransport, type InMemoryTransport } from '../../../electron/ipc/inMemoryTransport';
import { SessionWriterLeases, sessionLeaseRoles } from '../../../electron/ipc/sessionWriterLeases';
import { AppError } from '../../../shared/errors';
import type { IpcApi } from '../../../shared/ipc/channel';
import { createIpcClient } from '../../../shared/ipc/client';
import { ipcContract, type InterviewLmContract } from '../../../shared/ipc/contract';
import { tempServices } from '../../helpers/tempServices';

/** One window: its own caller over the in-memory transport, with the typed client on top. */
interface Window {
  transport: InMemoryTransport;
  api: IpcApi<InterviewLmContract>;
  takenOver: string[];
}

/** Valid arguments for every channel that writes into a session, so each can be tried from the wrong window. */
const WRITES: Record<string, (sessionId: string) => unknown[]> = {
  'sessions:recordEvent': (id) => [id, { type: 'keystroke', data: { key: 'x' } }],
  'sessions:recordCodeSnapshot': (id) => [id, { fileId: 'f', fileName: 'a.js', language: 'javascript', content: 'x' }],
  'sessions:closeSession': (id) => [id, 'COMPLETED'],
  'sessions:resumeSession': (id) => [id],
  'execution:executeCode': (id) => [id, { code: 'function f() {}', language: 'javascript', testCases: [] }],
  'ai:sendMessage': (id) => [id, { messages: [{ role: 'user', content: 'hello' }] }],
  'questions:runTests': (id) => [id, { questionId: 'q_none', code: '', language: 'javascript' }],
  'questions:submit': (id) => [id, { questionId: 'q_none', code: '', language: 'javascript' }],
};

describe('one writer per session, over the in-memory transport', () => {
  let env: ReturnType<typeof tempServices>;
  let host: IpcHost;
  const windows: Window[] = [];

  const openWindow = (callerId?: string): Window => {
    const transport = createInMemoryTransport(host, callerId);
    const window: Window = { transport, api: createIpcClient(ipcContract, transport), takenOver: [] };
    window.api.on('sessionTakenOver', ({ sessionId }) => window.takenOver.push(sessionId));
    windows.push(window);
    return window;
  };
  const keystroke = (key: string) => ({ type: 'keystroke', data: { key } });
  const keys = (sessionId: string) => env.services.replay.getAllEvents(sessionId).flatMap((event) => (event.type === 'keystroke' ? [(event.data as { key: string }).key] : []));
  const refusal = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => error);

  beforeEach(() => {
    env = tempServices({}, { syncRunner: 'none' });
    host = createIpcHost(env.services, { name: 'InterviewLM', version: '0.0.0-test' });
  });
  afterEach(() => {
    for (const window of windows.splice(0)) window.transport.dispose();
    host.dispose();
    env.cleanup();
  });

  it('is declared in the contract: every channel that writes into a session, and takeOver', () => {
    const roles = sessionLeaseRoles(ipcContract);
    expect(Object.fromEntries(roles)).toEqual({ ...Object.fromEntries(Object.keys(WRITES).map((name) => [name, 'write'])), 'sessions:takeOver': 'takeOver' });
  });

  it("refuses every write from another window with SESSION_OPEN_ELSEWHERE, before anything is written", async () => {
    const [a, b] = [openWindow(), openWindow()];
    const session = await a.api.sessions.createSession('cand_lease');
    await a.api.sessions.recordEvent(session.id, keystroke('a'));
    const before = await b.api.sessions.getSessionStats(session.id);
    // The table must cover every write channel the contract declares, so a new one cannot slip past this test.
    expect(Object.keys(WRITES).sort()).toEqual([...sessionLeaseRoles(ipcContract)].filter(([, role]) => role === 'write').map(([name]) => name).sort());
    for (const [channel, args] of Object.entries(WRITES)) {
      const result = await b.transport.invoke(channel, args(session.id));
      expect(result, channel).toMatchObject({ ok: false, error: { code: 'SESSION_OPEN_ELSEWHERE' } });
    }
    const error = await refusal(b.api.sessions.recordEvent(session.id, keystroke('b')));
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'SESSION_OPEN_ELSEWHERE', message: expect.stringContaining('open in another window') });
    expect(await b.api.sessions.getSessionStats(session.id)).toEqual({ ...before, durationMs: expect.any(Number) });
    expect(await b.api.sessions.getSession(session.id)).toMatchObject({ status: 'ACTIVE', lastSeq: 2 });
    // The holder carries on.
    await a.api.sessions.recordEvent(session.id, keystroke('c'));
    expect(keys(session.id)).toEqual(['a', 'c']);
  });

  it('never refuses reads', async () => {
    const [a, b] = [openWindow(), openWindow()];
    const session = await a.api.sessions.createSession('cand_reads');
    await a.api.sessions.recordEvent(session.id, keystroke('a'));
    await expect(b.api.sessions.getSession(session.id)).resolves.toMatchObject({ id: session.id });
    await expect(b.api.sessions.verifySession(session.id)).resolves.toMatchObject({ valid: true });
    await expect(b.api.replay.getEvents(session.id)).resolves.toHaveLength(2);
    await expect(b.api.sync.getSyncStatus(session.id)).resolves.toBeTruthy();
  });

  it('holds the session while any connection of the writer is open, and frees it when the last one closes', async () => {
    const a1 = openWindow('window:a');
    const a2 = openWindow('window:a');
    const b = openWindow();
    const session = await a1.api.sessions.createSession('cand_connections');
    await a1.api.sessions.recordEvent(session.id, keystroke('a'));
    // Another connection of the same caller (the browser shell's reconnect) writes as the holder.
    await a2.api.sessions.recordEvent(session.id, keystroke('b'));
    a1.transport.dispose();
    await expect(b.api.sessions.recordEvent(session.id, keystroke('x'))).rejects.toMatchObject({ code: 'SESSION_OPEN_ELSEWHERE' });
    a2.transport.dispose();
    expect(host.sessionWriters.holderOf(session.id)).toBeNull();
    await b.api.sessions.recordEvent(session.id, keystroke('c'));
    // Now b holds it: a window coming back as caller a is the one refused.
    const a3 = openWindow('window:a');
    await expect(a3.api.sessions.recordEvent(session.id, keystroke('y'))).rejects.toMatchObject({ code: 'SESSION_OPEN_ELSEWHERE' });
    expect(keys(session.id)).toEqual(['a', 'b', 'c']);
  });

  it('takeOver moves the session: the new window writes, the old one is told and refused from then on', async () => {
    const [a, b] = [openWindow(), openWindow()];
    const session = await a.api.sessions.createSession('cand_takeover');
    await a.api.sessions.recordEvent(session.id, keystroke('a'));
    // Sent by a in the same turn as b's takeOver, but before it: admitted, and committed before takeOver answers.
    const late = a.api.sessions.recordEvent(session.id, keystroke('b'));
    const taken = await b.api.sessions.takeOver(session.id);
    await late;
    expect(taken).toMatchObject({ id: session.id, status: 'ACTIVE', lastSeq: 3 });
    // Every window hears it (the one that asked knows to ignore it).
    expect(a.takenOver).toEqual([session.id]);
    expect(b.takenOver).toEqual([session.id]);
    await expect(a.api.sessions.recordEvent(session.id, keystroke('x'))).rejects.toMatchObject({ code: 'SESSION_OPEN_ELSEWHERE' });
    await b.api.sessions.recordEvent(session.id, keystroke('c'));
    // And back: "Use it here" in the first window.
    await a.api.sessions.takeOver(session.id);
    expect(b.takenOver).toEqual([session.id, session.id]);
    await a.api.sessions.recordEvent(session.id, keystroke('d'));
    await expect(b.api.sessions.recordEvent(session.id, keystroke('y'))).rejects.toMatchObject({ code: 'SESSION_OPEN_ELSEWHERE' });
    expect(keys(session.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(await a.api.sessions.verifySession(session.id)).toMatchObject({ valid: true });
  });

  it('takeOver of a free session tells nobody, and of a closed or unknown one fails with its own code', async () => {
    const [a, b] = [openWindow(), openWindow()];
    const session = await a.api.sessions.createSession('cand_free');
    await b.api.sessions.takeOver(session.id);
    expect(a.takenOver).toEqual([]);
    await b.api.sessions.closeSession(session.id, 'COMPLETED');
    await expect(a.api.sessions.takeOver(session.id)).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
    await expect(a.api.sessions.takeOver('ses_missing')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });

  it('forgets a session once it is closed: other windows then hear SESSION_CLOSED, not "open elsewhere"', async () => {
    const [a, b] = [openWindow(), openWindow()];
    const session = await a.api.sessions.createSession('cand_closed');
    await a.api.sessions.recordEvent(session.id, keystroke('a'));
    await a.api.sessions.closeSession(session.id, 'COMPLETED');
    expect(host.sessionWriters.holderOf(session.id)).toBeNull();
    await expect(b.api.sessions.recordEvent(session.id, keystroke('x'))).rejects.toMatchObject({ code: 'SESSION_CLOSED' });
  });
});

describe('SessionWriterLeases', () => {
  it('gives a caller with no open connection nothing to hold, so it never blocks anyone', () => {
    const leases = new SessionWriterLeases();
    leases.claim('ses_1', 'ghost');
    expect(leases.holderOf('ses_1')).toBeNull();
    const disconnect = leases.connect('window:1');
    leases.claim('ses_1', 'window:1');
    expect(() => leases.claim('ses_1', 'ghost')).toThrow(expect.objectContaining({ code: 'SESSION_OPEN_ELSEWHERE' }));
    disconnect();
    leases.claim('ses_1', 'ghost');
  });

  it('counts a disposer once, however often it is called', () => {
    const leases = new SessionWriterLeases();
    const first = leases.connect('window:1');
    leases.connect('window:1');
    leases.claim('ses_1', 'window:1');
    first();
    first();
    expect(leases.isConnected('window:1')).toBe(true);
    expect(leases.holderOf('ses_1')).toBe('window:1');
  });
});
