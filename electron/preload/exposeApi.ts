/**
 * The preload's whole job: build the page's API from the contract over ipcRenderer and
 * expose it with contextBridge. The page gets one named function per channel plus `on`;
 * ipcRenderer itself, and the Electron event objects that carry it, never cross over.
 * Electron's types are used structurally so the tests can drive this under plain Node.
 */
import { AppError } from '../../shared/errors';
import { createIpcBridge, type IpcBridge } from '../../shared/ipc/bridge';
import { eventChannelName, type IpcResult } from '../../shared/ipc/channel';
import type { ClientTransport } from '../../shared/ipc/client';
import type { InterviewLmContract } from '../../shared/ipc/contract';
import { ipcContractNames } from '../../shared/ipc/ipcContractNames';

/** The global the page finds the API on: `window.interviewlm` (renderer/src/env.d.ts). */
export const API_GLOBAL_NAME = 'interviewlm';

/** The part of Electron's contextBridge this module uses. */
export interface ContextBridgeLike {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}

/** The part of Electron's ipcRenderer this module uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/**
 * A client transport over ipcRenderer. The main side answers every invoke with an
 * `IpcResult`; an invoke that fails before reaching it (arguments that cannot be cloned,
 * a missing handler) becomes an error envelope too, so the page only ever sees envelopes.
 */
export function ipcRendererTransport(ipcRenderer: IpcRendererLike): ClientTransport {
  return {
    invoke: async (channel, args) => {
      try {
        return (await ipcRenderer.invoke(channel, ...args)) as IpcResult;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return { ok: false, error: new AppError('INTERNAL', `IPC ${channel} did not reach the main process: ${reason}`).toPayload() };
      }
    },
    subscribe: (eventName, listener) => {
      const wireName = eventChannelName(eventName);
      // Only the payload is passed on: the IpcRendererEvent would hand the page ipcRenderer.
      const forward = (_event: unknown, payload: unknown) => listener(payload);
      ipcRenderer.on(wireName, forward);
      return () => {
        ipcRenderer.removeListener(wireName, forward);
      };
    },
  };
}

/**
 * Builds the contract's bridge over ipcRenderer and exposes it as `window.interviewlm`. From
 * the contract's names, as the page's client: the main side validates every call, and the
 * preload runs before the page, so it builds none of the contract's schemas either.
 */
export function exposeInterviewLmApi(contextBridge: ContextBridgeLike, ipcRenderer: IpcRendererLike): IpcBridge<InterviewLmContract> {
  const bridge = createIpcBridge(ipcContractNames, ipcRendererTransport(ipcRenderer));
  contextBridge.exposeInMainWorld(API_GLOBAL_NAME, bridge);
  return bridge;
}
