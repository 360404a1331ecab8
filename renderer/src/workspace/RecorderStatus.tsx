import { useEffect, useState } from 'react';
import { describeError } from '../describeError';
import type { EditorRecorder, RecorderFailure } from '../recording/editorRecorder';

/**
 * Says so when recording has trouble: events waiting while a failed call is retried, or one
 * the recorder refused. Silent while everything is acknowledged.
 */
export function RecorderStatus({ recorder }: { recorder: EditorRecorder }) {
  const [failure, setFailure] = useState<RecorderFailure | null>(null);
  const [pending, setPending] = useState(recorder.pendingCount);

  useEffect(() => {
    const disposers = [
      recorder.onDidFail(setFailure),
      recorder.onDidChangePending((count) => {
        setPending(count);
        // Everything acknowledged again: a retried failure is over.
        if (count === 0) setFailure((last) => (last?.willRetry ? null : last));
      }),
    ];
    return () => disposers.forEach((dispose) => dispose());
  }, [recorder]);

  if (!failure) return null;
  const text = failure.willRetry
    ? `Saving is retrying (${pending} waiting): ${describeError(failure.error)}`
    : `One ${failure.type} event could not be recorded: ${describeError(failure.error)}`;
  return (
    <span className="recorder-status warning" data-testid="recorder-status" role="status" title={text}>
      {failure.willRetry ? `Saving… ${pending} waiting` : 'Recording problem'}
    </span>
  );
}
