import { join } from 'node:path';
import { configForDataDir } from '../../electron/services/config';
import { createServices } from '../../electron/services/container';
import type { Durability } from '../../electron/services/db/recordingDatabase';
import type { SessionRecordingService } from '../../electron/services/recording/sessionRecordingService';
import type { EventInput } from '../../shared/recording/eventTypes';
import type { BenchResult } from './benchResult';
import { recordPacedEvents } from './issuePaced';
import { RawSqliteWriter, readEventRows, synchronousOf, type RecordedEventRow } from './rawSqliteWriter';
import { formatMs, formatNumber, median, pooled, summarize } from './stats';
import { generateEditorEvents } from './syntheticSession';
import { withTempDir } from './withTempDir';

/** How the recorder is loaded; the defaults are what `npm run bench` uses. */
export interface RecorderBenchOptions {
  /** Events recorded before measuring, so the JIT and SQLite's page cache are warm. */
  warmupEvents: number;
  /** Events in each measured burst run. */
  burstEvents: number;
  /** Burst runs, each followed by its baselines; medians are reported, as this disk is noisy. */
  rounds: number;
  /** Concurrent producers, each issuing `burstSize` events without awaiting, then awaiting them. */
  producers: number;
  burstSize: number;
  /** The paced runs: events per second, for how long, after a warm-up that is not counted. */
  pacedRatePerSecond: number;
  /** Paced rounds (recorder and plain SQLite with the default durability, recorder with durability 'full'); their samples are pooled. */
  pacedRounds: number;
  pacedSeconds: number;
  pacedWarmupSeconds: number;
}

/** The app's default durability ('normal'), which the recorder's targets are measured with. */
const DEFAULT_DURABILITY: Durability = configForDataDir('').durability;

export const DEFAULT_RECORDER_BENCH_OPTIONS: RecorderBenchOptions = {
  warmupEvents: 5_000,
  burstEvents: 120_000,
  rounds: 3,
  producers: 4,
  burstSize: 250,
  pacedRatePerSecond: 2_000,
  pacedRounds: 3,
  pacedSeconds: 5,
  pacedWarmupSeconds: 0.5,
};

/**
 * Records `events` from several producers at once: each takes the next `burstSize` events,
 * issues them all without awaiting (as a burst of IPC messages would arrive), then awaits
 * the burst. Fills `latencies[i]` with call-to-resolve ms of event i.
 */
async function recordInBursts(
  sessions: SessionRecordingService,
  sessionId: string,
  events: readonly EventInput[],
  producers: number,
  burstSize: number,
  latencies?: Float64Array,
): Promise<void> {
  let next = 0;
  const produce = async () => {
    while (next < events.length) {
      const burst: Promise<unknown>[] = [];
      const end = Math.min(events.length, next + burstSize);
      for (; next < end; next++) {
        const index = next;
        const calledAt = performance.now();
        const ack = sessions.recordEvent(sessionId, events[index]!);
        burst.push(latencies ? ack.then(() => void (latencies[index] = performance.now() - calledAt)) : ack);
      }
      await Promise.all(burst);
    }
  };
  await Promise.all(Array.from({ length: producers }, produce));
}

interface PacedRun {
  /** From the call to recordEvent to its promise resolving, ms. */
  latencies: Float64Array;
  /** From when the event was due (its place in the schedule) to the promise resolving, ms. */
  fromSchedule: Float64Array;
  commits: number;
  /** What the recorder wrote, for the raw baseline to write again. */
  rows: RecordedEventRow[];
}

/** The recorder on a fresh database, fed `events` at a steady rate. */
async function recordPaced(dataDir: string, events: readonly EventInput[], ratePerSecond: number, durability: Durability): Promise<PacedRun> {
  const services = createServices(configForDataDir(dataDir, { durability }));
  try {
    const { sessions } = services;
    const sessionId = (await sessions.createSession('bench-candidate-paced')).id;
    const before = sessions.commitStats;
    const run = await recordPacedEvents(events, ratePerSecond, (event) => sessions.recordEvent(sessionId, event));
    const commits = sessions.commitStats.commits - before.commits;
    const lastSeq = (await sessions.getSession(sessionId)).lastSeq;
    // seq 1 is session_started; the paced events follow it.
    return { ...run, commits, rows: readEventRows(services.database.db, sessionId, 2, lastSeq) };
  } finally {
    services.dispose();
  }
}

