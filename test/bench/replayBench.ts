import { configForDataDir } from '../../electron/services/config';
import { createServices, type Services } from '../../electron/services/container';
import type { EventRow as StoredEventRow } from '../../electron/services/db/rows';
import type { SqliteDatabase } from '../../electron/services/db/sqlite';
import type { ReplayFile } from '../../shared/ipc/contract';
import { applyFileEvent, type FileState, type ReplayEvent } from '../../shared/replay/fileState';
import { ReplayTimeline } from '../../shared/replay/replayTimeline';
import type { BenchResult } from './benchResult';
import { SeededRandom } from './random';
import { formatMs, formatNumber, summarize } from './stats';
import { QUESTION_ID, generateSyntheticSession, recordStep, type SessionStep, type SyntheticSession } from './syntheticSession';
import { withTempDir } from './withTempDir';

export interface ReplayBenchOptions {
  seed: number;
  /** Events in the synthetic session (each step is one event). */
  targetEvents: number;
  durationMs: number;
  /** Random (file, seq) points getFileAt is timed at. */
  points: number;
  /** Points the full replay baseline is timed at (spread over the session). */
  fullReplayPoints: number;
  /** Steps issued to the recorder before awaiting them, while building the session. */
  recordWindow: number;
}

export const DEFAULT_REPLAY_BENCH_OPTIONS: ReplayBenchOptions = {
  seed: 2024,
  targetEvents: 110_000,
  durationMs: 2 * 60 * 60 * 1000,
  points: 500,
  fullReplayPoints: 6,
  recordWindow: 1_000,
};

/** The interview starts at a fixed instant so every run records the same timestamps. */
const SESSION_START = Date.UTC(2025, 0, 15, 9, 0, 0);

/** The columns of an events row that replay folds. */
type EventRow = Pick<StoredEventRow, 'seq' | 'timestamp' | 'type' | 'file_id' | 'data'>;

interface ReplayPointSample {
  fileId: string;
  seq: number;
  result: ReplayFile | null;
  ms: number;
}

function toReplayEvent(row: EventRow): ReplayEvent {
  return { seq: row.seq, timestamp: row.timestamp, type: row.type, fileId: row.file_id, data: JSON.parse(row.data) as unknown };
}

/** Where the file and the expected state disagree, or null when they match. */
function difference(actual: ReplayFile | FileState | null, expected: FileState | null): string | null {
  if (actual === null || expected === null) return actual === expected ? null : `one is null (actual ${actual === null}, expected ${expected === null})`;
  for (const key of ['fileName', 'language', 'exists', 'seq', 'content'] as const) {
    if (actual[key] !== expected[key]) return `${key} differs`;
  }
  return null;
}

