import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../helpers/chromium';

/**
 * Headless Chromium driven over a bare DevTools protocol connection that turns on no domain,
 * where Playwright turns on Runtime and Network (and Fetch, for loopbackOnlyContext's routing).
 * What a candidate's window never has, the page then never pays: with Runtime on, V8 records a
 * detailed stack for every Error the page creates, and to place a frame in a module's top-level
 * code it re-parses the whole module. Monaco creates one as its 2.7 MB module loads (its
 * context-key parser's static initializer), so that module takes ~100 ms longer to run.
 *
 * Only commands that need no domain are used: Target (a fresh context per page), Page.navigate,
 * Runtime.evaluate and Input. A page can turn domains on for a control run (`enable`).
 */
export interface UninstrumentedChromium {
  /** A page in a fresh browser context (no cache, no storage) on about:blank, 1280 x 720 as Playwright's. */
  newPage(options?: NewPageOptions): Promise<UninstrumentedPage>;
  /** Ends Chromium (SIGKILL if it ignores SIGTERM for 5 s) and removes its profile. */
  close(): Promise<void>;
  /** Chromium's process id and profile folder, gone once closed. */
  readonly pid: number;
  readonly profileDir: string;
}

/** How a page is opened. */
export interface NewPageOptions {
  /** Domains turned on before the first navigation (e.g. Runtime, Network): a control for what they cost. */
  enable?: readonly string[];
}

/** One page of an UninstrumentedChromium. */
export interface UninstrumentedPage {
  /** Navigates; resolves once the browser has committed to the new document, rejects if it could not. */
  navigate(url: string): Promise<void>;
  /** The value of `expression` in the page (awaited if it is a promise), which must be JSON. */
  evaluate<T>(expression: string): Promise<T>;
  /** Types `text` into the focused element, as an IME commit (Playwright's fill does the same). */
  insertText(text: string): Promise<void>;
  /** A left click of the mouse at the page's (x, y). */
  click(x: number, y: number): Promise<void>;
  /**
   * A key pressed and released, as a keyboard sends it (keydown with its text, keyup): a
   * lower-case letter, a digit, `Space`, `Enter`, `End` or `Home`, with `modifiers` held
   * (with any of them the key types nothing: Control+End moves the caret). An unknown key
   * throws a RangeError.
   */
  press(key: string, modifiers?: readonly KeyModifier[]): Promise<void>;
  /** Closes the page and its browser context. */
  close(): Promise<void>;
}

/** A modifier key held through a press: those with which a key types nothing (no Shift, which would change what it types). */
export type KeyModifier = 'Alt' | 'Control' | 'Meta';

/** Input.dispatchKeyEvent's modifiers bit mask. */
const MODIFIER_BITS: Record<KeyModifier, number> = { Alt: 1, Control: 2, Meta: 4 };

/** What a key sends: its DOM key and code, its Windows virtual key code, and the text it types. */
interface KeyDefinition {
  key: string;
  code: string;
  keyCode: number;
  text?: string;
}

/** The named keys `press` knows, as a US keyboard sends them. */
const NAMED_KEYS: Readonly<Record<string, KeyDefinition>> = {
  Space: { key: ' ', code: 'Space', keyCode: 32, text: ' ' },
  Enter: { key: 'Enter', code: 'Enter', keyCode: 13, text: '\r' },
  End: { key: 'End', code: 'End', keyCode: 35 },
  Home: { key: 'Home', code: 'Home', keyCode: 36 },
};

/** The keys `press` knows: lower-case letters, digits and NAMED_KEYS. */
function keyDefinition(key: string): KeyDefinition {
  if (/^[a-z]$/.test(key)) return { key, code: `Key${key.toUpperCase()}`, keyCode: key.toUpperCase().charCodeAt(0), text: key };
  if (/^[0-9]$/.test(key)) return { key, code: `Digit${key}`, keyCode: key.charCodeAt(0), text: key };
  const definition = NAMED_KEYS[key];
  if (!definition) throw new RangeError(`no key definition for ${JSON.stringify(key)}`);
  return definition;
}

/** A protocol error, an exception thrown in the page, or a command the browser never answered. */
export class CdpCommandError extends Error {
  constructor(method: string, detail: string) {
    super(`${method}: ${detail}`);
    this.name = 'CdpCommandError';
  }
}

