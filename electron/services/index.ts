/**
 * The seed's `@/lib/services`: plain functions bound to a default container that is built
 * from the environment on first use. The Electron shell configures it with its userData
 * folder first; scripts and tests under Node get the per-user default or their own config.
 */
import { loadConfig, type AppConfig } from './config';
import { createServices, type Services } from './container';
import type { SessionRecordingService } from './recording/sessionRecordingService';
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

type Sessions = SessionRecordingService;

/** Binds a recording method to the default container; config errors surface as rejections. */
function bindSessions<K extends keyof Sessions>(name: K) {
  type Fn = Sessions[K] extends (...args: infer A) => infer R ? (...args: A) => R : never;
  return (async (...args: unknown[]) => {
    const sessions = getServices().sessions;
    return (sessions[name] as (...a: unknown[]) => unknown).apply(sessions, args);
  }) as unknown as Fn;
}

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

type Storage = S3StorageService;
type StorageMethod = 'uploadSessionRecording' | 'downloadSessionRecording' | 'generatePresignedUrl' | 'getStorageStats' | 'testConnection';

/**
 * Binds a storage method to the default container. Without a bucket and keys it rejects
 * with STORAGE_NOT_CONFIGURED naming the variables to set; recording itself never needs them.
 */
function bindStorage<K extends StorageMethod>(name: K) {
  type Fn = Storage[K] extends (...args: infer A) => infer R ? (...args: A) => R : never;
  return (async (...args: unknown[]) => {
    const services = getServices();
    const storage = services.storage;
    if (!storage) throw storageNotConfigured(services.config.storage);
    return (storage[name] as (...a: unknown[]) => unknown).apply(storage, args);
  }) as unknown as Fn;
}

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

export { loadConfig, configForDataDir, defaultDataDir, type AppConfig } from './config';
export { createServices, type Services } from './container';
export { AppError, isAppError, type ErrorCode } from '../../shared/errors';
