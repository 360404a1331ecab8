import type { Disposer } from '../../shared/event';
import type { EventPayloadOf, IpcContract } from '../../shared/ipc/channel';

/** Where contract events are published on the main side; each transport subscribes and forwards. */
export interface EventHub<K extends IpcContract> {
  emit<E extends keyof K['events'] & string>(eventName: E, payload: EventPayloadOf<K['events'][E]>): void;
  subscribe(listener: (eventName: string, payload: unknown) => void): Disposer;
}

/** Builds a hub that checks every payload against the contract before it leaves the process. */
export function createEventHub<K extends IpcContract>(contract: K, onInvalid: (error: Error) => void = () => {}): EventHub<K> {
  const listeners = new Set<(eventName: string, payload: unknown) => void>();
  return {
    emit(eventName, payload) {
      const parsed = contract.events[eventName]!.payload.safeParse(payload);
      if (!parsed.success) {
        onInvalid(new Error(`Event ${eventName} payload breaks the contract: ${parsed.error.message}`));
        return;
      }
      for (const listener of [...listeners]) listener(eventName, parsed.data);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
