import { RESET_REVISION_KINDS, reconstructFile, revisionKindOf, type FileState, type ReplayEvent } from './fileState';

/** One row of a session's timeline, as a reviewer sees it. */
export interface TimelineEntry {
  seq: number;
  timestamp: number;
  type: string;
  fileId: string | null;
  label: string;
}

/** A one-line description of an event, for timelines and logs. */
export function describeEvent(event: Pick<ReplayEvent, 'type' | 'data'>): string {
  const data = (event.data ?? {}) as Record<string, unknown>;
  switch (event.type) {
    case 'code_edit':
      return `edit (${Array.isArray(data.changes) ? data.changes.length : 0} change(s))`;
    case 'paste':
      return `paste of ${String(data.length ?? 0)} characters`;
    case 'file_created':
    case 'file_renamed':
      return `${event.type === 'file_created' ? 'created' : 'renamed to'} ${String(data.fileName)}`;
    case 'code_snapshot':
      return `snapshot of ${String(data.fileName)} (${String(data.kind)})`;
    case 'ai_interaction':
      return `AI ${String(data.role)} message`;
    case 'test_result':
      return `test ${String(data.testName)} ${data.passed ? 'passed' : 'failed'}`;
    case 'session_closed':
      return `session closed (${String(data.status)})`;
    default:
      return event.type.replaceAll('_', ' ');
  }
}

/** Index of the last element of `sorted` that is <= `value`, or -1. */
function lastAtOrBefore(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (sorted[mid]! <= value) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

interface FileIndex {
  /** Positions in `events` of every revision of the file, in seq order. */
  revisions: number[];
  revisionSeqs: number[];
  /** Positions in `revisions` of reset points (creations and checkpoints). */
  resets: number[];
}

/**
 * A loaded recording, indexed for seeking. Rebuilding a file at any point folds one reset
 * point plus the revisions after it, never the whole session.
 */
export class ReplayTimeline {
  private readonly files = new Map<string, FileIndex>();
  private readonly seqs: number[];
  private readonly timestamps: number[];

  /** `events` must be one session's events in seq order. */
  constructor(private readonly events: readonly ReplayEvent[]) {
    this.seqs = events.map((event) => event.seq);
    this.timestamps = events.map((event) => event.timestamp);
    events.forEach((event, position) => {
      const kind = revisionKindOf(event.type, event.data);
      if (kind === null || event.fileId === null) return;
      let index = this.files.get(event.fileId);
      if (!index) {
        index = { revisions: [], revisionSeqs: [], resets: [] };
        this.files.set(event.fileId, index);
      }
      if (RESET_REVISION_KINDS.includes(kind)) index.resets.push(index.revisions.length);
      index.revisions.push(position);
      index.revisionSeqs.push(event.seq);
    });
  }

  get lastSeq(): number {
    return this.seqs.at(-1) ?? 0;
  }

  /** Every file id that appears in the recording. */
  fileIds(): string[] {
    return [...this.files.keys()];
  }

  /** The last seq recorded at or before `timestamp`, or 0 when nothing was yet. */
  seqAtTime(timestamp: number): number {
    const position = lastAtOrBefore(this.timestamps, timestamp);
    return position < 0 ? 0 : this.seqs[position]!;
  }

  /** The file as it stood right after event `seq` (deleted files have `exists: false`). */
  fileAt(fileId: string, seq: number): FileState | null {
    const index = this.files.get(fileId);
    if (!index) return null;
    const last = lastAtOrBefore(index.revisionSeqs, seq);
    if (last < 0) return null;
    const resetAt = lastAtOrBefore(index.resets, last);
    const first = resetAt < 0 ? 0 : index.resets[resetAt]!;
    const slice: ReplayEvent[] = [];
    for (let i = first; i <= last; i++) slice.push(this.events[index.revisions[i]!]!);
    return reconstructFile(slice);
  }

  /** Every file that exists right after event `seq`. */
  filesAt(seq: number): FileState[] {
    return this.fileIds()
      .map((fileId) => this.fileAt(fileId, seq))
      .filter((state): state is FileState => state !== null && state.exists);
  }

  /** The timeline, optionally narrowed to some event types. */
  entries(types?: readonly string[]): TimelineEntry[] {
    const wanted = types ? new Set(types) : null;
    return this.events
      .filter((event) => !wanted || wanted.has(event.type))
      .map((event) => ({
        seq: event.seq,
        timestamp: event.timestamp,
        type: event.type,
        fileId: event.fileId,
        label: describeEvent(event),
      }));
  }
}
