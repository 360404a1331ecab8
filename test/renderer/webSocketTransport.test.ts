import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { startBrowserShell, type BrowserShell } from '../../electron/browserShell/browserShell';
import { createIpcHost, type IpcHost } from '../../electron/ipc/handlers';
import type { IpcRouter } from '../../electron/ipc/router';
import { createIpcClient } from '../../shared/ipc/client';
import { ipcContract } from '../../shared/ipc/contract';
import {
  WebSocketTransport,
  readShellSecret,
  type ConnectionState,
  type LocationLike,
  type WebSocketConstructor,
  type WebSocketLike,
} from '../../renderer/src/webSocketTransport';
import { makeTempDir, tempServices } from '../helpers/tempServices';

/** Polls until `condition` holds, failing after five seconds. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The host with its router's answers held at a gate while `hold()` is on: each call runs
 * (and records) at once, but its result waits, so a test can drop the socket mid-call.
 */
function gatedHost(inner: IpcHost) {
  let gate: Promise<void> = Promise.resolve();
  let release = () => {};
  const calls: string[] = [];
  const router: IpcRouter = {
    channelNames: inner.router.channelNames,
    invoke: async (channel, args, callerId) => {
      calls.push(channel);
      const result = await inner.router.invoke(channel, args, callerId);
      await gate;
      return result;
    },
  };
  return {
    host: { ...inner, router } satisfies IpcHost,
    calls,
    hold: () => {
      gate = new Promise((resolve) => (release = resolve));
    },
    release: () => release(),
  };
}

