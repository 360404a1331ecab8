import { useEffect, useState } from 'react';
import { describeError } from '../describeError';
import type { EditorRecorder, RecorderFailure } from '../recording/editorRecorder';

/** What the status shows: the last failure, and how many events wait behind it. */
interface Trouble {
  failure: RecorderFailure;
  pending: number;
}

/**
 * Says so when recording has trouble: events waiting while a failed call is retried, or one
 * the recorder refused. Silent while everything is acknowledged.
 */
export function RecorderStatus({ recorder }: { recorder: EditorRecorder }) {
  const [trouble, setTrouble] = useState<Trouble | null>(null);

  useEffect(() => {
    let shown: Trouble | null = null;
    const show = (next: Trouble | null) => {
      shown = next;
      setTrouble(next);
    };
    const disposers = [
      recorder.onDidFail((failure) => show({ failure, pending: recorder.pendingCount })),
      recorder.onDidChangePending((pending) => {
        // The count changes with every batch of keystrokes: followed only while it is shown,
        // so that typing does not re-render this component.
        if (!shown) return;
        // Everything acknowledged again: a retried failure is over.
        show(pending === 0 && shown.failure.willRetry ? null : { failure: shown.failure, pending });
      }),
    ];
    return () => disposers.forEach((dispose) => dispose());
  }, [recorder]);

  if (!trouble) return null;
  const { failure, pending } = trouble;
  const text = failure.willRetry
    ? `Saving is retrying (${pending} waiting): ${describeError(failure.error)}`
    : `One ${failure.type} event could not be recorded: ${describeError(failure.error)}`;
  return (
    <span className="recorder-status warning" data-testid="recorder-status" role="status" title={text}>
      {failure.willRetry ? `Saving… ${pending} waiting` : 'Recording problem'}
    </span>
  );
}
