import type { AppConfig } from './config';
import { withDatabaseErrors } from './db/databaseErrors';
import { openRecordingDatabase, type RecordingDatabase } from './db/recordingDatabase';
import { ReplayService } from './replay/replayService';
import { SessionRecordingService } from './recording/sessionRecordingService';
import { S3ObjectStore, s3StoreOptionsFrom } from './storage/s3ObjectStore';
import { syncEndpointsFor, syncTargetFrom } from './sync/syncTarget';
import type { SyncTarget } from './sync/syncWorkerProtocol';
import { S3StorageService } from './storage/s3StorageService';
import { InProcessSyncRunner } from './sync/inProcessSyncRunner';
import type { SyncSettings } from './sync/syncEngine';
import type { SyncRunner } from './sync/syncRunner';
import { SyncService } from './sync/syncService';
import { WorkerSyncRunner, logSyncWorkerError } from './sync/workerSyncRunner';
import { openSyncDatabase } from './sync/syncDatabase';
import { ExecutionService, type RemoteExecutionBackend } from './execution/executionService';
import type { LanguageRuntime } from './execution/harnessProtocol';
import { localRuntimes } from './execution/localRuntimes';
import { ModalExecutionBackend } from './execution/modal/modalBackend';
import { ModalSdkClient } from './execution/modal/modalSdkClient';
import type { Language } from '../../shared/execution/testCases';
import { entryFor } from '../../shared/questions/questionLanguages';
import { ApiKeyHolder } from './ai/apiKeyHolder';
import { ClaudeService } from './ai/claudeService';
import { QuestionBank } from './questions/questionBank';
import { ClaudeQuestionModel, type QuestionModel } from './questions/questionGenerator';
import { QuestionService } from './questions/questionService';

/** Every service of the app, built from one config. */
export interface Services {
  readonly config: AppConfig;
  readonly database: RecordingDatabase;
  readonly sessions: SessionRecordingService;
  readonly replay: ReplayService;
  /** The seed's S3 Storage Service; null when no bucket and keys are configured ("local only"). */
  readonly storage: S3StorageService | null;
  /** Ships recordings to storage in the background, and exports them to files. */
  readonly sync: SyncService;
  /** The seed's Modal Sandbox Service: runs candidate code against test cases, locally or in Modal. */
  readonly execution: ExecutionService;
  /** The seed's Question Generation Service: generated and verified questions, or the bundled bank. */
  readonly questions: QuestionService;
  /** The seed's Claude AI Service: the candidate's assistant, every exchange recorded. The key never leaves this process. */
  readonly ai: ClaudeService;
  /**
   * The Anthropic API key the assistant and question generation read at each request. It
   * starts as `config.ai.apiKey`; the settings screen replaces it while the app runs.
   */
  readonly anthropicApiKey: ApiKeyHolder;
  /** Commits what is queued, releases the database and its instance lock; the sync worker stops on its own. */
  dispose(): void;
  /** dispose(), after the sync worker has finished its pass in progress. */
  shutdown(): Promise<void>;
}

/** Hooks for tests and the shell: a clock, and where listener errors go. */
export interface ServiceOverrides {
  now?: () => number;
  onListenerError?: (error: unknown) => void;
  /**
   * Where the sync engine runs when storage is configured: a worker thread (the app's way,
   * the default), this thread (tests that step it), or nowhere.
   */
  syncRunner?: 'worker' | 'in-process' | 'none';
  syncSettings?: Partial<SyncSettings>;
  /** Local language runtimes in place of the machine's (tests of the service's own logic). */
  executionRuntimes?: Partial<Record<Language, LanguageRuntime>>;
  /** Where code runs remotely in place of Modal (tests: a loopback stand-in). */
  remoteExecution?: RemoteExecutionBackend | null;
  /** Chooses among bank questions (tests fix it; the app picks at random). */
  pickQuestion?: (count: number) => number;
}

/**
 * The composition root: opens the database and builds each service with its dependencies
 * passed in. Tests build their own on a temp folder; the app builds one at start.
 */
