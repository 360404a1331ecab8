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
  // The header is the JSON array [prevHash, seq, timestamp, type, fileId], so no field can forge
  // another's boundary; dataJson is already JSON. Spelled out rather than JSON.stringify'd
  // because this runs for every event; prevHash is hex and the numbers are integers, so only
  // the strings need escaping. A test holds it equal to the JSON.stringify form.
  const fileId = event.fileId === null ? 'null' : JSON.stringify(event.fileId);
  return `["${event.prevHash}",${event.seq},${event.timestamp},${JSON.stringify(event.type)},${fileId}]\n${event.dataJson}`;
}
