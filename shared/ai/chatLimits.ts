/*
 * The sizes the assistant's requests are held to (chat.ts's schemas check them), kept apart
 * from those schemas: the page needs them at start, and importing them from chat.ts would
 * build every chat schema as the page loads. Sizes are in UTF-16 code units (`string.length`):
 * shared/ has no byte encoder, and a code unit is at most 3 UTF-8 bytes.
 */

/** The longest message a candidate (or a replayed assistant turn) may send. */
export const MAX_CHAT_MESSAGE_LENGTH = 32 * 1024;
/** The most messages one request may carry (the conversation so far, newest last). */
export const MAX_CHAT_MESSAGES = 100;
/** The longest problem description accepted in a context. */
export const MAX_PROBLEM_DESCRIPTION_LENGTH = 64 * 1024;
/**
 * The longest `currentCode` accepted in a context. Code this long is accepted, then trimmed
 * to its head and tail before it reaches the model (the system prompt says so).
 */
export const MAX_CONTEXT_CODE_LENGTH = 2 * 1024 * 1024;
