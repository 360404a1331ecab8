import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChatContext, ChatMessage } from '../../../shared/ai/chat';
import { MAX_CHAT_MESSAGES } from '../../../shared/ai/chatLimits';
import type { EventPayloadOf } from '../../../shared/ipc/channel';
import type { InterviewLmContract } from '../../../shared/ipc/contract';
import { describeError } from '../describeError';
import type { InterviewLmClient } from '../interviewLmClient';

type AiChunk = EventPayloadOf<InterviewLmContract['events']['aiChunk']>;

/** One turn as the panel shows it. */
export interface AssistantTurn {
  role: 'user' | 'assistant';
  content: string;
  state: 'streaming' | 'done' | 'cancelled' | 'error';
  error?: string;
}

/** Tokens and cost of the session's exchanges. */
export interface AssistantTotals {
  tokens: number;
  cost: number;
  /** False once an answer came from a model without a price. */
  costKnown: boolean;
}

export interface AssistantState {
  availability: { available: boolean; reason: string | null; model: string } | null;
  turns: AssistantTurn[];
  streaming: boolean;
  totals: AssistantTotals;
  send(text: string, context: ChatContext): void;
  stop(): void;
}

/** The request being answered; chunks that arrive before its id is known wait in `early`. */
interface ActiveRequest {
  requestId: string | null;
  early: AiChunk[];
  stopRequested: boolean;
}

/**
 * The assistant conversation: sends the history with the interview context, streams the
 * answer from `aiChunk` events, stops it on request, and adds up tokens and cost. The main
 * process records each exchange in the session.
 */
export function useAssistant(client: InterviewLmClient, sessionId: string): AssistantState {
  const [availability, setAvailability] = useState<AssistantState['availability']>(null);
  const [turns, setTurns] = useState<AssistantTurn[]>([]);
  const [totals, setTotals] = useState<AssistantTotals>({ tokens: 0, cost: 0, costKnown: true });
  const [earlierTokens, setEarlierTokens] = useState(0);
  const [streaming, setStreaming] = useState(false);
  const active = useRef<ActiveRequest | null>(null);

  useEffect(() => {
    let live = true;
    const checkStatus = () =>
      client.ai.getStatus().then(
        (status) => live && setAvailability(status),
        (error: unknown) => live && setAvailability({ available: false, reason: describeError(error), model: '' }),
      );
    void checkStatus();
    // A key saved (or removed) on the settings screen applies to the next answer: say so at once.
    const stopWatchingSettings = client.on('settingsChanged', () => void checkStatus());
    // Tokens of earlier exchanges in this session (a resumed one); their cost was not kept.
    client.sessions.getSessionStats(sessionId).then(
      (stats) => live && setEarlierTokens(stats.totalTokensUsed),
      () => {},
    );
    return () => {
      live = false;
      stopWatchingSettings();
    };
  }, [client, sessionId]);

  const apply = useCallback((chunk: AiChunk) => {
    setTurns((turns) => {
      const last = turns.at(-1);
      if (!last || last.role !== 'assistant' || last.state !== 'streaming') return turns;
      const next: AssistantTurn = { ...last, content: last.content + chunk.content };
      if (chunk.done) next.state = chunk.error ? 'error' : chunk.cancelled ? 'cancelled' : 'done';
      if (chunk.error) next.error = chunk.error.message;
      return [...turns.slice(0, -1), next];
    });
    if (chunk.usage) {
      const usage = chunk.usage;
      setTotals((totals) => ({ tokens: totals.tokens + usage.totalTokens, cost: totals.cost + usage.estimatedCost, costKnown: totals.costKnown && usage.costKnown }));
    }
    if (chunk.done) {
      active.current = null;
      setStreaming(false);
    }
  }, []);

  useEffect(
    () =>
      client.on('aiChunk', (chunk) => {
        const request = active.current;
        if (!request) return;
        if (request.requestId === null) request.early.push(chunk);
        else if (chunk.requestId === request.requestId) apply(chunk);
      }),
    [client, apply],
  );

  const send = useCallback(
    (text: string, context: ChatContext) => {
      if (active.current || !text.trim()) return;
      const request: ActiveRequest = { requestId: null, early: [], stopRequested: false };
      active.current = request;
      setStreaming(true);
      const messages = conversation(turns, text);
      setTurns((turns) => [...turns, { role: 'user', content: text, state: 'done' }, { role: 'assistant', content: '', state: 'streaming' }]);
      client.ai.sendMessage(sessionId, { messages, context }).then(
        ({ requestId }) => {
          request.requestId = requestId;
          if (request.stopRequested) void client.ai.cancel(requestId).catch(() => {});
          for (const chunk of request.early.splice(0)) if (chunk.requestId === requestId) apply(chunk);
        },
        (error: unknown) => apply({ requestId: '', content: '', done: true, error: { code: 'SEND_FAILED', message: describeError(error) } }),
      );
    },
    [client, sessionId, turns, apply],
  );

  const stop = useCallback(() => {
    const request = active.current;
    if (!request) return;
    request.stopRequested = true;
    if (request.requestId) void client.ai.cancel(request.requestId).catch(() => {});
  }, [client]);

  return { availability, turns, streaming, totals: { ...totals, tokens: totals.tokens + earlierTokens }, send, stop };
}

/**
 * The messages to send: earlier turns that have text, then the new one, at most the
 * contract's limit, starting with the candidate's (the Messages API wants a user turn first).
 */
function conversation(turns: readonly AssistantTurn[], text: string): ChatMessage[] {
  const history = turns.filter((turn) => turn.state !== 'error' && turn.content.trim()).map(({ role, content }) => ({ role, content }));
  const messages = [...history, { role: 'user' as const, content: text }].slice(-MAX_CHAT_MESSAGES);
  while (messages.length > 1 && messages[0]!.role !== 'user') messages.shift();
  return messages;
}
