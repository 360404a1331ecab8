import { useEffect, useState } from 'react';
import type { SessionStats } from '../../../shared/recording/session';
import { describeError } from '../describeError';
import type { InterviewLmClient } from '../interviewLmClient';
import type { EndedInterview } from './endInterview';
import { formatCount } from './formatCount';
import { formatElapsed } from './formatTime';
import { describeSyncStatus } from './syncStatusView';
import { useSyncStatus } from './useSyncStatus';

export interface DoneScreenProps {
  client: InterviewLmClient;
  ended: EndedInterview;
  onStartAgain(): void;
}

/** The interview is over: what was recorded, the score, where the recording stands, a copy to save. */
export function DoneScreen({ client, ended, onStartAgain }: DoneScreenProps) {
  const { session, submission } = ended;
  const [stats, setStats] = useState<SessionStats | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  const sync = describeSyncStatus(useSyncStatus(client, session.id));

  useEffect(() => {
    let live = true;
    client.sessions.getSessionStats(session.id).then(
      (value) => live && setStats(value),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [client, session.id]);

  const exportCopy = async () => {
    try {
      const result = await client.sync.exportSession(session.id);
      setExported(result ? `Saved to ${result.path}` : null);
    } catch (error) {
      setExported(describeError(error));
    }
  };

  return (
    <main className="app" data-testid="done-screen">
      <section className="panel">
        <h2>Interview complete</h2>
        <p>Thank you. Your interview has ended and its recording is saved on this computer.</p>
        {submission && 'result' in submission && (
          <p data-testid="done-score">
            Final run: {submission.result.passedTests} of {submission.result.totalTests} tests passed.
          </p>
        )}
        {submission && 'error' in submission && <p className="error">Your code could not be run a final time: {submission.error}</p>}
        {stats && (
          <ul className="stats" data-testid="done-stats">
            <li>Duration: {formatElapsed(stats.durationMs)}</li>
            <li>Events recorded: {stats.eventCount}</li>
            <li>Code snapshots: {stats.snapshotCount}</li>
            <li>
              Test case results: {stats.testsPassedCount} passed of {stats.testResultCount}
            </li>
            <li>Assistant exchanges: {stats.aiInteractionCount} ({formatCount(stats.totalTokensUsed)} tokens)</li>
          </ul>
        )}
        <p>
          Recording: <strong data-testid="done-sync-state">{sync.label}</strong>
          {sync.detail && <span className="muted"> · {sync.detail}</span>}
        </p>
        <div className="actions">
          <button type="button" className="secondary" onClick={() => void exportCopy()}>
            Save a copy to a file…
          </button>
          <button type="button" data-testid="start-again" onClick={onStartAgain}>
            Back to start
          </button>
        </div>
        {exported && <p className="muted">{exported}</p>}
      </section>
    </main>
  );
}
