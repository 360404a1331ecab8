import { z } from 'zod';
import { ERROR_CODES, type ErrorPayload } from '../errors';
import { onFirstUse } from './onFirstUse';

/**
 * The building blocks of an IPC contract. A contract is data: every transport, the
 * preload API and the main-side registration are derived from it, never listed by hand.
 */

/**
 * How a channel takes part in the one-writer-per-session rule (electron/ipc/sessionWriterLeases.ts);
 * the session is always the channel's first argument.
 * - `write`: it writes into the session; refused with SESSION_OPEN_ELSEWHERE, before anything is
 *   written, while another connected caller holds the session; otherwise the caller holds it.
 * - `takeOver`: the caller takes the session over from whoever holds it ("Use it here").
 */
export type SessionLeaseRole = 'write' | 'takeOver';

/** A request/response channel: positional arguments as a zod tuple, and a response schema. */
export interface ChannelSpec<Request extends z.ZodTuple = z.ZodTuple, Response extends z.ZodType = z.ZodType> {
  doc: string;
  request: Request;
  response: Response;
  /** Set on every channel that writes into a session (or takes one over); see `SessionLeaseRole`. */
  sessionLease?: SessionLeaseRole;
}

/** A main-to-renderer event stream. */
export interface EventSpec<Payload extends z.ZodType = z.ZodType> {
  doc: string;
  payload: Payload;
}

/** A whole contract: channels grouped by namespace, plus event streams. */
export interface IpcContract {
  channels: Record<string, Record<string, ChannelSpec>>;
  events: Record<string, EventSpec>;
}

/** `sessionLease` only on channels whose first argument is a string (the session id); a compile error elsewhere. */
type SessionLeaseAllowed<Request extends z.ZodTuple> = z.output<Request> extends readonly [string, ...unknown[]] ? unknown : { sessionLease?: never };

/** Declares a channel; a typed identity so the contract keeps its literal types. */
export function channel<Request extends z.ZodTuple, Response extends z.ZodType>(
  spec: ChannelSpec<Request, Response> & SessionLeaseAllowed<Request>,
): ChannelSpec<Request, Response> {
  return spec;
}

/** Declares an event stream. */
export function event<Payload extends z.ZodType>(spec: EventSpec<Payload>): EventSpec<Payload> {
  return spec;
}

/** The wire name of a channel: `namespace:method`. */
export function channelName(namespace: string, method: string): string {
  return `${namespace}:${method}`;
}

/** The wire name of an event stream. */
export function eventChannelName(eventName: string): string {
  return `event:${eventName}`;
}

/** Every channel of a contract, with its wire name. */
export function listChannels(contract: IpcContract): { name: string; namespace: string; method: string; spec: ChannelSpec }[] {
  return Object.entries(contract.channels).flatMap(([namespace, methods]) =>
    Object.entries(methods).map(([method, spec]) => ({ name: channelName(namespace, method), namespace, method, spec })),
  );
}

/**
 * A contract's names without its schemas: each namespace's methods, and the event streams.
 * It is all a caller's API is built from (`createIpcClient`, `createIpcBridge`), so a page can
 * have one without building a single schema (shared/ipc/ipcContractNames.ts). Plain JSON.
 */
export interface IpcContractNames<K extends IpcContract = IpcContract> {
  /** Each namespace's method names, in the contract's order. */
  channels: { [Namespace in keyof K['channels'] & string]: (keyof K['channels'][Namespace] & string)[] };
  /** The event streams' names, in the contract's order. */
  events: (keyof K['events'] & string)[];
}

/** The names of a contract's channels and event streams; names passed in are returned as they are. */
export function contractNames<K extends IpcContract>(contract: K | IpcContractNames<K>): IpcContractNames<K> {
  // Names list their events in an array; a contract maps each event to its spec.
  if (Array.isArray(contract.events)) return contract as IpcContractNames<K>;
  const { channels, events } = contract as K;
  return {
    channels: Object.fromEntries(Object.entries(channels).map(([namespace, methods]) => [namespace, Object.keys(methods)])),
    events: Object.keys(events),
  } as IpcContractNames<K>;
}

/** Every channel `names` holds, with its wire name, in the order `listChannels` gives the contract's. */
export function listChannelNames(names: IpcContractNames): { name: string; namespace: string; method: string }[] {
  return Object.entries(names.channels).flatMap(([namespace, methods]) => methods.map((method) => ({ name: channelName(namespace, method), namespace, method })));
}

/** What every invocation resolves with, on every transport: errors travel as data. */
export type IpcResult<T = unknown> = { ok: true; value: T } | { ok: false; error: ErrorPayload };

/** An `ErrorPayload` as a transport that validates it checks it; built on first use (the page loads this module at start). */
export const errorPayloadSchema = onFirstUse(() =>
  z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.unknown().optional(),
  }),
);

/** An `IpcResult` as a transport that validates it checks it; built on first use. */
export const ipcResultSchema = onFirstUse(() =>
  z.union([z.object({ ok: z.literal(true), value: z.unknown() }), z.object({ ok: z.literal(false), error: errorPayloadSchema() })]),
);

/** The arguments a caller passes to a channel. */
export type RequestArgs<C extends ChannelSpec> = z.input<C['request']>;
/** What a channel resolves with on the caller's side. */
export type ResponseOf<C extends ChannelSpec> = z.output<C['response']>;
/** The payload a listener receives. */
export type EventPayloadOf<E extends EventSpec> = z.output<E['payload']>;

/** The caller's view of a contract: one async function per channel, plus `on` for events. */
export type IpcApi<K extends IpcContract> = {
  [Namespace in keyof K['channels']]: {
    [Method in keyof K['channels'][Namespace]]: (
      ...args: RequestArgs<K['channels'][Namespace][Method]>
    ) => Promise<ResponseOf<K['channels'][Namespace][Method]>>;
  };
} & {
  /** Subscribes to an event stream; call the returned function to unsubscribe. */
  on<E extends keyof K['events'] & string>(eventName: E, listener: (payload: EventPayloadOf<K['events'][E]>) => void): () => void;
};

/** The implementing side: one function per channel, receiving parsed arguments. */
export type IpcHandlers<K extends IpcContract> = {
  [Namespace in keyof K['channels']]: {
    [Method in keyof K['channels'][Namespace]]: (
      ...args: z.output<K['channels'][Namespace][Method]['request']>
    ) => Promise<z.input<K['channels'][Namespace][Method]['response']>> | z.input<K['channels'][Namespace][Method]['response']>;
  };
};