export function createServices(config: AppConfig, overrides: ServiceOverrides = {}): Services {
  const database = openRecordingDatabase({
    path: config.databasePath,
    durability: config.durability,
    ...(config.sqliteNativeBinding ? { nativeBinding: config.sqliteNativeBinding } : {}),
  });
  let sessions: SessionRecordingService;
  let replay: ReplayService;
  let objectStore: S3ObjectStore | null;
  let storage: S3StorageService | null;
  let sync: SyncService;
  let execution: ExecutionService;
  let questions: QuestionService;
  let ai: ClaudeService;
  const anthropicApiKey = new ApiKeyHolder(config.ai.apiKey);
  try {
    sessions = withDatabaseErrors(new SessionRecordingService({
      db: database.db,
      databasePath: database.path,
      settings: config.recorder,
      onCommitted: database.noteCommit,
      loadFileLengths: (sessionId) => new Map(replay.getFilesAt(sessionId, { seq: Number.MAX_SAFE_INTEGER }).map((file) => [file.fileId, file.content.length])),
      ...(overrides.now ? { now: overrides.now } : {}),
      onListenerError: overrides.onListenerError ?? ((error) => console.error('[interviewlm] listener failed:', error)),
    }), database.path);
    replay = withDatabaseErrors(new ReplayService(database.db), database.path);
    // Without a bucket and keys the app is "local only": no client, nothing to fail.
    const storeOptions = s3StoreOptionsFrom(config.storage);
    objectStore = storeOptions ? new S3ObjectStore(storeOptions) : null;
    storage = objectStore
      ? new S3StorageService({ store: objectStore, lookupSession: (sessionId) => sessions.getSession(sessionId), ...(overrides.now ? { now: overrides.now } : {}) })
      : null;
    const target = syncTargetFrom(config.storage);
    sync = new SyncService({ db: database.db, sessions, replay, runner: target ? syncRunnerFor(config, target, overrides) : null });
    execution = new ExecutionService({
      runtimes: overrides.executionRuntimes ?? localRuntimes({ harnessDir: config.execution.harnessDir, ...(config.execution.nodePath ? { nodePath: config.execution.nodePath } : {}) }),
      remote: overrides.remoteExecution !== undefined ? overrides.remoteExecution : remoteExecutionFor(config),
      recorder: sessions,
      ...(overrides.now ? { now: overrides.now } : {}),
    });
    ai = new ClaudeService({ apiKey: anthropicApiKey, model: config.ai.model, recorder: sessions, ...(config.ai.baseURL ? { baseURL: config.ai.baseURL } : {}) });
    const model: QuestionModel = new ClaudeQuestionModel({ apiKey: anthropicApiKey, model: config.ai.model, ...(config.ai.baseURL ? { baseURL: config.ai.baseURL } : {}) });
    questions = withDatabaseErrors(
      new QuestionService({
        db: database.db,
        bank: new QuestionBank(config.questionsDir),
        model,
        // Every language's reference solution against every case, in the sandbox, before a generated question is accepted.
        runReference: (code, language, draft) => execution.executeCode(code, language, draft.testCases, { entry: entryFor(draft, language) }),
        ...(overrides.now ? { now: overrides.now } : {}),
        ...(overrides.pickQuestion ? { pick: overrides.pickQuestion } : {}),
      }),
      database.path,
    );
  } catch (error) {
    // A service that fails to build must not leave the database and its lock held.
    database.close();
    throw error;
  }
  let disposed = false;
  const services: Services = {
    config,
    database,
    sessions,
    replay,
    storage,
    sync,
    execution,
    questions,
    ai,
    anthropicApiKey,
    dispose() {
      if (disposed) return;
      disposed = true;
      void sync.dispose().catch(() => {});
      void execution.dispose().catch(() => {});
      try {
        sessions.dispose();
      } finally {
        objectStore?.dispose();
        database.close();
      }
    },
    async shutdown() {
      await Promise.all([sync.dispose(), execution.dispose()]);
      services.dispose();
    },
  };
  return services;
}

/** The sync engine's host: its own database connection and S3 client, on a worker thread unless told otherwise. */
function syncRunnerFor(config: AppConfig, target: SyncTarget, overrides: ServiceOverrides): SyncRunner | null {
  const where = overrides.syncRunner ?? 'worker';
  if (where === 'none') return null;
  const nativeBinding = config.sqliteNativeBinding;
  if (where === 'worker') {
    return new WorkerSyncRunner(
      { databasePath: config.databasePath, target, ...(nativeBinding ? { nativeBinding } : {}), ...(overrides.syncSettings ? { settings: overrides.syncSettings } : {}) },
      undefined,
      // A worker that crashes is restarted by the runner; without a log line nobody would know it did.
      overrides.onListenerError ?? logSyncWorkerError,
    );
  }
  const db = openSyncDatabase(config.databasePath, nativeBinding ? { nativeBinding } : {});
  const { dispose, ...endpoints } = syncEndpointsFor(target);
  return new InProcessSyncRunner(
    { db, ...endpoints, ...(overrides.syncSettings ? { settings: overrides.syncSettings } : {}), ...(overrides.now ? { now: overrides.now } : {}) },
    {
      onStopped: () => {
        db.close();
        dispose();
      },
    },
  );
}

/** Modal, when the config chooses it (tokens set); null runs everything on this machine. */
function remoteExecutionFor(config: AppConfig): RemoteExecutionBackend | null {
  const { execution } = config;
  if (execution.backend !== 'modal' || !execution.modal) return null;
  // The SDK is imported only on first use (ModalSdkClient), so a local-only app never loads it.
  return new ModalExecutionBackend({ client: new ModalSdkClient(execution.modal), harnessDir: execution.harnessDir });
}
