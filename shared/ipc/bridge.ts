import { AppError } from '../errors';
import { contractNames, listChannelNames, type EventPayloadOf, type IpcContract, type IpcContractNames, type IpcResult, type RequestArgs, type ResponseOf } from './channel';
import { deriveApi, type ClientTransport } from './client';

/**
 * The shape the preload exposes to the page: one named function per channel, resolving
 * with an `IpcResult` envelope. Envelopes, not thrown errors, because Electron's
 * contextBridge strips custom properties (our error codes) from errors crossing worlds.
 */
export type IpcBridge<K extends IpcContract> = {
  [Namespace in keyof K['channels']]: {
    [Method in keyof K['channels'][Namespace]]: (
      ...args: RequestArgs<K['channels'][Namespace][Method]>
    ) => Promise<IpcResult<ResponseOf<K['channels'][Namespace][Method]>>>;
  };
} & {
  on<E extends keyof K['events'] & string>(eventName: E, listener: (payload: EventPayloadOf<K['events'][E]>) => void): () => void;
};

/** Builds the bridge object from the contract (or its names) over a transport (the preload uses ipcRenderer). */
export function createIpcBridge<K extends IpcContract>(contract: K | IpcContractNames<K>, transport: ClientTransport): IpcBridge<K> {
  return deriveApi(contractNames(contract), transport, (name) => (...args) => transport.invoke(name, args)) as IpcBridge<K>;
}

/** The page-side transport over an exposed bridge, for `createIpcClient`; the contract's names are enough. */
export function bridgeTransport<K extends IpcContract>(contract: K | IpcContractNames<K>, bridge: IpcBridge<K>): ClientTransport {
  const functions = new Map<string, (...args: unknown[]) => Promise<IpcResult>>();
  for (const { name, namespace, method } of listChannelNames(contractNames(contract))) {
    const group = (bridge as unknown as Record<string, Record<string, (...args: unknown[]) => Promise<IpcResult>>>)[namespace];
    const fn = group?.[method];
    if (fn) functions.set(name, fn);
  }
  return {
    invoke: (channel, args) => {
      const fn = functions.get(channel);
      if (!fn) return Promise.resolve({ ok: false, error: new AppError('UNKNOWN_CHANNEL', `The bridge has no channel "${channel}"`).toPayload() });
      return fn(...args);
    },
    subscribe: (eventName, listener) => bridge.on(eventName as keyof K['events'] & string, listener as never),
  };
}
