import type { SqliteDatabase } from '../db/sqlite';
import { eventRangeReader, type EventRangeReader } from '../db/rows';
import { SegmentRun, encodeRecordingSegment, type RecordingSegment } from '../storage/segmentedRecording';

/** How the worker seals a running session's events into segments of its consolidated recording. */
export interface SegmentSettings {
  /** A level-0 segment is sealed once this many committed events follow the last segment. */
  segmentEvents: number;
  /** This many consecutive level-0 segments are merged into one level-1 segment. */
  segmentMergeFactor: number;
}

export const DEFAULT_SEGMENT_SETTINGS: SegmentSettings = { segmentEvents: 500, segmentMergeFactor: 16 };

/*
 * Brotli quality per kind of segment. Level 0 is short-lived (merged soon) and the
 * provisional tail is encoded on every pass, so both take q5: ~10x faster than q9 on a few
 * hundred events for 1-2% more bytes. Level 1 is what the recording mostly consists of, so it
 * gets q9. The closing tail (the events after the provisional one, usually a second's worth)
 * is encoded while a close waits: q0, brotli's quickest (a 615-byte container of two events:
 * 9 us, where q1 took 25 and q5 27, warm), for a few bytes.
 */
const LEVEL0_QUALITY = 5;
const TAIL_QUALITY = 5;
const CLOSING_TAIL_QUALITY = 0;
const LEVEL1_QUALITY = 9;

/**
 * A session's sealed segments, kept as runs: the merged (level-1) ones, which never change,
 * then the recent level-0 ones, which a merge replaces. `all` is both, with the running
 * digests a close forks.
 */
interface SealedSegments {
  merged: SegmentRun;
  recent: RecordingSegment[];
  all: SegmentRun;
}

interface SegmentRow {
  first_seq: number;
  last_seq: number;
  level: number;
  head_hash: string;
  raw_size: number;
  body: Buffer;
}

/**
 * Keeps a session's consolidated recording ready in SQLite while the interview runs, so that
 * closing concatenates sealed segments instead of compressing two hours of events: small
 * level-0 segments as events commit, merged into level-1 segments of
 * segmentEvents × segmentMergeFactor events (brotli does much better on large inputs).
 * Events are immutable once committed, so a sealed segment never goes stale.
 */
export class SegmentSealer {
  /** Per running session, the events after its last sealed segment, encoded on the last pass. */
  private readonly provisionalTails = new Map<string, RecordingSegment>();
  /** Per closed session not yet stored, the segments after its sealed ones, as its last close attempt built them. */
  private readonly closingTails = new Map<string, RecordingSegment[]>();
  /**
   * Per session, its sealed segments in seq order: read (and hashed) from SQLite once, then
   * kept in step with every write made here (the only writer of sync_segments), so neither a
   * pass nor a close queries or hashes them again. Two hours of interview are ~250 KB.
   */
  private readonly sealedSegments = new Map<string, SealedSegments>();
  private readonly statements;
  /** Replaces level-0 segments first..last with the level-1 segment merged from them. */
  private readonly replaceWithMerged: (sessionId: string, first: number, last: number, merged: RecordingSegment) => void;