interface BurstRound {
  eventsPerSecond: number;
  commits: number;
  averageBatch: number;
  rawRowsPerSecond: number;
  rawAllRowsPerSecond: number;
  /** Rows with a non-null revision (those the partial index events_by_file_revision holds). */
  revisionRows: number;
}

/**
 * One round: the recorder under bursts on a fresh database with the default durability, then
 * plain better-sqlite3 writing the very rows it produced, in batches of the recorder's
 * average size, into databases opened the same way.
 */
async function burstRound(dir: string, warmupEvents: readonly EventInput[], burstEvents: readonly EventInput[], options: RecorderBenchOptions, latencies: Float64Array): Promise<BurstRound> {
  const services = createServices(configForDataDir(join(dir, 'recorder'), { durability: DEFAULT_DURABILITY }));
  let measured: { elapsedMs: number; commits: number; committed: number };
  let warmupRows: RecordedEventRow[];
  let measuredRows: RecordedEventRow[];
  try {
    const { sessions } = services;
    const sessionId = (await sessions.createSession('bench-candidate')).id;
    await recordInBursts(sessions, sessionId, warmupEvents, options.producers, options.burstSize);
    const firstSeq = (await sessions.getSession(sessionId)).lastSeq + 1;
    const before = sessions.commitStats;
    const startedAt = performance.now();
    await recordInBursts(sessions, sessionId, burstEvents, options.producers, options.burstSize, latencies);
    const elapsedMs = performance.now() - startedAt;
    const after = sessions.commitStats;
    measured = { elapsedMs, commits: after.commits - before.commits, committed: after.events - before.events };
    const lastSeq = (await sessions.getSession(sessionId)).lastSeq;
    const { db } = services.database;
    warmupRows = readEventRows(db, sessionId, 1, firstSeq - 1);
    measuredRows = readEventRows(db, sessionId, firstSeq, lastSeq);
  } finally {
    services.dispose();
  }
  if (measuredRows.length !== burstEvents.length || measured.committed !== burstEvents.length) {
    throw new Error(`expected ${burstEvents.length} events committed, found ${measuredRows.length} rows and ${measured.committed} acks`);
  }
  const averageBatch = measured.committed / measured.commits;
  const batchSize = Math.max(1, Math.round(averageBatch));
  const runRaw = (name: string, advanceSession: boolean) => {
    const writer = new RawSqliteWriter(join(dir, name), { durability: DEFAULT_DURABILITY, advanceSession });
    try {
      writer.writeInBatches(warmupRows, batchSize);
      return writer.writeInBatches(measuredRows, batchSize);
    } finally {
      writer.close();
    }
  };
  const rawMs = runRaw('raw-events.db', false);
  const rawAllMs = runRaw('raw-all-writes.db', true);
  return {
    eventsPerSecond: (burstEvents.length / measured.elapsedMs) * 1000,
    commits: measured.commits,
    averageBatch,
    rawRowsPerSecond: (measuredRows.length / rawMs) * 1000,
    rawAllRowsPerSecond: (measuredRows.length / rawAllMs) * 1000,
    revisionRows: measuredRows.filter((row) => row.revision !== null).length,
  };
}

/**
 * The recorder under load on real SQLite files with the default durability (`normal`:
 * synchronous=NORMAL, WAL auto-checkpoint off, checkpoints after a quiet period): the latency
 * of one event under a paced, realistic load (against plain SQLite writing the same rows at
 * the same pace, opened the same way), and throughput under bursts against plain batched
 * inserts of the same rows. The paced load is also run with durability `full` for context.
 */
