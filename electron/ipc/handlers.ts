import { join } from 'node:path';
import type { IpcHandlers } from '../../shared/ipc/channel';
import { ipcContract, type InterviewLmContract } from '../../shared/ipc/contract';
import type { Disposer } from '../../shared/event';
import { AppError } from '../../shared/errors';
import { redactHiddenCases } from '../../shared/execution/testCases';
import { publicQuestion, type AssignedPublicQuestion } from '../../shared/questions/question';
import type { QuestionLanguage } from '../../shared/questions/questionLanguages';
import type { AssignedQuestion } from '../services/questions/questionService';
import type { Services } from '../services/container';
import type { SettingsService } from '../services/settings/settingsService';
import { AiStreams } from './aiStreams';
import { createSettingsHandlers, createSettingsService, type SettingsHostOptions } from './settingsHandlers';
import { createEventHub, type EventHub } from './eventHub';
import { createIpcRouter, type IpcRouter, type RouterOptions } from './router';
import { SessionWriterLeases, sessionLeaseGuard } from './sessionWriterLeases';

/** The app's identity, supplied by whoever hosts the services (the shell knows its version). */
export interface AppIdentity {
  name: string;
  version: string;
}

/** What the host of the services decides for the page: where an export goes (the shell asks with a dialog). */
export interface IpcHostOptions extends RouterOptions {
  /** Returns the path to write, or null when the person cancelled. Default: the data folder's exports/. */
  chooseExportPath?: (suggestedFileName: string) => Promise<string | null>;
  /** Where the settings screen saves (the shell's store) and what the environment set. Default: nothing can be saved. */
  settings?: SettingsHostOptions;
}

/** Maps every contract channel onto the services; streamed answers go out through `aiStreams`, settings through `settings`. */
export function createIpcHandlers(services: Services, identity: AppIdentity, aiStreams: AiStreams, settings: SettingsService, options: IpcHostOptions = {}): IpcHandlers<InterviewLmContract> {
  const { sessions, replay, sync, execution, questions, ai } = services;
  const chooseExportPath = options.chooseExportPath ?? (async (name: string) => join(services.config.dataDir, 'exports', name));
  /** The question's own cases, hidden ones included, in the candidate's session; only the candidate's own questions. */
  const runQuestionTests = async (sessionId: string, run: { questionId: string; code: string; language: QuestionLanguage }) => {
    const session = await sessions.getSession(sessionId);
    const question = questions.getQuestion(run.questionId);
    if (question.candidateId !== session.candidateId) throw new AppError('QUESTION_NOT_FOUND', `No question ${JSON.stringify(run.questionId)} for this session.`);
    const { entry, testCases } = questions.runArguments(run.questionId, run.language);
    return execution.executeCode(run.code, run.language, testCases, { sessionId, entry });
  };
  return {
    app: {
      getInfo: () => ({ ...identity, dataDir: services.config.dataDir, databasePath: services.config.databasePath }),
    },
    sessions: {
      createSession: (candidateId, opts) => sessions.createSession(candidateId, opts),
      recordEvent: (sessionId, event) => sessions.recordEvent(sessionId, event),
      recordCodeSnapshot: (sessionId, snapshot) => sessions.recordCodeSnapshot(sessionId, snapshot),
      closeSession: (sessionId, status) => sessions.closeSession(sessionId, status),
      getSession: (sessionId) => sessions.getSession(sessionId),
      getSessionStats: (sessionId) => sessions.getSessionStats(sessionId),
      listInterruptedSessions: () => sessions.listInterruptedSessions(),
      resumeSession: (sessionId) => sessions.resumeSession(sessionId),
      // The lease moved before this runs (the router's guard); commit what the old writer sent
      // before it lost the session, so the new one starts from the whole recording.
      takeOver: async (sessionId) => {
        sessions.flush();
        const session = await sessions.getSession(sessionId);
        if (session.status !== 'ACTIVE') throw new AppError('SESSION_CLOSED', `Session ${session.id} is ${session.status.toLowerCase()}; it takes no more events`, { sessionId });
        return session;
      },
      verifySession: (sessionId) => sessions.verifySession(sessionId),
    },
    sync: {
      getSyncStatus: (sessionId) => sync.getSyncStatus(sessionId),
      exportSession: async (sessionId) => {
        const session = await sessions.getSession(sessionId);
        const path = await chooseExportPath(`interviewlm-${session.candidateId.replace(/[^A-Za-z0-9_-]/g, '_')}-${session.id}.json.gz`);
        return path === null ? null : sync.exportSession(sessionId, path);
      },
    },
    execution: {
      executeCode: async (sessionId, run) => {
        await sessions.getSession(sessionId);
        const result = await execution.executeCode(run.code, run.language, run.testCases, { sessionId, ...(run.entry ? { entry: run.entry } : {}) });
        return redactHiddenCases(result);
      },
      createSandbox: (sessionId, language) => execution.createSandbox(sessionId, language),
      destroySandbox: async (id) => {
        await execution.destroySandbox(id);
        return null;
      },
      listLanguages: () => execution.availableLanguages(),
    },
    ai: {
      getStatus: () => {
        const availability = ai.available;
        return { available: availability.ok, reason: availability.ok ? null : availability.reason, model: ai.model };
      },
      sendMessage: async (sessionId, request) => {
        await sessions.getSession(sessionId);
        return aiStreams.start(sessionId, request.messages, request.context ?? {});
      },
      cancel: (requestId) => {
        aiStreams.cancel(requestId);
        return null;
      },
    },
    questions: {
      next: async (sessionId) => {
        const session = await sessions.getSession(sessionId);
        return assignedView((await questions.getNextQuestion(session.candidateId, true))!);
      },
      start: async (questionId) => assignedView(await questions.startQuestion(questionId)),
      runTests: async (sessionId, run) => redactHiddenCases(await runQuestionTests(sessionId, run)),
      submit: async (sessionId, run) => {
        const result = await runQuestionTests(sessionId, run);
        const question = await questions.completeQuestion(run.questionId, result.totalTests === 0 ? 0 : result.passedTests / result.totalTests);
        return { question: assignedView(question), result: redactHiddenCases(result) };
      },
    },
    replay: {
      getFileAt: (sessionId, fileId, point) => replay.getFileAt(sessionId, fileId, point),
      getFilesAt: (sessionId, point) => replay.getFilesAt(sessionId, point),
      getTimeline: (sessionId, query) => replay.getTimeline(sessionId, query),
      getEvents: (sessionId, query) => replay.getEvents(sessionId, query),
    },
    settings: createSettingsHandlers(settings),
  };
}