/** How long a command may go unanswered: the page's own waits give up at 30 s. */
const COMMAND_TIMEOUT_MS = 60_000;

/** Playwright's viewport, so both drivers lay out the same page. */
const VIEWPORT = { width: 1280, height: 720 };

/**
 * The switches playwright-core 1.65 launches headless Chromium with on Linux, so that both
 * drivers time the same browser; CHROMIUM_FLAGS follow, as they follow Playwright's.
 */
const PLAYWRIGHT_LAUNCH_SWITCHES = [
  '--disable-field-trial-config',
  '--disable-background-networking',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-back-forward-cache',
  '--disable-breakpad',
  '--disable-component-extensions-with-background-pages',
  '--disable-component-update',
  '--no-default-browser-check',
  '--disable-default-apps',
  '--disable-dev-shm-usage',
  '--disable-extensions',
  '--disable-features=AvoidUnnecessaryBeforeUnloadCheckSync,DestroyProfileOnBrowserClose,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,LensOverlay,MediaRouter,PaintHolding,ThirdPartyStoragePartitioning,AvoidCorsURLLoaderRestartOnRedirect,OptimizationHints,NetworkTimeServiceQuerying,AimEnabled,PreconnectToSearch',
  '--enable-features=CDPScreenshotNewSurface,SkipListAccountsWithoutGaiaCookies',
  '--allow-pre-commit-input',
  '--disable-hang-monitor',
  '--disable-ipc-flooding-protection',
  '--disable-popup-blocking',
  '--disable-prompt-on-repost',
  '--disable-renderer-backgrounding',
  '--force-color-profile=srgb',
  '--metrics-recording-only',
  '--no-first-run',
  '--password-store=basic',
  '--no-service-autorun',
  '--disable-search-engine-choice-screen',
  '--enable-unsafe-swiftshader',
  '--disable-stack-profiler',
  '--disable-sync',
  '--headless',
  '--hide-scrollbars',
  '--mute-audio',
  '--blink-settings=primaryHoverType=2,availableHoverTypes=2,primaryPointerType=4,availablePointerTypes=4',
];

interface CdpMessage {
  id?: number;
  method?: string;
  params?: { sessionId?: string };
  result?: Record<string, unknown>;
  error?: { message: string };
}

interface PendingCommand {
  method: string;
  sessionId: string | undefined;
  resolve(result: Record<string, unknown>): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * One flat-session protocol connection: commands by id, each settled once: by its answer, by
 * the connection closing, by its page's session ending (a crash or a close), or by the timeout.
 */
class CdpConnection {
  private nextId = 0;
  private closed = false;
  private readonly pending = new Map<number, PendingCommand>();

  constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as CdpMessage;
      if (message.method === 'Target.detachedFromTarget') this.rejectAll('the page was closed or crashed', message.params?.sessionId);
      const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
      if (!waiting) return;
      this.settle(message.id!);
      if (message.error) waiting.reject(new CdpCommandError(waiting.method, message.error.message));
      else waiting.resolve(message.result ?? {});
    });
    // 'close' follows any error: that is where the commands are settled.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.rejectAll('the browser closed the connection');
    });
  }

  send(method: string, params: object = {}, sessionId?: string): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new CdpCommandError(method, 'the browser closed the connection'));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.settle(id);
        reject(new CdpCommandError(method, `no answer in ${COMMAND_TIMEOUT_MS / 1000} s`));
      }, COMMAND_TIMEOUT_MS);
      this.pending.set(id, { method, sessionId, resolve, reject, timer });
      this.socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }), (error) => {
        if (!error || !this.pending.has(id)) return;
        this.settle(id);
        reject(new CdpCommandError(method, error.message));
      });
    });
  }

  close(): void {
    this.socket.close();
  }

  private settle(id: number): void {
    clearTimeout(this.pending.get(id)?.timer);
    this.pending.delete(id);
  }

  /** Rejects the commands pending on `sessionId`, or every command without one. */
  private rejectAll(detail: string, sessionId?: string): void {
    for (const [id, waiting] of this.pending) {
      if (sessionId !== undefined && waiting.sessionId !== sessionId) continue;
      this.settle(id);
      waiting.reject(new CdpCommandError(waiting.method, detail));
    }
  }
}

