import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A loopback stand-in for the Anthropic Messages API: node:http on 127.0.0.1 answering
 * POST /v1/messages the way api.anthropic.com does, so tests and the bench drive the real
 * SDK end to end with no internet. Answers are scripted per request (a queue, then a
 * default): text, whole or streamed as SSE in N deltas with pauses; a tool_use block; an
 * HTTP error (with retry-after); an `error` event in the middle of a stream. Every request is
 * logged with its headers, body and arrival time.
 *
 * The SSE events and JSON shapes are those the SDK parses: message_start (the message with
 * empty content and its usage), content_block_start / _delta / _stop per block,
 * message_delta (stop_reason, usage.output_tokens), message_stop.
 */

/** A text answer. */
export interface TextAnswer {
  kind: 'text';
  /** The whole text, split into `deltas` pieces; or the pieces themselves. */
  text: string | readonly string[];
  /** Pieces a string is split into when streamed. Default 1 per ~20 characters, at least 1. */
  deltas?: number;
  /**
   * Pause before each delta after the first, when streamed. Absent: the deltas are written back
   * to back (they reach the client in one read); 0: one event-loop turn apart, so each arrives
   * in its own read, as the API's do, without waiting.
   */
  delayMs?: number;
  /** Pause between the response headers and the first delta. Default 0. */
  firstDelayMs?: number;
  /** Pause before the response starts (before its headers): a server slow to answer. Default 0. */
  headersDelayMs?: number;
  inputTokens?: number;
  /** Default: one per delta. */
  outputTokens?: number;
  stopReason?: string;
  /** The model named in the answer. Default: the model asked for. */
  model?: string;
  /** Streamed only: after this many deltas, send an `error` event instead of the rest. */
  errorAfterDeltas?: number;
  /** Streamed only: after this many deltas, cut the connection without finishing. */
  dropAfterDeltas?: number;
}

/** An answer holding a tool_use block (preceded by text when `text` is given). */
export interface ToolUseAnswer {
  kind: 'tool_use';
  name: string;
  input: Record<string, unknown>;
  text?: string;
}

/** An HTTP error, with the body the API sends. */
export interface ErrorAnswer {
  kind: 'error';
  status: number;
  /** The error's `type`. Default: the one the API uses for the status. */
  type?: string;
  message?: string;
  /** The retry-after header, in seconds (as the API sends it). */
  retryAfter?: string;
}

/** What the server answers to one request. */
export type LoopbackAnswer = TextAnswer | ToolUseAnswer | ErrorAnswer;

/** One request as received. */
export interface LoopbackRequest {
  /** performance.now() when the request's headers arrived. */
  at: number;
  method: string;
  path: string;
  /** Lower-cased names. */
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (null when it was not JSON). */
  body: { model?: string; max_tokens?: number; stream?: boolean; system?: unknown; messages?: Array<{ role: string; content: unknown }> } | null;
  /** Set when the client closed the connection before the answer was complete. */
  abortedAt?: number;
  /** The status answered. */
  status?: number;
}

