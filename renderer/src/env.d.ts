/// <reference types="vite/client" />
import type { IpcBridge } from '../../shared/ipc/bridge';
import type { InterviewLmContract } from '../../shared/ipc/contract';

declare global {
  interface Window {
    /**
     * The preload's API (electron/preload/exposeApi.ts): one function per contract channel,
     * each resolving with an IpcResult envelope, plus `on` for events. Missing outside the app.
     */
    readonly interviewlm: IpcBridge<InterviewLmContract> | undefined;
  }
}

export {};
