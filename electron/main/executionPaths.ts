import { join } from 'node:path';
import type { AppConfig } from '../services/config';
import type { AppLocation } from './sqliteBinding';

/**
 * The config with the resource paths the shell knows: the harness scripts and the question
 * bank (shipped in resources/execution/ and resources/questions/ by electron-builder.yml, or
 * the project's own in development, unless INTERVIEWLM_RESOURCES_DIR chose a folder) and the Node binary for JavaScript runs,
 * which in the app is Electron's own, run as Node (the runtime sets ELECTRON_RUN_AS_NODE).
 */
export function withExecutionPaths(config: AppConfig, location: AppLocation, env: NodeJS.ProcessEnv, execPath: string): AppConfig {
  if (env.INTERVIEWLM_RESOURCES_DIR) return { ...config, execution: { ...config.execution, nodePath: execPath } };
  const resources = location.isPackaged ? location.resourcesPath : join(location.appPath, 'resources');
  return { ...config, execution: { ...config.execution, harnessDir: join(resources, 'execution'), nodePath: execPath }, questionsDir: join(resources, 'questions') };
}
