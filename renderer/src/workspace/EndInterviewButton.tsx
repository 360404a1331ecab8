import { useState } from 'react';

/** End interview, behind a confirmation: ending stops the recording for good. */
export function EndInterviewButton({ onConfirm }: { onConfirm(): void }) {
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button type="button" className="danger" data-testid="end-interview" onClick={() => setConfirming(true)}>
        End interview
      </button>
    );
  }
  return (
    <span className="end-confirm" role="alertdialog" aria-label="End the interview?">
      End the interview? Your code is submitted and you cannot return to it.
      <button type="button" className="danger" data-testid="confirm-end" onClick={onConfirm}>
        End now
      </button>
      <button type="button" className="secondary" data-testid="cancel-end" onClick={() => setConfirming(false)}>
        Keep working
      </button>
    </span>
  );
}
