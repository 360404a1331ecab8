import { bridgeTransport, type IpcBridge } from '../../shared/ipc/bridge';
import type { IpcApi } from '../../shared/ipc/channel';
import { createIpcClient } from '../../shared/ipc/client';
import type { InterviewLmContract } from '../../shared/ipc/contract';
import { ipcContractNames } from '../../shared/ipc/ipcContractNames';

/** The page's typed API: one async function per contract channel; failures throw AppErrors. */
export type InterviewLmClient = IpcApi<InterviewLmContract>;

/**
 * Builds the typed client over the bridge the preload exposed as `window.interviewlm`, from
 * the contract's names alone: the page builds none of its schemas (shared/ipc/ipcContractNames.ts).
 */
export function createInterviewLmClient(bridge: IpcBridge<InterviewLmContract>): InterviewLmClient {
  return createIpcClient(ipcContractNames, bridgeTransport(ipcContractNames, bridge));
}
