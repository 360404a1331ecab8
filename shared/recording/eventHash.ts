/**
 * The tamper-evidence chain. Each event's hash is sha256 over this input; the first event
 * chains to the session's genesis value. Both sides build the input here so a reviewer's
 * viewer and the recorder can never disagree on it.
 */

/** The `prevHash` of a session's first event. */
export function genesisHashInput(sessionId: string): string {
  return `interviewlm/v1/genesis\n${sessionId}`;
}

/** The exact text hashed for one event. `dataJson` is the stored JSON text of `data`. */
export function eventHashInput(event: {
  seq: number;
  timestamp: number;
  type: string;
  fileId: string | null;
  dataJson: string;
  prevHash: string;
}): string {
  // The header is JSON, so no field can forge another's boundary; dataJson is already JSON.
  const header = JSON.stringify([event.prevHash, event.seq, event.timestamp, event.type, event.fileId]);
  return `${header}\n${event.dataJson}`;
}