/** Feeds the scripted session to the real recorder, advancing the injected clock step by step. */
async function recordSession(services: Services, session: SyntheticSession, setNow: (ms: number) => void, window: number): Promise<string> {
  const { sessions } = services;
  setNow(SESSION_START);
  const sessionId = (await sessions.createSession('bench-candidate', { questionId: QUESTION_ID })).id;
  const record = (step: SessionStep): Promise<unknown> => recordStep(sessions, sessionId, step);
  let inFlight: Promise<unknown>[] = [];
  for (const step of session.steps) {
    // Each recorder call reads the clock synchronously, so the step's own time is what it stores.
    setNow(SESSION_START + step.at);
    inFlight.push(record(step));
    if (inFlight.length >= window) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  setNow(SESSION_START + session.durationMs + 1_000);
  await sessions.closeSession(sessionId, 'COMPLETED');
  return sessionId;
}

/**
 * The naive way to see a file at a point: read every event from seq 1 in order and fold
 * the file's events with the shared reducer. Only the file's events are JSON-parsed,
 * which keeps this baseline as fast as it can honestly be.
 */
function fullReplayFileAt(db: SqliteDatabase, sessionId: string, fileId: string, seq: number): FileState | null {
  let state: FileState | null = null;
  const rows = db
    .prepare<[string, number], EventRow>('SELECT seq, timestamp, type, file_id, data FROM events WHERE session_id = ? AND seq <= ? ORDER BY seq')
    .all(sessionId, seq);
  for (const row of rows) {
    if (row.file_id === fileId) state = applyFileEvent(state, toReplayEvent(row));
  }
  return state;
}

/**
 * Checks every sampled point against one full fold of the whole session: the states of all
 * files are carried forward event by event and compared as each sampled seq is passed.
 * Returns the number of points that matched; throws on the first mismatch.
 */
function verifyAgainstFullFold(db: SqliteDatabase, sessionId: string, samples: readonly ReplayPointSample[]): number {
  const bySeq = [...samples].sort((a, b) => a.seq - b.seq);
  const states = new Map<string, FileState>();
  let next = 0;
  const rows = db.prepare<[string], EventRow>('SELECT seq, timestamp, type, file_id, data FROM events WHERE session_id = ? ORDER BY seq').iterate(sessionId);
  for (const row of rows) {
    if (row.file_id !== null) states.set(row.file_id, applyFileEvent(states.get(row.file_id) ?? null, toReplayEvent(row)));
    for (; next < bySeq.length && bySeq[next]!.seq === row.seq; next++) {
      const sample = bySeq[next]!;
      const problem = difference(sample.result, states.get(sample.fileId) ?? null);
      if (problem) throw new Error(`getFileAt(${sample.fileId}, seq ${sample.seq}) does not match the full replay: ${problem}`);
    }
  }
  if (next !== bySeq.length) throw new Error(`only ${next} of ${bySeq.length} points were reached by the full replay`);
  return next;
}

/**
 * Replay of a realistic two-hour interview recorded through the real recorder: rebuilding a
 * file at random points with ReplayService.getFileAt (checkpoint + revisions from SQLite)
 * against folding every event from the start, and ReplayTimeline's in-memory seek.
 */
export async function runReplayBench(options: ReplayBenchOptions = DEFAULT_REPLAY_BENCH_OPTIONS): Promise<BenchResult[]> {
  const session = generateSyntheticSession({ seed: options.seed, targetEvents: options.targetEvents, durationMs: options.durationMs });
  return withTempDir('interviewlm-bench-replay-', async (dir) => {
    let now = SESSION_START;
    const services = createServices(configForDataDir(dir), { now: () => now });
    try {
      const recordStartedAt = performance.now();
      const sessionId = await recordSession(services, session, (ms) => void (now = ms), options.recordWindow);
      const recordMs = performance.now() - recordStartedAt;
      const { db } = services.database;
      const stats = await services.sessions.getSessionStats(sessionId);
      const span = db
        .prepare<[string], { first: number; last: number }>('SELECT MIN(timestamp) AS first, MAX(timestamp) AS last FROM events WHERE session_id = ?')
        .get(sessionId)!;
      const kinds = Object.fromEntries(
        db
          .prepare<[string], { kind: string; count: number }>('SELECT revision AS kind, COUNT(*) AS count FROM events WHERE session_id = ? AND revision IS NOT NULL GROUP BY revision')
          .all(sessionId)
          .map((row) => [row.kind, row.count]),
      );
      const files = db
        .prepare<[string], { file_id: string; first: number }>('SELECT file_id, MIN(seq) AS first FROM events WHERE session_id = ? AND revision IS NOT NULL GROUP BY file_id')
        .all(sessionId);
      if (stats.eventCount < 100_000 || stats.snapshotCount < 2_000) {
        throw new Error(`the synthetic session is too small: ${stats.eventCount} events, ${stats.snapshotCount} snapshots`);
      }

      // Random points: a moment of the session, then one of the files that existed by then.
      const random = new SeededRandom(options.seed + 1);
      const points: { fileId: string; seq: number }[] = [];
      while (points.length < options.points) {
        const seq = random.int(1, stats.eventCount);
        const existing = files.filter((file) => file.first <= seq);
        if (existing.length > 0) points.push({ fileId: random.pick(existing).file_id, seq });
      }
      for (const point of points.slice(0, 20)) services.replay.getFileAt(sessionId, point.fileId, { seq: point.seq });
      const samples: ReplayPointSample[] = points.map((point) => {
        const startedAt = performance.now();
        const result = services.replay.getFileAt(sessionId, point.fileId, { seq: point.seq });
        return { ...point, result, ms: performance.now() - startedAt };
      });
      const reconstruct = summarize(samples.map((sample) => sample.ms));
      const verified = verifyAgainstFullFold(db, sessionId, samples);
      for (const file of session.finalFiles) {
        const replayed = services.replay.getFileAt(sessionId, file.fileId, { seq: stats.eventCount });
        if (replayed?.content !== file.content || replayed.fileName !== file.fileName || replayed.exists !== file.exists) {
          throw new Error(`the replayed end state of ${file.fileId} is not what the editor held`);
        }
      }

      // The baseline, at points spread over the session.
      const bySeq = [...samples].sort((a, b) => a.seq - b.seq);
      const baselinePoints = Array.from({ length: options.fullReplayPoints }, (_, i) => bySeq[Math.floor(((i + 0.5) / options.fullReplayPoints) * bySeq.length)]!);
      fullReplayFileAt(db, sessionId, baselinePoints[0]!.fileId, baselinePoints[0]!.seq);
      const fullReplayTimes = baselinePoints.map((point) => {
        const startedAt = performance.now();
        const state = fullReplayFileAt(db, sessionId, point.fileId, point.seq);
        const ms = performance.now() - startedAt;
        const problem = difference(point.result, state);
        if (problem) throw new Error(`full replay of ${point.fileId} at ${point.seq} disagrees with getFileAt: ${problem}`);
        return ms;
      });
      const fullReplay = summarize(fullReplayTimes);
      const sameSpotReconstruct = summarize(baselinePoints.map((point) => point.ms));

      // The in-memory timeline a viewer holds once it has loaded the session.
      const loadStartedAt = performance.now();
      const events = db
        .prepare<[string], EventRow>('SELECT seq, timestamp, type, file_id, data FROM events WHERE session_id = ? ORDER BY seq')
        .all(sessionId)
        .map(toReplayEvent);
      const timeline = new ReplayTimeline(events);
      const loadMs = performance.now() - loadStartedAt;
      for (const point of points.slice(0, 20)) timeline.fileAt(point.fileId, point.seq);
      const seekTimes = samples.map((sample) => {
        const startedAt = performance.now();
        const state = timeline.fileAt(sample.fileId, sample.seq);
        const ms = performance.now() - startedAt;
        const problem = difference(sample.result, state);
        if (problem) throw new Error(`ReplayTimeline.fileAt(${sample.fileId}, ${sample.seq}) disagrees with getFileAt: ${problem}`);
        return ms;
      });
      const seek = summarize(seekTimes);

      const sessionNote =
        `a ${formatNumber((span.last - span.first) / 60_000, 0)}-minute session recorded through the real recorder in ${formatNumber(recordMs / 1000, 1)} s ` +
        `(${formatNumber(stats.eventCount)} events: ${formatNumber(session.counts.code_edit ?? 0)} code_edit, ${formatNumber(session.counts.keystroke ?? 0)} keystroke, ${formatNumber(session.counts.cursor ?? 0)} cursor, ` +
        `${formatNumber(stats.snapshotCount)} code snapshots (${formatNumber(kinds.checkpoint ?? 0)} checkpoints, ${formatNumber(kinds.patch ?? 0)} patches), ${formatNumber(session.counts.paste ?? 0)} pastes, ` +
        `${stats.aiInteractionCount} ai_interaction, ${stats.testResultCount} test_result, ${files.length} files with ${formatNumber(session.counts.file_renamed ?? 0)} renames and ${formatNumber(session.counts.file_deleted ?? 0)} deletion; ` +
        `largest file ${formatNumber(Math.max(...session.finalFiles.map((file) => file.content.length)))} chars)`;
      return [
        {
          id: 'replay.reconstruct_ms',
          value: reconstruct.p50,
          unit: 'ms',
          note: `p50 of ReplayService.getFileAt(session, file, {seq}) at ${formatNumber(reconstruct.count)} random (file, seq) points of ${sessionNote}; p95 ${formatMs(reconstruct.p95)}, p99 ${formatMs(reconstruct.p99)}, mean ${formatMs(reconstruct.mean)}, max ${formatMs(reconstruct.max)} ms; all ${verified} points verified against a full fold from seq 1, and every file's end state against the simulated editor`,
        },
        {
          id: 'replay.full_replay_ms',
          value: fullReplay.mean,
          unit: 'ms',
          note: `mean of ${fullReplay.count} rebuilds of a file by reading every event from seq 1 to the point from SQLite and folding the file's events with applyFileEvent (seqs ${baselinePoints.map((point) => formatNumber(point.seq)).join(', ')}); min ${formatMs(Math.min(...fullReplayTimes))}, max ${formatMs(fullReplay.max)} ms`,
        },
        {
          id: 'replay.speedup_vs_full_replay',
          value: fullReplay.mean / reconstruct.p50,
          unit: 'x',
          note: `replay.full_replay_ms / replay.reconstruct_ms (p50); at the baseline's own points getFileAt averaged ${formatMs(sameSpotReconstruct.mean)} ms, a ${formatNumber(fullReplay.mean / sameSpotReconstruct.mean, 0)}x speedup`,
        },
        {
          id: 'replay.timeline_seek_ms',
          value: seek.p50,
          unit: 'ms',
          note: `context: p50 of ReplayTimeline.fileAt (in memory) at the same ${formatNumber(seek.count)} points, each checked against getFileAt; p95 ${formatMs(seek.p95)}, max ${formatMs(seek.max)} ms; loading and indexing the ${formatNumber(events.length)} events took ${formatNumber(loadMs)} ms`,
        },
      ];
    } finally {
      services.dispose();
    }
  });
}
