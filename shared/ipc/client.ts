import { AppError } from '../errors';
import { contractNames, listChannelNames, type IpcApi, type IpcContract, type IpcContractNames, type IpcResult } from './channel';

/** What a client needs from a transport: invoke a channel by wire name, and subscribe to events. */
export interface ClientTransport {
  invoke(channel: string, args: unknown[]): Promise<IpcResult>;
  subscribe(eventName: string, listener: (payload: unknown) => void): () => void;
}

/**
 * Builds the caller's API from the contract, or from its names alone (a client needs no
 * schema: the other side validates). Error results are rethrown as `AppError`s, so callers
 * use try/catch with typed codes whatever the transport.
 */
export function createIpcClient<K extends IpcContract>(contract: K | IpcContractNames<K>, transport: ClientTransport): IpcApi<K> {
  return deriveApi(contractNames(contract), transport, (name) => async (...args) => {
    const result = await transport.invoke(name, args);
    if (result.ok) return result.value;
    throw AppError.fromPayload(result.error);
  }) as IpcApi<K>;
}

/**
 * The object shape every caller-side API shares: `api[namespace][method]` for each channel
 * named, built by `methodFor(wireName)`, plus `on` for the named event streams.
 */
export function deriveApi(
  names: IpcContractNames,
  transport: Pick<ClientTransport, 'subscribe'>,
  methodFor: (channelName: string) => (...args: unknown[]) => unknown,
): Record<string, unknown> {
  const eventNames = new Set<string>(names.events);
  const api: Record<string, unknown> = {
    on: (eventName: string, listener: (payload: unknown) => void) => {
      if (!eventNames.has(eventName)) throw new AppError('UNKNOWN_CHANNEL', `No event stream named "${eventName}"`);
      return transport.subscribe(eventName, listener);
    },
  };
  for (const { name, namespace, method } of listChannelNames(names)) {
    const group = (api[namespace] ??= {}) as Record<string, unknown>;
    group[method] = methodFor(name);
  }
  return api;
}
