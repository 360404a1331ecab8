import { z } from 'zod';
import { identifierSchema } from './identifier';

/** Lifecycle of a recording. Only ACTIVE sessions accept events. */
export const SessionStatusSchema = z.enum(['ACTIVE', 'COMPLETED', 'ABANDONED', 'EXPIRED']);
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

/** The statuses `closeSession` accepts. */
export const ClosedSessionStatusSchema = SessionStatusSchema.exclude(['ACTIVE']);
export type ClosedSessionStatus = z.infer<typeof ClosedSessionStatusSchema>;

/**
 * Where the recording stands with the cloud. LOCAL_ONLY until the sync worker takes it up,
 * and again from the close until the recording is stored (closing resets it); PENDING while
 * storage lacks part of it (a running session's chunks go up, a closed session's upload
 * failed and waits for the next pass); SYNCED when reconciled.
 */
export const SyncStateSchema = z.enum(['LOCAL_ONLY', 'PENDING', 'SYNCED']);
export type SyncState = z.infer<typeof SyncStateSchema>;

const JsonObjectSchema = z.record(z.string(), z.unknown());

/** `createSession`'s optional second argument. */
export const CreateSessionOptionsSchema = z.strictObject({
  /** Question the candidate starts on, if known. */
  questionId: identifierSchema(256).optional(),
  /** Free-form metadata kept with the session (interview code, proctor, machine...). */
  metadata: JsonObjectSchema.optional(),
});
export type CreateSessionOptions = z.infer<typeof CreateSessionOptionsSchema>;

export const CandidateIdSchema = identifierSchema(256);
export const SessionIdSchema = identifierSchema(128);
export const FileIdSchema = identifierSchema(256);

/** A session recording, as the services return it. Times are ISO-8601 strings. */
export const SessionSchema = z.object({
  id: z.string(),
  candidateId: z.string(),
  questionId: z.string().nullable(),
  status: SessionStatusSchema,
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  lastSeq: z.number().int().nonnegative(),
  syncState: SyncStateSchema,
  syncedAt: z.string().nullable(),
  metadata: JsonObjectSchema,
});
export type Session = z.infer<typeof SessionSchema>;

/** `getSessionStats`: the seed's four fields, plus duration, snapshots and bytes. */
export const SessionStatsSchema = z.object({
  sessionId: z.string(),
  status: SessionStatusSchema,
  eventCount: z.number().int().nonnegative(),
  totalTokensUsed: z.number().int().nonnegative(),
  testsPassedCount: z.number().int().nonnegative(),
  testResultCount: z.number().int().nonnegative(),
  snapshotCount: z.number().int().nonnegative(),
  aiInteractionCount: z.number().int().nonnegative(),
  /** Bytes of event data (JSON text) stored for the session. */
  bytes: z.number().int().nonnegative(),
  /** Milliseconds from start to close, or to now while the session is active. */
  durationMs: z.number().int().nonnegative(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
});
export type SessionStats = z.infer<typeof SessionStatsSchema>;

/** `recordClaudeInteraction`'s input, as in the seed. */
export const ClaudeInteractionSchema = z.looseObject({
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  model: z.string().optional(),
  inputTokens: z.number().int().nonnegative().optional(),
  outputTokens: z.number().int().nonnegative().optional(),
  latency: z.number().nonnegative().optional(),
  estimatedCost: z.number().nonnegative().optional(),
  cancelled: z.boolean().optional(),
});
export type ClaudeInteraction = z.infer<typeof ClaudeInteractionSchema>;

/** `recordCodeSnapshot`'s input, as in the seed. */
export const CodeSnapshotSchema = z.strictObject({
  fileId: FileIdSchema,
  fileName: identifierSchema(1024),
  language: identifierSchema(64),
  content: z.string(),
});
export type CodeSnapshot = z.infer<typeof CodeSnapshotSchema>;

/** `recordTestResult`'s input, as in the seed. */
export const TestResultSchema = z.looseObject({
  testName: z.string().min(1),
  passed: z.boolean(),
  duration: z.number().nonnegative().optional(),
  error: z.string().optional(),
  output: z.string().optional(),
  hidden: z.boolean().optional(),
});
export type TestResult = z.infer<typeof TestResultSchema>;

/** What `verifySession` reports about the hash chain. */
export const ChainVerificationSchema = z.object({
  sessionId: z.string(),
  valid: z.boolean(),
  eventCount: z.number().int().nonnegative(),
  /** The first seq whose hash, or whose place in the sequence, does not match. */
  firstBrokenSeq: z.number().int().nullable(),
  reason: z.string().nullable(),
});
export type ChainVerification = z.infer<typeof ChainVerificationSchema>;
