import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { IpcResult } from '../../shared/ipc/channel';
import {
  CLOSE_POLICY_VIOLATION,
  IPC_WEBSOCKET_PATH,
  SECRET_FRAGMENT_PARAMETER,
  SECRET_PATTERN,
  SECRET_SUBPROTOCOL_PREFIX,
  clientIdOf,
  parseClientMessage,
  secretSubprotocol,
  type InvokeMessage,
} from '../../shared/ipc/webSocketProtocol';
import type { IpcHost } from '../ipc/handlers';
import { CONTENT_SECURITY_POLICY_DIRECTIVES } from '../main/contentSecurityPolicy';

/** What `startBrowserShell` serves. */
export interface BrowserShellOptions {
  /** The router and events every page talks to. */
  host: IpcHost;
  /** The built renderer (out/renderer): index.html and its assets. */
  rendererDir: string;
  /** The port on 127.0.0.1; 0 (the default) takes any free one. */
  port?: number;
  /** 32 bytes as hex; a fresh random one by default. Reuse it only to restart on the same page. */
  secret?: string;
  /** How many invoke results are remembered for resent calls (default 10,000). */
  rememberedResults?: number;
}

/** A running browser shell. */
export interface BrowserShell {
  /** The page to open: `http://127.0.0.1:<port>/#secret=<secret>`. */
  readonly url: string;
  readonly port: number;
  readonly secret: string;
  /** Disconnects every page and stops listening; resolves once the port is free. */
  close(): Promise<void>;
  /**
   * Cuts every page's socket at once, as a network drop would (no close handshake); the pages
   * reconnect. For tests of that path; returns how many sockets were cut.
   */
  dropConnections(): number;
}

const HOST = '127.0.0.1';
// A recorded event is at most 1 MiB of data; snapshots and code runs carry whole files.
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const DEFAULT_REMEMBERED_RESULTS = 10_000;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

/**
 * The app's policy as a header, with connect-src naming this server's WebSocket: 'self'
 * covers same-origin ws: only in CSP Level 3 browsers, so it is spelled out.
 */
export function browserShellContentSecurityPolicy(port: number): string {
  const own = `ws://${HOST}:${port}`;
  const connect = CONTENT_SECURITY_POLICY_DIRECTIVES['connect-src'];
  const directives = { ...CONTENT_SECURITY_POLICY_DIRECTIVES, 'connect-src': connect ? `${connect} ${own}` : `'self' ${own}` };
  return Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');
}

/**
 * Invoke results by call id, least recently used evicted first. It holds the promise, so a
 * call resent while the first attempt is still running waits for that attempt instead of
 * running twice.
 */
export class InvokeResultCache {
  private readonly entries = new Map<string, { channel: string; result: Promise<IpcResult> }>();

  constructor(private readonly capacity: number) {}

  /** The remembered call with this id, marked most recently used. */
  get(id: string): { channel: string; result: Promise<IpcResult> } | undefined {
    const entry = this.entries.get(id);
    if (entry) {
      this.entries.delete(id);
      this.entries.set(id, entry);
    }
    return entry;
  }

