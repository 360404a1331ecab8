import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How a failed request fails. */
export type FaultKind =
  /** S3's own 503 ServiceUnavailable XML, after the request body is read. */
  | '503'
  /** The connection is reset (TCP RST) before anything is forwarded. */
  | 'reset'
  /** The request reaches the server and is carried out, then the connection is reset instead of answering: the client cannot know it succeeded. */
  | 'reset-after-forward';

/** What the proxy does, settable at any time with `setMode`. */
export type FaultMode =
  /**
   * Forward everything, optionally after `latencyMs`, with `responseHeaders` set on every
   * answer (as a store that encrypts with KMS answers `x-amz-server-side-encryption` and an opaque ETag).
   */
  | { kind: 'pass-through'; latencyMs?: number; responseHeaders?: Record<string, string> }
  /** Fail `failureRate` (0..1) of requests, each with a kind drawn from `failures`; forward the rest. */
  | { kind: 'flaky'; failureRate: number; failures?: readonly FaultKind[]; latencyMs?: number }
  /** Every connection fails: reset on accept, or refused because nothing listens on the port. */
  | { kind: 'outage'; how?: 'reset' | 'refuse' }
  /**
   * Answer every request with this canned response, forwarding nothing (e.g. S3's 403
   * InvalidAccessKeyId); with `only`, just the requests it picks, forwarding the rest.
   */
  | { kind: 'respond'; status: number; body?: string; headers?: Record<string, string>; only?: (request: { method: string; url: string }) => boolean }
  /**
   * Hold the requests `only` picks for good, forwarding the rest: a deterministic "this request
   * is in flight" for a test that kills the client meanwhile. At 'request' the body is read and
   * goes no further (storage never sees it); at 'response' the server carries it out and its
   * answer is never passed on (storage holds the write; the client cannot know).
   */
  | { kind: 'hold'; stage: 'request' | 'response'; only: (request: { method: string; url: string }) => boolean };

/** Counters since start (or `resetStats`). */
export interface FaultProxyStats {
  connections: number;
  requests: number;
  forwarded: number;
  failed503: number;
  resets: number;
  responded: number;
}

/** One request as the proxy saw it, with what it did. */
export interface FaultProxyLogEntry {
  method: string;
  url: string;
  /** 'held-request' / 'held-response' once held (for the latter, once the server has answered). */
  outcome: 'forwarded' | FaultKind | 'responded' | 'held-request' | 'held-response';
}

/** A fault-injecting reverse proxy on 127.0.0.1 in front of a server on 127.0.0.1. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: give this to the client instead of the target. */
  readonly endpoint: string;
  readonly port: number;
  readonly stats: Readonly<FaultProxyStats>;
  /** Every request, in arrival order. */
  readonly log: readonly FaultProxyLogEntry[];
  setMode(mode: FaultMode): Promise<void>;
  /** Resolves with the first request held (now or later, see the 'hold' mode); fails after `withinMs`. */
  held(withinMs: number): Promise<FaultProxyLogEntry>;
  resetStats(): void;
  close(): Promise<void>;
}

/** mulberry32: a small seeded PRNG, so a fault schedule replays exactly. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function s3ErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>FAULTPROXY</RequestId></Error>`;
}

/**
 * Starts a proxy forwarding to `target` (an `http://127.0.0.1:<port>` URL; anything else is
 * refused, so a test can never aim faults at a real service). With a `seed`, which requests
 * fail and how is a pure function of their arrival order.
 */
