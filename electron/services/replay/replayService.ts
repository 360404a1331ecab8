import { AppError } from '../../../shared/errors';
import type { ReplayFile, ReplayPoint } from '../../../shared/ipc/contract';
import type { RecordedEvent } from '../../../shared/recording/eventTypes';
import { RESET_REVISION_KINDS, reconstructFile, type FileState, type ReplayEvent } from '../../../shared/replay/fileState';
import { describeEvent, type TimelineEntry } from '../../../shared/replay/replayTimeline';
import { recordedEventFromRow, type EventRow } from '../db/rows';
import type { SqliteDatabase } from '../db/sqlite';

/** A page of events: after `afterSeq`, at most `limit`, optionally only some types. */
export interface EventPageQuery {
  afterSeq?: number;
  limit?: number;
  types?: string[];
}

function toReplayFile(state: FileState): ReplayFile {
  return { fileId: state.fileId, fileName: state.fileName, language: state.language, content: state.content, exists: state.exists, seq: state.seq };
}

const resetKinds = RESET_REVISION_KINDS.map((kind) => `'${kind}'`).join(', ');

/** The replay queries; each must search an index, never scan a session (pinned by a query-plan test). */
export const REPLAY_SQL = {
  lastSeq: 'SELECT last_seq FROM sessions WHERE id = ?',
  timestampAt: 'SELECT timestamp FROM events WHERE session_id = ? AND seq = ?',
  lastResetAtOrBefore: `SELECT seq FROM events INDEXED BY events_by_file_revision
    WHERE session_id = ? AND file_id = ? AND seq <= ? AND revision IS NOT NULL AND revision IN (${resetKinds}) ORDER BY seq DESC LIMIT 1`,
  revisionsBetween: `SELECT * FROM events INDEXED BY events_by_file_revision
    WHERE session_id = ? AND file_id = ? AND seq BETWEEN ? AND ? AND revision IS NOT NULL ORDER BY seq`,
  allEvents: 'SELECT * FROM events WHERE session_id = ? ORDER BY seq',
  nextFileId: `SELECT file_id FROM events INDEXED BY events_by_file_revision
    WHERE session_id = ? AND file_id > ? AND revision IS NOT NULL ORDER BY file_id LIMIT 1`,
} as const;

/**
 * Replay over the recording database: rebuilds files at any seq or time from the nearest
 * reset point (a creation or checkpoint) plus the revisions after it, using the
 * events_by_file_revision index, and folds them with the shared replay reducer.
 */
export class ReplayService {
  private readonly lastSeqStatement;
  private readonly timestampAtStatement;
  private readonly resetStatement;
  private readonly revisionsStatement;
  private readonly nextFileStatement;
  private readonly allEventsStatement;

  constructor(private readonly db: SqliteDatabase) {
    this.lastSeqStatement = db.prepare<[string], { last_seq: number }>(REPLAY_SQL.lastSeq);
    this.timestampAtStatement = db.prepare<[string, number], { timestamp: number }>(REPLAY_SQL.timestampAt);
    this.resetStatement = db.prepare<[string, string, number], { seq: number }>(REPLAY_SQL.lastResetAtOrBefore);
    this.revisionsStatement = db.prepare<[string, string, number, number], EventRow>(REPLAY_SQL.revisionsBetween);
    this.nextFileStatement = db.prepare<[string, string], { file_id: string }>(REPLAY_SQL.nextFileId);
    this.allEventsStatement = db.prepare<[string], EventRow>(REPLAY_SQL.allEvents);
  }

  /** The seq a replay point stands for, clamped to the session's last event. */
  resolveSeq(sessionId: string, point: ReplayPoint): number {
    const lastSeq = this.lastSeq(sessionId);
    if ('seq' in point) return Math.min(point.seq, lastSeq);
    // Timestamps never decrease with seq, so a binary search over seq finds the point.
    let low = 1;
    let high = lastSeq;
    let found = 0;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const row = this.timestampAtStatement.get(sessionId, mid);
      if (row && row.timestamp <= point.timestamp) {
        found = mid;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }

  /** One file as it stood at `point`, or null if it did not exist yet. */
  getFileAt(sessionId: string, fileId: string, point: ReplayPoint): ReplayFile | null {
    const seq = this.resolveSeq(sessionId, point);
    const state = this.fileStateAt(sessionId, fileId, seq);
    return state ? toReplayFile(state) : null;
  }

  /** Every file that exists at `point`. */
  getFilesAt(sessionId: string, point: ReplayPoint): ReplayFile[] {
    const seq = this.resolveSeq(sessionId, point);
    const files: ReplayFile[] = [];
    for (const fileId of this.fileIds(sessionId)) {
      const state = this.fileStateAt(sessionId, fileId, seq);
      if (state?.exists) files.push(toReplayFile(state));
    }
    return files;
  }

  /** A page of the timeline. */
  getTimeline(sessionId: string, query: EventPageQuery = {}): TimelineEntry[] {
    return this.getEvents(sessionId, query).map((event) => ({
      seq: event.seq,
      timestamp: event.timestamp,
      type: event.type,
      fileId: event.fileId,
      label: describeEvent(event),
    }));
  }

  /** A page of raw events, data parsed. */
  getEvents(sessionId: string, query: EventPageQuery = {}): RecordedEvent[] {
    this.lastSeq(sessionId);
    const types = query.types ?? [];
    const typeFilter = types.length > 0 ? `AND type IN (${types.map(() => '?').join(', ')})` : '';
    const rows = this.db
      .prepare<unknown[], EventRow>(`SELECT * FROM events WHERE session_id = ? AND seq > ? ${typeFilter} ORDER BY seq LIMIT ?`)
      .all(sessionId, query.afterSeq ?? 0, ...types, query.limit ?? 1000);
    return rows.map(recordedEventFromRow);
  }

  /** Every event of a session, in seq order (exports and whole-recording uploads). */
  getAllEvents(sessionId: string): RecordedEvent[] {
    this.lastSeq(sessionId);
    return this.allEventsStatement.all(sessionId).map(recordedEventFromRow);
  }

  private lastSeq(sessionId: string): number {
    const row = this.lastSeqStatement.get(sessionId);
    if (!row) throw new AppError('SESSION_NOT_FOUND', `No session with id ${JSON.stringify(sessionId)}`, { sessionId });
    return row.last_seq;
  }

  private fileStateAt(sessionId: string, fileId: string, seq: number): FileState | null {
    const reset = this.resetStatement.get(sessionId, fileId, seq);
    const rows = this.revisionsStatement.all(sessionId, fileId, reset?.seq ?? 0, seq);
    const revisions: ReplayEvent[] = rows.map((row) => ({
      seq: row.seq,
      timestamp: row.timestamp,
      type: row.type,
      fileId: row.file_id,
      data: JSON.parse(row.data) as unknown,
    }));
    return reconstructFile(revisions);
  }

  /** Distinct file ids of a session, one index probe each rather than a scan of every revision. */
  private *fileIds(sessionId: string): Generator<string> {
    let after = '';
    for (;;) {
      const row = this.nextFileStatement.get(sessionId, after);
      if (!row) return;
      yield row.file_id;
      after = row.file_id;
    }
  }
}
