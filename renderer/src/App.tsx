import { useCallback, useEffect, useState } from 'react';
import type { Session } from '../../shared/recording/session';
import { describeError } from './describeError';
import { InterruptedSessionList } from './InterruptedSessionList';
import type { InterviewLmClient } from './interviewLmClient';
import { StartSessionForm } from './StartSessionForm';

type AppInfo = Awaited<ReturnType<InterviewLmClient['app']['getInfo']>>;

/** The client is passed in, so a test can hand in one over an in-memory transport. */
export interface AppProps {
  client: InterviewLmClient;
}

/**
 * The start screen: what is running and where it records, the sessions a previous run left
 * open (resume or abandon them), and a form to start a new recording. The workspace that
 * takes over once a session runs comes in a later release.
 */
export function App({ client }: AppProps) {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [interrupted, setInterrupted] = useState<Session[] | null>(null);
  const [current, setCurrent] = useState<Session | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const refreshInterrupted = useCallback(async () => setInterrupted(await client.sessions.listInterruptedSessions()), [client]);

  useEffect(() => {
    let live = true;
    Promise.all([client.app.getInfo(), client.sessions.listInterruptedSessions()]).then(
      ([appInfo, sessions]) => {
        if (!live) return;
        setInfo(appInfo);
        setInterrupted(sessions);
      },
      (failure: unknown) => live && setError(describeError(failure)),
    );
    return () => {
      live = false;
    };
  }, [client]);

  // A session can be closed from elsewhere later (the workspace, a proctor); keep the list true.
  useEffect(
    () =>
      client.on('sessionClosed', ({ sessionId }) => {
        setCurrent((session) => (session?.id === sessionId ? null : session));
        refreshInterrupted().catch((failure: unknown) => setError(describeError(failure)));
      }),
    [client, refreshInterrupted],
  );

  /**
   * Runs one session action at a time; the session it returns becomes current while it
   * records. Resolves false when it failed (the error is shown).
   */
  const run = async (action: () => Promise<Session>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      const session = await action();
      if (session.status === 'ACTIVE') setCurrent(session);
      await refreshInterrupted();
      return true;
    } catch (failure) {
      setError(describeError(failure));
      return false;
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="app">
      <header className="app-header">
        <h1>{info ? `${info.name} ${info.version}` : 'InterviewLM'}</h1>
        {info && (
          <p className="muted" title={info.dataDir}>
            Recording to <code>{info.databasePath}</code>
          </p>
        )}
      </header>

      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}

      {current && (
        <section className="panel current">
          <h2>Recording</h2>
          <p>
            Session <code>{current.id}</code> for candidate <strong>{current.candidateId}</strong>, started{' '}
            {new Date(current.startedAt).toLocaleString()}. The coding workspace arrives in a later release.
          </p>
        </section>
      )}

      <section className="panel">
        <h2>Start a session</h2>
        <StartSessionForm disabled={busy} onStart={(candidateId) => run(() => client.sessions.createSession(candidateId))} />
      </section>

      <section className="panel">
        <h2>Interrupted sessions</h2>
        <InterruptedSessionList
          sessions={interrupted}
          disabled={busy}
          onResume={(sessionId) => run(() => client.sessions.resumeSession(sessionId))}
          onClose={(sessionId) => run(() => client.sessions.closeSession(sessionId, 'ABANDONED'))}
        />
      </section>
    </main>
  );
}
