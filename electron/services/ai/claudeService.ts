import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { Stream } from '@anthropic-ai/sdk/core/streaming';
import type { Message, MessageCreateParamsBase, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import {
  ChatContextSchema,
  ChatMessagesSchema,
  type ChatAvailability,
  type ChatChunk,
  type ChatCompletion,
  type ChatContext,
  type ChatMessage,
  type ChatUsage,
} from '../../../shared/ai/chat';
import { AppError, isAppError } from '../../../shared/errors';
import type { ClaudeInteraction } from '../../../shared/recording/session';
import { parseOrThrow } from '../../../shared/validation';
import { currentApiKey, type ApiKeySource } from './apiKeyHolder';
import { estimateCost } from './modelPricing';
import { buildSystemPrompt } from './systemPrompt';

/** The longest answer asked for, in tokens. */
export const DEFAULT_MAX_TOKENS = 4096;
/** How long a stream waits for the model server to start answering (each attempt). */
export const DEFAULT_AI_TIMEOUT_MS = 60_000;
/**
 * How long getChatCompletion waits (each attempt): its response starts only once the whole
 * answer is written, so it gets the SDK's own default for whole answers.
 */
const WHOLE_ANSWER_TIMEOUT_MS = 10 * 60_000;

const NO_KEY_REASON = 'The AI assistant is unavailable: no ANTHROPIC_API_KEY is set on this computer.';

/** Where exchanges are recorded: the Session Recording Service fits. */
export interface ClaudeInteractionRecorder {
  recordClaudeInteraction(sessionId: string, interaction: ClaudeInteraction): Promise<unknown>;
}

/** What the service is built from. The API key stays in the main process: nothing here crosses to the renderer. */
export interface ClaudeServiceDeps {
  /**
   * null (or blank): the assistant is unavailable and says so; no request is ever made. A
   * source (ApiKeyHolder) is read at each request, so a key saved in settings applies to the
   * next one without a restart.
   */
  apiKey: string | null | ApiKeySource;
  /** An Anthropic-compatible server (gateway, local model server). Absent: the SDK reads ANTHROPIC_BASE_URL, else api.anthropic.com. */
  baseURL?: string;
  model: string;
  /** Default DEFAULT_MAX_TOKENS. */
  maxTokens?: number;
  /** Retries of 408/409/429/5xx (529 included) and connection failures, by the SDK, honouring retry-after. Default 2. */
  maxRetries?: number;
  /** Per attempt, until a stream's response starts. Default DEFAULT_AI_TIMEOUT_MS (getChatCompletion waits at least 10 minutes). */
  timeoutMs?: number;
  recorder?: ClaudeInteractionRecorder;
  /** Milliseconds, for latencies. Default performance.now. */
  now?: () => number;
  /** A ready client in place of one built from the settings above (tests, the bench). */
  client?: Anthropic;
}

/** Per-request options. */
export interface ChatRequestOptions {
  /** Aborting stops the request or the stream (see streamChatCompletion). */
  signal?: AbortSignal;
  /** When given, the candidate's message and the answer are recorded in this session. */
  sessionId?: string;
}

interface PreparedRequest {
  params: MessageCreateParamsBase;
  /** The candidate's message: the last of the conversation. */
  question: string;
}

/** What an exchange has produced so far; what is recorded. */
interface AnswerSoFar {
  text: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  stopReason: string | null;
  timeToFirstChunk?: number;
}

/**
 * The seed's Claude AI Service: answers a candidate's questions about the problem through the
 * Anthropic Messages API (or any server that speaks it), streamed or whole, and records every
 * exchange. Failures are AppErrors: VALIDATION_FAILED (bad input, before any request),
 * AI_UNAVAILABLE (no key, server unreachable, key refused, still busy after the retries;
 * the message says which, plainly), AI_FAILED (request refused, unusable answer), CANCELLED.
 */
export class ClaudeService {
  /** The model asked for. */
  readonly model: string;
  /** The client built for `clientKey`; rebuilt when the key source holds another key. */
  private builtClient: Anthropic | null = null;
  private clientKey: string | null = null;
  private readonly maxTokens: number;
  private readonly now: () => number;
  private readonly wholeAnswerTimeoutMs: number;

  constructor(private readonly deps: ClaudeServiceDeps) {
    this.model = deps.model;
    this.maxTokens = deps.maxTokens ?? DEFAULT_MAX_TOKENS;
    this.now = deps.now ?? (() => performance.now());
    this.wholeAnswerTimeoutMs = Math.max(deps.timeoutMs ?? 0, WHOLE_ANSWER_TIMEOUT_MS);
  }

  /**
   * The SDK client for the key in use now; null without a key. Without a key no client is
   * built: the SDK would otherwise look for credentials in profiles on disk, and the candidate
   * should hear "no key", not an SDK error.
   */
  private get client(): Anthropic | null {
    if (this.deps.client) return this.deps.client;
    const apiKey = currentApiKey(this.deps.apiKey);
    if (apiKey === null) return null;
    if (apiKey !== this.clientKey || !this.builtClient) {
      this.builtClient = new Anthropic({
        apiKey,
        // undefined (not null) lets the SDK's own default read ANTHROPIC_BASE_URL.
        baseURL: this.deps.baseURL || undefined,
        maxRetries: this.deps.maxRetries ?? 2,
        timeout: this.deps.timeoutMs ?? DEFAULT_AI_TIMEOUT_MS,
      });
      this.clientKey = apiKey;
    }
    return this.builtClient;
  }

  /** Whether requests can be made at all (a key is set); says why not, for the assistant panel. */
  get available(): ChatAvailability {
    return this.client ? { ok: true } : { ok: false, reason: NO_KEY_REASON };
  }

  /** The model server's URL, without any credentials in it; null without a key. */
  get serverUrl(): string | null {
    const client = this.client;
    return client ? displayUrl(client.baseURL) : null;
  }

  /**
   * Streams the answer to the conversation's last (candidate's) message: one chunk per text
   * delta as it arrives, then `{ content: '', done: true, usage, stopReason }`. Input is
   * validated, and the key checked, before any request (errors surface on the first `next()`).
   *
   * Cancelling (the signal aborts, or the consumer stops iterating) ends the iterator quietly:
   * no error and no `done` chunk reach a consumer that aborted, and the partial answer is
   * recorded with `cancelled: true`. A signal aborted before the call sends and records nothing. Text of tool_use blocks is not asked for and is ignored;
   * an answer with no text at all is AI_FAILED.
   */
  async *streamChatCompletion(messages: readonly ChatMessage[], context: ChatContext = {}, options: ChatRequestOptions = {}): AsyncGenerator<ChatChunk, void, undefined> {
    const { params, question } = this.prepare(messages, context);
    const client = this.requireClient();
    const { signal, sessionId } = options;
    if (signal?.aborted) return;
    const startedAt = this.now();
    const questionRecorded = this.recordQuestion(sessionId, question);
    const answer: AnswerSoFar = { text: '', model: this.model, inputTokens: 0, outputTokens: 0, stopReason: null };
    // Until the answer is complete, leaving this function means the consumer stopped it.
    let outcome: 'answered' | 'cancelled' | AppError = 'cancelled';
    let stream: Stream<RawMessageStreamEvent> | undefined;
    let complete = false;
    try {
      stream = await client.messages.create({ ...params, stream: true }, signal ? { signal } : undefined);
      await questionRecorded;
      // The raw events, not MessageStream: its bookkeeping costs time on every delta and we
      // need only text, usage and the stop reason.
      for await (const event of stream) {
        switch (event.type) {
          case 'content_block_delta':
            if (event.delta.type === 'text_delta') {
              if (answer.timeToFirstChunk === undefined) answer.timeToFirstChunk = this.now() - startedAt;
              answer.text += event.delta.text;
              yield { content: event.delta.text, done: false };
            }
            break;
          case 'message_start':
            answer.model = event.message.model || this.model;
            answer.inputTokens = event.message.usage.input_tokens;
            answer.outputTokens = event.message.usage.output_tokens;
            break;
          case 'message_delta':
            answer.outputTokens = event.usage.output_tokens;
            if (event.usage.input_tokens != null) answer.inputTokens = event.usage.input_tokens;
            answer.stopReason = event.delta.stop_reason;
            break;
          case 'message_stop':
            complete = true;
            break;
        }
      }
      // The SDK ends the iteration quietly when the request's signal aborts.
      if (signal?.aborted) return;
      if (!complete) throw this.unavailable('the connection to the model server at {url} was lost before the answer was complete.', { transient: true });
      if (answer.text === '') throw unusableAnswer(answer.stopReason);
      const usage = usageOf(answer);
      await this.recordAnswer(sessionId, answer, this.now() - startedAt, false, usage);
      outcome = 'answered';
      yield { content: '', done: true, usage, stopReason: answer.stopReason };
    } catch (error) {
      if (signal?.aborted || error instanceof APIUserAbortError) return;
      outcome = this.toAppError(error, stream !== undefined);
      throw outcome;
    } finally {
      if (!complete && stream && !stream.controller.signal.aborted) stream.controller.abort();
      if (outcome !== 'answered') await this.recordUnanswered(sessionId, questionRecorded, answer, startedAt, outcome);
    }
  }

  /**
   * The whole answer to the conversation's last message, with usage, the model that answered
   * and the latency. Aborting the signal rejects with CANCELLED (recorded as cancelled).
   */
  async getChatCompletion(messages: readonly ChatMessage[], context: ChatContext = {}, options: ChatRequestOptions = {}): Promise<ChatCompletion> {
    const { params, question } = this.prepare(messages, context);
    const client = this.requireClient();
    const { signal, sessionId } = options;
    if (signal?.aborted) throw cancelled();
    const startedAt = this.now();
    const questionRecorded = this.recordQuestion(sessionId, question);
    const answer: AnswerSoFar = { text: '', model: this.model, inputTokens: 0, outputTokens: 0, stopReason: null };
    try {
      const message: Message = await client.messages.create({ ...params, stream: false }, { timeout: this.wholeAnswerTimeoutMs, ...(signal ? { signal } : {}) });
      await questionRecorded;
      answer.model = message.model || this.model;
      answer.inputTokens = message.usage.input_tokens;
      answer.outputTokens = message.usage.output_tokens;
      answer.stopReason = message.stop_reason;
      for (const block of message.content) if (block.type === 'text') answer.text += block.text;
      if (answer.text === '') throw unusableAnswer(answer.stopReason);
      const usage = usageOf(answer);
      const latency = this.now() - startedAt;
      await this.recordAnswer(sessionId, answer, latency, false, usage);
      return { content: answer.text, usage, model: answer.model, latency, stopReason: answer.stopReason };
    } catch (error) {
      const failure = signal?.aborted || error instanceof APIUserAbortError ? cancelled() : this.toAppError(error, false);
      await this.recordUnanswered(sessionId, questionRecorded, answer, startedAt, failure.code === 'CANCELLED' ? 'cancelled' : failure);
      throw failure;
    }
  }

  /**
   * Whether the model server answers with this key (the seed's health check). Sends a
   * one-token request, no retries; a busy server (429, 5xx) counts as reachable.
   */
  async testConnection(): Promise<boolean> {
    return (await this.checkConnection()).ok;
  }

  /** testConnection, with the reason in words when the assistant cannot answer. */
  async checkConnection(): Promise<ChatAvailability> {
    const client = this.client;
    if (!client) return { ok: false, reason: NO_KEY_REASON };
    try {
      await client.messages.create({ model: this.model, max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] }, { maxRetries: 0 });
      return { ok: true };
    } catch (error) {
      if (error instanceof APIError && error.status !== undefined && (error.status === 429 || error.status >= 500)) return { ok: true };
      return { ok: false, reason: this.toAppError(error, false, 0).message };
    }
  }

  private prepare(messages: readonly ChatMessage[], context: ChatContext | undefined): PreparedRequest {
    const conversation = parseOrThrow(ChatMessagesSchema, messages, 'conversation');
    const interview = parseOrThrow(ChatContextSchema, context ?? {}, 'chat context');
    return {
      // The parsed messages are fresh { role, content } objects: the API's own shape.
      params: { model: this.model, max_tokens: this.maxTokens, system: buildSystemPrompt(interview), messages: conversation },
      question: conversation[conversation.length - 1]!.content,
    };
  }

  private requireClient(): Anthropic {
    const client = this.client;
    if (!client) throw new AppError('AI_UNAVAILABLE', NO_KEY_REASON, { reason: 'no_api_key', transient: false });
    return client;
  }

  /** Starts recording the candidate's message alongside the request, so it costs no latency. */
  private recordQuestion(sessionId: string | undefined, question: string): Promise<unknown> | null {
    if (!sessionId || !this.deps.recorder) return null;
    let recorded: Promise<unknown>;
    try {
      recorded = this.deps.recorder.recordClaudeInteraction(sessionId, { role: 'user', content: question });
    } catch (error) {
      recorded = Promise.reject(error);
    }
    // Awaited after the request is sent; this keeps an early failure from being "unhandled" meanwhile.
    recorded.catch(() => undefined);
    return recorded;
  }

  private async recordAnswer(sessionId: string | undefined, answer: AnswerSoFar, latency: number, wasCancelled: boolean, usage: ChatUsage, error?: AppError): Promise<void> {
    if (!sessionId || !this.deps.recorder) return;
    const interaction: ClaudeInteraction = {
      role: 'assistant',
      content: answer.text,
      model: answer.model,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      latency: Math.round(latency),
      cancelled: wasCancelled,
      stopReason: answer.stopReason,
    };
    if (usage.costKnown) interaction.estimatedCost = usage.estimatedCost;
    if (answer.timeToFirstChunk !== undefined) interaction.timeToFirstChunk = Math.round(answer.timeToFirstChunk);
    if (error) interaction.error = error.toPayload();
    await this.deps.recorder.recordClaudeInteraction(sessionId, interaction);
  }

  /**
   * Records how an exchange ended without a complete answer (cancelled, or failed). Never
   * throws: a cancelled exchange ends quietly and a failed one throws its own error, so a
   * recording failure here is dropped (the recorder's failures surface on every other event).
   * When the candidate's message could not be recorded, nothing more is.
   */
  private async recordUnanswered(sessionId: string | undefined, questionRecorded: Promise<unknown> | null, answer: AnswerSoFar, startedAt: number, outcome: 'cancelled' | AppError): Promise<void> {
    if (!questionRecorded) return;
    try {
      await questionRecorded;
      await this.recordAnswer(sessionId, answer, this.now() - startedAt, outcome === 'cancelled', usageOf(answer), outcome === 'cancelled' ? undefined : outcome);
    } catch {
      // See above.
    }
  }

  private unavailable(template: string, details: Record<string, unknown>): AppError {
    const url = this.serverUrl ?? 'the configured URL';
    return new AppError('AI_UNAVAILABLE', `The AI assistant is unavailable: ${template.replace('{url}', url)}`, { url, ...details });
  }

  /** The AppError for anything a request threw; `streaming`: the answer had started arriving. */
  private toAppError(error: unknown, streaming: boolean, retries = this.client?.maxRetries ?? 0): AppError {
    if (isAppError(error)) return error;
    if (error instanceof APIConnectionTimeoutError) {
      return this.unavailable('the model server at {url} did not answer in time.', { transient: true, attempts: retries + 1 });
    }
    if (error instanceof APIConnectionError) {
      const cause = error.cause instanceof Error ? (error.cause.cause instanceof Error ? error.cause.cause.message : error.cause.message) : undefined;
      return this.unavailable('cannot reach the model server at {url}.', { transient: true, cause });
    }
    if (error instanceof APIError) {
      const status = error.status;
      const details = { status: status ?? null, type: error.type, requestId: error.requestID ?? null };
      const said = error.apiMessage ? `: ${error.apiMessage}` : '';
      if (status === 401) return this.unavailable('the API key was refused by the model server at {url}.', { ...details, transient: false });
      if (status === 403) return this.unavailable(`the API key is not allowed to do this (HTTP 403${said}).`, { ...details, transient: false });
      if (status === 429) {
        return this.unavailable(`the model server at {url} is limiting requests (HTTP 429) and still was after ${retries} retries. Try again in a minute.`, { ...details, transient: true });
      }
      if (status !== undefined && status >= 500) {
        return this.unavailable(`the model server at {url} is overloaded or failing (HTTP ${status}) and still was after ${retries} retries. Try again in a minute.`, { ...details, transient: true });
      }
      // No status: an `error` event in the middle of a stream.
      if (status === undefined && (error.type === 'overloaded_error' || error.type === 'api_error')) {
        return this.unavailable(`the model server at {url} failed in the middle of the answer (${error.type}). Try again in a minute.`, { ...details, transient: true });
      }
      const label = status === undefined ? String(error.type ?? 'error') : `HTTP ${status}`;
      return new AppError('AI_FAILED', `The model server refused the request (${label}${said}).`, details);
    }
    const message = error instanceof Error ? error.message : String(error);
    // Mid-stream, anything else is the body being cut (undici's "terminated").
    if (streaming) return this.unavailable('the connection to the model server at {url} was lost before the answer was complete.', { transient: true, cause: message });
    return new AppError('AI_FAILED', `The AI request failed: ${message}`, { cause: message });
  }
}

function usageOf(answer: AnswerSoFar): ChatUsage {
  const cost = estimateCost(answer.model, answer.inputTokens, answer.outputTokens);
  return {
    inputTokens: answer.inputTokens,
    outputTokens: answer.outputTokens,
    totalTokens: answer.inputTokens + answer.outputTokens,
    estimatedCost: cost ?? 0,
    costKnown: cost !== null,
  };
}

function unusableAnswer(stopReason: string | null): AppError {
  const why = stopReason === 'tool_use' ? 'a tool call, which the assistant does not make' : stopReason === 'refusal' ? 'a refusal with no text' : 'no text';
  return new AppError('AI_FAILED', `The model server answered with ${why}.`, { status: 200, stopReason });
}

function cancelled(): AppError {
  return new AppError('CANCELLED', 'The request to the AI assistant was cancelled.');
}

/** A URL fit to show: no user, password or query. */
function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