/** The running server; see the module comment. */
export interface AnthropicLoopbackServer {
  /** Base URL to give the SDK (`baseURL`), e.g. http://127.0.0.1:40123. */
  readonly url: string;
  /** Every request, in arrival order. */
  readonly requests: readonly LoopbackRequest[];
  /** Answers the next requests with these, in order, before falling back to the default. */
  enqueue(...answers: LoopbackAnswer[]): void;
  /** Answers the next `count` requests with `error`, then carries on with the queue. */
  failFirst(count: number, error: Omit<ErrorAnswer, 'kind'>): void;
  /** The answer once the queue is empty. */
  setDefault(answer: LoopbackAnswer): void;
  /** Empties the queue and the log, and restores the default answer. */
  reset(): void;
  /** Resolves once `count` requests have been seen (or rejects after `timeoutMs`). */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface AnthropicLoopbackOptions {
  /** The key requests must carry (x-api-key, or Authorization: Bearer); others get 401. Default: any key. */
  apiKey?: string;
  defaultAnswer?: LoopbackAnswer;
}

const DEFAULT_ANSWER: TextAnswer = { kind: 'text', text: 'Think about what the loop invariant should be.', inputTokens: 120 };

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** Starts the server on an ephemeral loopback port. */
export async function startAnthropicLoopbackServer(options: AnthropicLoopbackOptions = {}): Promise<AnthropicLoopbackServer> {
  const requests: LoopbackRequest[] = [];
  let queue: LoopbackAnswer[] = [];
  let defaultAnswer: LoopbackAnswer = options.defaultAnswer ?? DEFAULT_ANSWER;
  let waiters: Array<{ count: number; resolve: () => void }> = [];
  let messageCounter = 0;

  const server = createServer((req, res) => {
    const entry: LoopbackRequest = { at: performance.now(), method: req.method ?? '', path: req.url ?? '', headers: { ...req.headers }, body: null };
    requests.push(entry);
    waiters = waiters.filter((waiter) => (requests.length >= waiter.count ? (waiter.resolve(), false) : true));
    readBody(req)
      .then((text) => {
        try {
          entry.body = JSON.parse(text) as LoopbackRequest['body'];
        } catch {
          entry.body = null;
        }
        return answer(entry, res);
      })
      .catch(() => res.destroy());
  });

  async function answer(entry: LoopbackRequest, res: ServerResponse): Promise<void> {
    res.on('close', () => {
      if (!res.writableFinished) entry.abortedAt = performance.now();
    });
    if (entry.method !== 'POST' || entry.path.split('?')[0] !== '/v1/messages') {
      return sendError(entry, res, { kind: 'error', status: 404, message: `No route ${entry.method} ${entry.path}` });
    }
    const key = headerValue(entry.headers['x-api-key']) ?? headerValue(entry.headers.authorization)?.replace(/^Bearer /, '');
    if (!key || (options.apiKey !== undefined && key !== options.apiKey)) {
      return sendError(entry, res, { kind: 'error', status: 401, message: 'invalid x-api-key' });
    }
    const body = entry.body;
    const invalid = !body ? 'the body is not JSON' : typeof body.model !== 'string' ? 'model: Field required' : typeof body.max_tokens !== 'number' ? 'max_tokens: Field required' : !Array.isArray(body.messages) || body.messages.length === 0 ? 'messages: at least one message is required' : null;
    if (invalid) return sendError(entry, res, { kind: 'error', status: 400, message: invalid });
    const scripted = queue.shift() ?? defaultAnswer;
    if (scripted.kind === 'error') return sendError(entry, res, scripted);
    const model = (scripted.kind === 'text' && scripted.model) || body!.model!;
    const id = `msg_loopback_${++messageCounter}`;
    if (scripted.kind === 'text' && scripted.headersDelayMs) await pause(scripted.headersDelayMs);
    if (res.destroyed) return;
    entry.status = 200;
    if (body!.stream) await streamAnswer(res, scripted, model, id);
    else sendJson(res, 200, wholeMessage(scripted, model, id));
  }

  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address() as AddressInfo));
  });

  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    enqueue: (...answers) => void queue.push(...answers),
    failFirst: (count, error) => void queue.unshift(...Array.from({ length: count }, () => ({ kind: 'error', ...error }) as ErrorAnswer)),
    setDefault: (next) => void (defaultAnswer = next),
    reset: () => {
      queue = [];
      requests.length = 0;
      defaultAnswer = options.defaultAnswer ?? DEFAULT_ANSWER;
    },
    waitForRequests: (count, timeoutMs = 5000) =>
      requests.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`expected ${count} requests, saw ${requests.length}`)), timeoutMs);
            waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
          }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'request-id': `req_loopback_${Date.now()}`, ...headers });
  res.end(text);
}

function sendError(entry: LoopbackRequest, res: ServerResponse, error: ErrorAnswer): void {
  entry.status = error.status;
  const type = error.type ?? ERROR_TYPES[error.status] ?? 'api_error';
  sendJson(res, error.status, { type: 'error', error: { type, message: error.message ?? type } }, error.retryAfter === undefined ? {} : { 'retry-after': error.retryAfter });
}

