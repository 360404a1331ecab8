import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pako from 'pako';
import { configForDataDir } from '../../electron/services/config';
import { createServices, type Services } from '../../electron/services/container';
import { decodeSegmentedRecording, segmentRangesOf } from '../../electron/services/storage/segmentedRecording';
import { S3ObjectStore, s3ClientConfig, type S3ObjectStoreOptions } from '../../electron/services/storage/s3ObjectStore';
import { openSyncDatabase } from '../../electron/services/sync/syncDatabase';
import { DEFAULT_SYNC_SETTINGS, SyncEngine, type SyncObjectStore } from '../../electron/services/sync/syncEngine';
import { WorkerSyncRunner } from '../../electron/services/sync/workerSyncRunner';
import type { EventInput, RecordedEvent } from '../../shared/recording/eventTypes';
import { manifestKey, recordingChunkKey, recordingKey, sessionPrefix } from '../../shared/storage/recordingObjects';
import type { SyncStatus } from '../../shared/sync/syncStatus';
import type { BenchResult } from './benchResult';
import { recordPacedEvents } from './issuePaced';
import { startS3rverProcess, type S3rverProcess } from './s3rverProcess';
import { seedFormatSession } from './seedFormat';
import {
  compressColumnarRecording,
  decodeColumnarRecording,
  decompressColumnarRecording,
  encodeColumnarRecording,
} from '../../electron/services/storage/columnarRecording';
import { formatMs, formatNumber, median, pooled, summarize } from './stats';
import { QUESTION_ID, generateEditorEvents, generateSyntheticSession, recordStep, type SessionStep, type SyntheticSession } from './syntheticSession';
import { TimedObjectStore, type StoreTimings } from './timedObjectStore';
import { withTempDir } from './withTempDir';

/** How the sync bench is sized; the defaults are what `npm run bench` uses. */
export interface SyncBenchOptions {
  seed: number;
  /** Events in the 60-minute session (the replay bench's two hours hold 110,000). */
  hourEvents: number;
  twoHourEvents: number;
  /** Closes of copies of the two-hour session, each followed by a raw PutObject of its recording; medians are compared. */
  closeRounds: number;
  /** The paced runs: events per second, for how long, after a warm-up that is not counted. */
  pacedRatePerSecond: number;
  /** Paced rounds, each one run with S3 up and one with it down, back to back (alternating which goes first); samples pooled. */
  pacedRounds: number;
  pacedSeconds: number;
  pacedWarmupSeconds: number;
}

/** About 3 min on a 2-core machine: the paced runs, then recording and syncing the two sessions (s3rver stores ~1,800 chunks). */
export const DEFAULT_SYNC_BENCH_OPTIONS: SyncBenchOptions = {
  seed: 2024,
  hourEvents: 55_000,
  twoHourEvents: 110_000,
  closeRounds: 25,
  pacedRatePerSecond: 2_000,
  pacedRounds: 10,
  pacedSeconds: 4,
  pacedWarmupSeconds: 0.5,
};

/** Every recording starts at a fixed instant so every run stores the same bytes. */
const SESSION_START = Date.UTC(2025, 0, 15, 9, 0, 0);

/** A session recorded through the real recorder while an engine synced it, as in the app. */
interface SyncedSession {
  services: Services;
  engine: SyncEngine;
  store: TimedObjectStore;
  sessionId: string;
  script: SyntheticSession;
  prefix: string;
  setNow(ms: number): void;
  /** Replaces the listener of the engine's statuses. */
  onStatus(listener: (status: SyncStatus) => void): void;
  dispose(): void;
}

/**
 * Records `script` through the real recorder on a fresh database, with an injected clock at
 * each step's time, while a sync engine on its own connection runs a pass every
 * pollIntervalMs of that clock: chunks ship as they would during the interview (100 events,
 * or a partial chunk once it is 10 s old). The session is left open.
 */
