/**
 * The one module of the main process that touches ipcMain. Every handler is derived from
 * the router's channel list, so the contract in shared/ipc/contract.ts stays the only list
 * of channels. Electron's types are used structurally: this module never imports 'electron'
 * at runtime, which is what lets the tests drive it under plain Node.
 */
import { AppError } from '../../shared/errors';
import type { Disposer } from '../../shared/event';
import { eventChannelName, type IpcResult } from '../../shared/ipc/channel';
import type { IpcHost } from '../ipc/handlers';

/** The frame an invoke came from: Electron's WebFrameMain, as far as the sender check needs it. */
export interface SenderFrame {
  readonly url: string;
  /** null for a top-level frame. */
  readonly parent: unknown;
}

/** The window an invoke came from: Electron's WebContents, as far as the writer lease needs it. */
export interface SenderContents {
  /** Stable for the window's life, reloads included: the caller the writer lease sees. */
  readonly id: number;
  once(event: 'destroyed', listener: () => void): unknown;
}

/** What a handler learns about an invoke: Electron's IpcMainInvokeEvent, reduced to the frame and its window. */
export interface InvokeEvent {
  /** null once the frame has navigated away or been destroyed. */
  readonly senderFrame: SenderFrame | null;
  readonly sender: SenderContents;
}

/** The part of Electron's ipcMain this module uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => Promise<IpcResult>): void;
  removeHandler(channel: string): void;
}

/** Where contract events are delivered: Electron's WebContents of the app window. */
export interface EventSink {
  isDestroyed(): boolean;
  send(channel: string, payload: unknown): void;
}

/** Decides whether a top-level frame URL is the app's own page. */
export type TrustedSenderCheck = (frameUrl: string) => boolean;

/** Hooks for logging; the bridge itself never throws at a caller. */
export interface IpcMainBridgeOptions {
  /** Sees every refused invoke, with the channel and why it was refused. */
  onRefusedSender?: (channel: string, reason: string) => void;
}

/**
 * Why an invoke must be refused, or null when its sender is the app's own top-level page.
 * Sub-frames are refused even on a trusted URL: the page never embeds frames, so one that
 * exists was put there by something that should not be talking to the main process.
 */
export function senderRefusal(event: InvokeEvent, isTrustedSender: TrustedSenderCheck): string | null {
  const frame = event.senderFrame;
  if (!frame) return 'the sending frame is gone';
  if (frame.parent !== null) return `the sender is a sub-frame (${frame.url})`;
  if (!isTrustedSender(frame.url)) return `the sender is not the InterviewLM page (${frame.url})`;
  return null;
}

/**
 * Registers one `ipcMain.handle` per channel of the router. Each handler checks the sender,
 * then hands the raw arguments to the router, which validates them against the contract;
 * the caller always receives an `IpcResult` envelope. The caller is the sending window
 * (`window:<webContents id>`), connected from its first call until it is destroyed, so one
 * writer per session holds across windows. Returns a disposer that removes the handlers.
 */
export function registerIpcHandlers(
  ipcMain: IpcMainLike,
  host: Pick<IpcHost, 'router' | 'sessionWriters'>,
  isTrustedSender: TrustedSenderCheck,
  options: IpcMainBridgeOptions = {},
): Disposer {
  const registered: string[] = [];
  const windows = new Map<number, Disposer>();
  const callerOf = (sender: SenderContents): string => {
    const callerId = `window:${sender.id}`;
    if (!windows.has(sender.id)) {
      windows.set(sender.id, host.sessionWriters.connect(callerId));
      sender.once('destroyed', () => {
        windows.get(sender.id)?.();
        windows.delete(sender.id);
      });
    }
    return callerId;
  };
  for (const channel of host.router.channelNames) {
    ipcMain.handle(channel, async (event, ...args) => {
      const refusal = senderRefusal(event, isTrustedSender);
      if (refusal !== null) {
        options.onRefusedSender?.(channel, refusal);
        return { ok: false, error: new AppError('UNTRUSTED_SENDER', `Refused ${channel}: ${refusal}`).toPayload() };
      }
      return host.router.invoke(channel, args, callerOf(event.sender));
    });
    registered.push(channel);
  }
  return () => {
    for (const channel of registered.splice(0)) ipcMain.removeHandler(channel);
    for (const disconnect of windows.values()) disconnect();
    windows.clear();
  };
}

/**
 * Forwards every contract event of the host to the window's page on its wire name
 * (`eventChannelName`). Payloads were already checked against the contract by the hub.
 */
export function forwardIpcEvents(host: Pick<IpcHost, 'events'>, sink: EventSink): Disposer {
  return host.events.subscribe((eventName, payload) => {
    // The window can close before the services stop; a late event then has nowhere to go.
    if (!sink.isDestroyed()) sink.send(eventChannelName(eventName), payload);
  });
}