export async function runRecorderBench(options: RecorderBenchOptions = DEFAULT_RECORDER_BENCH_OPTIONS): Promise<BenchResult[]> {
  // Paced runs first, each on a fresh database, so that the writeback of the burst runs'
  // big files cannot land on their commits (nor on the fsyncs of the 'full' runs). The three
  // kinds of run alternate so that the disk's slow moments fall on all of them alike.
  const pacedCount = Math.round(options.pacedRatePerSecond * (options.pacedSeconds + options.pacedWarmupSeconds));
  const pacedWarmup = Math.round(options.pacedRatePerSecond * options.pacedWarmupSeconds);
  const pacedEvents = generateEditorEvents(pacedCount, 11);
  const pacedRuns: PacedRun[] = [];
  const fullRuns: PacedRun[] = [];
  const rawPacedRuns: Float64Array[] = [];
  for (let round = 0; round < options.pacedRounds; round++) {
    await withTempDir('interviewlm-bench-paced-', async (roundDir) => {
      const run = await recordPaced(join(roundDir, 'default'), pacedEvents, options.pacedRatePerSecond, DEFAULT_DURABILITY);
      pacedRuns.push(run);
      const writer = new RawSqliteWriter(join(roundDir, 'raw-paced.db'), { durability: DEFAULT_DURABILITY, advanceSession: true });
      try {
        rawPacedRuns.push(await writer.writePaced(run.rows, options.pacedRatePerSecond));
      } finally {
        writer.close();
      }
      fullRuns.push(await recordPaced(join(roundDir, 'full'), pacedEvents, options.pacedRatePerSecond, 'full'));
    });
  }
  const pacedLatency = summarize(pooled(pacedRuns.map((run) => run.latencies), pacedWarmup));
  const pacedFromSchedule = summarize(pooled(pacedRuns.map((run) => run.fromSchedule), pacedWarmup));
  const rawPaced = summarize(pooled(rawPacedRuns, pacedWarmup));
  const fullPaced = summarize(pooled(fullRuns.map((run) => run.latencies), pacedWarmup));
  const p99PerRound = (runs: readonly Float64Array[]) => runs.map((run) => formatMs(summarize(run.subarray(pacedWarmup)).p99)).join(' / ');
  const pacedCommits = pacedRuns.reduce((total, run) => total + run.commits, 0);
  const pacedRows = pacedRuns.reduce((total, run) => total + run.rows.length, 0);

  const events = generateEditorEvents(options.warmupEvents + options.burstEvents, 7);
  const warmupEvents = events.slice(0, options.warmupEvents);
  const burstEvents = events.slice(options.warmupEvents);
  const saturatedLatencies = new Float64Array(burstEvents.length * options.rounds);
  const rounds: BurstRound[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const latencies = saturatedLatencies.subarray(round * burstEvents.length, (round + 1) * burstEvents.length);
    rounds.push(await withTempDir('interviewlm-bench-burst-', (roundDir) => burstRound(roundDir, warmupEvents, burstEvents, options, latencies)));
  }
  const eventsPerSecond = median(rounds.map((round) => round.eventsPerSecond));
  const rawRowsPerSecond = median(rounds.map((round) => round.rawRowsPerSecond));
  const rawAllRowsPerSecond = median(rounds.map((round) => round.rawAllRowsPerSecond));
  const saturated = summarize(saturatedLatencies);
  const first = rounds[0]!;
  const perRound = (pick: (round: BurstRound) => string) => rounds.map(pick).join(' / ');

  const mixCounts = burstEvents.reduce<Record<string, number>>((counts, event) => ((counts[event.type] = (counts[event.type] ?? 0) + 1), counts), {});
  const mix = Object.entries(mixCounts)
    .sort((a, b) => b[1] - a[1])
    .map(([type, count]) => `${type} ${formatNumber((100 * count) / burstEvents.length, count * 100 < burstEvents.length ? 2 : 0)}%`)
    .join(', ');
  const roundsNote = `median of ${options.rounds} rounds, each on a fresh database`;
  const synchronous = `synchronous=${synchronousOf(DEFAULT_DURABILITY)}`;
  const opened = `opened by openRecordingDatabase with durability '${DEFAULT_DURABILITY}' as the recorder's (migration 0001, WAL, ${synchronous}, wal_autocheckpoint=0 with a checkpoint after a quiet period)`;
  return [
    {
      id: 'recorder.events_per_s',
      value: eventsPerSecond,
      unit: 'events/s',
      note:
        `SessionRecordingService.recordEvent, durability '${DEFAULT_DURABILITY}' (the default: ${synchronous}): ${formatNumber(burstEvents.length)} events (${mix}) into one session from ${options.producers} producers, ` +
        `each issuing bursts of ${options.burstSize} without awaiting them one by one, after ${formatNumber(options.warmupEvents)} warm-up events; ${roundsNote} ` +
        `(${perRound((round) => formatNumber(round.eventsPerSecond))} events/s); ${formatNumber(first.commits)} commits per round, batches averaged ${formatNumber(first.averageBatch, 1)} events`,
    },
    {
      id: 'recorder.raw_sqlite_rows_per_s',
      value: rawRowsPerSecond,
      unit: 'rows/s',
      note:
        `plain better-sqlite3 inserting the same ${formatNumber(burstEvents.length)} events rows (read back from the recorder's file: same session id, revision, hashes and data JSON) ` +
        `with one single-row prepared INSERT of all 8 columns, ${Math.round(first.averageBatch)} rows per transaction (the recorder's average batch), into a database ${opened} ` +
        `after the same warm-up rows; ${roundsNote}, right after the recorder's (${perRound((round) => formatNumber(round.rawRowsPerSecond))} rows/s)`,
    },
    {
      id: 'recorder.throughput_ratio',
      value: eventsPerSecond / rawRowsPerSecond,
      unit: 'ratio',
      note: `recorder.events_per_s / recorder.raw_sqlite_rows_per_s; per round ${perRound((round) => formatNumber(round.eventsPerSecond / round.rawRowsPerSecond, 2))}`,
    },
    {
      id: 'recorder.raw_sqlite_all_writes_rows_per_s',
      value: rawAllRowsPerSecond,
      unit: 'rows/s',
      note:
        `context: the same batches also writing everything else the recorder's transaction writes (one sessions UPDATE per batch; the ${formatNumber(first.revisionRows)} rows with a revision ` +
        `are indexed by events_by_file_revision in both variants), ` +
        `still without validation, hashing or promises; ${roundsNote} (${perRound((round) => formatNumber(round.rawAllRowsPerSecond))} rows/s); ` +
        `recorder.events_per_s / this = ${formatNumber(eventsPerSecond / rawAllRowsPerSecond, 2)}`,
    },
    {
      id: 'recorder.p99_ms',
      value: pacedLatency.p99,
      unit: 'ms',
      note:
        `recordEvent call to resolve (performance.now), paced at ${formatNumber(options.pacedRatePerSecond)} events/s (the editor stream: keystroke, code_edit, cursor) from a 1 ms timer ` +
        `for ${options.pacedSeconds} s on a fresh database, durability '${DEFAULT_DURABILITY}' (${synchronous}); ${options.pacedRounds} rounds pooled, ${formatNumber(pacedLatency.count)} events after each round's ${options.pacedWarmupSeconds} s warm-up ` +
        `(p99 per round ${p99PerRound(pacedRuns.map((run) => run.latencies))} ms); p50 ${formatMs(pacedLatency.p50)}, p95 ${formatMs(pacedLatency.p95)}, max ${formatMs(pacedLatency.max)} ms; ` +
        `${formatNumber(pacedRows / pacedCommits, 1)} events per commit; from each event's scheduled time instead of its call: p99 ${formatMs(pacedFromSchedule.p99)} ms`,
    },
    {
      id: 'recorder.raw_sqlite_paced_p99_ms',
      value: rawPaced.p99,
      unit: 'ms',
      note:
        `context, the disk's floor under recorder.p99_ms: plain better-sqlite3 writing the rows each paced run produced (events rows, one sessions UPDATE per transaction) at the same pace, ` +
        `each timer tick's due rows in one transaction, into a database ${opened}, write call to commit, run right after it; pooled over the ${options.pacedRounds} rounds ` +
        `(p99 per round ${p99PerRound(rawPacedRuns)} ms); p50 ${formatMs(rawPaced.p50)}, p95 ${formatMs(rawPaced.p95)}, max ${formatMs(rawPaced.max)} ms`,
    },
    {
      id: 'recorder.p99_ms_durability_full',
      value: fullPaced.p99,
      unit: 'ms',
      note:
        `context: recorder.p99_ms's load with durability 'full' (synchronous=FULL: an fsync of the WAL per commit), run in the same rounds ` +
        `(p99 per round ${p99PerRound(fullRuns.map((run) => run.latencies))} ms); p50 ${formatMs(fullPaced.p50)}, p95 ${formatMs(fullPaced.p95)}, max ${formatMs(fullPaced.max)} ms`,
    },
    {
      id: 'recorder.p99_ms_saturated',
      value: saturated.p99,
      unit: 'ms',
      note: `context: recordEvent call to resolve during the burst runs above (${formatNumber(saturated.count)} events); p50 ${formatMs(saturated.p50)}, p95 ${formatMs(saturated.p95)}, max ${formatMs(saturated.max)} ms`,
    },
  ];
}
