import { useEffect, useState } from 'react';
import type { InterviewLmClient } from '../interviewLmClient';
import type { EditorRecorder } from '../recording/editorRecorder';
import type { EndStep } from './endInterview';
import { describeSyncStatus, isSyncSettled } from './syncStatusView';
import { useSyncStatus } from './useSyncStatus';

export interface EndingScreenProps {
  client: InterviewLmClient;
  sessionId: string;
  /** The step under way; 'syncing' once the session is closed. */
  step: EndStep | 'syncing';
  recorder: EditorRecorder;
  error: string | null;
  onSkipSaving(): void;
  onRetry(): void;
  /** The final sync is done, or the candidate leaves it to run in the background. */
  onFinish(): void;
}

const STEP_TEXT: Record<EndStep | 'syncing', string> = {
  saving: 'Saving your last changes…',
  submitting: 'Running every test on your solution…',
  closing: 'Closing the recording…',
  syncing: 'Uploading the recording…',
};

/** End interview's progress: the last events saved, the submission, then the final sync. */
export function EndingScreen({ client, sessionId, step, recorder, error, onSkipSaving, onRetry, onFinish }: EndingScreenProps) {
  const status = useSyncStatus(client, sessionId);
  const view = describeSyncStatus(status);
  const settled = step === 'syncing' && isSyncSettled(status);
  const stuck = useSavingTrouble(recorder, step === 'saving');

  useEffect(() => {
    if (settled) onFinish();
  }, [settled, onFinish]);

  return (
    <main className="app ending" data-testid="ending-screen" data-step={step}>
      <section className="panel">
        <h2>Ending the interview</h2>
        <p role="status">{STEP_TEXT[step]}</p>
        {step === 'syncing' && (
          <>
            <progress className="final-sync" data-testid="final-sync-progress" max={1} value={view.progress ?? undefined} />
            <p>
              <span data-testid="final-sync-state" data-state={status?.state ?? 'unknown'}>
                {view.label}
              </span>
              {view.detail && <span className="muted"> · {view.detail}</span>}
            </p>
            {/* The upload carries on in the main process (and after a restart): no need to wait. */}
            {!settled && status && (
              <button type="button" data-testid="finish-without-sync" onClick={onFinish}>
                {status.state === 'syncing' ? 'Finish; keep uploading in the background' : 'Finish; upload later'}
              </button>
            )}
          </>
        )}
        {stuck && (
          <p className="notice">
            {stuck}{' '}
            <button type="button" className="secondary" data-testid="skip-saving" onClick={onSkipSaving}>
              End without them
            </button>
          </p>
        )}
        {error && (
          <p className="error" role="alert">
            {error}{' '}
            <button type="button" onClick={onRetry}>
              Try again
            </button>
          </p>
        )}
      </section>
    </main>
  );
}

/** While saving: a sentence once the recorder reports failures, or null. */
function useSavingTrouble(recorder: EditorRecorder, saving: boolean): string | null {
  const [trouble, setTrouble] = useState<string | null>(null);
  useEffect(() => {
    if (!saving) return;
    return recorder.onDidFail((failure) => setTrouble(`${failure.pending} events are not saved yet; retrying (attempt ${failure.attempt}).`));
  }, [recorder, saving]);
  return saving ? trouble : null;
}