/** The pieces a text answer is streamed in. */
function piecesOf(answer: TextAnswer): string[] {
  const text = answer.text;
  if (typeof text !== 'string') return [...text];
  const count = Math.max(1, Math.min(text.length, answer.deltas ?? Math.ceil(text.length / 20)));
  const size = Math.ceil(text.length / count);
  return Array.from({ length: count }, (_, index) => text.slice(index * size, (index + 1) * size)).filter((piece) => piece !== '');
}

function usageOf(inputTokens: number, outputTokens: number) {
  return { input_tokens: inputTokens, output_tokens: outputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: null, inference_geo: null, output_tokens_details: null, server_tool_use: null, service_tier: 'standard' };
}

function messageShell(id: string, model: string, content: unknown[], stopReason: string | null, inputTokens: number, outputTokens: number) {
  return { id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, stop_details: null, container: null, diagnostics: null, usage: usageOf(inputTokens, outputTokens) };
}

function toolUseBlock(answer: ToolUseAnswer, input: unknown) {
  return { type: 'tool_use', id: 'toolu_loopback_1', name: answer.name, input, caller: { type: 'direct' } };
}

function wholeMessage(answer: TextAnswer | ToolUseAnswer, model: string, id: string) {
  if (answer.kind === 'tool_use') {
    const content = [...(answer.text ? [{ type: 'text', text: answer.text, citations: null }] : []), toolUseBlock(answer, answer.input)];
    return messageShell(id, model, content, 'tool_use', 150, 40);
  }
  const pieces = piecesOf(answer);
  return messageShell(id, model, [{ type: 'text', text: pieces.join(''), citations: null }], answer.stopReason ?? 'end_turn', answer.inputTokens ?? 100, answer.outputTokens ?? pieces.length);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

async function streamAnswer(res: ServerResponse, answer: TextAnswer | ToolUseAnswer, model: string, id: string): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'request-id': `req_loopback_${Date.now()}` });
  const send = (event: string, data: unknown) => {
    if (!res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const inputTokens = answer.kind === 'text' ? (answer.inputTokens ?? 100) : 150;
  send('message_start', { type: 'message_start', message: messageShell(id, model, [], null, inputTokens, 1) });
  // The API interleaves pings; the SDK must skip them.
  send('ping', { type: 'ping' });

  if (answer.kind === 'tool_use') {
    let index = 0;
    if (answer.text) {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '', citations: null } });
      send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: answer.text } });
      send('content_block_stop', { type: 'content_block_stop', index });
      index++;
    }
    send('content_block_start', { type: 'content_block_start', index, content_block: toolUseBlock(answer, {}) });
    const json = JSON.stringify(answer.input);
    const half = Math.ceil(json.length / 2);
    for (const partial of [json.slice(0, half), json.slice(half)]) {
      send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: partial } });
    }
    send('content_block_stop', { type: 'content_block_stop', index });
    send('message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null, stop_details: null, container: null }, usage: { output_tokens: 40 } });
    send('message_stop', { type: 'message_stop' });
    res.end();
    return;
  }

  const pieces = piecesOf(answer);
  send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '', citations: null } });
  if (answer.firstDelayMs) await pause(answer.firstDelayMs);
  for (let index = 0; index < pieces.length; index++) {
    if (res.destroyed) return;
    if (index === answer.errorAfterDeltas) {
      send('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
      res.end();
      return;
    }
    if (index === answer.dropAfterDeltas) {
      res.destroy();
      return;
    }
    if (index > 0 && answer.delayMs !== undefined) await (answer.delayMs > 0 ? pause(answer.delayMs) : nextTurn());
    send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: pieces[index] } });
  }
  send('content_block_stop', { type: 'content_block_stop', index: 0 });
  send('message_delta', {
    type: 'message_delta',
    delta: { stop_reason: answer.stopReason ?? 'end_turn', stop_sequence: null, stop_details: null, container: null },
    usage: { output_tokens: answer.outputTokens ?? pieces.length },
  });
  send('message_stop', { type: 'message_stop' });
  res.end();
}