  constructor(
    db: SqliteDatabase,
    private readonly settings: SegmentSettings = DEFAULT_SEGMENT_SETTINGS,
    /** How it reads the events it seals (the engine shares its own). */
    private readonly readEvents: EventRangeReader = eventRangeReader(db),
  ) {
    // Compiled and wrapped once: better-sqlite3 compiles on every prepare() and builds a
    // transaction function anew on every transaction() call.
    this.statements = {
      insert: db.prepare('INSERT INTO sync_segments (session_id, first_seq, last_seq, level, head_hash, raw_size, body) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      deleteRange: db.prepare('DELETE FROM sync_segments WHERE session_id = ? AND first_seq BETWEEN ? AND ?'),
      deleteSession: db.prepare('DELETE FROM sync_segments WHERE session_id = ?'),
      segments: db.prepare<[string], SegmentRow>('SELECT first_seq, last_seq, level, head_hash, raw_size, body FROM sync_segments WHERE session_id = ? ORDER BY first_seq'),
    };
    this.replaceWithMerged = db.transaction((sessionId: string, first: number, last: number, merged: RecordingSegment) => {
      this.statements.deleteRange.run(sessionId, first, last);
      this.write(sessionId, merged, 1);
    });
  }

  /** Seals every full segment of committed events (up to `lastSeq`), then merges level-0 runs. */
  sealCommitted(sessionId: string, lastSeq: number): void {
    for (;;) {
      const sealed = this.sealed(sessionId).all.segments.at(-1);
      const through = sealed?.lastSeq ?? 0;
      if (lastSeq - through < this.settings.segmentEvents) break;
      this.insert(sessionId, this.encode(sessionId, through + 1, through + this.settings.segmentEvents, sealed?.headHash, LEVEL0_QUALITY));
    }
    this.mergeLevel0(sessionId);
  }

  /**
   * `sealCommitted`, then encodes the events after the last sealed segment as a provisional
   * tail, kept in memory: a close that follows soon finds all but its last few events
   * compressed already. Replaced on every call, so it costs one small encode per pass.
   */
  sealWithProvisionalTail(sessionId: string, lastSeq: number): void {
    this.sealCommitted(sessionId, lastSeq);
    const sealed = this.sealed(sessionId).all.segments.at(-1);
    const through = sealed?.lastSeq ?? 0;
    const current = this.provisionalTails.get(sessionId);
    if (lastSeq <= through) this.provisionalTails.delete(sessionId);
    else if (current?.firstSeq !== through + 1 || current.lastSeq !== lastSeq) {
      this.provisionalTails.set(sessionId, this.encode(sessionId, through + 1, lastSeq, sealed?.headHash, TAIL_QUALITY));
    }
  }

  /**
   * Every segment of a closed session, covering seqs 1..lastSeq, with the running digests of
   * the recording's bytes through them: the sealed ones, then the tail: the provisional one
   * if it still follows them, and the events after it. The tail is kept in memory, not
   * written, so a close waits on no write; a retried close in this process reuses it, and
   * after a restart it is encoded again from the events.
   */
  segmentsThrough(sessionId: string, lastSeq: number): SegmentRun {
    this.sealCommitted(sessionId, lastSeq);
    const run = this.sealed(sessionId).all.fork();
    const through = run.segments.at(-1)?.lastSeq ?? 0;
    const cached = this.closingTails.get(sessionId);
    if (cached?.[0]?.firstSeq === through + 1 && cached.at(-1)!.lastSeq === lastSeq) {
      for (const segment of cached) run.append(segment);
      return run;
    }
    const tail: RecordingSegment[] = [];
    const provisional = this.provisionalTails.get(sessionId);
    if (provisional && provisional.firstSeq === through + 1 && provisional.lastSeq <= lastSeq) tail.push(provisional);
    const tailThrough = tail.at(-1)?.lastSeq ?? through;
    if (lastSeq > tailThrough) tail.push(this.encode(sessionId, tailThrough + 1, lastSeq, (tail.at(-1) ?? run.segments.at(-1))?.headHash, CLOSING_TAIL_QUALITY));
    this.provisionalTails.delete(sessionId);
    if (tail.length > 0) this.closingTails.set(sessionId, tail);
    for (const segment of tail) run.append(segment);
    return run;
  }

  /**
   * Forgets what is kept in memory of a session's segments (not the segments themselves):
   * the next call reads and hashes them from SQLite again, and encodes its tail again.
   */
  reload(sessionId: string): void {
    this.provisionalTails.delete(sessionId);
    this.closingTails.delete(sessionId);
    this.sealedSegments.delete(sessionId);
  }

  /** Drops a session's segments: its consolidated recording is stored. */
  discard(sessionId: string): void {
    this.statements.deleteSession.run(sessionId);
    this.reload(sessionId);
  }

  /** Merges the first segmentMergeFactor level-0 segments after the last level-1 one, while there are that many. */
  private mergeLevel0(sessionId: string): void {
    const factor = this.settings.segmentMergeFactor;
    if (factor < 2) return;
    const sealed = this.sealed(sessionId);
    while (sealed.recent.length >= factor) {
      const first = sealed.recent[0]!.firstSeq;
      const last = sealed.recent[factor - 1]!.lastSeq;
      // Encoded before the transaction: the recorder shares the database's one write lock.
      const merged = this.encode(sessionId, first, last, sealed.merged.segments.at(-1)?.headHash, LEVEL1_QUALITY);
      this.replaceWithMerged(sessionId, first, last, merged);
      sealed.merged.append(merged);
      sealed.recent.splice(0, factor);
      sealed.all = mergedThenRecent(sealed.merged, sealed.recent);
    }
  }

  private encode(sessionId: string, firstSeq: number, lastSeq: number, prevHash: string | undefined, quality: number): RecordingSegment {
    return encodeRecordingSegment(sessionId, this.readEvents(sessionId, firstSeq, lastSeq), firstSeq > 1 ? prevHash : undefined, quality);
  }

  /** Writes a level-0 segment after the last sealed one, and keeps it in the session's runs. */
  private insert(sessionId: string, segment: RecordingSegment): void {
    const sealed = this.sealed(sessionId);
    this.write(sessionId, segment, 0);
    sealed.recent.push(segment);
    sealed.all.append(segment);
  }

  private write(sessionId: string, segment: RecordingSegment, level: number): void {
    this.statements.insert.run(sessionId, segment.firstSeq, segment.lastSeq, level, segment.headHash, segment.rawSize, segment.body);
  }

  /**
   * The session's sealed segments (see sealedSegments). Read from SQLite, everything through
   * the last level-1 segment counts as merged: no later merge starts before it.
   */
  private sealed(sessionId: string): SealedSegments {
    let sealed = this.sealedSegments.get(sessionId);
    if (!sealed) {
      const rows = this.statements.segments.all(sessionId);
      const mergedCount = rows.findLastIndex((row) => row.level === 1) + 1;
      const segments = rows.map(
        (row): RecordingSegment => ({
          firstSeq: row.first_seq,
          lastSeq: row.last_seq,
          headHash: row.head_hash,
          rawSize: row.raw_size,
          body: new Uint8Array(row.body.buffer, row.body.byteOffset, row.body.byteLength),
        }),
      );
      const merged = SegmentRun.of(segments.slice(0, mergedCount));
      const recent = segments.slice(mergedCount);
      sealed = { merged, recent, all: mergedThenRecent(merged, recent) };
      this.sealedSegments.set(sessionId, sealed);
    }
    return sealed;
  }
}

/** A fork of `merged` with `recent` appended: what a session's `all` run is. */
function mergedThenRecent(merged: SegmentRun, recent: readonly RecordingSegment[]): SegmentRun {
  const all = merged.fork();
  for (const segment of recent) all.append(segment);
  return all;
}
