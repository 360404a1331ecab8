import { z } from 'zod';
import { Emitter, type Disposer } from '../../shared/event';
import type { IpcResult } from '../../shared/ipc/channel';
import type { ClientTransport } from '../../shared/ipc/client';
import { CLIENT_ID_PATTERN, CLIENT_ID_QUERY_PARAMETER, IPC_WEBSOCKET_PATH, SECRET_FRAGMENT_PARAMETER, parseServerMessage, secretSubprotocol } from '../../shared/ipc/webSocketProtocol';

/**
 * The page's side of the browser shell (electron/browserShell): the IPC contract over one
 * WebSocket that survives drops. Globals (WebSocket, location, timers' host) are passed in,
 * so this module compiles without the DOM and a Node test can drive it with the `ws` package.
 */

/** 'connecting' while an attempt is in flight, 'open' when calls flow, 'closed' while waiting to retry (or disposed). */
export type ConnectionState = 'connecting' | 'open' | 'closed';

/**
 * The part of a WebSocket this transport uses; the browser's and the `ws` package's both fit.
 * Handlers take `never` so either implementation's event type is accepted; ours read only
 * `data` (a string for text frames in both).
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

/** `new WebSocket(url, protocol)`: the browser's constructor, or a test's. */
export type WebSocketConstructor = new (url: string, protocol: string) => WebSocketLike;

/** What the transport reads from `window.location`. */
export interface LocationLike {
  readonly protocol: string;
  readonly host: string;
  readonly hash: string;
}

/** What a `WebSocketTransport` needs from its environment. */
export interface WebSocketTransportOptions {
  WebSocket: WebSocketConstructor;
  location: LocationLike;
  /** A fresh unique call id; `crypto.randomUUID` by default. */
  newCallId?: () => string;
  /**
   * Who this page is to the shell, the same on every reconnect: the caller that holds the
   * sessions it writes. A fresh random id by default, so each page load (a reload too) is a new caller.
   */
  clientId?: string;
  /** Reconnect delays: doubled after each failed attempt from `initialMs`, capped at `maxMs`. */
  reconnectDelay?: { initialMs: number; maxMs: number };
}

const OPEN = 1;
const DEFAULT_RECONNECT_DELAY = { initialMs: 250, maxMs: 5000 };

interface PendingCall {
  frame: string;
  resolve: (result: IpcResult) => void;
}

