import { AppError, isAppError } from '../../shared/errors';
import { listChannels, type ChannelSpec, type IpcContract, type IpcHandlers, type IpcResult } from '../../shared/ipc/channel';
import { describeIssues } from '../../shared/validation';

/**
 * Who made a call, as the transport knows it: an Electron window's webContents, one page load
 * in the browser shell (across its reconnects), one in-memory client. Never taken from the
 * call's arguments, so a page cannot name another caller.
 */
export type CallerId = string;

/** Transport-free dispatch: a wire name, raw arguments and the caller in, an `IpcResult` out. Never throws. */
export interface IpcRouter {
  /** Every channel's wire name, for transports that register one handler per channel. */
  readonly channelNames: readonly string[];
  invoke(channel: string, args: unknown, callerId: CallerId): Promise<IpcResult>;
}

/** A call as a guard sees it: arguments already parsed against the contract. */
export interface GuardedCall {
  channel: string;
  spec: ChannelSpec;
  args: readonly unknown[];
  callerId: CallerId;
}

export interface RouterOptions {
  /** Sees unexpected errors (bugs) before they are reduced to INTERNAL for the caller. */
  onInternalError?: (error: unknown, channel: string) => void;
  /**
   * Runs synchronously once the arguments parse and before the handler; an AppError it throws
   * is the caller's answer and the handler never runs. Synchronous on purpose: calls reach it in
   * the order they arrived, which is the order their writes are made in.
   */
  guard?: (call: GuardedCall) => void;
}

interface Route {
  spec: ChannelSpec;
  handler: (...args: unknown[]) => unknown;
}

/**
 * Builds the router from the contract and one handler per channel. Arguments are parsed
 * with the channel's schema before a handler sees them; responses are checked against the
 * contract too, so a service can never hand the renderer something the contract does not allow.
 */
export function createIpcRouter<K extends IpcContract>(contract: K, handlers: IpcHandlers<K>, options: RouterOptions = {}): IpcRouter {
  const routes = new Map<string, Route>();
  for (const { name, namespace, method, spec } of listChannels(contract)) {
    const handler = (handlers as Record<string, Record<string, (...args: unknown[]) => unknown>>)[namespace]?.[method];
    if (typeof handler !== 'function') throw new Error(`No handler for IPC channel ${name}`);
    routes.set(name, { spec, handler });
  }
  const fail = (error: AppError): IpcResult => ({ ok: false, error: error.toPayload() });

  return {
    channelNames: [...routes.keys()],
    async invoke(channel, args, callerId) {
      const route = typeof channel === 'string' ? routes.get(channel) : undefined;
      if (!route) return fail(new AppError('UNKNOWN_CHANNEL', `No IPC channel named ${JSON.stringify(channel)}`));
      try {
        const parsed = route.spec.request.safeParse(args);
        if (!parsed.success) {
          const issues = describeIssues(parsed.error);
          return fail(new AppError('VALIDATION_FAILED', `Invalid request to ${channel}: ${issues[0]!.path}: ${issues[0]!.message}`, { issues }));
        }
        options.guard?.({ channel, spec: route.spec, args: parsed.data as unknown[], callerId });
        const value = await route.handler(...(parsed.data as unknown[]));
        const response = route.spec.response.safeParse(value);
        if (!response.success) throw new Error(`Response of ${channel} breaks the contract: ${JSON.stringify(describeIssues(response.error))}`);
        return { ok: true, value: response.data };
      } catch (error) {
        if (isAppError(error)) return fail(error);
        options.onInternalError?.(error, channel);
        return fail(new AppError('INTERNAL', `Internal error in ${channel}`));
      }
    },
  };
}
