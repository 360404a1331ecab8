import type { Services } from '../../../../electron/services/container';
import type { RecordedEvent } from '../../../../shared/recording/eventTypes';
import { QUESTION_ID, generateSyntheticSession, recordStep, type SessionStep } from '../../../bench/syntheticSession';

/** Sessions in these tests start just before midnight UTC, so the date partition is unambiguous. */
export { storeOn } from '../../../helpers/s3rverServer';

export const SESSION_START = Date.UTC(2025, 2, 7, 23, 59, 30);

/**
 * Records a scripted interview (typing, snapshots, AI answers, test runs) through the real
 * recorder and reads its events back: what an upload is given in the app.
 */
export async function recordRealisticSession(
  services: Services,
  clock: { now: number },
  options: { seed?: number; targetEvents?: number } = {},
): Promise<{ sessionId: string; candidateId: string; events: RecordedEvent[] }> {
  const script = generateSyntheticSession({ seed: options.seed ?? 11, targetEvents: options.targetEvents ?? 2_000, durationMs: 20 * 60 * 1000 });
  const { sessions } = services;
  clock.now = SESSION_START;
  const candidateId = 'cand_123';
  const sessionId = (await sessions.createSession(candidateId, { questionId: QUESTION_ID })).id;
  const record = (step: SessionStep): Promise<unknown> => recordStep(sessions, sessionId, step);
  const pending: Promise<unknown>[] = [];
  for (const step of script.steps) {
    clock.now = SESSION_START + step.at;
    pending.push(record(step));
  }
  await Promise.all(pending);
  clock.now = SESSION_START + script.durationMs + 1_000;
  await sessions.closeSession(sessionId, 'COMPLETED');
  return { sessionId, candidateId, events: services.replay.getAllEvents(sessionId) };
}


/**
 * S3's answer (HTTP 200) to a DeleteObjects that refused these keys, each with its code: the
 * request succeeds, each refused key is named in the body (to keys without s3:DeleteObject, AccessDenied).
 */
export function deleteObjectsRefusedXml(refusals: readonly { key: string; code: string }[]): string {
  const errors = refusals.map(({ key, code }) => `<Error><Key>${key}</Key><Code>${code}</Code><Message>Refused: ${code}</Message></Error>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${errors}</DeleteResult>`;
}

/** Picks a DeleteObjects request (POST ?delete) out of what the fault proxy sees. */
export const isDeleteObjectsRequest = (request: { method: string; url: string }): boolean => request.method === 'POST' && /[?&]delete(=|&|$)/.test(request.url);

/** S3's answer to an unknown access key id, byte for byte as AWS sends it (RequestId shortened). */
export const INVALID_ACCESS_KEY_XML =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message><AWSAccessKeyId>AKIAWRONG</AWSAccessKeyId><RequestId>4442587FB7D0A2F9</RequestId></Error>';
