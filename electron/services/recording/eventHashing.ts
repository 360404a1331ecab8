import { hash } from 'node:crypto';
import { eventHashInput, genesisHashInput } from '../../../shared/recording/eventHash';

/** sha256 as lowercase hex; the one-shot form, since this runs for every recorded event. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** The hash a session's first event chains to. */
export function genesisHash(sessionId: string): string {
  return sha256Hex(genesisHashInput(sessionId));
}

/** An event's chained hash, over the input shared/recording/eventHash.ts defines. */
export function eventHash(event: Parameters<typeof eventHashInput>[0]): string {
  return sha256Hex(eventHashInput(event));
}
