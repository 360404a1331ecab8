import { randomUUID } from 'node:crypto';
import type { ClientTransport } from '../../shared/ipc/client';
import type { IpcHost } from './handlers';
import type { CallerId } from './router';

/** An in-memory client: one caller (a window, for the writer lease) whose connection lasts until `dispose`. */
export interface InMemoryTransport extends ClientTransport {
  readonly callerId: CallerId;
  /** Closes the connection, as a closed window would: sessions this caller held are free again. */
  dispose(): void;
}

/**
 * A transport with no process boundary, for tests and for hosting the UI in-process.
 * Arguments and results go through structuredClone, as they would over Electron IPC,
 * so a test cannot pass something a real transport would not carry. Each transport is its
 * own caller, connected from creation, so the one-writer-per-session rule holds here too.
 */
export function createInMemoryTransport(host: IpcHost, callerId: CallerId = `memory:${randomUUID()}`): InMemoryTransport {
  const disconnect = host.sessionWriters.connect(callerId);
  return {
    callerId,
    invoke: async (channel, args) => structuredClone(await host.router.invoke(channel, structuredClone(args), callerId)),
    subscribe: (eventName, listener) =>
      host.events.subscribe((name, payload) => {
        if (name === eventName) listener(structuredClone(payload));
      }),
    dispose: disconnect,
  };
}
