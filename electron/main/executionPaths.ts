import { join } from 'node:path';
import type { AppConfig } from '../services/config';
import type { AppLocation } from './sqliteBinding';

/**
 * The config with the code-execution paths the shell knows: the harness scripts (shipped
 * in resources/execution/ by electron-builder.yml, or the project's own in development,
 * unless INTERVIEWLM_RESOURCES_DIR chose a folder) and the Node binary for JavaScript runs,
 * which in the app is Electron's own, run as Node (the runtime sets ELECTRON_RUN_AS_NODE).
 */
export function withExecutionPaths(config: AppConfig, location: AppLocation, env: NodeJS.ProcessEnv, execPath: string): AppConfig {
  const harnessDir = env.INTERVIEWLM_RESOURCES_DIR
    ? config.execution.harnessDir
    : location.isPackaged
      ? join(location.resourcesPath, 'execution')
      : join(location.appPath, 'resources', 'execution');
  return { ...config, execution: { ...config.execution, harnessDir, nodePath: execPath } };
}
