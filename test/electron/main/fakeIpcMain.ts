/**
 * A stand-in for Electron's ipcMain. Electron cannot run in this environment (its binary is
 * not installed, and `require('electron')` throws under plain Node), so the bridge is driven
 * through this fake, which keeps the parts of ipcMain's behaviour the bridge relies on:
 * one handler per channel, and arguments and results that are structured-cloned.
 */
import { EventEmitter } from 'node:events';
import type { IpcResult } from '../../../shared/ipc/channel';
import type { InvokeEvent, IpcMainLike, SenderContents } from '../../../electron/main/ipcMainBridge';

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

/** A window's webContents as an invoke names it: an id, and 'destroyed' when the window goes (`destroy()`). */
export class FakeSender extends EventEmitter implements SenderContents {
  private static nextId = 1;
  readonly id = FakeSender.nextId++;

  constructor() {
    super();
    // Every bridge a test registers listens once on the shared default sender.
    this.setMaxListeners(0);
  }

  /** What Electron does when the window closes. */
  destroy(): void {
    this.emit('destroyed');
  }
}

/** The window every invoke comes from unless a test names another. */
export const defaultSender = new FakeSender();

/** An invoke from the top-level frame at `url`, in `sender`'s window. */
export function fromMainFrame(url: string, sender: FakeSender = defaultSender): InvokeEvent {
  return { senderFrame: { url, parent: null }, sender };
}

/** An invoke from a frame at `url` embedded in the app's page. */
export function fromSubFrame(url: string, parentUrl: string): InvokeEvent {
  return { senderFrame: { url, parent: { url: parentUrl, parent: null } }, sender: defaultSender };
}

/** An invoke whose frame has navigated away or been destroyed. */
export const fromGoneFrame: InvokeEvent = { senderFrame: null, sender: defaultSender };
