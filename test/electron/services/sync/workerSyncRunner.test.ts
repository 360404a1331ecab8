import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WorkerSyncRunner, type SyncWorkerEntry, type WorkerRestartSettings } from '../../../../electron/services/sync/workerSyncRunner';
import type { SyncStatus } from '../../../../shared/sync/syncStatus';
import type { CrashingSyncWorkerData } from '../../../fixtures/crashingSyncWorker';
import { makeTempDir } from '../../../helpers/tempServices';
import { waitFor } from '../../../helpers/waitFor';

/** The fixture worker, run from its TypeScript source as the app's own worker is under vitest. */
const CRASHING_WORKER: SyncWorkerEntry = { url: new URL('../../../fixtures/crashingSyncWorker.ts', import.meta.url), typescript: true };
const SESSION = 'ses_crashing';

describe('WorkerSyncRunner, when its worker thread crashes', () => {
  const temp = makeTempDir();
  let runner: WorkerSyncRunner | undefined;
  let run = 0;
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
  });
  afterAll(() => temp.cleanup());

  /** A runner on the fixture worker, with every status and reported error kept, and how often the worker started. */
  function crashingRunner(crashingStarts: number, restart: Partial<WorkerRestartSettings>) {
    run += 1;
    const startsFile = join(temp.dir, `starts-${run}`);
    const data: CrashingSyncWorkerData = { databasePath: join(temp.dir, 'unused.db'), target: { mode: 'server', server: { apiUrl: 'http://127.0.0.1:9', token: 't' } }, startsFile, crashingStarts, sessionId: SESSION };
    const errors: unknown[] = [];
    const statuses: SyncStatus[] = [];
    runner = new WorkerSyncRunner(data, CRASHING_WORKER, (error) => errors.push(error), restart);
    runner.onStatus((status) => statuses.push(status));
    const starts = () => (existsSync(startsFile) ? readFileSync(startsFile, 'utf8').trim().split('\n').length : 0);
    return { runner, errors, statuses, starts };
  }

  it('reports the crash, says the session is offline meanwhile, and restarts the worker after a backoff', async () => {
    const { runner, errors, statuses, starts } = crashingRunner(1, { initialDelayMs: 50, maxDelayMs: 200, maxRestarts: 3 });
    const resumed = await waitFor(() => statuses.find((status) => status.state === 'syncing' && status.objectsUploaded === 2), 'the restarted worker\'s status');
    expect(starts()).toBe(2);
    expect(errors).toEqual([
      expect.objectContaining({ code: 'INTERNAL', message: expect.stringMatching(/^The sync worker crashed \(crash on start 1\); restarting it in \d+ ms \(restart 1 of at most 3 in a row\)/) }),
    ]);
    // No progress claimed while no worker runs: the last status the dead worker sent, turned offline, then the new worker's.
    expect(statuses.map((status) => [status.state, status.objectsUploaded])).toEqual([['syncing', 1], ['offline', 1], ['syncing', 2]]);
    expect(statuses[1]).toMatchObject({ sessionId: SESSION, retryInMs: expect.any(Number), message: expect.stringContaining('crash on start 1') });
    expect(resumed.sessionId).toBe(SESSION);
    expect(runner.stall()).toBeNull();
    // The restarted worker is the one nudges and stop reach.
    runner.nudge();
    await waitFor(() => (statuses.length > 3 ? true : undefined), 'an answer to the nudge');
    await runner.stop();
    expect(starts()).toBe(2);
  });

  it('gives up after the capped number of crashes in a row rather than spinning, and says sync stopped', async () => {
    const { runner, errors, statuses, starts } = crashingRunner(Infinity, { initialDelayMs: 20, maxDelayMs: 40, maxRestarts: 2 });
    await waitFor(() => errors.find((error) => (error as Error).message.includes('times in a row')), 'the runner giving up');
    expect(errors.map((error) => (error as Error).message)).toEqual([
      expect.stringContaining('restart 1 of at most 2'),
      expect.stringContaining('restart 2 of at most 2'),
      expect.stringMatching(/^The sync worker crashed 3 times in a row \(last: crash on start 3\); sync is stopped until the app restarts/),
    ]);
    await sleep(1_000);
    expect(starts()).toBe(3);
    expect(statuses.at(-1)).toMatchObject({ state: 'offline', retryInMs: null, message: expect.stringContaining('restart the app') });
    // Sessions it never reported on are told the same (SyncService asks for the reason).
    expect(runner.stall()).toEqual({ reason: expect.stringContaining('restart the app'), retryInMs: null });
  });

  it('never restarts once stop() was called, even with a restart already scheduled', async () => {
    // The restart is due 750-1,500 ms after the crash (half jitter): stop() must not wait for it.
    const { runner, errors, starts } = crashingRunner(Infinity, { initialDelayMs: 1_500, maxDelayMs: 1_500, maxRestarts: 5 });
    await waitFor(() => errors[0], 'the first crash');
    // Meanwhile it says why no worker runs, counting down to the restart.
    const stall = runner.stall();
    expect(stall).toEqual({ reason: expect.stringContaining('restarts shortly'), retryInMs: expect.any(Number) });
    expect(stall!.retryInMs).toBeGreaterThan(0);
    expect(stall!.retryInMs).toBeLessThanOrEqual(1_500);
    await sleep(50);
    expect(runner.stall()!.retryInMs).toBeLessThan(stall!.retryInMs!);
    const stopping = Date.now();
    await runner.stop();
    expect(Date.now() - stopping).toBeLessThan(600);
    // Past the scheduled restart and a worker's start-up time: nothing more started.
    await sleep(2_500);
    expect(starts()).toBe(1);
    expect(errors).toHaveLength(1);
  });
});