/** The router and event hub every transport serves, wired to the services. */
export interface IpcHost {
  router: IpcRouter;
  events: EventHub<InterviewLmContract>;
  /** One writer per session: every transport reports its callers' connections here. */
  sessionWriters: SessionWriterLeases;
  dispose: Disposer;
}

/** Builds the transport-free IPC host: router plus the service events forwarded to the hub. */
export function createIpcHost(services: Services, identity: AppIdentity, options: IpcHostOptions = {}): IpcHost {
  const events = createEventHub(ipcContract, (error) => options.onInternalError?.(error, 'events'));
  const aiStreams = new AiStreams(services.ai, events);
  const settings = createSettingsService(services, options.settings);
  const sessionWriters = new SessionWriterLeases();
  const leaseGuard = sessionLeaseGuard(ipcContract, sessionWriters);
  // One writer per session comes first; a guard the host was given runs after it.
  const guard: RouterOptions['guard'] = (call) => {
    leaseGuard(call);
    options.guard?.(call);
  };
  const router = createIpcRouter(ipcContract, createIpcHandlers(services, identity, aiStreams, settings, options), { ...options, guard });
  const subscriptions: Disposer[] = [
    services.sessions.onDidCloseSession(({ sessionId, status }) => events.emit('sessionClosed', { sessionId, status })),
    services.sessions.onDidCloseSession(({ sessionId }) => sessionWriters.release(sessionId)),
    sessionWriters.onDidTakeOver(({ sessionId }) => events.emit('sessionTakenOver', { sessionId })),
    services.sync.onDidChangeSyncStatus((status) => events.emit('syncStatus', status)),
    settings.onDidChangeSettings((view) => events.emit('settingsChanged', view)),
  ];
  return {
    router,
    events,
    sessionWriters,
    dispose: () => {
      aiStreams.dispose();
      sessionWriters.dispose();
      subscriptions.forEach((dispose) => dispose());
      settings.dispose();
    },
  };
}

/** What the page may see of an assigned question: no reference solution, no hidden case. */
function assignedView(question: AssignedQuestion): AssignedPublicQuestion {
  return { ...publicQuestion(question), language: question.language, status: question.status, score: question.score };
}