/** The per-launch secret in the page's URL fragment (`#secret=...`), or null outside the browser shell. */
export function readShellSecret(location: Pick<LocationLike, 'hash'>): string | null {
  const secret = new URLSearchParams(location.hash.replace(/^#/, '')).get(SECRET_FRAGMENT_PARAMETER);
  return secret ? secret : null;
}

/**
 * A `ClientTransport` to the browser shell. It reconnects with exponential backoff and, on
 * every reconnect, resends each call still waiting for its result under the same id: the
 * shell answers a repeated id from memory, so a drop neither loses a call nor runs it twice.
 * Calls made while disconnected wait and go out once the socket opens. Event subscriptions
 * are local (the shell pushes every event to every page), so they outlive reconnects.
 */
export class WebSocketTransport implements ClientTransport {
  private readonly url: string;
  private readonly protocol: string;
  /** This page's id, sent with every connection attempt. */
  readonly clientId: string;
  private readonly newCallId: () => string;
  private readonly delays: { initialMs: number; maxMs: number };
  private readonly pending = new Map<string, PendingCall>();
  private readonly eventListeners = new Map<string, Set<(payload: unknown) => void>>();
  private readonly connectionChanged = new Emitter<ConnectionState>();
  private socket: WebSocketLike | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private failedAttempts = 0;
  private disposed = false;
  private state: ConnectionState = 'connecting';

  /** Connects at once; throws if the page's URL carries no secret. */
  constructor(private readonly options: WebSocketTransportOptions) {
    // The page's CSP allows no eval, and zod probes for it (new Function) as it builds an
    // object schema, which the page then reports as a violation. This must run before any is
    // built: the page builds its schemas on first use (onFirstUse), after this. The frames are
    // small, so zod's compiled fast path would buy nothing here.
    z.config({ jitless: true });
    const secret = readShellSecret(options.location);
    if (!secret) throw new Error(`This page needs the address the browser shell printed, including #${SECRET_FRAGMENT_PARAMETER}=...`);
    this.clientId = options.clientId ?? randomClientId();
    if (!CLIENT_ID_PATTERN.test(this.clientId)) throw new Error(`"${this.clientId}" is not a client id: 16-64 of A-Z, a-z, 0-9, _ and -`);
    this.url = `${options.location.protocol === 'https:' ? 'wss' : 'ws'}://${options.location.host}${IPC_WEBSOCKET_PATH}?${CLIENT_ID_QUERY_PARAMETER}=${this.clientId}`;
    this.protocol = secretSubprotocol(secret);
    this.newCallId = options.newCallId ?? randomCallId;
    this.delays = options.reconnectDelay ?? DEFAULT_RECONNECT_DELAY;
    this.connect();
  }

  /** The connection's current state. */
  get connectionState(): ConnectionState {
    return this.state;
  }

  /** Fires on every change of the connection's state, for a "reconnecting..." indicator. */
  readonly onDidChangeConnection = (listener: (state: ConnectionState) => void): Disposer => this.connectionChanged.event(listener);

  /** Sends a call and resolves with its result, however many reconnects that takes; never rejects. */
  invoke(channel: string, args: unknown[]): Promise<IpcResult> {
    if (this.disposed) return Promise.resolve(cancelled());
    const id = this.newCallId();
    let frame: string;
    try {
      frame = JSON.stringify({ type: 'invoke', id, channel, args: withoutTrailingUndefined(args) }, refuseWhatJsonWouldAlter);
    } catch (error) {
      return Promise.resolve({ ok: false, error: { code: 'NOT_JSON', message: `The arguments of ${channel} cannot be sent: ${errorMessage(error)}` } });
    }
    return new Promise((resolve) => {
      this.pending.set(id, { frame, resolve });
      this.sendIfOpen(frame);
    });
  }

  /** Listens to one contract event stream; the returned disposer stops it. */
  subscribe(eventName: string, listener: (payload: unknown) => void): Disposer {
    let listeners = this.eventListeners.get(eventName);
    if (!listeners) this.eventListeners.set(eventName, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.eventListeners.get(eventName) === listeners) this.eventListeners.delete(eventName);
    };
  }

  /** Closes the socket and stops reconnecting; calls still waiting resolve as CANCELLED. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, 'disposed');
    for (const call of this.pending.values()) call.resolve(cancelled());
    this.pending.clear();
    this.setState('closed');
    this.connectionChanged.dispose();
  }

  private connect(): void {
    this.retryTimer = undefined;
    this.setState('connecting');
    let socket: WebSocketLike;
    try {
      socket = new this.options.WebSocket(this.url, this.protocol);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    // Each handler checks it still belongs to the current socket: an abandoned one may fire late.
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.failedAttempts = 0;
      this.setState('open');
      // In their original order; ids the shell has already seen are answered from its memory.
      for (const call of this.pending.values()) this.sendIfOpen(call.frame);
    };
    socket.onmessage = (event: { data: unknown }) => {
      if (this.socket === socket && typeof event.data === 'string') this.receive(event.data);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.scheduleReconnect();
    };
    // A close event always follows an error, and reconnecting happens there.
    socket.onerror = () => {};
  }

  private scheduleReconnect(): void {
    if (this.disposed) return;
    this.setState('closed');
    const delay = Math.min(this.delays.maxMs, this.delays.initialMs * 2 ** this.failedAttempts);
    this.failedAttempts += 1;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private sendIfOpen(frame: string): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) return;
    try {
      socket.send(frame);
    } catch {
      // The socket is going down; its close event brings the reconnect and the resend.
    }
  }

  private receive(text: string): void {
    const message = parseServerMessage(text);
    if (!message) return;
    if (message.type === 'result') {
      const call = this.pending.get(message.id);
      // A result for an id no longer pending is the answer to a resend that raced the first answer.
      if (!call) return;
      this.pending.delete(message.id);
      call.resolve(message.result);
      return;
    }
    for (const listener of [...(this.eventListeners.get(message.event) ?? [])]) {
      try {
        listener(message.payload);
      } catch (error) {
        // Reported, as an uncaught error would be, without starving the other listeners.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.connectionChanged.fire(state);
  }
}

function cancelled(): IpcResult {
  return { ok: false, error: { code: 'CANCELLED', message: 'The connection to InterviewLM was closed by the page.' } };
}

/** JSON turns a trailing `undefined` argument into null, which an optional tuple member refuses; drop them. */
function withoutTrailingUndefined(args: unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end -= 1;
  return args.slice(0, end);
}

/**
 * JSON would silently turn NaN and Infinity into null and drop functions, and the service
 * would record the altered value; refuse them instead (BigInt and cycles throw already).
 */
function refuseWhatJsonWouldAlter(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`${value} is not a JSON number`);
  if (typeof value === 'function' || typeof value === 'symbol') throw new Error(`a ${typeof value} cannot be sent`);
  return value;
}

function randomCallId(): string {
  return crypto.randomUUID();
}

function randomClientId(): string {
  return crypto.randomUUID().replaceAll('-', '');
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
