import { randomUUID } from 'node:crypto';
import { isAppError } from '../../shared/errors';
import type { ChatContext, ChatMessage } from '../../shared/ai/chat';
import type { InterviewLmContract } from '../../shared/ipc/contract';
import type { ClaudeService } from '../services/ai/claudeService';
import type { EventHub } from './eventHub';

/**
 * The assistant's answers as IPC events: `start` returns at once with a request id, and the
 * answer streams to the page as `aiChunk` events, ending with `done`, an error, or
 * `cancelled`. Each stream has its AbortController here, so the stop button (`cancel`), or
 * the page going away (`dispose`), stops the request at the model server.
 */
export class AiStreams {
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly ai: ClaudeService,
    private readonly events: EventHub<InterviewLmContract>,
  ) {}

  start(sessionId: string, messages: ChatMessage[], context: ChatContext): { requestId: string } {
    const requestId = `ai_${randomUUID().replaceAll('-', '')}`;
    const controller = new AbortController();
    this.running.set(requestId, controller);
    void this.pump(requestId, sessionId, messages, context, controller.signal).finally(() => this.running.delete(requestId));
    return { requestId };
  }

  /** Stops one stream; an unknown or finished id is a no-op (the answer may have just ended). */
  cancel(requestId: string): void {
    this.running.get(requestId)?.abort();
  }

  dispose(): void {
    for (const controller of this.running.values()) controller.abort();
    this.running.clear();
  }

  private async pump(requestId: string, sessionId: string, messages: ChatMessage[], context: ChatContext, signal: AbortSignal): Promise<void> {
    try {
      for await (const chunk of this.ai.streamChatCompletion(messages, context, { signal, sessionId })) {
        this.events.emit('aiChunk', { requestId, ...chunk });
      }
      // The service ends a cancelled stream quietly; the page still needs to hear that it ended.
      if (signal.aborted) this.events.emit('aiChunk', { requestId, content: '', done: true, cancelled: true });
    } catch (error) {
      const payload = isAppError(error) ? { code: error.code, message: error.message } : { code: 'INTERNAL', message: 'The assistant failed unexpectedly.' };
      this.events.emit('aiChunk', { requestId, content: '', done: true, error: payload });
    }
  }
}
