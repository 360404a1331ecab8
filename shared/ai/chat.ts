import { z } from 'zod';
import { MAX_CHAT_MESSAGE_LENGTH, MAX_CHAT_MESSAGES, MAX_CONTEXT_CODE_LENGTH, MAX_PROBLEM_DESCRIPTION_LENGTH } from './chatLimits';

/*
 * The AI assistant's messages and answers, shared by the main process (which talks to the
 * model server) and the renderer (which shows the conversation). Sizes are in UTF-16 code
 * units (`string.length`), as chatLimits.ts explains.
 */

/** Who said a message. */
export const ChatRoleSchema = z.enum(['user', 'assistant']);
export type ChatRole = z.infer<typeof ChatRoleSchema>;

/** One turn of the conversation. Text must not be blank: the Messages API refuses blank turns. */
export const ChatMessageSchema = z.strictObject({
  role: ChatRoleSchema,
  content: z
    .string()
    .max(MAX_CHAT_MESSAGE_LENGTH, `a message must be at most ${MAX_CHAT_MESSAGE_LENGTH} characters`)
    .regex(/\S/, 'a message must not be blank'),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

/** The conversation sent with a request: 1 to 100 turns, the newest last and from the candidate. */
export const ChatMessagesSchema = z
  .array(ChatMessageSchema)
  .min(1, 'the conversation needs at least one message')
  .max(MAX_CHAT_MESSAGES, `the conversation may hold at most ${MAX_CHAT_MESSAGES} messages`)
  .refine((messages) => messages[messages.length - 1]?.role === 'user', 'the last message must be from the user');

/** What the assistant is told about the interview. Every field is optional; unknown fields are dropped. */
export const ChatContextSchema = z.object({
  problemTitle: z.string().max(500).optional(),
  problemDescription: z.string().max(MAX_PROBLEM_DESCRIPTION_LENGTH).optional(),
  /** The programming language the candidate is writing. */
  language: z.string().max(64).optional(),
  /** The candidate's code as it is now; trimmed before it reaches the model when long. */
  currentCode: z.string().max(MAX_CONTEXT_CODE_LENGTH).optional(),
});
export type ChatContext = z.infer<typeof ChatContextSchema>;

/** Tokens and cost of one exchange. */
export const ChatUsageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
  /** USD, from the app's price table; 0 when the model is not in it (see `costKnown`). */
  estimatedCost: z.number().nonnegative(),
  /** False when the model has no price in the table (a local model server, a newer model). */
  costKnown: z.boolean(),
});
export type ChatUsage = z.infer<typeof ChatUsageSchema>;

/**
 * One piece of a streamed answer: text as it arrives (`done: false`), then one last chunk
 * with no text, `done: true`, the usage and why the model stopped.
 */
export const ChatChunkSchema = z.object({
  content: z.string(),
  done: z.boolean(),
  usage: ChatUsageSchema.optional(),
  /** On the last chunk: `end_turn`, or `max_tokens` when the answer was cut at the length limit. */
  stopReason: z.string().nullable().optional(),
});
export type ChatChunk = z.infer<typeof ChatChunkSchema>;

/** A whole answer, as getChatCompletion returns it. */
export const ChatCompletionSchema = z.object({
  content: z.string(),
  usage: ChatUsageSchema,
  /** The model that answered, as the server named it. */
  model: z.string(),
  /** Milliseconds from sending the request to having the whole answer. */
  latency: z.number().nonnegative(),
  stopReason: z.string().nullable(),
});
export type ChatCompletion = z.infer<typeof ChatCompletionSchema>;

/** Whether the assistant can answer on this computer, and if not, why, in words for the candidate. */
export type ChatAvailability = { ok: true } | { ok: false; reason: string };
