import { z } from 'zod';
import { EventAckSchema, EventInputSchema, RecordedEventSchema } from '../recording/eventTypes';
import {
  CandidateIdSchema,
  ChainVerificationSchema,
  ClosedSessionStatusSchema,
  CodeSnapshotSchema,
  CreateSessionOptionsSchema,
  SessionIdSchema,
  SessionSchema,
  SessionStatsSchema,
} from '../recording/session';
import { ExecutionResultSchema, LanguageAvailabilitySchema, LanguageSchema, SandboxInfoSchema } from '../execution/testCases';
import { ChatChunkSchema, ChatContextSchema, ChatMessagesSchema } from '../ai/chat';
import { AssignedPublicQuestionSchema, QuestionLanguageSchema } from '../questions/question';
import { SyncStatusSchema } from '../sync/syncStatus';
import { SettingsUpdateSchema, SettingsViewSchema } from '../settings/settings';
import { channel, event, type IpcContract } from './channel';

/** A point in a recording: right after event `seq`, or the last event at or before `timestamp` (ms). */
export const ReplayPointSchema = z.union([
  z.strictObject({ seq: z.number().int().nonnegative() }),
  z.strictObject({ timestamp: z.number().int().nonnegative() }),
]);
export type ReplayPoint = z.infer<typeof ReplayPointSchema>;

/** A file as rebuilt for replay. */
export const ReplayFileSchema = z.object({
  fileId: z.string(),
  fileName: z.string(),
  language: z.string().nullable(),
  content: z.string(),
  exists: z.boolean(),
  /** The seq of the last event that changed the file. */
  seq: z.number().int(),
});
export type ReplayFile = z.infer<typeof ReplayFileSchema>;

export const TimelineEntrySchema = z.object({
  seq: z.number().int(),
  timestamp: z.number().int(),
  type: z.string(),
  fileId: z.string().nullable(),
  label: z.string(),
});

/** A page of events: `afterSeq` exclusive, at most `limit` rows. */
export const EventPageQuerySchema = z.strictObject({
  afterSeq: z.number().int().nonnegative().default(0),
  limit: z.number().int().min(1).max(10_000).default(1000),
  types: z.array(z.string()).max(64).optional(),
});

/** Code to run against one of the session candidate's questions. */
const QuestionRunSchema = z.strictObject({ questionId: z.string().min(1).max(100), code: z.string(), language: QuestionLanguageSchema });

/** What an export wrote. */
export const SessionExportSchema = z.object({
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  eventCount: z.number().int().nonnegative(),
  sha256: z.string(),
});

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  dataDir: z.string(),
  databasePath: z.string(),
});

/**
 * The one IPC contract between the renderer and the main process. The preload API, the
 * main-side registration and every other transport are derived from this object.
 */