export async function startFaultProxy(options: { target: string; seed?: number; mode?: FaultMode }): Promise<FaultProxy> {
  const target = new URL(options.target);
  if (target.protocol !== 'http:' || target.hostname !== '127.0.0.1' || target.port === '') {
    throw new Error(`The fault proxy only targets http://127.0.0.1:<port>, not ${options.target}`);
  }
  const targetPort = Number(target.port);
  const random = seededRandom(options.seed ?? 1);
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  const log: FaultProxyLogEntry[] = [];
  const stats: FaultProxyStats = { connections: 0, requests: 0, forwarded: 0, failed503: 0, resets: 0, responded: 0 };
  let mode: FaultMode = options.mode ?? { kind: 'pass-through' };
  let port = 0;
  let listening = false;

  const reset = (socket: Socket) => {
    stats.resets += 1;
    socket.resetAndDestroy();
  };

  const heldWaiters = new Set<(entry: FaultProxyLogEntry) => void>();
  const markHeld = (entry: FaultProxyLogEntry, outcome: 'held-request' | 'held-response') => {
    entry.outcome = outcome;
    for (const waiter of heldWaiters) waiter(entry);
  };

  /** After the server answers: pass it on, or (the write done either way) reset the client, or keep the answer from it. */
  const forward = (req: IncomingMessage, res: ServerResponse, after: 'answer' | 'reset' | (() => void), responseHeaders?: Record<string, string>) => {
    const upstream = httpRequest({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      if (after !== 'answer') {
        // Let the server finish, then drop the client (it saw a reset) or leave it waiting.
        answer.resume();
        answer.on('end', () => (after === 'reset' ? reset(req.socket) : after()));
        return;
      }
      stats.forwarded += 1;
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders ? { ...answer.headers, ...responseHeaders } : answer.rawHeaders);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!req.socket.destroyed) reset(req.socket);
    });
    req.pipe(upstream);
  };

  const respond = (req: IncomingMessage, res: ServerResponse, status: number, body: string, headers: Record<string, string>) => {
    // Read the request body first, as a server would, so the client is not cut off mid-upload.
    req.resume();
    req.on('end', () => {
      const payload = req.method === 'HEAD' ? '' : body;
      res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(payload), ...headers });
      res.end(payload);
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    stats.requests += 1;
    const entry: FaultProxyLogEntry = { method: req.method ?? 'GET', url: req.url ?? '/', outcome: 'forwarded' };
    log.push(entry);
    const current = mode;
    if (current.kind === 'outage') {
      entry.outcome = 'reset';
      reset(req.socket);
      return;
    }
    if (current.kind === 'respond') {
      if (current.only && !current.only(entry)) {
        forward(req, res, 'answer');
        return;
      }
      entry.outcome = 'responded';
      stats.responded += 1;
      respond(req, res, current.status, current.body ?? '', current.headers ?? {});
      return;
    }
    if (current.kind === 'hold') {
      if (!current.only(entry)) forward(req, res, 'answer');
      else if (current.stage === 'response') forward(req, res, () => markHeld(entry, 'held-response'));
      else {
        // Read it all, as a server would, so the client has sent it and waits for the answer.
        req.resume();
        req.on('end', () => markHeld(entry, 'held-request'));
      }
      return;
    }
    let fault: FaultKind | null = null;
    if (current.kind === 'flaky' && random() < current.failureRate) {
      const kinds = current.failures && current.failures.length > 0 ? current.failures : (['503', 'reset'] as const);
      fault = kinds[Math.floor(random() * kinds.length)]!;
    }
    const act = () => {
      if (fault === 'reset') {
        entry.outcome = 'reset';
        reset(req.socket);
      } else if (fault === '503') {
        entry.outcome = '503';
        stats.failed503 += 1;
        respond(req, res, 503, s3ErrorXml('ServiceUnavailable', 'Injected by the fault proxy'), {});
      } else {
        if (fault === 'reset-after-forward') entry.outcome = 'reset-after-forward';
        forward(req, res, fault === 'reset-after-forward' ? 'reset' : 'answer', current.kind === 'pass-through' ? current.responseHeaders : undefined);
      }
    };
    const latency = current.latencyMs ?? 0;
    if (latency > 0) setTimeout(act, latency);
    else act();
  };

  const server = createServer(handle);
  server.on('connection', (socket) => {
    stats.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (mode.kind === 'outage') reset(socket);
  });
  // A reset socket may still emit errors on the server side; they are the point, not a failure.
  server.on('clientError', (_error, socket) => socket.destroy());

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        listening = true;
        resolve();
      });
    });
  const unlisten = () =>
    new Promise<void>((resolve) => {
      listening = false;
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });

  await listen();

  return {
    get endpoint() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    stats,
    log,
    async setMode(next) {
      mode = next;
      const refuse = next.kind === 'outage' && next.how === 'refuse';
      // "Refused" is real: nothing listens on the port until the outage ends (same port after).
      if (refuse && listening) await unlisten();
      if (!refuse && !listening) await listen();
      if (next.kind === 'outage') for (const socket of sockets) reset(socket);
    },
    held(withinMs) {
      const already = log.find((entry) => entry.outcome === 'held-request' || entry.outcome === 'held-response');
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          heldWaiters.delete(waiter);
          reject(new Error(`no request held within ${withinMs} ms (seen: ${log.map((entry) => `${entry.method} ${entry.url}`).join(', ') || 'none'})`));
        }, withinMs);
        const waiter = (entry: FaultProxyLogEntry) => {
          clearTimeout(timer);
          heldWaiters.delete(waiter);
          resolve(entry);
        };
        heldWaiters.add(waiter);
      });
    },
    resetStats() {
      Object.assign(stats, { connections: 0, requests: 0, forwarded: 0, failed503: 0, resets: 0, responded: 0 });
      log.length = 0;
    },
    async close() {
      if (listening) await unlisten();
      agent.destroy();
    },
  };
}
