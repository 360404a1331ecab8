/**
 * Stand-ins for the preload's contextBridge and ipcRenderer. Electron cannot run in this
 * environment (its binary is not installed, and `require('electron')` throws under plain
 * Node), so the preload is driven through these fakes instead.
 */
import { EventEmitter } from 'node:events';
import type { ContextBridgeLike, IpcRendererLike } from '../../../electron/preload/exposeApi';

/** Records what the preload exposes, and checks it is something contextBridge can copy. */
export class FakeContextBridge implements ContextBridgeLike {
  readonly exposed = new Map<string, unknown>();

  exposeInMainWorld(apiKey: string, api: unknown): void {
    if (this.exposed.has(apiKey)) throw new Error(`Cannot bind an API on top of an existing property on the window: ${apiKey}`);
    this.exposed.set(apiKey, api);
  }
}

/** An ipcRenderer whose invoke is answered by `answer` and whose events are emitted by the test. */
export class FakeIpcRenderer extends EventEmitter implements IpcRendererLike {
  readonly invocations: { channel: string; args: unknown[] }[] = [];

  constructor(private readonly answer: (channel: string, args: unknown[]) => Promise<unknown>) {
    super();
  }

  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invocations.push({ channel, args });
    return this.answer(channel, structuredClone(args));
  }

  /** Delivers an event from the main process, with the IpcRendererEvent Electron passes first. */
  deliver(channel: string, payload: unknown): void {
    this.emit(channel, { sender: this, senderId: 0, ports: [] }, structuredClone(payload));
  }
}

/** Every value reachable from `root`, walking own enumerable properties. */
export function reachableValues(root: unknown): unknown[] {
  const seen = new Set<unknown>();
  const walk = (value: unknown) => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
    seen.add(value);
    for (const key of Object.keys(value as object)) walk((value as Record<string, unknown>)[key]);
  };
  walk(root);
  return [...seen];
}
