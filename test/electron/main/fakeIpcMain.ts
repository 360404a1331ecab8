/**
 * A stand-in for Electron's ipcMain. Electron cannot run in this environment (its binary is
 * not installed, and `require('electron')` throws under plain Node), so the bridge is driven
 * through this fake, which keeps the parts of ipcMain's behaviour the bridge relies on:
 * one handler per channel, and arguments and results that are structured-cloned.
 */
import type { IpcResult } from '../../../shared/ipc/channel';
import type { InvokeEvent, IpcMainLike } from '../../../electron/main/ipcMainBridge';

type Handler = (event: InvokeEvent, ...args: unknown[]) => Promise<IpcResult>;

export class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Handler>();

  handle(channel: string, listener: Handler): void {
    // Electron throws on a second handler for the same channel.
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  /** What ipcRenderer.invoke does from the page: clone the arguments, call, clone the result. */
  async invoke(event: InvokeEvent, channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    return structuredClone(await handler(event, ...structuredClone(args)));
  }
}

/** An invoke from the top-level frame at `url`. */
export function fromMainFrame(url: string): InvokeEvent {
  return { senderFrame: { url, parent: null } };
}

/** An invoke from a frame at `url` embedded in the app's page. */
export function fromSubFrame(url: string, parentUrl: string): InvokeEvent {
  return { senderFrame: { url, parent: { url: parentUrl, parent: null } } };
}

/** An invoke whose frame has navigated away or been destroyed. */
export const fromGoneFrame: InvokeEvent = { senderFrame: null };