describe('the WebSocket transport against the browser shell', () => {
  let temp: ReturnType<typeof tempServices>;
  let site: ReturnType<typeof makeTempDir>;
  let host: IpcHost;
  let gated: ReturnType<typeof gatedHost>;
  let shell: BrowserShell;
  let transport: WebSocketTransport;
  /** Every socket the transport opened, newest last, so a test can cut one. */
  let sockets: WebSocket[];
  let states: ConnectionState[];

  /** `ws`'s WebSocket, sending the Origin a browser would send for the shell's page. */
  function browserLikeWebSocket(origin: string): WebSocketConstructor {
    return class extends WebSocket {
      constructor(url: string, protocol: string) {
        super(url, protocol, { origin });
        sockets.push(this);
      }
    };
  }

  function locationOf(page: BrowserShell): LocationLike {
    const url = new URL(page.url);
    return { protocol: url.protocol, host: url.host, hash: url.hash };
  }

  function connect(): ReturnType<typeof createIpcClient<typeof ipcContract>> {
    transport = new WebSocketTransport({
      WebSocket: browserLikeWebSocket(new URL(shell.url).origin),
      location: locationOf(shell),
      reconnectDelay: { initialMs: 20, maxMs: 200 },
    });
    transport.onDidChangeConnection((state) => states.push(state));
    return createIpcClient(ipcContract, transport);
  }

  const keystrokes = (sessionId: string) =>
    temp.services.replay
      .getAllEvents(sessionId)
      .filter((event) => event.type === 'keystroke')
      .map((event) => (event.data as { key: string }).key);

  beforeEach(async () => {
    temp = tempServices({}, { syncRunner: 'none' });
    site = makeTempDir('interviewlm-site-');
    writeFileSync(join(site.dir, 'index.html'), '<!doctype html><title>InterviewLM</title>');
    host = createIpcHost(temp.services, { name: 'InterviewLM', version: 'test' });
    gated = gatedHost(host);
    shell = await startBrowserShell({ host: gated.host, rendererDir: site.dir });
    sockets = [];
    states = [];
  });

  afterEach(async () => {
    transport?.dispose();
    await shell.close();
    host.dispose();
    temp.cleanup();
    site.cleanup();
  });

  it('reads the secret from the fragment, and refuses to start without one', () => {
    expect(readShellSecret({ hash: `#secret=${'a'.repeat(64)}` })).toBe('a'.repeat(64));
    expect(readShellSecret({ hash: '' })).toBeNull();
    expect(() => new WebSocketTransport({ WebSocket: browserLikeWebSocket('http://x'), location: { protocol: 'http:', host: 'x', hash: '' } })).toThrow(/#secret=/);
  });

  it('carries the contract: calls, errors as AppErrors, and events', async () => {
    const api = connect();
    const closed: unknown[] = [];
    api.on('sessionClosed', (payload) => closed.push(payload));
    expect(await api.app.getInfo()).toMatchObject({ name: 'InterviewLM', version: 'test' });
    // A trailing undefined argument would become null in JSON, which the optional tuple member refuses.
    const session = await api.sessions.createSession('cand_transport', undefined);
    const ack = await api.sessions.recordEvent(session.id, { type: 'keystroke', data: { key: 'a' } });
    expect(ack.seq).toBe(2);
    await expect(api.sessions.getSession('missing')).rejects.toMatchObject({ name: 'AppError', code: 'SESSION_NOT_FOUND' });
    await api.sessions.closeSession(session.id, 'COMPLETED');
    await until(() => closed.length === 1, 'the sessionClosed event');
    expect(closed).toEqual([{ sessionId: session.id, status: 'COMPLETED' }]);
    expect(transport.connectionState).toBe('open');
    expect(states).toEqual(['open']);
  });

  it('refuses, rather than alters, values JSON cannot carry', async () => {
    const api = connect();
    const session = await api.sessions.createSession('cand_json');
    await expect(api.sessions.recordEvent(session.id, { type: 'cursor', data: { lineNumber: Number.NaN, column: 1 } })).rejects.toMatchObject({ code: 'NOT_JSON' });
    expect(temp.services.replay.getAllEvents(session.id).map((event) => event.type)).toEqual(['session_started']);
  });

  it('resends calls in flight when the socket drops: each resolves, and each is recorded exactly once', async () => {
    const api = connect();
    const session = await api.sessions.createSession('cand_drop');
    gated.hold();
    const inFlight = ['1', '2', '3'].map((key) => api.sessions.recordEvent(session.id, { type: 'keystroke', data: { key } }));
    // The shell has run (and recorded) every call; their answers are held.
    await until(() => keystrokes(session.id).length === 3, 'the calls to be recorded');
    sockets.at(-1)!.terminate();
    // Made while the socket is down: it waits and goes out after the reconnect.
    const whileDown = api.sessions.recordEvent(session.id, { type: 'keystroke', data: { key: '4' } });
    await until(() => transport.connectionState === 'open' && sockets.length === 2, 'the reconnect');
    gated.release();

    const acks = await Promise.all([...inFlight, whileDown]);
    expect(acks.map((ack) => ack.seq)).toEqual([2, 3, 4, 5]);
    expect(keystrokes(session.id)).toEqual(['1', '2', '3', '4']);
    // The resent calls were answered from the shell's memory, not run again.
    expect(gated.calls.filter((channel) => channel === 'sessions:recordEvent')).toHaveLength(4);
    expect(states).toEqual(['open', 'closed', 'connecting', 'open']);
  });

  it('is one caller across its reconnects (its client id in every upgrade URL): the session it writes stays its own', async () => {
    const api = connect();
    const session = await api.sessions.createSession('cand_caller');
    await api.sessions.recordEvent(session.id, { type: 'keystroke', data: { key: 'a' } });
    sockets.at(-1)!.terminate();
    await until(() => transport.connectionState === 'open' && sockets.length === 2, 'the reconnect');
    await api.sessions.recordEvent(session.id, { type: 'keystroke', data: { key: 'b' } });
    expect(new Set(sockets.map((socket) => socket.url))).toEqual(new Set([`ws://127.0.0.1:${shell.port}/ipc?client=${transport.clientId}`]));
    expect(transport.clientId).toMatch(/^[0-9a-f]{32}$/);
    // Another page load is another caller, refused while this one holds the session.
    const other = new WebSocketTransport({ WebSocket: browserLikeWebSocket(new URL(shell.url).origin), location: locationOf(shell) });
    try {
      expect(other.clientId).not.toBe(transport.clientId);
      const otherApi = createIpcClient(ipcContract, other);
      await expect(otherApi.sessions.recordEvent(session.id, { type: 'keystroke', data: { key: 'x' } })).rejects.toMatchObject({ code: 'SESSION_OPEN_ELSEWHERE' });
    } finally {
      other.dispose();
    }
    expect(keystrokes(session.id)).toEqual(['a', 'b']);
  });

  it('collects answers that completed while the socket was down', async () => {
    const api = connect();
    const session = await api.sessions.createSession('cand_completed');
    gated.hold();
    const call = api.sessions.recordEvent(session.id, { type: 'keystroke', data: { key: 'k' } });
    await until(() => keystrokes(session.id).length === 1, 'the call to be recorded');
    sockets.at(-1)!.terminate();
    gated.release();
    expect((await call).seq).toBe(2);
    expect(keystrokes(session.id)).toEqual(['k']);
  });

  it('comes back when the shell restarts on the same port and secret: calls made meanwhile go through once, events still arrive', async () => {
    const api = connect();
    const closed: unknown[] = [];
    api.on('sessionClosed', (payload) => closed.push(payload));
    const session = await api.sessions.createSession('cand_restart');
    await api.sessions.recordEvent(session.id, { type: 'keystroke', data: { key: 'before' } });

    const { port, secret } = shell;
    await shell.close();
    await until(() => transport.connectionState !== 'open', 'the transport to notice');
    const meanwhile = ['m1', 'm2'].map((key) => api.sessions.recordEvent(session.id, { type: 'keystroke', data: { key } }));
    // Let it fail to reconnect a few times, backing off.
    await new Promise((resolve) => setTimeout(resolve, 100));
    host.dispose();
    host = createIpcHost(temp.services, { name: 'InterviewLM', version: 'test' });
    shell = await startBrowserShell({ host, rendererDir: site.dir, port, secret });

    expect((await Promise.all(meanwhile)).map((ack) => ack.seq)).toEqual([3, 4]);
    await api.sessions.closeSession(session.id, 'COMPLETED');
    await until(() => closed.length === 1, 'the sessionClosed event after the restart');
    expect(keystrokes(session.id)).toEqual(['before', 'm1', 'm2']);
    expect(states.filter((state) => state === 'connecting').length).toBeGreaterThan(1);
  });

  it('dispose() cancels calls still waiting and stops reconnecting', async () => {
    const api = connect();
    await api.app.getInfo();
    await shell.close();
    const waiting = api.app.getInfo();
    await until(() => transport.connectionState !== 'open', 'the transport to notice');
    transport.dispose();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(api.app.getInfo()).rejects.toMatchObject({ code: 'CANCELLED' });
    const attempts = sockets.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sockets.length).toBe(attempts);
    expect(transport.connectionState).toBe('closed');
  });
});

describe('the WebSocket transport reconnecting', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('backs off exponentially from 250 ms, capped at 5 s', () => {
    vi.useFakeTimers();
    const attempts: number[] = [];
    /** A socket that never connects: every attempt closes at once. */
    class Unreachable implements WebSocketLike {
      readonly readyState = 3;
      onopen = null;
      onmessage = null;
      onerror = null;
      onclose: ((event: never) => void) | null = null;
      constructor() {
        attempts.push(Date.now());
        queueMicrotask(() => (this.onclose as ((event: unknown) => void) | null)?.({ code: 1006 }));
      }
      send(): void {}
      close(): void {}
    }
    const transport = new WebSocketTransport({ WebSocket: Unreachable, location: { protocol: 'http:', host: '127.0.0.1:1', hash: `#secret=${'0'.repeat(64)}` } });
    return (async () => {
      for (let i = 0; i < 8; i += 1) await vi.advanceTimersToNextTimerAsync();
      transport.dispose();
      const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
      expect(gaps).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000]);
    })();
  });
});
