import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { ChatContext } from '../../../shared/ai/chat';
import { MAX_CHAT_MESSAGE_LENGTH } from '../../../shared/ai/chatLimits';
import type { InterviewLmClient } from '../interviewLmClient';
import type { EditorRecorder } from '../recording/editorRecorder';
import { formatCount } from './formatCount';
import { renderMarkdown } from './markdown';
import { useAssistant, type AssistantTurn } from './useAssistant';

export interface AssistantPanelProps {
  client: InterviewLmClient;
  sessionId: string;
  recorder: EditorRecorder;
  /** The question and the code as they are when a message is sent. */
  context(): ChatContext;
}

/** The AI assistant: the conversation, a streamed answer with Stop, and the session's tokens and cost. */
export function AssistantPanel({ client, sessionId, recorder, context }: AssistantPanelProps) {
  const assistant = useAssistant(client, sessionId);
  const [draft, setDraft] = useState('');
  const log = useRef<HTMLDivElement>(null);
  const unavailable = assistant.availability !== null && !assistant.availability.available;
  const lastAnswer = assistant.turns.findLastIndex((turn) => turn.role === 'assistant');

  useEffect(() => {
    log.current?.scrollTo({ top: log.current.scrollHeight });
  }, [assistant.turns]);

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (!draft.trim() || assistant.streaming || unavailable) return;
    assistant.send(draft, context());
    setDraft('');
  };

  const { tokens, cost, costKnown } = assistant.totals;
  return (
    <section className="assistant-panel" aria-label="AI assistant">
      <header>
        <h2>Assistant</h2>
        <span className="muted" data-testid="assistant-usage" data-tokens={tokens}>
          {formatCount(tokens)} tokens · {costKnown ? `$${cost.toFixed(4)}` : 'cost unknown'}
        </span>
      </header>
      {unavailable && (
        <p className="notice" data-testid="assistant-status">
          {assistant.availability?.reason ?? 'The assistant is not available.'}
        </p>
      )}
      <div className="assistant-log" ref={log}>
        {assistant.turns.length === 0 && !unavailable && <p className="muted">Ask about the problem, an approach or an error. Your messages are recorded.</p>}
        {assistant.turns.map((turn, index) => (
          <Turn key={index} turn={turn} latest={index === lastAnswer} />
        ))}
      </div>
      <form className="assistant-form" onSubmit={submit}>
        <textarea
          data-testid="assistant-input"
          value={draft}
          rows={3}
          maxLength={MAX_CHAT_MESSAGE_LENGTH}
          placeholder={unavailable ? 'Unavailable' : 'Ask the assistant (Enter to send, Shift+Enter for a new line)'}
          disabled={unavailable}
          onChange={(event) => setDraft(event.target.value)}
          onPaste={(event) => recorder.pasted(event.clipboardData.getData('text/plain'), { target: 'assistant' })}
          onKeyDown={(event) => {
            // Ctrl/Cmd+Enter stays the run-tests shortcut; plain Enter sends.
            if (event.key === 'Enter' && !event.shiftKey && !event.ctrlKey && !event.metaKey) submit(event);
          }}
        />
        {assistant.streaming ? (
          <button type="button" className="secondary" data-testid="assistant-stop" onClick={assistant.stop}>
            Stop
          </button>
        ) : (
          <button type="submit" data-testid="assistant-send" disabled={!draft.trim() || unavailable}>
            Send
          </button>
        )}
      </form>
    </section>
  );
}

function Turn({ turn, latest }: { turn: AssistantTurn; latest: boolean }) {
  const html = useMemo(() => (turn.role === 'assistant' ? renderMarkdown(turn.content) : null), [turn.role, turn.content]);
  if (turn.role === 'user') return <div className="turn user">{turn.content}</div>;
  return (
    <div className={`turn assistant ${turn.state}`} data-testid={latest ? 'assistant-answer' : 'assistant-message'} data-state={turn.state}>
      {/* Sanitized: an answer is model output. */}
      <div className="markdown" dangerouslySetInnerHTML={{ __html: html ?? '' }} />
      {turn.state === 'streaming' && turn.content === '' && <span className="muted">Thinking…</span>}
      {turn.state === 'cancelled' && <p className="muted">Stopped.</p>}
      {turn.state === 'error' && <p className="error">{turn.error}</p>}
    </div>
  );
}
