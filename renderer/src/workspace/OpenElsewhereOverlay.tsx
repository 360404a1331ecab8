import { useEffect, useState } from 'react';
import type { SessionWriter, WriterState } from './sessionWriter';

/** The writer's state, following its changes. */
export function useWriterState(writer: SessionWriter): WriterState {
  const [state, setState] = useState(writer.state);
  useEffect(() => {
    // It may have changed between the render and this effect.
    setState(writer.state);
    return writer.onDidChangeState(setState);
  }, [writer]);
  return state;
}

/**
 * Covers the workspace while another window (or tab) holds the session: says so, and offers
 * "Use it here". Nothing this window does is recorded meanwhile; what its recorder holds is
 * sent once it takes the session over.
 */
export function OpenElsewhereOverlay({ writer }: { writer: SessionWriter }) {
  const state = useWriterState(writer);
  if (state === 'here') return null;
  return (
    <div className="open-elsewhere" role="alertdialog" aria-modal="true" aria-labelledby="open-elsewhere-title" data-testid="open-elsewhere">
      <div className="open-elsewhere-box">
        <h2 id="open-elsewhere-title">This interview is open in another window</h2>
        <p className="muted">Only one window records an interview. Carry on there, or use it here: the other window then stops recording.</p>
        {writer.error && (
          <p className="error" role="alert">
            {writer.error}
          </p>
        )}
        <button type="button" data-testid="use-here" disabled={state === 'takingOver'} onClick={() => void writer.takeOver()}>
          {state === 'takingOver' ? 'Taking over…' : 'Use it here'}
        </button>
      </div>
    </div>
  );
}
