import { mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { InvokeResultCache, browserShellContentSecurityPolicy, startBrowserShell, type BrowserShell } from '../../../electron/browserShell/browserShell';
import { createIpcHost, type IpcHost } from '../../../electron/ipc/handlers';
import type { IpcResult } from '../../../shared/ipc/channel';
import { CLOSE_POLICY_VIOLATION, parseServerMessage, secretSubprotocol, type ServerMessage } from '../../../shared/ipc/webSocketProtocol';
import { makeTempDir, tempServices } from '../../helpers/tempServices';

const INDEX_HTML = '<!doctype html><title>InterviewLM</title><div id="root"></div>';

interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw GET: the path goes out exactly as written, as a hostile client would send it. */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

/** A page's socket: every server message it received, and a way to wait for one. */
interface Page {
  socket: WebSocket;
  messages: ServerMessage[];
  /** The first message from index `from` on that matches, waiting for it if need be. */
  next(predicate: (message: ServerMessage) => boolean, from?: number): Promise<ServerMessage>;
  invoke(id: string, channel: string, args: unknown[]): Promise<IpcResult>;
  closed: Promise<{ code: number }>;
}

function originOf(shell: BrowserShell): string {
  return new URL(shell.url).origin;
}

/** The page load every socket belongs to unless a test names another. */
const PAGE_CLIENT_ID = 'page0000000000000000000000000001';

/** Tries the upgrade: the open page, or the HTTP status it was refused with. `query` replaces `?client=<clientId>`. */
function connect(shell: BrowserShell, options: { protocol?: string; origin?: string; clientId?: string; query?: string } = {}): Promise<Page | { refused: number }> {
  const protocol = options.protocol ?? secretSubprotocol(shell.secret);
  const query = options.query ?? `?client=${options.clientId ?? PAGE_CLIENT_ID}`;
  const socket = new WebSocket(`ws://127.0.0.1:${shell.port}/ipc${query}`, protocol, { origin: options.origin ?? originOf(shell) });
  const messages: ServerMessage[] = [];
  const waiters: { predicate: (message: ServerMessage) => boolean; resolve: (message: ServerMessage) => void }[] = [];
  socket.on('message', (data) => {
    const message = parseServerMessage(String(data));
    if (!message) throw new Error(`the server sent a malformed frame: ${String(data)}`);
    messages.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(message)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  const closed = new Promise<{ code: number }>((resolve) => socket.on('close', (code) => resolve({ code })));
  const page: Page = {
    socket,
    messages,
    closed,
    next: (predicate, from = 0) => {
      const seen = messages.slice(from).find(predicate);
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    invoke: async (id, channel, args) => {
      const from = messages.length;
      socket.send(JSON.stringify({ type: 'invoke', id, channel, args }));
      const answer = await page.next((message) => message.type === 'result' && message.id === id, from);
      return (answer as Extract<ServerMessage, { type: 'result' }>).result;
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(page));
    socket.once('unexpected-response', (_request, response) => {
      resolve({ refused: response.statusCode! });
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

async function open(shell: BrowserShell, clientId?: string): Promise<Page> {
  const page = await connect(shell, clientId === undefined ? {} : { clientId });
  if ('refused' in page) throw new Error(`refused with ${page.refused}`);
  return page;
}

function valueOf<T>(result: IpcResult): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value as T;
}

describe('the browser shell', () => {
  let temp: ReturnType<typeof tempServices>;
  let site: ReturnType<typeof makeTempDir>;
  let rendererDir: string;
  let host: IpcHost;
  let shell: BrowserShell;
  const pages: Page[] = [];

  beforeEach(async () => {
    temp = tempServices({}, { syncRunner: 'none' });
    site = makeTempDir('interviewlm-site-');
    // The renderer sits one level down, so there is something outside it to try to reach.
    rendererDir = join(site.dir, 'renderer');
    mkdirSync(join(rendererDir, 'assets'), { recursive: true });
    writeFileSync(join(rendererDir, 'index.html'), INDEX_HTML);
    writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log("app");');
    writeFileSync(join(rendererDir, 'assets', 'app.css'), 'body { margin: 0 }');
    writeFileSync(join(site.dir, 'outside.txt'), 'not for the page');
    host = createIpcHost(temp.services, { name: 'InterviewLM', version: 'test' });
    shell = await startBrowserShell({ host, rendererDir });
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) page.socket.terminate();
    await shell.close();
    host.dispose();
    temp.cleanup();
    site.cleanup();
  });

  describe('the page', () => {
    it('is served on 127.0.0.1 with the secret in the fragment of its address', () => {
      expect(shell.url).toBe(`http://127.0.0.1:${shell.port}/#secret=${shell.secret}`);
      expect(shell.secret).toMatch(/^[0-9a-f]{64}$/);
    });

    it('serves index.html for / under the app policy, with connect-src naming this server only', async () => {
      const answer = await get(shell.port, '/');
      expect(answer.status).toBe(200);
      expect(answer.body).toBe(INDEX_HTML);
      expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
      const policy = answer.headers['content-security-policy'];
      expect(policy).toBe(browserShellContentSecurityPolicy(shell.port));
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain("frame-ancestors 'none'");
      expect(policy).toContain(`connect-src 'self' ws://127.0.0.1:${shell.port}`);
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
    });

    it('serves assets with their content types', async () => {
      const script = await get(shell.port, '/assets/app.js');
      expect(script).toMatchObject({ status: 200, body: 'console.log("app");' });
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect((await get(shell.port, '/assets/app.css?v=1')).headers['content-type']).toBe('text/css; charset=utf-8');
    });

    it('answers 404 for unknown files and for directories, without listing them', async () => {
      expect((await get(shell.port, '/missing.js')).status).toBe(404);
      const directory = await get(shell.port, '/assets/');
      expect(directory.status).toBe(404);
      expect(directory.body).not.toContain('app.js');
      expect((await get(shell.port, '/assets')).status).toBe(404);
    });

    it.each(['/../outside.txt', '/%2e%2e/outside.txt', '/..%2foutside.txt', '/%2e%2e%2foutside.txt', '/assets/../../outside.txt', '/..%5coutside.txt', '/%00', '/%E0%A4%A'])(
      'refuses %s',
      async (path) => {
        const answer = await get(shell.port, path);
        expect(answer.status).toBe(404);
        expect(answer.body).not.toContain('not for the page');
      },
    );

    it('refuses a request naming another host (a DNS-rebinding page)', async () => {
      expect((await get(shell.port, '/', { Host: `evil.example:${shell.port}` })).status).toBe(403);
    });

    it('refuses methods other than GET and HEAD', async () => {
      const answer = await new Promise<number>((resolve, reject) => {
        const request = httpRequest({ host: '127.0.0.1', port: shell.port, path: '/', method: 'POST', agent: false }, (response) => {
          response.resume();
          resolve(response.statusCode!);
        });
        request.on('error', reject);
        request.end('x');
      });
      expect(answer).toBe(405);
    });
  });

  describe('the WebSocket upgrade', () => {
    it('is refused (403) without the secret', async () => {
      expect(await connect(shell, { protocol: 'something-else' })).toEqual({ refused: 403 });
    });

    it('is refused (403) with a wrong secret', async () => {
      expect(await connect(shell, { protocol: secretSubprotocol('0'.repeat(64)) })).toEqual({ refused: 403 });
      expect(await connect(shell, { protocol: secretSubprotocol(shell.secret.slice(0, 63)) })).toEqual({ refused: 403 });
    });

    it('is refused (403) from another origin, even with the secret', async () => {
      expect(await connect(shell, { origin: 'http://evil.example' })).toEqual({ refused: 403 });
      expect(await connect(shell, { origin: `http://localhost:${shell.port}` })).toEqual({ refused: 403 });
    });

    it.each([
      ['no client id', ''],
      ['a client id too short', '?client=abc'],
      ['a client id with other characters', '?client=page%2F0000000000000000000000000'],
      ['two client ids', `?client=${'a'.repeat(32)}&client=${'b'.repeat(32)}`],
    ])('is refused (400) with %s, even with the secret', async (_what, query) => {
      expect(await connect(shell, { query })).toEqual({ refused: 400 });
    });

    it('is accepted with the secret from the own origin, echoing the protocol as browsers require', async () => {
      const page = await open(shell);
      pages.push(page);
      expect(page.socket.protocol).toBe(secretSubprotocol(shell.secret));
    });
  });

  describe('the contract over the socket', () => {
    it('creates a session and records events, each answered with its ack', async () => {
      const page = await open(shell);
      pages.push(page);
      const session = valueOf<{ id: string }>(await page.invoke('c1', 'sessions:createSession', ['cand_ws']));
      const ack = valueOf<{ seq: number }>(await page.invoke('c2', 'sessions:recordEvent', [session.id, { type: 'keystroke', data: { key: 'a' } }]));
      expect(ack.seq).toBe(2);
      const events = temp.services.replay.getAllEvents(session.id);
      expect(events.map((event) => event.type)).toEqual(['session_started', 'keystroke']);
    });

    it('carries errors as data', async () => {
      const page = await open(shell);
      pages.push(page);
      expect(await page.invoke('e1', 'sessions:getSession', ['nope'])).toMatchObject({ ok: false, error: { code: 'SESSION_NOT_FOUND' } });
      expect(await page.invoke('e2', 'no:such', [])).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
    });

    it('pushes events (sessionClosed) to every connected page', async () => {
      const [first, second] = [await open(shell), await open(shell)];
      pages.push(first, second);
      const session = valueOf<{ id: string }>(await first.invoke('s1', 'sessions:createSession', ['cand_events']));
      valueOf(await first.invoke('s2', 'sessions:closeSession', [session.id, 'COMPLETED']));
      for (const page of [first, second]) {
        const event = await page.next((message) => message.type === 'event' && message.event === 'sessionClosed');
        expect(event).toEqual({ type: 'event', event: 'sessionClosed', payload: { sessionId: session.id, status: 'COMPLETED' } });
      }
    });

    it.each([
      ['not JSON', 'hello'],
      ['an unknown type', JSON.stringify({ type: 'subscribe', id: 'x' })],
      ['args that are not an array', JSON.stringify({ type: 'invoke', id: 'x', channel: 'app:getInfo', args: {} })],
      ['no id', JSON.stringify({ type: 'invoke', channel: 'app:getInfo', args: [] })],
    ])('closes a socket that sends %s (policy violation), and keeps serving the others', async (_what, frame) => {
      const [bad, good] = [await open(shell), await open(shell)];
      pages.push(bad, good);
      bad.socket.send(frame);
      expect(await bad.closed).toEqual({ code: CLOSE_POLICY_VIOLATION });
      expect(valueOf<{ name: string }>(await good.invoke('after', 'app:getInfo', []))).toMatchObject({ name: 'InterviewLM' });
      const again = await open(shell);
      pages.push(again);
      expect((await again.invoke('again', 'app:getInfo', [])).ok).toBe(true);
    });

    it('closes a socket that sends a binary frame', async () => {
      const page = await open(shell);
      pages.push(page);
      page.socket.send(Buffer.from(JSON.stringify({ type: 'invoke', id: 'b', channel: 'app:getInfo', args: [] })));
      expect(await page.closed).toEqual({ code: CLOSE_POLICY_VIOLATION });
    });
  });

  describe('a resent call', () => {
    it('is answered from memory: recorded once, the same ack twice, even on another socket', async () => {
      const first = await open(shell);
      pages.push(first);
      const session = valueOf<{ id: string }>(await first.invoke('d1', 'sessions:createSession', ['cand_dedupe']));
      const call = [session.id, { type: 'keystroke', data: { key: 'x' } }];
      const ack = await first.invoke('same-id', 'sessions:recordEvent', call);
      const repeated = await first.invoke('same-id', 'sessions:recordEvent', call);
      first.socket.terminate();
      const second = await open(shell);
      pages.push(second);
      const afterReconnect = await second.invoke('same-id', 'sessions:recordEvent', call);
      expect(repeated).toEqual(ack);
      expect(afterReconnect).toEqual(ack);
      expect(temp.services.replay.getAllEvents(session.id).filter((event) => event.type === 'keystroke')).toHaveLength(1);
    });

    it('sent again while the first attempt is still running, waits for that attempt instead of running twice', async () => {
      const page = await open(shell);
      pages.push(page);
      const session = valueOf<{ id: string }>(await page.invoke('r1', 'sessions:createSession', ['cand_race']));
      const frame = JSON.stringify({ type: 'invoke', id: 'racing', channel: 'sessions:recordEvent', args: [session.id, { type: 'keystroke', data: { key: 'r' } }] });
      // Both frames arrive before the first commit (commits happen at the end of the event loop turn).
      page.socket.send(frame);
      page.socket.send(frame);
      await page.next((message) => message.type === 'result' && message.id === 'racing');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const answers = page.messages.filter((message) => message.type === 'result' && message.id === 'racing');
      expect(answers).toHaveLength(2);
      expect(answers[0]).toEqual(answers[1]);
      expect(temp.services.replay.getAllEvents(session.id).filter((event) => event.type === 'keystroke')).toHaveLength(1);
    });

    it('reusing an id for another channel is refused, not answered with the other call', async () => {
      const page = await open(shell);
      pages.push(page);
      await page.invoke('reused', 'app:getInfo', []);
      expect(await page.invoke('reused', 'ai:getStatus', [])).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    });
  });

  describe('one writer per session', () => {
    const keystroke = (sessionId: string, key: string) => [sessionId, { type: 'keystroke', data: { key } }];
    const keys = (sessionId: string) => temp.services.replay.getAllEvents(sessionId).flatMap((event) => (event.type === 'keystroke' ? [(event.data as { key: string }).key] : []));

    it("refuses another page's writes while the writing page has a socket open, and frees the session when its last socket closes", async () => {
      const [a1, a2] = [await open(shell, 'pageA'.padEnd(32, '0')), await open(shell, 'pageA'.padEnd(32, '0'))];
      const b = await open(shell, 'pageB'.padEnd(32, '0'));
      pages.push(a1, a2, b);
      const session = valueOf<{ id: string }>(await a1.invoke('w1', 'sessions:createSession', ['cand_writer']));
      valueOf(await a1.invoke('w2', 'sessions:recordEvent', keystroke(session.id, 'a')));
      // Another socket of the same page load is the same writer.
      valueOf(await a2.invoke('w3', 'sessions:recordEvent', keystroke(session.id, 'b')));
      expect(await b.invoke('w4', 'sessions:recordEvent', keystroke(session.id, 'x'))).toMatchObject({ ok: false, error: { code: 'SESSION_OPEN_ELSEWHERE' } });
      // Reads are anyone's.
      expect((await b.invoke('w5', 'sessions:getSession', [session.id])).ok).toBe(true);

      a1.socket.terminate();
      await a1.closed;
      expect(await b.invoke('w6', 'sessions:recordEvent', keystroke(session.id, 'y'))).toMatchObject({ ok: false, error: { code: 'SESSION_OPEN_ELSEWHERE' } });
      a2.socket.close();
      await a2.closed;
      // The page's side can see the close before the shell does.
      await expect.poll(() => host.sessionWriters.holderOf(session.id)).toBeNull();
      valueOf(await b.invoke('w7', 'sessions:recordEvent', keystroke(session.id, 'c')));
      expect(keys(session.id)).toEqual(['a', 'b', 'c']);
    });

    it('keeps the session for a page that reconnects, and a call id means something only to the page that chose it', async () => {
      const a = await open(shell, 'pageA'.padEnd(32, '0'));
      pages.push(a);
      const session = valueOf<{ id: string }>(await a.invoke('k1', 'sessions:createSession', ['cand_reconnect']));
      valueOf(await a.invoke('k2', 'sessions:recordEvent', keystroke(session.id, 'a')));
      expect(shell.dropConnections()).toBe(1);
      await a.closed;
      const again = await open(shell, 'pageA'.padEnd(32, '0'));
      const other = await open(shell, 'pageB'.padEnd(32, '0'));
      pages.push(again, other);
      valueOf(await again.invoke('k3', 'sessions:recordEvent', keystroke(session.id, 'b')));
      // Page B reusing page A's call id gets its own answer (refused), not A's remembered ack.
      expect(await other.invoke('k3', 'sessions:recordEvent', keystroke(session.id, 'b'))).toMatchObject({ ok: false, error: { code: 'SESSION_OPEN_ELSEWHERE' } });
      expect(keys(session.id)).toEqual(['a', 'b']);
    });

    it('takeOver hands the session to the page that asks and tells the others; the old writer is refused from then on', async () => {
      const [a, b] = [await open(shell, 'pageA'.padEnd(32, '0')), await open(shell, 'pageB'.padEnd(32, '0'))];
      pages.push(a, b);
      const session = valueOf<{ id: string }>(await a.invoke('t1', 'sessions:createSession', ['cand_takeover']));
      valueOf(await a.invoke('t2', 'sessions:recordEvent', keystroke(session.id, 'a')));
      expect(valueOf<{ lastSeq: number }>(await b.invoke('t3', 'sessions:takeOver', [session.id])).lastSeq).toBe(2);
      expect(await a.next((message) => message.type === 'event' && message.event === 'sessionTakenOver')).toMatchObject({ payload: { sessionId: session.id } });
      expect(await a.invoke('t4', 'sessions:recordEvent', keystroke(session.id, 'x'))).toMatchObject({ ok: false, error: { code: 'SESSION_OPEN_ELSEWHERE' } });
      valueOf(await b.invoke('t5', 'sessions:recordEvent', keystroke(session.id, 'b')));
      expect(keys(session.id)).toEqual(['a', 'b']);
    });
  });

  it('dropConnections() cuts every socket without a close handshake, and the pages can come back', async () => {
    const [first, second] = [await open(shell), await open(shell)];
    expect(shell.dropConnections()).toBe(2);
    expect([(await first.closed).code, (await second.closed).code]).toEqual([1006, 1006]);
    const again = await open(shell);
    pages.push(again);
    expect((await again.invoke('back', 'app:getInfo', [])).ok).toBe(true);
  });

  it('remembers results least recently used first', () => {
    const cache = new InvokeResultCache(2);
    const entry = (channel: string) => ({ channel, result: Promise.resolve<IpcResult>({ ok: true, value: channel }) });
    cache.set('a', entry('a'));
    cache.set('b', entry('b'));
    cache.get('a');
    cache.set('c', entry('c'));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.channel).toBe('a');
    expect(cache.get('c')?.channel).toBe('c');
  });

  it('close() disconnects the pages and frees the port', async () => {
    const page = await open(shell);
    await shell.close();
    expect((await page.closed).code).toBe(1006);
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(shell.port, '127.0.0.1', () => probe.close(() => resolve()));
    });
  });

  it('refuses a secret that is not 32 bytes of hex', async () => {
    await expect(startBrowserShell({ host, rendererDir, secret: 'short' })).rejects.toThrow(/32 bytes/);
  });
});
