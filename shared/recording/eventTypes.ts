import { z } from 'zod';
import { FileIdSchema } from './session';

/**
 * The vocabulary of a recording: every event type the recorder accepts, with the schema
 * of its `data`. Schemas are loose objects: the named fields are checked, extra fields
 * are kept (and must still be plain JSON).
 */

/** One Monaco content change; a `code_edit` applies its changes in array order. */
export const TextChangeSchema = z.object({
  rangeOffset: z.number().int().nonnegative(),
  rangeLength: z.number().int().nonnegative(),
  text: z.string(),
});
export type TextChange = z.infer<typeof TextChangeSchema>;

const empty = z.looseObject({});

/** Events the renderer (or any caller) may record through `recordEvent`. */
export const CANDIDATE_EVENT_DATA = {
  keystroke: z.looseObject({ key: z.string() }),
  code_edit: z.looseObject({ changes: z.array(TextChangeSchema).min(1) }),
  cursor: z.looseObject({ lineNumber: z.number().int(), column: z.number().int() }),
  selection: z.looseObject({
    startLineNumber: z.number().int(),
    startColumn: z.number().int(),
    endLineNumber: z.number().int(),
    endColumn: z.number().int(),
  }),
  paste: z.looseObject({ text: z.string(), length: z.number().int().nonnegative() }),
  file_created: z.looseObject({ fileName: z.string().min(1), language: z.string().optional(), content: z.string().optional() }),
  file_renamed: z.looseObject({ fileName: z.string().min(1) }),
  file_deleted: empty,
  file_opened: empty,
  focus: empty,
  blur: empty,
  visibility: z.looseObject({ visible: z.boolean() }),
  question_viewed: z.looseObject({ questionId: z.string() }),
  note: z.looseObject({ text: z.string() }),
} as const;

/** Events only the services write, each through its own function. */
export const SERVICE_EVENT_DATA = {
  session_started: z.looseObject({ candidateId: z.string() }),
  session_resumed: z.looseObject({ previousLastSeq: z.number().int(), gapMs: z.number() }),
  session_closed: z.looseObject({ status: z.string() }),
  code_snapshot: z.looseObject({
    fileName: z.string(),
    language: z.string(),
    kind: z.enum(['checkpoint', 'patch']),
  }),
  ai_interaction: z.looseObject({ role: z.string(), content: z.string() }),
  test_result: z.looseObject({ testName: z.string(), passed: z.boolean() }),
} as const;

export type CandidateEventType = keyof typeof CANDIDATE_EVENT_DATA;
export type ServiceEventType = keyof typeof SERVICE_EVENT_DATA;
export type EventType = CandidateEventType | ServiceEventType;

export const CANDIDATE_EVENT_TYPES = Object.keys(CANDIDATE_EVENT_DATA) as CandidateEventType[];
export const SERVICE_EVENT_TYPES = Object.keys(SERVICE_EVENT_DATA) as ServiceEventType[];
export const EVENT_TYPES: readonly EventType[] = [...CANDIDATE_EVENT_TYPES, ...SERVICE_EVENT_TYPES];

export function isCandidateEventType(type: string): type is CandidateEventType {
  return Object.hasOwn(CANDIDATE_EVENT_DATA, type);
}

export function isServiceEventType(type: string): type is ServiceEventType {
  return Object.hasOwn(SERVICE_EVENT_DATA, type);
}

/** What a caller passes to `recordEvent` (the seed's `{ type, fileId?, data }`). */
export const EventInputSchema = z.object({
  type: z.string().min(1).max(64),
  fileId: FileIdSchema.optional(),
  data: z.unknown(),
});
export type EventInput = z.infer<typeof EventInputSchema>;

/** An event as stored and replayed: `data` is parsed JSON. */
export const RecordedEventSchema = z.object({
  sessionId: z.string(),
  seq: z.number().int().positive(),
  timestamp: z.number().int().describe('milliseconds since the Unix epoch'),
  type: z.string(),
  fileId: z.string().nullable(),
  data: z.unknown(),
  hash: z.string(),
});
export type RecordedEvent = z.infer<typeof RecordedEventSchema>;

/** What `recordEvent` resolves with, once the event is committed. */
export const EventAckSchema = z.object({
  sessionId: z.string(),
  seq: z.number().int().positive(),
  timestamp: z.number().int(),
  hash: z.string(),
});
export type EventAck = z.infer<typeof EventAckSchema>;
