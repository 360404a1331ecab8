import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Session } from '../../../shared/recording/session';
import { describeError } from '../describeError';
import type { InterviewLmClient } from '../interviewLmClient';
import { SettingsButton } from '../settings/SettingsScreen';

export interface StartScreenProps {
  client: InterviewLmClient;
  /** Something is starting (a new session, a resumption): the buttons wait. */
  busy: boolean;
  /** Why the last start failed, if it did. */
  error: string | null;
  onStart(candidateId: string): void;
  onResume(session: Session): void;
}

/**
 * Before anything is recorded: the candidate id (or interview code), a plain notice of what
 * the app records, and Start. A session a crash left open is offered for resumption first.
 */
export function StartScreen({ client, busy, error, onStart, onResume }: StartScreenProps) {
  const [candidateId, setCandidateId] = useState('');
  const [interrupted, setInterrupted] = useState<Session[]>([]);
  const [listError, setListError] = useState<string | null>(null);
  const trimmed = candidateId.trim();

  const refresh = useCallback(
    () =>
      client.sessions.listInterruptedSessions().then(
        (sessions) => setInterrupted(sessions),
        (failure: unknown) => setListError(describeError(failure)),
      ),
    [client],
  );

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const abandon = async (sessionId: string) => {
    try {
      await client.sessions.closeSession(sessionId, 'ABANDONED');
      await refresh();
    } catch (failure) {
      setListError(describeError(failure));
    }
  };

  const submit = (event: FormEvent) => {
    // The CSP's form-action 'none' would refuse a real submission anyway.
    event.preventDefault();
    if (trimmed && !busy) onStart(trimmed);
  };

  return (
    <main className="app start-screen">
      <header className="app-header">
        <div>
          <h1>InterviewLM</h1>
          <p className="muted">Coding interview</p>
        </div>
        <SettingsButton client={client} />
      </header>

      {interrupted.length > 0 && (
        <section className="panel current" data-testid="resume-panel">
          <h2>Continue where you left off</h2>
          <p>The app closed during an interview. You can continue it; the time it was closed is noted in the recording.</p>
          <ul className="session-list">
            {interrupted.map((session) => (
              <li key={session.id} data-testid="interrupted-session">
                <div>
                  <strong>{session.candidateId}</strong>
                  <span className="muted"> started {new Date(session.startedAt).toLocaleString()}</span>
                </div>
                <div className="actions">
                  <button type="button" data-testid="resume-session" disabled={busy} onClick={() => onResume(session)}>
                    Resume
                  </button>
                  <button type="button" className="secondary" disabled={busy} onClick={() => void abandon(session.id)}>
                    Discard
                  </button>
                </div>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section className="panel">
        <h2>Start the interview</h2>
        <form className="start-form" onSubmit={submit}>
          <label htmlFor="candidate-id">Candidate id or interview code</label>
          <input
            id="candidate-id"
            data-testid="candidate-input"
            value={candidateId}
            maxLength={256}
            autoComplete="off"
            spellCheck={false}
            onChange={(event) => setCandidateId(event.target.value)}
          />
          <button type="submit" data-testid="start-button" disabled={busy || !trimmed}>
            {busy ? 'Starting…' : 'Start'}
          </button>
        </form>
        <div className="notice recorded-notice" data-testid="recording-notice">
          <p>
            <strong>What is recorded once you press Start:</strong>
          </p>
          <ul>
            <li>everything you type in the editor, with your cursor, selections and regular copies of your code;</li>
            <li>files you create, rename or delete, and text you paste (its size and content);</li>
            <li>when this window gains or loses focus;</li>
            <li>your messages to the AI assistant and its answers;</li>
            <li>each test run and its results.</li>
          </ul>
          <p className="muted">Nothing is recorded before you press Start. The recording is saved on this computer and uploaded for review if this computer is set up to do so.</p>
        </div>
        {(error ?? listError) && (
          <p className="error" role="alert">
            {error ?? listError}
          </p>
        )}
      </section>
    </main>
  );
}
