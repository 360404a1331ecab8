import type { RecordedEvent } from '../../shared/recording/eventTypes';
import type { SessionStep } from './syntheticSession';

/** One event as the seed's uploadSessionRecording takes it: an ISO timestamp, the type, the data. */
export interface SeedEvent {
  timestamp: string;
  type: string;
  fileId?: string;
  data: unknown;
}

/** The seed's recording body: what it gzips and puts in S3. */
export interface SeedRecording {
  sessionId: string;
  metadata: Record<string, string>;
  events: SeedEvent[];
}

/**
 * The same session as the seed would store it: every recorded event with an ISO timestamp
 * and its data as given, except that each code_snapshot carries the file's full content
 * (`{ fileId, fileName, language, content }`, the seed's recordCodeSnapshot input) where the
 * recorder stored a patch or a checkpoint. No seq and no hash: the seed has neither.
 *
 * `events` are the recorded events in seq order, `steps` the script they were recorded from:
 * seq 1 is session_started, seq i + 2 is step i, and the last is session_closed. Throws if
 * the two do not line up, or if a stored checkpoint differs from the content the script gave.
 */
export function seedFormatSession(events: readonly RecordedEvent[], steps: readonly SessionStep[], metadata: Record<string, string>): SeedRecording {
  if (events.length !== steps.length + 2 || events[0]?.type !== 'session_started' || events.at(-1)?.type !== 'session_closed') {
    throw new Error(`${events.length} recorded events do not line up with ${steps.length} scripted steps`);
  }
  const seedEvents = events.map((event, index): SeedEvent => {
    const step = index >= 1 && index <= steps.length ? steps[index - 1]! : null;
    let data = event.data;
    if (event.type === 'code_snapshot') {
      if (step?.kind !== 'snapshot') throw new Error(`seq ${event.seq} is a code_snapshot but step ${index - 1} is a ${step?.kind ?? 'lifecycle event'}`);
      const stored = event.data as { kind: string; content?: string };
      if (stored.kind === 'checkpoint' && stored.content !== step.snapshot.content) throw new Error(`the checkpoint at seq ${event.seq} is not the scripted content`);
      data = step.snapshot;
    } else if (step?.kind === 'snapshot') {
      throw new Error(`step ${index - 1} is a snapshot but seq ${event.seq} is a ${event.type}`);
    }
    return { timestamp: new Date(event.timestamp).toISOString(), type: event.type, ...(event.fileId !== null ? { fileId: event.fileId } : {}), data };
  });
  return { sessionId: events[0]!.sessionId, metadata, events: seedEvents };
}
