import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configForDataDir, loadConfig } from '../../../../electron/services/config';
import { createServices, type Services } from '../../../../electron/services/container';
import { openSqlite, type SqliteDatabase } from '../../../../electron/services/db/sqlite';
import type { S3ObjectStore } from '../../../../electron/services/storage/s3ObjectStore';
import { decodeSegmentedRecording } from '../../../../electron/services/storage/segmentedRecording';
import { SyncEngine, type SyncSettings } from '../../../../electron/services/sync/syncEngine';
import { syncEndpointsFor, syncTargetFrom } from '../../../../electron/services/sync/syncTarget';
import type { EventInput } from '../../../../shared/recording/eventTypes';
import { recordingKey, sessionPrefix } from '../../../../shared/storage/recordingObjects';
import type { SyncStatus } from '../../../../shared/sync/syncStatus';
import { generateEditorEvents } from '../../../bench/syntheticSession';
import { startFaultProxy, type FaultProxy, type FaultProxyLogEntry } from '../../../helpers/faultProxy';
import { startReferenceSyncServer } from '../../../helpers/referenceSyncServer';
import { startLocalS3, type LocalS3 } from '../../../helpers/s3rverServer';
import { expectStorageEqualsLocal } from '../../../helpers/syncAssertions';
import { makeTempDir, tempServices } from '../../../helpers/tempServices';
import { INVALID_ACCESS_KEY_XML, storeOn } from '../storage/storageFixtures';

const repoRoot = join(import.meta.dirname, '../../../..');

/** Small chunks and short waits, so every fault plays out in well under a second or two. */
const FAST: Partial<SyncSettings> = {
  chunkEvents: 50,
  // Partial chunks wait while a session runs (the clock is real here); closing ships them.
  chunkIntervalMs: 60_000,
  maxAttempts: 4,
  initialRetryDelayMs: 5,
  maxRetryDelayMs: 40,
  breakerThreshold: 5,
  halfOpenAfterMs: 100,
  pollIntervalMs: 25,
};

/** Resolves once `condition` holds; fails after `withinMs`. */
async function waitFor(what: string, condition: () => boolean, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Calls `act` as soon as the proxy has seen a request matching `seen` (checked every millisecond). */
function onceProxySees(proxy: FaultProxy, seen: (entry: FaultProxyLogEntry) => boolean, act: () => Promise<void>): void {
  const timer = setInterval(() => {
    if (!proxy.log.some(seen)) return;
    clearInterval(timer);
    void act();
  }, 1);
  timer.unref();
}

/**
 * Resolves with the first match of `pattern` in what `child` prints (now or later); fails if
 * it exits first or after `withinMs`.
 */
function untilPrinted(child: ReturnType<typeof spawn>, output: () => string, pattern: RegExp, withinMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(output());
      if (!match) return false;
      settle();
      resolve(match);
      return true;
    };
    const exited = (code: number | null, signal: NodeJS.Signals | null) => {
      settle();
      reject(new Error(`the app exited (${signal ?? code}) before printing ${pattern}; it printed: ${output()}`));
    };
    const timer = setTimeout(() => {
      settle();
      reject(new Error(`timed out after ${withinMs} ms waiting for the app to print ${pattern}; it printed: ${output()}`));
    }, withinMs);
    const settle = () => {
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.off('exit', exited);
    };
    if (check()) return;
    child.stdout!.on('data', check);
    child.on('exit', exited);
  });
}

/** The app as test/fixtures/syncUntilKilled.ts runs it, in a child process to kill: what it printed so far, and its end. */
interface KillableApp {
  child: ReturnType<typeof spawn>;
  output(): string;
  /** The signal that ended it. */
  exited: Promise<NodeJS.Signals | null>;
}

function startKillableApp(dataDir: string, endpoint: string, bucket: string, settings: Partial<SyncSettings>, mode: 'record' | 'close' = 'record'): KillableApp {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/fixtures/syncUntilKilled.ts'), dataDir, endpoint, bucket, JSON.stringify(settings), mode], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output, exited };
}

