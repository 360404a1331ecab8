import { bridgeTransport, type IpcBridge } from '../../shared/ipc/bridge';
import type { IpcApi } from '../../shared/ipc/channel';
import { createIpcClient } from '../../shared/ipc/client';
import { ipcContract, type InterviewLmContract } from '../../shared/ipc/contract';

/** The page's typed API: one async function per contract channel; failures throw AppErrors. */
export type InterviewLmClient = IpcApi<InterviewLmContract>;

/** Builds the typed client over the bridge the preload exposed as `window.interviewlm`. */
export function createInterviewLmClient(bridge: IpcBridge<InterviewLmContract>): InterviewLmClient {
  return createIpcClient(ipcContract, bridgeTransport(ipcContract, bridge));
}
