import { AppError } from '../errors';
import { listChannels, type IpcApi, type IpcContract, type IpcResult } from './channel';

/** What a client needs from a transport: invoke a channel by wire name, and subscribe to events. */
export interface ClientTransport {
  invoke(channel: string, args: unknown[]): Promise<IpcResult>;
  subscribe(eventName: string, listener: (payload: unknown) => void): () => void;
}

/**
 * Builds the caller's API from the contract. Error results are rethrown as `AppError`s,
 * so callers use try/catch with typed codes whatever the transport.
 */
export function createIpcClient<K extends IpcContract>(contract: K, transport: ClientTransport): IpcApi<K> {
  return deriveApi(contract, transport, (name) => async (...args) => {
    const result = await transport.invoke(name, args);
    if (result.ok) return result.value;
    throw AppError.fromPayload(result.error);
  }) as IpcApi<K>;
}

/**
 * The object shape every caller-side API shares: `api[namespace][method]` for each channel
 * of the contract, built by `methodFor(wireName)`, plus `on` for the contract's event streams.
 */
export function deriveApi(
  contract: IpcContract,
  transport: Pick<ClientTransport, 'subscribe'>,
  methodFor: (channelName: string) => (...args: unknown[]) => unknown,
): Record<string, unknown> {
  const api: Record<string, unknown> = {
    on: (eventName: string, listener: (payload: unknown) => void) => {
      if (!Object.hasOwn(contract.events, eventName)) throw new AppError('UNKNOWN_CHANNEL', `No event stream named "${eventName}"`);
      return transport.subscribe(eventName, listener);
    },
  };
  for (const { name, namespace, method } of listChannels(contract)) {
    const group = (api[namespace] ??= {}) as Record<string, unknown>;
    group[method] = methodFor(name);
  }
  return api;
}