async function recordWhileSyncing(dir: string, storage: S3ObjectStoreOptions, script: SyntheticSession): Promise<SyncedSession> {
  let now = SESSION_START;
  const services = createServices(configForDataDir(dir), { now: () => now });
  const db = openSyncDatabase(services.config.databasePath);
  const s3 = new S3ObjectStore(storage);
  const store = new TimedObjectStore(s3);
  let statusListener: (status: SyncStatus) => void = () => {};
  const engine = new SyncEngine({ db, store, now: () => now, onStatus: (status) => statusListener(status) });
  const dispose = () => {
    void engine.stop();
    s3.dispose();
    db.close();
    services.dispose();
  };
  try {
    const { sessions } = services;
    const sessionId = (await sessions.createSession('bench-candidate', { questionId: QUESTION_ID })).id;
    const record = (step: SessionStep): Promise<unknown> => recordStep(sessions, sessionId, step);
    let inFlight: Promise<unknown>[] = [];
    let lastPassAt = 0;
    for (const step of script.steps) {
      if (step.at - lastPassAt >= DEFAULT_SYNC_SETTINGS.pollIntervalMs) {
        // The engine ships what has committed, as the worker's poll would.
        await Promise.all(inFlight);
        inFlight = [];
        await engine.syncNow();
        lastPassAt = step.at;
      }
      now = SESSION_START + step.at;
      inFlight.push(record(step));
    }
    await Promise.all(inFlight);
    await engine.syncNow();
    const failed = engine.haltedBy ?? null;
    if (failed) throw failed;
    return { services, engine, store, sessionId, script, prefix: sessionPrefix(sessionId, new Date(SESSION_START)), setNow: (ms) => void (now = ms), onStatus: (listener) => void (statusListener = listener), dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** Closes the session at the end of its script and runs the engine until it is SYNCED. */
async function closeAndSync(session: SyncedSession): Promise<void> {
  session.setNow(SESSION_START + session.script.durationMs + 1_000);
  await session.services.sessions.closeSession(session.sessionId, 'COMPLETED');
  await session.engine.syncNow();
  const { syncState } = await session.services.sessions.getSession(session.sessionId);
  if (syncState !== 'SYNCED') throw new Error(`the session did not sync (${syncState}): ${session.engine.haltedBy?.message ?? 'see the statuses'}`);
}


/** What storage holds for a session once it is SYNCED (the recording and the manifest, nothing else), and the recording's bytes. */
async function storedObjects(store: SyncObjectStore, prefix: string) {
  const objects = await store.list(prefix);
  const key = recordingKey(prefix);
  const recording = await store.get(key);
  if (!recording) throw new Error('no consolidated recording in storage');
  const others = objects.filter((object) => object.key !== key && object.key !== manifestKey(prefix));
  if (others.length > 0) throw new Error(`storage still holds ${others.length} other object(s) for the session, ${others[0]!.key} first`);
  return {
    count: objects.length,
    recordingBytes: recording.body.byteLength,
    manifestBytes: objects.filter((object) => object.key === manifestKey(prefix)).reduce((total, object) => total + object.size, 0),
    totalBytes: objects.reduce((total, object) => total + object.size, 0),
    recording: recording.body,
    segments: segmentRangesOf(recording.body, recordingKey(prefix)).length,
  };
}

/**
 * Context for sync.compression_vs_seed: the same events as one col/v1 segment (what the
 * segmented recording would be if the whole session were compressed at once, at close).
 */
function oneSegmentResult(sessionId: string, events: RecordedEvent[], seedGzip: number, ours: number): BenchResult {
  const startedAt = performance.now();
  const compressed = compressColumnarRecording(encodeColumnarRecording({ sessionId, events }));
  const encodeMs = performance.now() - startedAt;
  const decoded = decodeColumnarRecording(decompressColumnarRecording(compressed, 'bench'), 'bench');
  if (decoded.length !== events.length || decoded.at(-1)?.hash !== events.at(-1)?.hash) throw new Error('the columnar recording does not round-trip');
  return {
    id: 'sync.one_segment_vs_seed',
    value: compressed.byteLength / seedGzip,
    unit: 'ratio',
    note:
      `context: the same ${formatNumber(events.length)} events as a single col/v1 segment + brotli (q9) = ${formatNumber(compressed.byteLength)} bytes (${formatMs(encodeMs)} ms to encode and compress, ` +
      `which is what closing would cost without segments sealed in the background); what sync stores in segments is ${formatNumber(ours / compressed.byteLength, 2)}x that`,
  };
}

/** sync.compression_vs_seed and sync.ratio_vs_raw_json, on a 60-minute session. */
async function measureCompression(s3: S3rverProcess, options: SyncBenchOptions): Promise<BenchResult[]> {
  const script = generateSyntheticSession({ seed: options.seed, targetEvents: options.hourEvents, durationMs: 60 * 60 * 1000 });
  return withTempDir('interviewlm-bench-sync-hour-', async (dir) => {
    const session = await recordWhileSyncing(dir, s3.storage, script);
    try {
      await closeAndSync(session);
      const stored = await storedObjects(session.store, session.prefix);
      const events = session.services.replay.getAllEvents(session.sessionId);
      const decoded = decodeSegmentedRecording(stored.recording, recordingKey(session.prefix)).events;
      if (decoded.length !== events.length || decoded.at(-1)?.hash !== events.at(-1)?.hash) throw new Error('the stored recording is not the local one');
      const stats = await session.services.sessions.getSessionStats(session.sessionId);
      const seed = seedFormatSession(events, script.steps, { candidateId: 'bench-candidate', duration: String(Math.round(script.durationMs / 1000)) });
      const seedJson = Buffer.from(JSON.stringify(seed), 'utf8');
      const seedGzip = gzipSync(seedJson).byteLength;
      const seedPako = pako.gzip(seedJson).byteLength;
      const ours = stored.totalBytes;
      const sessionNote =
        `a 60-minute session recorded through the real recorder (${formatNumber(events.length)} events, ${formatNumber(stats.snapshotCount)} code snapshots, seed ${options.seed}) ` +
        `while an in-process SyncEngine (default settings) synced it to s3rver every second of the session's clock, then closed and synced`;
      const storedNote =
        `we store ${formatNumber(ours)} bytes: everything under the session's prefix (ListObjectsV2 sizes), i.e. the consolidated recording ${formatNumber(stored.recordingBytes)} ` +
        `(${stored.segments} col/v1 segments, brotli; decoded and every hash recomputed before counting) + the manifest ${formatNumber(stored.manifestBytes)}; ` +
        `the chunks shipped while the session ran were removed once the recording was stored, and nothing else is left`;
      const seedNote =
        `the seed's format: the same events as {timestamp (ISO), type, fileId, data} with every code_snapshot carrying the file's full content ({fileId, fileName, language, content}) instead of our patch, ` +
        `in {sessionId, metadata, events}: ${formatNumber(seedJson.byteLength)} bytes of JSON, gzip ${formatNumber(seedGzip)} (node:zlib level 6; the seed's pako.gzip gives ${formatNumber(seedPako)})`;
      return [
        {
          id: 'sync.compression_vs_seed',
          value: ours / seedGzip,
          unit: 'ratio',
          note: `bytes we store / gzip(JSON of the same session in the seed's format) on ${sessionNote}; ${storedNote}; ${seedNote}`,
        },
        oneSegmentResult(session.sessionId, events, seedGzip, ours),
        gzipLibraryResult(seedJson, Buffer.from(JSON.stringify({ sessionId: session.sessionId, metadata: {}, events: events.slice(1_000, 1_100) }), 'utf8')),
        {
          id: 'sync.ratio_vs_raw_json',
          value: seedJson.byteLength / ours,
          unit: 'x',
          note:
            `raw JSON of the seed-format session (${formatNumber(seedJson.byteLength)} bytes) / the ${formatNumber(ours)} bytes we store for it (sync.compression_vs_seed); ` +
            `the seed's own gzip of its format gives ${formatNumber(seedJson.byteLength / seedGzip, 1)}x (it claims 5-10x)`,
        },
      ];
    } finally {
      session.dispose();
    }
  });
}

/** Median ms of `runs` calls of `work`, after one untimed call. */
function medianMsOf(work: () => unknown, runs: number): number {
  work();
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const startedAt = performance.now();
    work();
    times.push(performance.now() - startedAt);
  }
  return median(times);
}

/**
 * sync.gzip_zlib_over_pako: why the codec gzips with node:zlib rather than the seed's pako.
 * The same JSON, level 6 both: a whole session in the seed's format (what an export or the
 * seed's upload compresses) and a 100-event chunk (what the worker compresses while a session runs).
 */
function gzipLibraryResult(sessionJson: Uint8Array, chunkJson: Uint8Array): BenchResult {
  const sides = [
    { name: 'the session', json: sessionJson, runs: 5 },
    { name: 'a 100-event chunk', json: chunkJson, runs: 200 },
  ].map(({ name, json, runs }) => {
    const zlibMs = medianMsOf(() => gzipSync(json), runs);
    const pakoMs = medianMsOf(() => pako.gzip(json), runs);
    const zlibBytes = gzipSync(json);
    const gunzipZlibMs = medianMsOf(() => gunzipSync(zlibBytes), runs);
    const ungzipPakoMs = medianMsOf(() => pako.ungzip(zlibBytes), runs);
    return { name, bytes: json.byteLength, zlibMs, pakoMs, zlibOut: zlibBytes.byteLength, pakoOut: pako.gzip(json).byteLength, gunzipZlibMs, ungzipPakoMs };
  });
  const session = sides[0]!;
  return {
    id: 'sync.gzip_zlib_over_pako',
    value: session.zlibMs / session.pakoMs,
    unit: 'ratio',
    note:
      'context for the codec\'s choice: gzip time with node:zlib (gzipSync, level 6) over the seed\'s pako.gzip (level 6) of the same JSON, medians in one process; below 1 means zlib is faster. ' +
      sides
        .map(
          (side) =>
            `${side.name} (${formatNumber(side.bytes)} bytes of JSON): gzip zlib ${formatMs(side.zlibMs)} ms / pako ${formatMs(side.pakoMs)} ms (${formatNumber(side.zlibMs / side.pakoMs, 2)}), ` +
            `output zlib ${formatNumber(side.zlibOut)} / pako ${formatNumber(side.pakoOut)} bytes, gunzip zlib ${formatMs(side.gunzipZlibMs)} ms / pako ${formatMs(side.ungzipPakoMs)} ms`,
        )
        .join('; '),
  };
}

/** One close of a copy of the recorded two-hour session, timed until SYNCED. */
interface TimedClose {
  closeMs: number;
  eventCount: number;
  /** The whole pass, clean-up included. */
  passMs: number;
  /** Storage requests until SYNCED, and in the whole pass. */
  untilSynced: StoreTimings;
  wholePass: StoreTimings;
}

/**
 * Opens a copy of the recorded session's database as the app would after a restart, warms it
 * as the interview would have (a recorded event, an engine pass while the session is still open,
 * which compresses the events after the last sealed segment as its provisional tail, and one
 * PUT on the engine's S3 client), records one more event, then closes the session and times
 * it to the synced status.
 */
async function closeCopy(dataDir: string, storage: S3ObjectStoreOptions, script: SyntheticSession): Promise<TimedClose> {
  let now = SESSION_START + script.durationMs;
  const services = createServices(configForDataDir(dataDir), { now: () => now });
  const db = openSyncDatabase(services.config.databasePath);
  const s3 = new S3ObjectStore(storage);
  const store = new TimedObjectStore(s3);
  let syncedAt: number | null = null;
  let untilSynced: StoreTimings | null = null;
  const engine = new SyncEngine({
    db,
    store,
    now: () => now,
    onStatus: (status) => {
      if (status.state !== 'synced' || syncedAt !== null) return;
      syncedAt = performance.now();
      untilSynced = structuredClone(store.timings);
    },
  });
  try {
    const [session] = await services.sessions.listInterruptedSessions();
    if (!session) throw new Error('the copied database holds no open session');
    // Warm, as two hours of the interview left them: the recorder has recorded, the engine has
    // passed (compressing the provisional tail) and its S3 client has PUT (the chunks).
    await services.sessions.recordEvent(session.id, { type: 'focus', data: {} });
    await engine.syncNow();
    await store.put('bench/warm-up-close', new Uint8Array(16), { contentType: 'application/octet-stream', metadata: {} });
    now += 500;
    await services.sessions.recordEvent(session.id, { type: 'blur', data: {} });
    store.reset();
    now += 1_000;
    const startedAt = performance.now();
    await services.sessions.closeSession(session.id, 'COMPLETED');
    await engine.syncNow();
    const passMs = performance.now() - startedAt;
    const { syncState, lastSeq } = await services.sessions.getSession(session.id);
    if (syncedAt === null || untilSynced === null || syncState !== 'SYNCED') throw new Error(`the session did not sync (${syncState}): ${engine.haltedBy?.message ?? 'no synced status'}`);
    return { closeMs: (syncedAt as number) - startedAt, eventCount: lastSeq, passMs, untilSynced, wholePass: structuredClone(store.timings) };
  } finally {
    await engine.stop();
    s3.dispose();
    db.close();
    services.dispose();
  }
}

/**
 * sync.close_upload_overhead, on a two-hour session. One session is recorded while an engine
 * syncs it, and its database is snapshotted while it is still open; each round then closes a
 * fresh copy of that snapshot and, next to it (after, then before, alternately), times one raw
 * PutObject of the same recording, so both sides of the ratio see the same moments of a shared
 * machine. Medians of the rounds.
 */
async function measureCloseUpload(s3: S3rverProcess, options: SyncBenchOptions): Promise<BenchResult[]> {
  const script = generateSyntheticSession({ seed: options.seed, targetEvents: options.twoHourEvents, durationMs: 2 * 60 * 60 * 1000 });
  return withTempDir('interviewlm-bench-sync-close-', async (dir) => {
    const recordStartedAt = performance.now();
    const recorded = await recordWhileSyncing(join(dir, 'recorded'), s3.storage, script);
    const recordMs = performance.now() - recordStartedAt;
    const snapshot = join(dir, 'open-session.sqlite');
    let pendingAtClose: number;
    try {
      pendingAtClose = recorded.engine.statusOf(recorded.sessionId)!.pendingEvents;
      recorded.services.database.db.prepare('VACUUM INTO ?').run(snapshot);
    } finally {
      recorded.dispose();
    }

    const reader = new S3ObjectStore(s3.storage);
    const closes: TimedClose[] = [];
    const putMs: number[] = [];
    const headMs: number[] = [];
    let stored: Awaited<ReturnType<typeof storedObjects>> | null = null;
    try {
      for (let round = 0; round < options.closeRounds; round++) {
        const copyDir = join(dir, `close-${round}`);
        mkdirSync(copyDir);
        copyFileSync(snapshot, configForDataDir(copyDir).databasePath);
        // The copy of the database and what the rounds before wrote go to the disk now,
        // not while the round is timed: a page of SQLite's -shm or WAL that is under writeback
        // when a commit writes it waits for the disk, which no close after an interview meets.
        spawnSync('sync');
        // On a client in the state the close's is in (new, one small PUT made): a client whose
        // socket has carried many large bodies sends the next one ~1-1.5 ms faster on loopback
        // (measured), which would favour the raw side.
        const timeRawPut = async (recording: Uint8Array) => {
          const client = new S3Client(s3ClientConfig(s3.storage));
          try {
            const put = (key: string, body: Uint8Array) =>
              client.send(new PutObjectCommand({ Bucket: s3.storage.bucket, Key: key, Body: body, ContentLength: body.byteLength, ContentType: 'application/gzip' }));
            await put('bench/warm-up', new Uint8Array(16));
            const putStartedAt = performance.now();
            await put(`bench/raw-put-${round}`, recording);
            putMs.push(performance.now() - putStartedAt);
            // Context: the HEAD the close reconciles with, raw, right after the PUT as the close's is.
            const headStartedAt = performance.now();
            await client.send(new HeadObjectCommand({ Bucket: s3.storage.bucket, Key: `bench/raw-put-${round}` }));
            headMs.push(performance.now() - headStartedAt);
          } finally {
            client.destroy();
          }
        };
        // Storage as a real close finds it: the session's folder holds chunks, not yet its
        // recording and manifest. The rounds close copies of one session, so (not timed) a
        // chunk goes back in and what the round before stored comes out. Removing the folder's
        // last object would remove the folder too on s3rver, and the close's PUT would then
        // create five directories (~1-2 ms more), which no real close does.
        if (stored) {
          await reader.put(recordingChunkKey(recorded.prefix, 1, 100), new Uint8Array(16), { contentType: 'application/gzip', metadata: {} });
          for (const key of [recordingKey(recorded.prefix), manifestKey(recorded.prefix)]) await reader.delete(key);
        }
        // Alternating which goes first (once the first close has stored the recording to copy),
        // so neither side always meets s3rver just after the other's requests.
        if (stored && round % 2 === 1) await timeRawPut(stored.recording);
        closes.push(await closeCopy(copyDir, s3.storage, script));
        stored ??= await storedObjects(reader, recorded.prefix);
        if (round % 2 === 0) await timeRawPut(stored.recording);
      }
    } finally {
      reader.dispose();
    }
    const close = summarize(closes.map((run) => run.closeMs));
    const rawPut = summarize(putMs);
    const rawHead = summarize(headMs);
    const first = closes[0]!;
    const operations = (timings: StoreTimings) =>
      Object.entries(timings.byOperation)
        .map(([operation, entry]) => `${entry.requests} ${operation} ${formatMs(entry.ms)} ms`)
        .join(', ');
    const list = (values: number[]) => values.map((value) => formatMs(value)).join(' / ');
    return [
      {
        id: 'sync.close_upload_overhead',
        value: close.p50 / rawPut.p50,
        unit: 'ratio',
        note:
          `closeSession of a two-hour session (${formatNumber(first.eventCount)} events, ${formatNumber(pendingAtClose)} of them after the last chunk; recorded with an in-process SyncEngine ` +
          `passing every second of the session's clock, as the worker does, in ${formatNumber(recordMs / 1000, 1)} s) until it is SYNCED (SyncEngine.syncNow() against s3rver in its own process): ` +
          `median ${formatMs(close.p50)} ms over ${closes.length} closes, each of a fresh copy of the database snapshotted while the session was open, storage holding a chunk and no recording yet, as at a real close (${list(closes.map((run) => run.closeMs))} ms), ` +
          `/ one raw PutObject of the same ${formatNumber(stored!.recordingBytes)} bytes (the consolidated recording, ${stored!.segments} segments, its manifest in its metadata) to the same server ` +
          `on a new client warmed by one small PUT as the close's is, timed next to each close (after it, then before it, alternately): median ${formatMs(rawPut.p50)} ms (${list(putMs)} ms). ` +
          `Until SYNCED the close makes two requests, the recording's PUT and the HEAD that reconciles what storage holds with it (${operations(first.untilSynced)} in the first round); ` +
          `the rest is closeSession, compressing the events since the last pass, concatenating and hashing the header (the sha256 and MD5 of the sealed segments are kept as they are sealed); s3rver keeps its objects in RAM (see s3rverProcess.ts). Not counted: the housekeeping that follows in the same pass once the session is SYNCED ` +
          `(manifest.json, listing the folder, DeleteObjects of the chunks: ${operations(first.wholePass)} in all in the first round, whose whole pass took ${formatMs(first.passMs)} ms)`,
      },
      {
        id: 'sync.close_over_raw_put_and_head',
        value: close.p50 / (rawPut.p50 + rawHead.p50),
        unit: 'ratio',
        note:
          `context for sync.close_upload_overhead: the same median close (${formatMs(close.p50)} ms) over the two requests it makes until SYNCED, raw: the PutObject above plus a HeadObject of it on the same client right after ` +
          `(median ${formatMs(rawHead.p50)} ms: ${list(headMs)} ms); what is left above 1 is the close's own work`,
      },
    ];
  });
}

/** A loopback port nothing listens on: connections to it are refused, as to a host that is down. */
async function refusedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

interface PacedSyncRun {
  latencies: Float64Array;
  fromSchedule: Float64Array;
  /** The worker's last status for the session once the run ended. */
  last: SyncStatus | null;
}

/**
 * The recorder on a fresh database fed `events` at a steady rate, while the app's sync worker
 * (WorkerSyncRunner: its own thread, connection and S3 client, default settings) runs against
 * `storage`. Measuring starts once the worker has reported on the session.
 */
async function recordPacedWithWorker(dir: string, events: readonly EventInput[], ratePerSecond: number, storage: S3ObjectStoreOptions): Promise<PacedSyncRun> {
  const services = createServices(configForDataDir(dir));
  let runner: WorkerSyncRunner | null = null;
  try {
    const { sessions } = services;
    const sessionId = (await sessions.createSession('bench-candidate-paced')).id;
    let last: SyncStatus | null = null;
    let reported: () => void = () => {};
    const firstReport = new Promise<void>((resolve) => (reported = resolve));
    runner = new WorkerSyncRunner({ databasePath: services.config.databasePath, target: { mode: 's3', storage } }, undefined, (error) => console.error('[sync worker]', error));
    runner.onStatus((status) => {
      if (status.sessionId !== sessionId) return;
      last = status;
      reported();
    });
    await firstReport;
    const run = await recordPacedEvents(events, ratePerSecond, (event) => sessions.recordEvent(sessionId, event));
    return { ...run, last };
  } finally {
    await runner?.stop();
    services.dispose();
  }
}

/** sync.p99_ratio_s3_down: recordEvent's p99 with the sync worker facing a dead endpoint, over the same with S3 up. */
async function measureP99WithStorageDown(s3: S3rverProcess, options: SyncBenchOptions): Promise<BenchResult[]> {
  const count = Math.round(options.pacedRatePerSecond * (options.pacedSeconds + options.pacedWarmupSeconds));
  const warmup = Math.round(options.pacedRatePerSecond * options.pacedWarmupSeconds);
  const events = generateEditorEvents(count, 13);
  const down: S3ObjectStoreOptions = { ...s3.storage, endpoint: await refusedEndpoint() };
  const runs = { up: [] as PacedSyncRun[], down: [] as PacedSyncRun[] };
  for (let round = 0; round < options.pacedRounds; round++) {
    // Alternate which goes first, so the disk's slow moments fall on both alike.
    const order = round % 2 === 0 ? (['up', 'down'] as const) : (['down', 'up'] as const);
    for (const which of order) {
      runs[which].push(await withTempDir(`interviewlm-bench-sync-paced-${which}-`, (dir) => recordPacedWithWorker(dir, events, options.pacedRatePerSecond, which === 'up' ? s3.storage : down)));
    }
  }
  const counted = (run: PacedSyncRun) => run.latencies.subarray(warmup);
  const up = summarize(pooled(runs.up.map((run) => run.latencies), warmup));
  const downSummary = summarize(pooled(runs.down.map((run) => run.latencies), warmup));
  // Beside the pooled figure: each round's own ratio (its two runs seconds apart), so a round
  // that a stall of the shared machine decides shows as such.
  const roundP99 = (run: PacedSyncRun) => summarize(counted(run)).p99;
  const roundRatios = runs.up.map((upRun, round) => roundP99(runs.down[round]!) / roundP99(upRun));
  const list = (values: readonly number[], format: (value: number) => string) => values.map(format).join(' / ');
  const lastStates = (runList: readonly PacedSyncRun[]) =>
    runList.map((run) => (run.last ? `${run.last.state}${run.last.state === 'syncing' ? ` ${run.last.objectsUploaded} chunks` : ''}` : 'no status')).join(' / ');
  return [
    {
      id: 'sync.p99_ratio_s3_down',
      value: downSummary.p99 / up.p99,
      unit: 'ratio',
      note:
        `recordEvent call-to-resolve p99 with S3 down / with S3 up, the samples of ${options.pacedRounds} rounds pooled: ${formatMs(downSummary.p99)} / ${formatMs(up.p99)} ms. ` +
        `Per round: p99 up ${list(runs.up.map(roundP99), formatMs)}, down ${list(runs.down.map(roundP99), formatMs)} ms; ratios ${list(roundRatios, (value) => formatNumber(value, 2))} (median ${formatNumber(median(roundRatios), 2)}). ` +
        `Each round: the editor stream paced at ${formatNumber(options.pacedRatePerSecond)} events/s for ${options.pacedSeconds} s (after ${options.pacedWarmupSeconds} s not counted) on a fresh database, ` +
        `with the app's sync worker (WorkerSyncRunner: a worker thread with its own SQLite connection and S3 client, default settings) started first, ` +
        `once with S3 up (s3rver in its own process) and once down (a loopback port that refuses connections), back to back, alternating which goes first ` +
        `(p50 up ${formatMs(up.p50)}, down ${formatMs(downSummary.p50)} ms; max up ${formatMs(up.max)}, down ${formatMs(downSummary.max)} ms); ` +
        `the worker's last status per run: up ${lastStates(runs.up)}; down ${lastStates(runs.down)}`,
    },
  ];
}

/**
 * Sync against a real S3-compatible server (s3rver, in its own process): how many bytes we
 * store for a session against the seed's format, how long closing a two-hour session takes
 * to reach SYNCED against one raw PutObject, and whether a dead endpoint slows recording.
 */
export async function runSyncBench(options: SyncBenchOptions = DEFAULT_SYNC_BENCH_OPTIONS): Promise<BenchResult[]> {
  const s3 = await startS3rverProcess();
  try {
    // The paced runs first: the sessions below write hundreds of MB (database and s3rver's
    // folder), and their writeback must not land on the latencies being compared.
    const p99 = await measureP99WithStorageDown(s3, options);
    return [...(await measureCompression(s3, options)), ...(await measureCloseUpload(s3, options)), ...p99];
  } finally {
    await s3.dispose();
  }
}