  /** Remembers a call, evicting the oldest beyond capacity. */
  set(id: string, entry: { channel: string; result: Promise<IpcResult> }): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

/**
 * Serves the built renderer and the IPC contract over a WebSocket on 127.0.0.1, for machines
 * without the Electron runtime. Only a page that holds the per-launch secret, from this
 * server's own origin, can connect; the page learns the secret from the URL fragment. Each
 * socket names its page load (`?client=`): that page is the caller the router sees, so one
 * writer per session holds across tabs, and a page's reconnects stay the same writer.
 */
export async function startBrowserShell(options: BrowserShellOptions): Promise<BrowserShell> {
  const secret = options.secret ?? randomBytes(32).toString('hex');
  if (!SECRET_PATTERN.test(secret)) throw new Error('The browser shell secret must be 32 bytes as lowercase hex');
  const rendererDir = await realpath(resolve(options.rendererDir));
  const protocol = secretSubprotocol(secret);
  const protocolDigest = sha256(protocol);
  const results = new InvokeResultCache(options.rememberedResults ?? DEFAULT_REMEMBERED_RESULTS);
  const sockets = new Set<WebSocket>();
  // Known once listening; until then nothing is accepted.
  let port = 0;
  const ownHost = () => `${HOST}:${port}`;

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, handleProtocols: () => protocol });
  const server = createServer((request, response) => {
    // Checking Host stops a DNS-rebinding page (evil.example resolving to 127.0.0.1) reading anything.
    if (request.headers.host !== ownHost()) return void sendStatus(response, 403);
    serveStatic(rendererDir, port, request, response).catch(() => response.destroy());
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const path = (request.url ?? '').split('?')[0];
    if (path !== IPC_WEBSOCKET_PATH) return refuseUpgrade(socket, 404);
    const trusted =
      request.headers.host === ownHost() &&
      request.headers.origin === `http://${ownHost()}` &&
      offersSecret(request.headers['sec-websocket-protocol'], protocolDigest);
    if (!trusted) return refuseUpgrade(socket, 403);
    const clientId = clientIdOf(request.url ?? '');
    if (clientId === null) return refuseUpgrade(socket, 400);
    // One caller per page load, whichever of its sockets a call arrives on.
    const callerId = `page:${clientId}`;
    wss.handleUpgrade(request, socket, head, (webSocket) => {
      sockets.add(webSocket);
      // The page holds its sessions while any of its sockets is open; a reload's old sockets closing frees them.
      const disconnect = options.host.sessionWriters.connect(callerId);
      webSocket.on('close', () => {
        sockets.delete(webSocket);
        disconnect();
      });
      // A protocol error (an oversized frame, bad UTF-8) closes the socket; it must not crash the shell.
      webSocket.on('error', () => {});
      webSocket.on('message', (data, isBinary) => {
        if (webSocket.readyState !== WebSocket.OPEN) return;
        const message = !isBinary && Buffer.isBuffer(data) ? parseClientMessage(data.toString('utf8')) : null;
        if (!message) return webSocket.close(CLOSE_POLICY_VIOLATION, 'malformed message');
        void answer(webSocket, message, callerId);
      });
    });
  });

  /** Runs a call once per id and sends its result to whoever asked, the original socket or a reconnected one. */
  async function answer(webSocket: WebSocket, message: InvokeMessage, callerId: string): Promise<void> {
    // Remembered per page: a call id only ever means something to the page that chose it.
    const key = `${callerId} ${message.id}`;
    const remembered = results.get(key);
    let pending: Promise<IpcResult>;
    if (!remembered) {
      // Called synchronously on receipt, so calls reach the router in the order they were sent.
      pending = options.host.router.invoke(message.channel, message.args, callerId).catch(() => internalError(message.channel));
      results.set(key, { channel: message.channel, result: pending });
    } else if (remembered.channel === message.channel) {
      pending = remembered.result;
    } else {
      pending = Promise.resolve({ ok: false, error: { code: 'VALIDATION_FAILED', message: `Call id ${message.id} was already used for another channel` } });
    }
    const result = await pending;
    const frame = encode({ type: 'result', id: message.id, result }) ?? encode({ type: 'result', id: message.id, result: internalError(message.channel) })!;
    send(webSocket, frame);
  }

  const stopForwarding = options.host.events.subscribe((event, payload) => {
    const frame = encode({ type: 'event', event, payload });
    if (frame === undefined) return;
    for (const webSocket of sockets) send(webSocket, frame);
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  }).catch((error: unknown) => {
    stopForwarding();
    throw error;
  });
  port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${HOST}:${port}/#${SECRET_FRAGMENT_PARAMETER}=${secret}`,
    port,
    secret,
    close() {
      closing ??= new Promise<void>((resolveClose) => {
        stopForwarding();
        for (const webSocket of sockets) webSocket.terminate();
        wss.close();
        server.close(() => resolveClose());
        // Idle keep-alive connections would otherwise hold the port until they time out.
        server.closeAllConnections();
      });
      return closing;
    },
    dropConnections() {
      const cut = sockets.size;
      for (const webSocket of sockets) webSocket.terminate();
      return cut;
    },
  };
}

/** True when the offered subprotocols include ours with the right secret; compared in constant time. */
function offersSecret(header: string | undefined, expectedDigest: Buffer): boolean {
  const offered = (header ?? '')
    .split(',')
    .map((value) => value.trim())
    .find((value) => value.startsWith(SECRET_SUBPROTOCOL_PREFIX));
  // Digests have equal lengths whatever was offered, which timingSafeEqual requires.
  return offered !== undefined && timingSafeEqual(sha256(offered), expectedDigest);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function refuseUpgrade(socket: Duplex, status: 400 | 403 | 404): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function send(webSocket: WebSocket, frame: string): void {
  // A page that went away gets its result when it reconnects and resends the call.
  if (webSocket.readyState === WebSocket.OPEN) webSocket.send(frame);
}

/** JSON text, or undefined for a value JSON cannot carry (which the contract should never allow). */
function encode(message: unknown): string | undefined {
  try {
    return JSON.stringify(message);
  } catch {
    return undefined;
  }
}

function internalError(channel: string): IpcResult {
  return { ok: false, error: { code: 'INTERNAL', message: `Internal error in ${channel}` } };
}

/** Headers on every response: the page's policy, and no sniffing, framing, referrers or caching. */
function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': browserShellContentSecurityPolicy(port),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

async function serveStatic(rendererDir: string, port: number, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return sendStatus(response, 405, { Allow: 'GET, HEAD', ...securityHeaders(port) });
  const file = await staticFile(rendererDir, request.url ?? '/');
  if (!file) return sendStatus(response, 404, securityHeaders(port));
  response.writeHead(200, {
    ...securityHeaders(port),
    'Content-Type': CONTENT_TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': String(file.size),
  });
  if (request.method === 'HEAD') return void response.end();
  createReadStream(file.path)
    .on('error', () => response.destroy())
    .pipe(response);
}

/**
 * The regular file a request path names inside `rendererDir`, or null: nothing outside it
 * (`..`, encoded or not, or a symlink out), no directories, '/' meaning index.html.
 */
async function staticFile(rendererDir: string, requestUrl: string): Promise<{ path: string; size: number } | null> {
  let path: string;
  try {
    path = decodeURIComponent(requestUrl.split(/[?#]/)[0]!);
  } catch {
    return null;
  }
  if (path === '/') path = '/index.html';
  if (!path.startsWith('/') || path.includes('\0')) return null;
  const inside = (candidate: string) => {
    const rest = relative(rendererDir, candidate);
    return rest !== '' && rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest);
  };
  const target = resolve(rendererDir, `.${path}`);
  if (!inside(target)) return null;
  try {
    const real = await realpath(target);
    if (!inside(real)) return null;
    const info = await stat(real);
    return info.isFile() ? { path: real, size: info.size } : null;
  } catch {
    return null;
  }
}

function sendStatus(response: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  const body = `${STATUS_CODES[status] ?? 'Error'}\n`;
  response.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
  response.end(body);
}