const isPut = (entry: FaultProxyLogEntry) => entry.method === 'PUT';
const isChunkPut = (entry: FaultProxyLogEntry) => isPut(entry) && entry.url.includes('/chunks/');

describe('sync under faults: the engine against real s3rver behind a fault-injecting proxy', () => {
  let s3: LocalS3;
  /** Reads storage without the proxy: the final check must not be the flaky part. */
  let direct: S3ObjectStore;
  let proxy: FaultProxy;
  let env: ReturnType<typeof tempServices>;
  let engineDb: SqliteDatabase;
  let statuses: SyncStatus[];
  const engines: SyncEngine[] = [];
  const stores: S3ObjectStore[] = [];

  beforeAll(async () => {
    s3 = await startLocalS3();
    direct = storeOn(s3);
  });
  afterAll(async () => {
    direct?.dispose();
    await s3?.dispose();
  });
  beforeEach(async () => {
    proxy = await startFaultProxy({ target: s3.endpoint, seed: 30 });
    env = tempServices();
    // The engine has its own connection, as in the worker.
    engineDb = openSqlite(env.config.databasePath);
    statuses = [];
  });
  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.stop();
    for (const store of stores.splice(0)) store.dispose();
    await proxy.close();
    engineDb.close();
    env.cleanup();
  });

  /** An engine whose every request goes through the proxy (to `bucket`, by default the real one), on `db` (by default the test's). */
  function engine(options: { settings?: Partial<SyncSettings>; bucket?: string; now?: () => number; db?: SqliteDatabase } = {}): SyncEngine {
    const store = storeOn(s3, { endpoint: proxy.endpoint, ...(options.bucket ? { bucket: options.bucket } : {}) });
    stores.push(store);
    const created = new SyncEngine({
      db: options.db ?? engineDb,
      store,
      settings: { ...FAST, ...options.settings },
      ...(options.now ? { now: options.now } : {}),
      onStatus: (status) => statuses.push(status),
    });
    engines.push(created);
    return created;
  }

  const sessions = () => env.services.sessions;
  const syncState = (id: string) => engineDb.prepare<[string], { sync_state: string }>('SELECT sync_state FROM sessions WHERE id = ?').get(id)!.sync_state;
  const statusesOf = (id: string) => statuses.filter((status) => status.sessionId === id);

  /** Records `events` in bursts of `burst`, pausing between them so a polling engine's passes interleave. */
  async function record(id: string, events: readonly EventInput[], burst = 50, pauseMs = 20): Promise<void> {
    for (let next = 0; next < events.length; next += burst) {
      await Promise.all(events.slice(next, next + burst).map((event) => sessions().recordEvent(id, event)));
      if (pauseMs > 0) await sleep(pauseMs);
    }
  }

  /** Drives passes until the session is SYNCED; fails past `maxPasses` or `withinMs`. Returns the passes taken. */
  async function syncUntilSynced(sync: SyncEngine, id: string, bounds: { maxPasses: number; withinMs: number }): Promise<number> {
    const deadline = Date.now() + bounds.withinMs;
    for (let pass = 1; pass <= bounds.maxPasses && Date.now() < deadline; pass++) {
      await sync.syncNow();
      if (syncState(id) === 'SYNCED') return pass;
      // Long enough for an open breaker to let a probe through.
      await sleep(FAST.halfOpenAfterMs! / 2);
    }
    throw new Error(`not synced within ${bounds.maxPasses} passes or ${bounds.withinMs} ms (state ${syncState(id)}, last status ${JSON.stringify(statusesOf(id).at(-1))})`);
  }

  /** A kill test's teardown. A child left running (the test failed before the kill) would keep the test run alive. */
  async function afterKillTest(child: ReturnType<typeof spawn> | null, db: SqliteDatabase | null, services: Services | null, temp: { cleanup(): void }): Promise<void> {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const engine of engines.splice(0)) await engine.stop();
    db?.close();
    services?.dispose();
    temp.cleanup();
  }

  it('keeps recording through an outage that lasts the whole session, says offline with a retry time, and syncs once storage is back', async () => {
    await proxy.setMode({ kind: 'outage', how: 'reset' });
    const halfOpenAfterMs = 300;
    const sync = engine({ settings: { halfOpenAfterMs } });
    const outageStartedAt = Date.now();
    sync.start();
    const { id } = await sessions().createSession('cand_outage');
    await record(id, generateEditorEvents(800, 1), 50, 30);
    await sessions().closeSession(id, 'COMPLETED');
    const eventCount = 1 + 800 + 1; // session_started, the editor events, session_closed
    await waitFor('an offline status after close', () => statusesOf(id).some((status) => status.pendingEvents === eventCount));
    const outageMs = Date.now() - outageStartedAt;

    // Until a chunk's worth is waiting there is nothing to upload; from the first attempt on, offline.
    const firstOffline = statusesOf(id).findIndex((status) => status.state === 'offline');
    expect(statusesOf(id).slice(0, firstOffline).every((status) => status.state === 'syncing' && status.pendingEvents < FAST.chunkEvents!)).toBe(true);
    const duringOutage = statusesOf(id).slice(firstOffline);
    expect(duringOutage.length).toBeGreaterThan(3);
    for (const status of duringOutage) {
      expect(status).toMatchObject({ state: 'offline', objectsUploaded: 0, bytesUploaded: 0, syncedAt: null });
      expect(status.retryInMs).toBeGreaterThan(0);
      expect(status.message).toEqual(expect.any(String));
    }
    expect(duringOutage.at(-1)).toMatchObject({ pendingEvents: eventCount });
    // While the circuit is open, each pass's status counts down to its next probe.
    for (const status of duringOutage) expect(status.retryInMs).toBeLessThanOrEqual(halfOpenAfterMs);
    expect(duringOutage.some((status, index) => index > 0 && status.retryInMs! < duringOutage[index - 1]!.retryInMs! && status.retryInMs! >= FAST.pollIntervalMs!)).toBe(true);
    // The recording went on: every event is in the local database, and the chain holds.
    expect(await sessions().getSessionStats(id)).toMatchObject({ eventCount });
    expect(await sessions().verifySession(id)).toMatchObject({ valid: true });
    // The circuit breaker: once it opens, one probe per half-open period, not one per attempt of every pass.
    expect(proxy.stats.forwarded).toBe(0);
    expect(proxy.stats.connections).toBeLessThanOrEqual(FAST.breakerThreshold! + Math.ceil(outageMs / halfOpenAfterMs) + 1);

    await proxy.setMode({ kind: 'pass-through' });
    await waitFor('synced', () => statusesOf(id).at(-1)?.state === 'synced');
    await sync.stop();
    expect(syncState(id)).toBe('SYNCED');
    await expectStorageEqualsLocal(env.services, direct, id);
  });

  it('gets everything across when 30% of requests fail with 503s or resets, while recording and after close', async () => {
    await proxy.setMode({ kind: 'flaky', failureRate: 0.3, failures: ['503', 'reset'] });
    const sync = engine();
    sync.start();
    const { id } = await sessions().createSession('cand_flaky');
    await record(id, generateEditorEvents(3_000, 2), 50, 20);
    // Chunks reached storage while the session was still running.
    expect(statusesOf(id).some((status) => status.state === 'syncing' && status.objectsUploaded > 0)).toBe(true);
    await sessions().closeSession(id, 'COMPLETED');
    await sync.stop();
    // From here, passes only when asked: bounded in count and in time.
    await syncUntilSynced(sync, id, { maxPasses: 60, withinMs: 8_000 });
    expect(proxy.stats.failed503).toBeGreaterThan(0);
    expect(proxy.stats.resets).toBeGreaterThan(0);
    expect((proxy.stats.failed503 + proxy.stats.resets) / proxy.stats.requests).toBeGreaterThan(0.15);
    await expectStorageEqualsLocal(env.services, direct, id);
  });

  it('gets everything across on a laptop with no AWS secret when 30% of requests to the server and to storage fail', async () => {
    // The server's upload URLs point at the flaky proxy in front of storage; its API is behind a flaky proxy of its own.
    const server = await startReferenceSyncServer({ storage: s3, uploadEndpoint: proxy.endpoint });
    const apiProxy = await startFaultProxy({ target: server.url, seed: 31 });
    try {
      await proxy.setMode({ kind: 'flaky', failureRate: 0.3, failures: ['503', 'reset'] });
      await apiProxy.setMode({ kind: 'flaky', failureRate: 0.3, failures: ['503', 'reset'] });
      // Wired as the app wires a laptop that has only the API URL and the token.
      const laptop = loadConfig({ INTERVIEWLM_API_URL: apiProxy.endpoint, INTERVIEWLM_API_TOKEN: 'tok_flaky' }, { dataDir: env.config.dataDir }).storage;
      const { store, server: reconciler } = syncEndpointsFor(syncTargetFrom(laptop)!);
      const sync = new SyncEngine({ db: engineDb, store, server: reconciler, settings: FAST, onStatus: (status) => statuses.push(status) });
      engines.push(sync);
      sync.start();
      const { id } = await sessions().createSession('cand_flaky_laptop');
      server.admit(id, 'tok_flaky');
      await record(id, generateEditorEvents(1_500, 4), 50, 20);
      expect(statusesOf(id).some((status) => status.state === 'syncing' && status.objectsUploaded > 0)).toBe(true);
      await sessions().closeSession(id, 'COMPLETED');
      await sync.stop();
      await syncUntilSynced(sync, id, { maxPasses: 60, withinMs: 15_000 });
      for (const flaky of [proxy, apiProxy]) expect(flaky.stats.failed503 + flaky.stats.resets).toBeGreaterThan(0);
      // Every request the server answered was the laptop's to make: no session but its own, no key outside its folder.
      expect(server.log.filter((entry) => entry.status !== 200)).toEqual([]);
      await expectStorageEqualsLocal(env.services, direct, id);
    } finally {
      await apiProxy.close();
      await server.close();
    }
  });

  it('says offline for every session while storage is down, and goes on sealing the running ones', async () => {
    await proxy.setMode({ kind: 'outage', how: 'reset' });
    const { id: closed } = await sessions().createSession('cand_closed');
    await record(closed, generateEditorEvents(60, 9), 60, 0);
    await sessions().closeSession(closed, 'COMPLETED');
    const { id: running } = await sessions().createSession('cand_running');
    await record(running, generateEditorEvents(300, 10), 100, 0);
    const sync = engine({ settings: { segmentEvents: 100 } });
    await sync.syncNow();
    // The closed session is tried first and fails; the running one is not tried, but is told why it waits.
    expect(statusesOf(closed).at(-1)).toMatchObject({ state: 'offline', retryInMs: expect.any(Number) });
    expect(statusesOf(running).at(-1)).toMatchObject({ state: 'offline', pendingEvents: 301, message: statusesOf(closed).at(-1)!.message });
    // Its 301 events are sealed into segments meanwhile, as with storage up.
    expect(engineDb.prepare('SELECT count(*) FROM sync_segments WHERE session_id = ?').pluck().get(running)).toBe(3);

    await proxy.setMode({ kind: 'pass-through' });
    await sessions().closeSession(running, 'COMPLETED');
    await syncUntilSynced(sync, closed, { maxPasses: 10, withinMs: 5_000 });
    await syncUntilSynced(sync, running, { maxPasses: 10, withinMs: 5_000 });
    await expectStorageEqualsLocal(env.services, direct, closed);
    await expectStorageEqualsLocal(env.services, direct, running);
  });

  it('syncs into a bucket that encrypts with KMS, whose ETags are not the MD5 of the bytes', async () => {
    // Every answer as S3 gives it under SSE-KMS: the header, and an ETag that is the MD5 of nothing sent.
    await proxy.setMode({ kind: 'pass-through', responseHeaders: { 'x-amz-server-side-encryption': 'aws:kms', etag: '"0123456789abcdef0123456789abcdef"' } });
    const sync = engine();
    const { id } = await sessions().createSession('cand_kms');
    await record(id, generateEditorEvents(120, 3), 50, 0);
    await sync.syncNow();
    expect(statusesOf(id).at(-1)).toMatchObject({ state: 'syncing', objectsUploaded: 2 });
    await sessions().closeSession(id, 'COMPLETED');
    await sync.syncNow();
    expect(syncState(id)).toBe('SYNCED');
    await expectStorageEqualsLocal(env.services, direct, id);
  });

  it('resumes after the app is killed with SIGKILL mid-upload, re-uploading nothing it had recorded as shipped', async () => {
    const temp = makeTempDir();
    let services: Services | null = null;
    let db: SqliteDatabase | null = null;
    let child: ReturnType<typeof spawn> | null = null;
    try {
      // Every request waits 150 ms in the proxy: a PUT seen there is an upload in flight.
      await proxy.setMode({ kind: 'pass-through', latencyMs: 150 });
      const settings = { ...FAST, chunkIntervalMs: 60_000 };
      const app = startKillableApp(temp.dir, proxy.endpoint, s3.bucket, settings);
      child = app.child;
      // Two chunks have been answered; the third is on its way to storage.
      await waitFor('the third chunk upload', () => proxy.log.filter(isChunkPut).length >= 3, 20_000);
      child.kill('SIGKILL');
      expect(await app.exited).toBe('SIGKILL');
      const inFlight = proxy.log.filter(isChunkPut)[2]!;
      const sessionId = /^session (\S+)$/m.exec(app.output())![1]!;

      services = createServices(configForDataDir(temp.dir));
      db = openSqlite(services.config.databasePath);
      const shipped = db.prepare<[string], { key: string }>('SELECT key FROM sync_objects WHERE session_id = ? ORDER BY key').all(sessionId).map((row) => row.key);
      // Killed mid-upload: the first two chunks were recorded as shipped, the third was not.
      expect(shipped).toHaveLength(2);
      expect(shipped.some((key) => inFlight.url.endsWith(key))).toBe(false);
      // The app restarts with the session still open (the candidate resumes it): the engine
      // ships its chunks on from where SQLite says it stopped, the interrupted one first.
      expect((await services.sessions.listInterruptedSessions()).map((session) => session.id)).toEqual([sessionId]);
      await proxy.setMode({ kind: 'pass-through' });
      proxy.resetStats();
      const restarted = engine({ db, settings });
      await restarted.syncNow();
      const chunkPuts = proxy.log.filter(isChunkPut).map((entry) => entry.url);
      expect(chunkPuts.length).toBeGreaterThan(0);
      expect(chunkPuts[0]).toBe(inFlight.url);
      expect(chunkPuts.filter((url) => shipped.some((key) => url.endsWith(key)))).toEqual([]);
      expect(new Set(chunkPuts).size).toBe(chunkPuts.length);
      // Then it is closed, and its recording replaces the chunks.
      await services.sessions.closeSession(sessionId, 'ABANDONED');
      await restarted.syncNow();
      expect(db.prepare<[string], { sync_state: string }>('SELECT sync_state FROM sessions WHERE id = ?').get(sessionId)!.sync_state).toBe('SYNCED');
      expect(proxy.log.filter(isChunkPut)).toHaveLength(chunkPuts.length);
      await expectStorageEqualsLocal(services, direct, sessionId);
    } finally {
      await afterKillTest(child, db, services, temp);
    }
  });

  // The close's request, held in the proxy at `stage` for good: the kill lands while it is in flight.
  it.each<{ when: string; method: 'PUT' | 'HEAD'; stage: 'request' | 'response'; storedBeforeKill: boolean }>([
    { when: 'before the PUT reached storage', method: 'PUT', stage: 'request', storedBeforeKill: false },
    { when: 'after storage stored the PUT, before its answer arrived', method: 'PUT', stage: 'response', storedBeforeKill: true },
    { when: 'during the HEAD confirming the stored recording', method: 'HEAD', stage: 'request', storedBeforeKill: true },
  ])(
    'finishes a close after the app is killed with SIGKILL $when: SYNCED, one recording, the chunks removed',
    async ({ method, stage, storedBeforeKill }) => {
      const temp = makeTempDir();
      let services: Services | null = null;
      let db: SqliteDatabase | null = null;
      let child: ReturnType<typeof spawn> | null = null;
      try {
        await proxy.setMode({ kind: 'hold', stage, only: (request) => request.method === method && request.url.split('?')[0]!.endsWith('/recording') });
        const settings = { ...FAST, chunkIntervalMs: 60_000 };
        const app = startKillableApp(temp.dir, proxy.endpoint, s3.bucket, settings, 'close');
        child = app.child;
        const sessionId = (await untilPrinted(child, app.output, /^session (\S+)$/m, 30_000))[1]!;
        // Chunks of the running session went first (200 editor events and the start: four full chunks).
        expect((await untilPrinted(child, app.output, /^shipped (\d+)$/m, 30_000))[1]).toBe('200');
        const [put, held] = await Promise.all([untilPrinted(child, app.output, /^recording put (\S+)$/m, 30_000), proxy.held(30_000)]);
        const key = put[1]!;
        expect(held.url.split('?')[0]!.endsWith(`/${s3.bucket}/${key}`)).toBe(true);
        expect(held).toMatchObject({ method, outcome: `held-${stage}` });
        child.kill('SIGKILL');
        expect(await app.exited).toBe('SIGKILL');
        const beforeRestart = await direct.get(key);
        expect(beforeRestart !== null).toBe(storedBeforeKill);

        // The app restarts: the session is closed, not synced, its chunks noted, its recording not.
        services = createServices(configForDataDir(temp.dir));
        db = openSqlite(services.config.databasePath);
        const session = await services.sessions.getSession(sessionId);
        expect(session).toMatchObject({ status: 'COMPLETED', lastSeq: 202 });
        expect(session.syncState).not.toBe('SYNCED');
        const prefix = sessionPrefix(sessionId, session.startedAt);
        expect(key).toBe(recordingKey(prefix));
        const noted = db.prepare<[string], { key: string; kind: string }>('SELECT key, kind FROM sync_objects WHERE session_id = ? ORDER BY key').all(sessionId);
        expect(noted.map((row) => row.kind)).toEqual(['chunk', 'chunk', 'chunk', 'chunk']);
        const storedKeys = (await direct.list(prefix)).map((object) => object.key).sort();
        expect(storedKeys).toEqual([...noted.map((row) => row.key), ...(storedBeforeKill ? [key] : [])].sort());

        await proxy.setMode({ kind: 'pass-through' });
        const restartedAt = proxy.log.length;
        await engine({ db, settings }).syncNow();
        expect(db.prepare<[string], { sync_state: string }>('SELECT sync_state FROM sessions WHERE id = ?').get(sessionId)!.sync_state).toBe('SYNCED');
        // No chunk again: the recording (once; again if storage had it already, to the same key) and the manifest, then the chunks removed.
        const puts = proxy.log.slice(restartedAt).filter((entry) => entry.method === 'PUT');
        expect(puts.map((entry) => entry.url.split('?')[0]!.slice(entry.url.indexOf(prefix)))).toEqual([key, `${prefix}manifest.json`]);
        await expectStorageEqualsLocal(services, direct, sessionId);
        // What storage held from before the kill was already the whole session; the restart's close
        // (whose tail is encoded afresh, so other bytes) replaced it under the same key.
        if (beforeRestart) expect(decodeSegmentedRecording(beforeRestart.body, key).events).toEqual(services.replay.getAllEvents(sessionId));
      } finally {
        await afterKillTest(child, db, services, temp);
      }
    },
    60_000,
  );

  it('stores one object when a chunk is uploaded twice because the answer to the first PUT was lost', async () => {
    const { id } = await sessions().createSession('cand_twice');
    await record(id, generateEditorEvents(120, 3), 120, 0);
    // The first PUT reaches storage and is carried out; the client only sees its connection reset.
    await proxy.setMode({ kind: 'flaky', failureRate: 1, failures: ['reset-after-forward'] });
    onceProxySees(proxy, isPut, () => proxy.setMode({ kind: 'pass-through' }));
    const sync = engine();
    await sync.syncNow();
    const puts = proxy.log.filter(isPut);
    expect(puts.slice(0, 2).map((entry) => entry.outcome)).toEqual(['reset-after-forward', 'forwarded']);
    expect(puts[1]!.url).toBe(puts[0]!.url);

    await sessions().closeSession(id, 'COMPLETED');
    await syncUntilSynced(sync, id, { maxPasses: 5, withinMs: 3_000 });
    await expectStorageEqualsLocal(env.services, direct, id);
  });

  it('stores every object once when half of all answers are lost after the request was carried out', async () => {
    await proxy.setMode({ kind: 'flaky', failureRate: 0.5, failures: ['reset-after-forward'] });
    const sync = engine();
    const { id } = await sessions().createSession('cand_lost_answers');
    await record(id, generateEditorEvents(300, 4), 100, 0);
    // Chunks while it runs, then the recording and the manifest at close.
    await sync.syncNow();
    await sessions().closeSession(id, 'COMPLETED');
    await syncUntilSynced(sync, id, { maxPasses: 40, withinMs: 8_000 });
    const puts = proxy.log.filter(isPut);
    const repeated = puts.filter((entry, index) => entry.outcome === 'reset-after-forward' && puts.slice(index + 1).some((later) => later.url === entry.url));
    expect(repeated.length).toBeGreaterThan(0);
    await expectStorageEqualsLocal(env.services, direct, id);
  });

  it('keeps the S3 copy seconds behind and finishes when the clock moves backwards, across midnight, mid-session', async () => {
    let now = Date.UTC(2026, 0, 1, 0, 0, 30);
    env.cleanup();
    engineDb.close();
    env = tempServices({}, { now: () => now });
    engineDb = openSqlite(env.config.databasePath);
    const sync = engine({ settings: { chunkIntervalMs: 10_000 }, now: () => now });
    const { id } = await sessions().createSession('cand_clock');
    await record(id, generateEditorEvents(120, 6), 120, 0);
    await sync.syncNow();
    expect(statusesOf(id).at(-1)).toMatchObject({ state: 'syncing', objectsUploaded: 2, pendingEvents: 21 });

    // The clock is set back two hours: before the session started, on the previous day.
    now -= 2 * 60 * 60 * 1000;
    await record(id, generateEditorEvents(140, 6).slice(120), 20, 0);
    await sync.syncNow();
    // A chunk's age is measured from when the clock went back, not from the future.
    now += 10_000;
    await sync.syncNow();
    expect(statusesOf(id).at(-1)).toMatchObject({ state: 'syncing', objectsUploaded: 3, pendingEvents: 0 });

    await sessions().closeSession(id, 'COMPLETED');
    await syncUntilSynced(sync, id, { maxPasses: 3, withinMs: 3_000 });
    // Keys stay under the day the session started, whatever the clock said later.
    expect((await direct.list(sessionPrefix(id, new Date(Date.UTC(2026, 0, 1))))).length).toBeGreaterThan(0);
    expect(await direct.list(sessionPrefix(id, new Date(Date.UTC(2025, 11, 31))))).toEqual([]);
    await expectStorageEqualsLocal(env.services, direct, id);
    expect(await sessions().verifySession(id)).toMatchObject({ valid: true });
  });

  it("stops on refused credentials: state 'auth_failed', a message naming the fix, and no further requests", async () => {
    await proxy.setMode({ kind: 'respond', status: 403, body: INVALID_ACCESS_KEY_XML });
    const { id } = await sessions().createSession('cand_auth');
    await record(id, generateEditorEvents(120, 7), 120, 0);
    const sync = engine();
    sync.start();
    await waitFor('auth_failed', () => statusesOf(id).some((status) => status.state === 'auth_failed'));
    expect(sync.haltedBy).toMatchObject({ code: 'STORAGE_AUTH_FAILED', details: expect.objectContaining({ transient: false, status: 403 }) });
    expect(statusesOf(id).at(-1)).toMatchObject({
      state: 'auth_failed',
      retryInMs: null,
      message: expect.stringMatching(/InvalidAccessKeyId.*AWS_ACCESS_KEY_ID/s),
    });
    // A refused request is not retried, not even once.
    expect(proxy.stats.requests).toBe(1);
    const [requests, reported] = [proxy.stats.requests, statuses.length];
    for (let i = 0; i < 5; i++) {
      await sync.syncNow();
      await sleep(2 * FAST.pollIntervalMs!);
    }
    expect(proxy.stats.requests).toBe(requests);
    expect(statuses.length).toBe(reported);
    // Recording is unaffected.
    await record(id, generateEditorEvents(180, 7).slice(120), 60, 0);
    await sessions().closeSession(id, 'COMPLETED');
    await sync.syncNow();
    expect(proxy.stats.requests).toBe(requests);
    // A session begun after the refusal says why it waits too, without a request.
    const { id: later } = await sessions().createSession('cand_auth_later');
    await sync.syncNow();
    expect(statusesOf(later).at(-1)).toMatchObject({ state: 'auth_failed', message: statusesOf(id).at(-1)!.message });
    expect(proxy.stats.requests).toBe(requests);

    // Reconfigured (a new engine, as the app builds after settings change), everything goes across.
    await proxy.setMode({ kind: 'pass-through' });
    await syncUntilSynced(engine(), id, { maxPasses: 3, withinMs: 3_000 });
    expect(sync.haltedBy).not.toBeNull();
    await expectStorageEqualsLocal(env.services, direct, id);
  });

  it("stops on a missing bucket: state 'bucket_missing' with a message naming the bucket and the setting", async () => {
    const { id } = await sessions().createSession('cand_bucket');
    await record(id, generateEditorEvents(120, 8), 120, 0);
    await sessions().closeSession(id, 'COMPLETED');
    const sync = engine({ bucket: 'interviewlm-no-such-bucket' });
    sync.start();
    await waitFor('bucket_missing', () => statusesOf(id).some((status) => status.state === 'bucket_missing'));
    expect(sync.haltedBy).toMatchObject({ code: 'STORAGE_BUCKET_MISSING' });
    expect(statusesOf(id).at(-1)).toMatchObject({
      state: 'bucket_missing',
      retryInMs: null,
      message: expect.stringMatching(/"interviewlm-no-such-bucket" does not exist.*AWS_S3_BUCKET/s),
    });
    // The close's one request (the recording, carrying its manifest), sent once, not retried.
    const requests = proxy.stats.requests;
    expect(requests).toBe(1);
    for (let i = 0; i < 5; i++) {
      await sync.syncNow();
      await sleep(2 * FAST.pollIntervalMs!);
    }
    expect(proxy.stats.requests).toBe(requests);

    await syncUntilSynced(engine(), id, { maxPasses: 3, withinMs: 3_000 });
    await expectStorageEqualsLocal(env.services, direct, id);
  });
});
