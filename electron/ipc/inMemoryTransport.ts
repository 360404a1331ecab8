import type { ClientTransport } from '../../shared/ipc/client';
import type { IpcHost } from './handlers';

/**
 * A transport with no process boundary, for tests and for hosting the UI in-process.
 * Arguments and results go through structuredClone, as they would over Electron IPC,
 * so a test cannot pass something a real transport would not carry.
 */
export function createInMemoryTransport(host: IpcHost): ClientTransport {
  return {
    invoke: async (channel, args) => structuredClone(await host.router.invoke(channel, structuredClone(args))),
    subscribe: (eventName, listener) =>
      host.events.subscribe((name, payload) => {
        if (name === eventName) listener(structuredClone(payload));
      }),
  };
}