export const ipcContract = {
  channels: {
    app: {
      getInfo: channel({ doc: 'Name, version and where the recording database lives.', request: z.tuple([]), response: AppInfoSchema }),
    },
    sessions: {
      createSession: channel({
        doc: 'Starts a recording for a candidate; nothing is recorded before this.',
        request: z.tuple([CandidateIdSchema, CreateSessionOptionsSchema.optional()]),
        response: SessionSchema,
      }),
      recordEvent: channel({
        doc: 'Records one candidate event; resolves once it is committed to the local database.',
        request: z.tuple([SessionIdSchema, EventInputSchema]),
        response: EventAckSchema,
        sessionLease: 'write',
      }),
      recordCodeSnapshot: channel({
        doc: "Records a file's full content; stored as a patch against the previous snapshot.",
        request: z.tuple([SessionIdSchema, CodeSnapshotSchema]),
        response: EventAckSchema,
        sessionLease: 'write',
      }),
      closeSession: channel({
        doc: 'Ends a recording (idempotent): flushes, appends session_closed, hands it to sync.',
        request: z.tuple([SessionIdSchema, ClosedSessionStatusSchema]),
        response: SessionSchema,
        sessionLease: 'write',
      }),
      getSession: channel({ doc: 'One session by id.', request: z.tuple([SessionIdSchema]), response: SessionSchema }),
      getSessionStats: channel({
        doc: 'Counts, tokens, tests, snapshots, bytes and duration of a session.',
        request: z.tuple([SessionIdSchema]),
        response: SessionStatsSchema,
      }),
      listInterruptedSessions: channel({
        doc: 'Sessions a previous run left ACTIVE (a crash or a kill), to offer for resumption.',
        request: z.tuple([]),
        response: z.array(SessionSchema),
      }),
      resumeSession: channel({
        doc: 'Continues an interrupted session (records session_resumed with the gap), or the one this window had open; this window becomes its writer.',
        request: z.tuple([SessionIdSchema]),
        response: SessionSchema,
        sessionLease: 'write',
      }),
      takeOver: channel({
        doc: "Makes this window the session's one writer (\"Use it here\"); the window that held it is told (sessionTakenOver) and its writes are refused from then on. Returns the session with everything recorded so far committed.",
        request: z.tuple([SessionIdSchema]),
        response: SessionSchema,
        sessionLease: 'takeOver',
      }),
      verifySession: channel({
        doc: "Walks the session's hash chain and names the first seq that breaks it.",
        request: z.tuple([SessionIdSchema]),
        response: ChainVerificationSchema,
      }),
    },
    sync: {
      getSyncStatus: channel({
        doc: "Where a session's recording stands with cloud storage (local only, syncing, offline, synced...).",
        request: z.tuple([SessionIdSchema]),
        response: SyncStatusSchema,
      }),
      exportSession: channel({
        doc: 'Writes the whole session to a .json.gz file the candidate chooses (for a USB stick); null if cancelled.',
        request: z.tuple([SessionIdSchema]),
        response: SessionExportSchema.nullable(),
      }),
    },
    execution: {
      executeCode: channel({
        doc: 'Runs code against test cases in a sandbox and records the run; hidden cases come back as verdicts only.',
        // The cases are checked by the service (TestCasesSchema), which names the bad one.
        request: z.tuple([
          SessionIdSchema,
          z.strictObject({ code: z.string(), language: z.string().max(40), testCases: z.array(z.unknown()).max(1000), entry: z.string().max(100).optional() }),
        ]),
        response: ExecutionResultSchema,
        sessionLease: 'write',
      }),
      createSandbox: channel({
        doc: "Starts a warm sandbox for the session's language, so runs skip the interpreter's start-up.",
        request: z.tuple([SessionIdSchema, LanguageSchema]),
        response: SandboxInfoSchema,
      }),
      destroySandbox: channel({ doc: 'Stops a sandbox and removes its files.', request: z.tuple([z.string().min(1).max(100)]), response: z.null() }),
      listLanguages: channel({
        doc: 'Each language and whether it can run here, with its version or the reason it cannot.',
        request: z.tuple([]),
        response: z.array(LanguageAvailabilitySchema),
      }),
    },
    ai: {
      getStatus: channel({
        doc: 'Whether the assistant can answer on this computer, and if not, why, in plain words (the key itself never leaves the main process).',
        request: z.tuple([]),
        response: z.object({ available: z.boolean(), reason: z.string().nullable(), model: z.string() }),
      }),
      sendMessage: channel({
        doc: "Asks the assistant; the answer streams as aiChunk events with the returned requestId, and the exchange is recorded in the session.",
        request: z.tuple([SessionIdSchema, z.strictObject({ messages: ChatMessagesSchema, context: ChatContextSchema.optional() })]),
        response: z.object({ requestId: z.string() }),
        sessionLease: 'write',
      }),
      cancel: channel({ doc: 'Stops a streaming answer (the stop button); what arrived so far is recorded as cancelled.', request: z.tuple([z.string().min(1).max(100)]), response: z.null() }),
    },
    questions: {
      next: channel({
        doc: "The session candidate's current question, or a new one at the difficulty their scores call for (generated and verified, or from the bundled bank).",
        request: z.tuple([SessionIdSchema]),
        response: AssignedPublicQuestionSchema,
      }),
      start: channel({ doc: 'Marks the question started (its timer begins).', request: z.tuple([z.string().min(1).max(100)]), response: AssignedPublicQuestionSchema }),
      runTests: channel({
        doc: "Runs the code against the question's cases, hidden ones included (verdicts only), and records the run.",
        request: z.tuple([SessionIdSchema, QuestionRunSchema]),
        response: ExecutionResultSchema,
        sessionLease: 'write',
      }),
      submit: channel({
        doc: 'Runs every case once more and completes the question with the share that passed as its score.',
        request: z.tuple([SessionIdSchema, QuestionRunSchema]),
        response: z.object({ question: AssignedPublicQuestionSchema, result: ExecutionResultSchema }),
        sessionLease: 'write',
      }),
    },
    replay: {
      getFileAt: channel({
        doc: 'One file rebuilt at a point of the recording.',
        request: z.tuple([SessionIdSchema, z.string().min(1), ReplayPointSchema]),
        response: ReplayFileSchema.nullable(),
      }),
      getFilesAt: channel({
        doc: 'Every file that exists at a point of the recording.',
        request: z.tuple([SessionIdSchema, ReplayPointSchema]),
        response: z.array(ReplayFileSchema),
      }),
      getTimeline: channel({
        doc: 'A page of the timeline: seq, time, type, file and a label per event.',
        request: z.tuple([SessionIdSchema, EventPageQuerySchema.optional()]),
        response: z.array(TimelineEntrySchema),
      }),
      getEvents: channel({
        doc: 'A page of raw events, for the replay viewer to index with ReplayTimeline.',
        request: z.tuple([SessionIdSchema, EventPageQuerySchema.optional()]),
        response: z.array(RecordedEventSchema),
      }),
    },
    settings: {
      read: channel({
        doc: 'The API key and cloud storage settings: where each comes from, the bucket, and secrets masked (at most their last 4 characters).',
        request: z.tuple([]),
        response: SettingsViewSchema,
      }),
      save: channel({
        doc: 'Saves settings (absent keeps, null clears, a value replaces); a new API key applies to the next assistant request, storage at the next start.',
        request: z.tuple([SettingsUpdateSchema]),
        response: SettingsViewSchema,
      }),
    },
  },
  events: {
    syncStatus: event({
      doc: "A session's sync status changed.",
      payload: SyncStatusSchema,
    }),
    aiChunk: event({
      doc: 'A piece of a streamed answer; the last has done: true (with usage), or an error, or cancelled: true.',
      payload: ChatChunkSchema.extend({
        requestId: z.string(),
        error: z.object({ code: z.string(), message: z.string() }).optional(),
        cancelled: z.boolean().optional(),
      }),
    }),
    sessionClosed: event({
      doc: 'A session was closed; its recording now waits for the sync worker.',
      payload: z.object({ sessionId: z.string(), status: ClosedSessionStatusSchema }),
    }),
    sessionTakenOver: event({
      doc: "A window took a session over (sessions.takeOver): any other window showing it stops writing, as its writes are now refused.",
      payload: z.object({ sessionId: z.string() }),
    }),
    settingsChanged: event({
      doc: 'Settings were saved (secrets masked); the assistant checks its status again.',
      payload: SettingsViewSchema,
    }),
  },
} satisfies IpcContract;

export type InterviewLmContract = typeof ipcContract;
