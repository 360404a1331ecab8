import { z } from 'zod';
import { ipcResultSchema, type IpcResult } from './channel';
import { onFirstUse } from './onFirstUse';

/**
 * The wire format of the browser shell: the IPC contract carried as JSON text frames over one
 * WebSocket. Both ends parse every frame with these schemas. The contract itself is not
 * repeated here: a frame names a channel by its wire name and the router validates the rest.
 * The page loads this module at start, so each schema is built on its first use (the page's
 * first frame from the shell), not when the module loads.
 */

/** Where the shell accepts the WebSocket upgrade. */
export const IPC_WEBSOCKET_PATH = '/ipc';

/**
 * The page presents the per-launch secret as its `Sec-WebSocket-Protocol`: the one header a
 * browser's WebSocket lets a page set. The server echoes it back, as browsers require.
 */
export const SECRET_SUBPROTOCOL_PREFIX = 'interviewlm.';

/** The name of the secret in the page's URL fragment (`#secret=...`), which browsers never send to a server. */
export const SECRET_FRAGMENT_PARAMETER = 'secret';

/** What a secret looks like: 32 random bytes as lowercase hex. */
export const SECRET_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The query parameter of the upgrade URL (`/ipc?client=...`) naming the page: a random id the
 * page picks once per load and keeps across its reconnects. It is who the shell's router sees
 * as the caller, so a reconnected page still holds the sessions it writes (one writer per
 * session), and a reloaded page is a new caller. Not a secret: the subprotocol is.
 */
export const CLIENT_ID_QUERY_PARAMETER = 'client';

/** What a page's client id looks like. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

/** The client id in an upgrade request's URL (path and query), or null when it is missing or malformed. */
export function clientIdOf(requestUrl: string): string | null {
  const start = requestUrl.indexOf('?');
  const query = start === -1 ? '' : requestUrl.slice(start + 1).split('#')[0]!;
  // By hand: shared/ has neither the DOM's nor Node's URLSearchParams. The id's alphabet needs no decoding.
  const values = query
    .split('&')
    .filter((pair) => pair.startsWith(`${CLIENT_ID_QUERY_PARAMETER}=`))
    .map((pair) => pair.slice(CLIENT_ID_QUERY_PARAMETER.length + 1));
  const id = values.length === 1 ? values[0]! : '';
  return CLIENT_ID_PATTERN.test(id) ? id : null;
}

/** The close code (RFC 6455 "policy violation") for a frame that breaks this protocol. */
export const CLOSE_POLICY_VIOLATION = 1008;

/** The `Sec-WebSocket-Protocol` value that carries `secret`. */
export function secretSubprotocol(secret: string): string {
  return `${SECRET_SUBPROTOCOL_PREFIX}${secret}`;
}

/**
 * Client → server: call a channel. `id` is chosen by the client, unique per call, and reused
 * verbatim when the call is resent after a reconnect, so the server can answer a repeat from
 * its memory instead of running it twice.
 */
export const invokeMessageSchema = onFirstUse(() =>
  z.strictObject({
    type: z.literal('invoke'),
    id: z.string().min(1).max(128),
    channel: z.string().min(1).max(200),
    // Contract tuples are short; the bound keeps a hostile frame from costing anything.
    args: z.array(z.unknown()).max(32),
  }),
);
export type InvokeMessage = z.infer<ReturnType<typeof invokeMessageSchema>>;

/** Every message a client may send. */
export const clientMessageSchema = invokeMessageSchema;
export type ClientMessage = z.infer<ReturnType<typeof clientMessageSchema>>;

/** Server → client: the outcome of the invoke with the same `id`, errors as data. */
export const resultMessageSchema = onFirstUse(() =>
  z.strictObject({
    type: z.literal('result'),
    id: z.string().min(1).max(128),
    result: ipcResultSchema(),
  }),
);

/** Server → client: a contract event, pushed to every connected page. */
export const eventMessageSchema = onFirstUse(() =>
  z.strictObject({
    type: z.literal('event'),
    event: z.string().min(1).max(200),
    payload: z.unknown(),
  }),
);

/** Every message a server may send. */
export const serverMessageSchema = onFirstUse(() => z.discriminatedUnion('type', [resultMessageSchema(), eventMessageSchema()]));

/** A server message as the client handles it; `result` typed as the transports' `IpcResult`. */
export type ServerMessage = { type: 'result'; id: string; result: IpcResult } | { type: 'event'; event: string; payload: unknown };

/** Parses one text frame from a client; null when it is not JSON or not a client message. */
export function parseClientMessage(text: string): ClientMessage | null {
  const parsed = clientMessageSchema().safeParse(parseJson(text));
  return parsed.success ? parsed.data : null;
}

/** Parses one text frame from the server; null when it is not JSON or not a server message. */
export function parseServerMessage(text: string): ServerMessage | null {
  const parsed = serverMessageSchema().safeParse(parseJson(text));
  return parsed.success ? (parsed.data as ServerMessage) : null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
