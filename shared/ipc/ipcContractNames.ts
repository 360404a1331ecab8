import { contractNames, type IpcContractNames } from './channel';
import { ipcContract, type InterviewLmContract } from './contract';

/**
 * The names of the app's contract (`ipcContract`), which is all the page builds its client
 * from. Derived from the contract here. The page's build evaluates this module in Node and
 * ships its value instead (electron.vite.config.ts, `evaluatedAtBuildTime`), so the page never
 * builds the contract's zod schemas, 60-90 ms of its main thread at start; it imports the
 * contract's types only, with `import type`.
 */
export const ipcContractNames: IpcContractNames<InterviewLmContract> = contractNames(ipcContract);
