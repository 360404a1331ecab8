/**
 * The seed's `@/lib/services`: plain functions bound to a default container that is built
 * from the environment on first use. The Electron shell configures it with its userData
 * folder first; scripts and tests under Node get the per-user default or their own config.
 */
import { loadConfig, type AppConfig } from './config';
import { createServices, type Services } from './container';
import type { S3StorageService } from './storage/s3StorageService';
import { storageNotConfigured } from './storage/storageErrors';

let defaultServices: Services | undefined;

/** The default container, created from the environment on first use. */
export function getServices(): Services {
  defaultServices ??= createServices(loadConfig());
  return defaultServices;
}

/** Builds the default container from an explicit config (the shell passes Electron's userData). */
export function configureServices(config: AppConfig): Services {
  if (defaultServices) throw new Error('The services are already running; call shutdownServices() first.');
  defaultServices = createServices(config);
  return defaultServices;
}

/** Commits what is queued and closes the default container. */
export function shutdownServices(): void {
  defaultServices?.dispose();
  defaultServices = undefined;
}

/**
 * Binds the methods of one service to the default container, built on first call; a config
 * error, or a service that is not configured, surfaces as a rejection.
 */
function bindTo<T extends object>(pick: (services: Services) => T) {
  return <K extends keyof T>(name: K) => {
    type Fn = T[K] extends (...args: infer A) => infer R ? (...args: A) => R : never;
    return (async (...args: unknown[]) => {
      const target = pick(getServices());
      return (target[name] as (...a: unknown[]) => unknown).apply(target, args);
    }) as unknown as Fn;
  };
}

const bindSessions = bindTo((services) => services.sessions);

export const createSession = bindSessions('createSession');
export const recordEvent = bindSessions('recordEvent');
export const recordClaudeInteraction = bindSessions('recordClaudeInteraction');
export const recordCodeSnapshot = bindSessions('recordCodeSnapshot');
export const recordTestResult = bindSessions('recordTestResult');
export const closeSession = bindSessions('closeSession');
export const getSession = bindSessions('getSession');
export const getSessionStats = bindSessions('getSessionStats');
export const listInterruptedSessions = bindSessions('listInterruptedSessions');
export const resumeSession = bindSessions('resumeSession');
export const verifySession = bindSessions('verifySession');

/** Without a bucket and keys the storage functions reject with STORAGE_NOT_CONFIGURED; recording never needs them. */
const bindStorage = bindTo((services): S3StorageService => {
  if (!services.storage) throw storageNotConfigured(services.config.storage);
  return services.storage;
});

export const uploadSessionRecording = bindStorage('uploadSessionRecording');
export const downloadSessionRecording = bindStorage('downloadSessionRecording');
export const generatePresignedUrl = bindStorage('generatePresignedUrl');
export const getStorageStats = bindStorage('getStorageStats');

/** The seed's `s3Service`: the storage functions plus `testConnection()` for health checks. */
export const s3Service = {
  uploadSessionRecording,
  downloadSessionRecording,
  generatePresignedUrl,
  getStorageStats,
  testConnection: bindStorage('testConnection'),
};

const bindExecution = bindTo((services) => services.execution);

export const executeCode = bindExecution('executeCode');
export const createSandbox = bindExecution('createSandbox');
export const destroySandbox = bindExecution('destroySandbox');
export const listActiveSandboxes = bindExecution('listActiveSandboxes');

/** The seed's `modalService`: the sandbox functions plus `testConnection()` for health checks. */
export const modalService = {
  executeCode,
  createSandbox,
  destroySandbox,
  listActiveSandboxes,
  testConnection: bindExecution('testConnection'),
};

/** The seed's streamChatCompletion: an async iterator, so it is bound without the async wrapper. */
export function streamChatCompletion(...args: Parameters<Services['ai']['streamChatCompletion']>): ReturnType<Services['ai']['streamChatCompletion']> {
  return getServices().ai.streamChatCompletion(...args);
}

const bindAi = bindTo((services) => services.ai);

export const getChatCompletion = bindAi('getChatCompletion');

/** The seed's `claudeService`: the chat functions plus `testConnection()`. */
export const claudeService = {
  streamChatCompletion,
  getChatCompletion,
  testConnection: bindAi('testConnection'),
};

const bindQuestions = bindTo((services) => services.questions);

export const generateQuestion = bindQuestions('generateQuestion');
export const getNextQuestion = bindQuestions('getNextQuestion');
export const startQuestion = bindQuestions('startQuestion');
export const completeQuestion = bindQuestions('completeQuestion');
export const calculatePerformance = bindQuestions('calculatePerformance');

export { loadConfig, configForDataDir, defaultDataDir, type AppConfig } from './config';
export { createServices, type Services } from './container';
export { AppError, isAppError, type ErrorCode } from '../../shared/errors';
