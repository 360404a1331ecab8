import { useState, type FormEvent } from 'react';

export interface StartSessionFormProps {
  disabled: boolean;
  /** Resolves true once the session started; the field is then cleared for the next one. */
  onStart(candidateId: string): Promise<boolean>;
}

/** A candidate id field and a Start button; the id is trimmed, and required. */
export function StartSessionForm({ disabled, onStart }: StartSessionFormProps) {
  const [candidateId, setCandidateId] = useState('');
  const trimmed = candidateId.trim();

  const submit = (event: FormEvent<HTMLFormElement>) => {
    // The CSP's form-action 'none' would refuse a real submission anyway.
    event.preventDefault();
    if (!trimmed) return;
    void onStart(trimmed).then((started) => started && setCandidateId(''));
  };

  return (
    <form className="start-form" onSubmit={submit}>
      <label htmlFor="candidate-id">Candidate id</label>
      <input
        id="candidate-id"
        value={candidateId}
        maxLength={256}
        autoComplete="off"
        spellCheck={false}
        onChange={(event) => setCandidateId(event.target.value)}
      />
      <button type="submit" disabled={disabled || !trimmed}>
        Start
      </button>
    </form>
  );
}