/** Reads the browser's endpoint from the line Chromium prints on stderr when it listens. */
function devToolsEndpoint(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const done = (settle: () => void) => {
      clearTimeout(timer);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      settle();
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const endpoint = /DevTools listening on (ws:\/\/\S+)/.exec(output)?.[1];
      if (endpoint) done(() => resolve(endpoint));
    };
    const onExit = (code: number | null, signal: string | null) => done(() => reject(new Error(`Chromium exited (${code ?? signal}) before listening: ${output.slice(-500)}`)));
    const onError = (error: Error) => done(() => reject(new Error(`Chromium could not start (${CHROMIUM_PATH}): ${error.message}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`Chromium printed no DevTools endpoint in 20 s: ${output.slice(-500)}`))), 20_000);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/**
 * Launches Debian's Chromium as Playwright would, with a profile of its own and host resolution
 * limited to 127.0.0.1 (every other name fails to resolve: with no Fetch domain, nothing else
 * would stop a request that would leave the machine).
 */
export async function launchUninstrumentedChromium(): Promise<UninstrumentedChromium> {
  const profileDir = mkdtempSync(join(tmpdir(), 'interviewlm-bench-chromium-'));
  const child = spawn(
    CHROMIUM_PATH,
    [
      ...PLAYWRIGHT_LAUNCH_SWITCHES,
      ...CHROMIUM_FLAGS,
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      `--user-data-dir=${profileDir}`,
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      'about:blank',
    ],
    // A process group of its own, so that closing can end the helper processes too, even
    // those of a browser that died first.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const killGroup = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Nothing left in it.
    }
  };
  child.on('error', () => {}); // a failed start is reported by devToolsEndpoint
  child.stderr!.resume(); // drained, so Chromium never blocks on a full pipe
  // A bench stopped by a signal still ends its browser (the runner forwards SIGINT/SIGTERM).
  // Helper processes can outlive the browser by a moment, still writing the profile.
  const removeProfile = () => rmSync(profileDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  const killOnExit = () => {
    killGroup();
    removeProfile();
  };
  process.once('exit', killOnExit);
  let connection: CdpConnection | null = null;
  const close = async () => {
    process.off('exit', killOnExit);
    connection?.close();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const stubborn = setTimeout(killGroup, 5_000);
      await exited;
      clearTimeout(stubborn);
    }
    killGroup();
    removeProfile();
  };
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
  const browser = connection;

  return {
    pid: child.pid!,
    profileDir,
    async newPage(options = {}) {
      const { browserContextId } = await browser.send('Target.createBrowserContext', { disposeOnDetach: true });
      const disposeContext = () => browser.send('Target.disposeBrowserContext', { browserContextId });
      let sessionId: string | undefined;
      const send = (method: string, params: object = {}) => browser.send(method, params, sessionId);
      try {
        const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank', browserContextId });
        ({ sessionId } = (await browser.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string });
        // The viewport as Playwright sets it (the window's own size leaves less to the page).
        await send('Emulation.setDeviceMetricsOverride', { ...VIEWPORT, deviceScaleFactor: 1, mobile: false });
        for (const domain of options.enable ?? []) await send(`${domain}.enable`);
      } catch (error) {
        await disposeContext().catch(() => {});
        throw error;
      }
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
        async press(name, modifiers = []) {
          const { key, code, keyCode, text } = keyDefinition(name);
          const held = modifiers.reduce((bits, modifier) => bits | MODIFIER_BITS[modifier], 0);
          // A modified key types nothing, as on a keyboard (Control+End moves the caret).
          const typed = held === 0 ? text : undefined;
          const event = { key, code, windowsVirtualKeyCode: keyCode, nativeVirtualKeyCode: keyCode, modifiers: held };
          await send('Input.dispatchKeyEvent', { type: typed ? 'keyDown' : 'rawKeyDown', ...event, ...(typed ? { text: typed, unmodifiedText: typed } : {}) });
          await send('Input.dispatchKeyEvent', { type: 'keyUp', ...event });
        },
        async close() {
          await disposeContext();
        },
      };
    },
    close,
  };
}
