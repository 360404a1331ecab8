import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CHROMIUM_PATH, CHROMIUM_FLAGS } from '../helpers/chromium';

/**
 * Headless Chromium driven over a bare DevTools protocol connection that turns on no domain: no
 * Runtime, Network or Fetch, as Playwright must. What a candidate's window never has, the page
 * then never pays: with Runtime on, V8 records a detailed stack for every Error the page creates,
 * and to place a frame in a module's top-level code it re-parses the whole module. Monaco creates
 * one at load (its context-key parser's static initializer), so its 2.7 MB module takes ~100 ms
 * longer to run; with Fetch on, every file waits for a round trip to the driver.
 *
 * Only the commands that need no domain are used: Target (a fresh context per page),
 * Page.navigate, Runtime.evaluate and Input.
 */
export interface UninstrumentedChromium {
  /** A page in a fresh browser context (no cache, no storage), on about:blank. */
  newPage(): Promise<UninstrumentedPage>;
  close(): Promise<void>;
}

/** One page of an UninstrumentedChromium. */
export interface UninstrumentedPage {
  /** Navigates and returns once the new document is committed. */
  navigate(url: string): Promise<void>;
  /** The value of `expression` in the page (awaited if it is a promise), which must be JSON. */
  evaluate<T>(expression: string): Promise<T>;
  /** Types `text` into the focused element, as an IME commit (Playwright's fill does the same). */
  insertText(text: string): Promise<void>;
  /** A left click of the mouse at the page's (x, y). */
  click(x: number, y: number): Promise<void>;
  /** Closes the page and its browser context. */
  close(): Promise<void>;
}

/** A protocol error or an exception thrown in the page, with the command that met it. */
export class CdpCommandError extends Error {
  constructor(method: string, detail: string) {
    super(`${method}: ${detail}`);
    this.name = 'CdpCommandError';
  }
}

interface CdpReply {
  id?: number;
  result?: Record<string, unknown>;
  error?: { message: string };
}

/** One flat-session protocol connection: commands by id, each answered once. */
class CdpConnection {
  private nextId = 0;
  private readonly pending = new Map<number, { method: string; resolve(result: Record<string, unknown>): void; reject(error: Error): void }>();

  constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const reply = JSON.parse(String(data)) as CdpReply;
      const waiting = reply.id === undefined ? undefined : this.pending.get(reply.id);
      if (!waiting) return;
      this.pending.delete(reply.id!);
      if (reply.error) waiting.reject(new CdpCommandError(waiting.method, reply.error.message));
      else waiting.resolve(reply.result ?? {});
    });
    socket.on('close', () => {
      for (const [id, waiting] of this.pending) {
        this.pending.delete(id);
        waiting.reject(new CdpCommandError(waiting.method, 'the browser closed the connection'));
      }
    });
  }

  send(method: string, params: object = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }
}

/**
 * The switches Playwright launches Chromium with that bear on a page's speed (no throttling of
 * timers or of a page it deems hidden, no field trials, shared memory in /tmp), so that both
 * drivers time the same browser.
 */
const PLAYWRIGHT_PERFORMANCE_SWITCHES = [
  '--disable-field-trial-config',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  '--disable-back-forward-cache',
  '--disable-dev-shm-usage',
  '--disable-extensions',
  '--disable-hang-monitor',
  '--disable-ipc-flooding-protection',
  '--force-color-profile=srgb',
  '--hide-scrollbars',
  '--mute-audio',
];

/** Reads the browser's endpoint from the line Chromium prints on stderr when it listens. */
function devToolsEndpoint(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`Chromium printed no DevTools endpoint in 30 s: ${output.slice(-500)}`)), 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const endpoint = /DevTools listening on (ws:\/\/\S+)/.exec(output)?.[1];
      if (endpoint) {
        clearTimeout(timer);
        resolve(endpoint);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code}) before listening: ${output.slice(-500)}`));
    });
  });
}

/**
 * Launches Debian's Chromium with the test helpers' flags, a profile of its own, and host
 * resolution limited to 127.0.0.1 (every other name fails to resolve: with no Fetch domain,
 * nothing else could stop a request that would leave the machine).
 */
export async function launchUninstrumentedChromium(): Promise<UninstrumentedChromium> {
  const profile = mkdtempSync(join(tmpdir(), 'interviewlm-bench-chromium-'));
  const child = spawn(
    CHROMIUM_PATH,
    [
      '--headless',
      ...CHROMIUM_FLAGS,
      ...PLAYWRIGHT_PERFORMANCE_SWITCHES,
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      `--user-data-dir=${profile}`,
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const close = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    }
    rmSync(profile, { recursive: true, force: true });
  };
  let connection: CdpConnection;
  try {
    const socket = new WebSocket(await devToolsEndpoint(child), { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    connection = new CdpConnection(socket);
  } catch (error) {
    await close();
    throw error;
  }

  return {
    async newPage() {
      const { browserContextId } = await connection.send('Target.createBrowserContext', { disposeOnDetach: true });
      const { targetId } = await connection.send('Target.createTarget', { url: 'about:blank', browserContextId });
      const { sessionId } = (await connection.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
      const send = (method: string, params: object = {}) => connection.send(method, params, sessionId);
      return {
        async navigate(url) {
          const { errorText } = await send('Page.navigate', { url });
          if (errorText) throw new CdpCommandError('Page.navigate', `${url}: ${String(errorText)}`);
        },
        async evaluate<T>(expression: string) {
          const { result, exceptionDetails } = (await send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true })) as {
            result: { value?: unknown };
            exceptionDetails?: { text: string; exception?: { description?: string } };
          };
          if (exceptionDetails) throw new CdpCommandError('Runtime.evaluate', exceptionDetails.exception?.description ?? exceptionDetails.text);
          return result.value as T;
        },
        async insertText(text) {
          await send('Input.insertText', { text });
        },
        async click(x, y) {
          await send('Input.dispatchMouseEvent', { type: 'mouseMoved', x, y });
          await send('Input.dispatchMouseEvent', { type: 'mousePressed', x, y, button: 'left', clickCount: 1 });
          await send('Input.dispatchMouseEvent', { type: 'mouseReleased', x, y, button: 'left', clickCount: 1 });
        },
        async close() {
          await connection.send('Target.disposeBrowserContext', { browserContextId });
        },
      };
    },
    close,
  };
}
