import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createIpcHost } from '../../../../electron/ipc/handlers';
import { createInMemoryTransport } from '../../../../electron/ipc/inMemoryTransport';
import { configForDataDir, loadConfig } from '../../../../electron/services/config';
import { createServices, type Services } from '../../../../electron/services/container';
import { decodeRecording } from '../../../../electron/services/storage/recordingCodec';
import { decodeSegmentedRecording } from '../../../../electron/services/storage/segmentedRecording';
import { createIpcClient } from '../../../../shared/ipc/client';
import { ipcContract } from '../../../../shared/ipc/contract';
import { recordingKey, sessionPrefix } from '../../../../shared/storage/recordingObjects';
import type { SyncStatus } from '../../../../shared/sync/syncStatus';
import type { SyncRunner, SyncStall } from '../../../../electron/services/sync/syncRunner';
import { SyncService } from '../../../../electron/services/sync/syncService';
import { startReferenceSyncServer } from '../../../helpers/referenceSyncServer';
import { startLocalS3, storeOn, type LocalS3 } from '../../../helpers/s3rverServer';
import { makeTempDir } from '../../../helpers/tempServices';
import { waitFor } from '../../../helpers/waitFor';

async function recordEdits(services: Services, edits: number): Promise<string> {
  const { id } = await services.sessions.createSession('cand_usb');
  await services.sessions.recordEvent(id, { type: 'file_created', fileId: 'f', data: { fileName: 'a.ts', content: '' } });
  for (let i = 0; i < edits; i++) {
    await services.sessions.recordEvent(id, { type: 'code_edit', fileId: 'f', data: { changes: [{ rangeOffset: i, rangeLength: 0, text: 'y' }] } });
  }
  return id;
}

async function recordAndClose(services: Services, edits: number): Promise<string> {
  const id = await recordEdits(services, edits);
  await services.sessions.closeSession(id, 'COMPLETED');
  return id;
}

describe('sync, as the app wires it', () => {
  const temp = makeTempDir();
  let services: Services | undefined;
  afterEach(async () => {
    await services?.shutdown();
    services = undefined;
  });
  afterAll(() => temp.cleanup());

  describe('with no storage configured (the embedded default)', () => {
    it('keeps every session local only, says so plainly, and fails nothing', async () => {
      services = createServices(configForDataDir(join(temp.dir, 'local')));
      const id = await recordAndClose(services, 5);
      expect(services.storage).toBeNull();
      expect(await services.sync.getSyncStatus(id)).toMatchObject({ state: 'local_only', message: expect.stringContaining('stays on this computer') });
      expect((await services.sessions.getSession(id)).syncState).toBe('LOCAL_ONLY');
    });

    it('exports a session to a .json.gz a candidate can hand over, equal to the local recording', async () => {
      services = createServices(configForDataDir(join(temp.dir, 'export')));
      const id = await recordAndClose(services, 20);
      const path = join(temp.dir, 'usb', 'session.json.gz');
      const written = await services.sync.exportSession(id, path);
      const body = decodeRecording(new Uint8Array(readFileSync(path)), path);
      expect(written).toMatchObject({ path, eventCount: 23 });
      expect(body.events).toEqual(services.replay.getEvents(id));
      expect(body.metadata).toMatchObject({ candidateId: 'cand_usb', status: 'COMPLETED' });
    });

    it('replaces an earlier export, and reports a failed one as EXPORT_FAILED with nothing left beside it (writeFileWhole has the details)', async () => {
      services = createServices(configForDataDir(join(temp.dir, 'export-whole')));
      const first = await recordAndClose(services, 5);
      const second = await recordAndClose(services, 9);
      const folder = join(temp.dir, 'usb-whole');
      const path = join(folder, 'session.json.gz');
      await services.sync.exportSession(first, path);
      await services.sync.exportSession(second, path);
      expect(decodeRecording(new Uint8Array(readFileSync(path)), path).events).toEqual(services.replay.getEvents(second));
      // A folder where the file should go: the rename fails, and nothing is left behind.
      const blocked = join(folder, 'taken.json.gz');
      mkdirSync(join(blocked, 'inside'), { recursive: true });
      await expect(services.sync.exportSession(first, blocked)).rejects.toMatchObject({ code: 'EXPORT_FAILED', message: expect.stringContaining(blocked) });
      expect(readdirSync(folder).sort()).toEqual(['session.json.gz', 'taken.json.gz']);
      expect(readdirSync(blocked)).toEqual(['inside']);
    });

    it('offers export and status over the IPC contract, and lets the person cancel', async () => {
      services = createServices(configForDataDir(join(temp.dir, 'ipc')));
      const id = await recordAndClose(services, 3);
      let answer: string | null = join(temp.dir, 'ipc-export', 'x.json.gz');
      const suggested: string[] = [];
      const host = createIpcHost(services, { name: 'InterviewLM', version: 'test' }, {
        chooseExportPath: async (name) => {
          suggested.push(name);
          return answer;
        },
      });
      const api = createIpcClient(ipcContract, createInMemoryTransport(host));
      expect(await api.sync.getSyncStatus(id)).toMatchObject({ state: 'local_only' });
      expect(await api.sync.exportSession(id)).toMatchObject({ path: answer, eventCount: 6 });
      expect(suggested[0]).toMatch(/^interviewlm-cand_usb-ses_[0-9a-f]+\.json\.gz$/);
      answer = null;
      expect(await api.sync.exportSession(id)).toBeNull();
      await expect(api.sync.getSyncStatus('ses_missing')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
      host.dispose();
    });
  });

  describe('while the sync worker is down', () => {
    it('tells a session the worker never reported on why it waits, rather than "syncing"', async () => {
      services = createServices(configForDataDir(join(temp.dir, 'stalled')), { syncRunner: 'none' });
      const id = await recordAndClose(services, 3);
      const reason = 'Sync paused: its worker crashed (boom) and restarts shortly.';
      // The runner's side of a crash is tested with a real worker thread in workerSyncRunner.test.ts.
      let stall: SyncStall | null = { reason, retryInMs: 4_000 };
      let report: (status: SyncStatus) => void = () => {};
      const runner: SyncRunner = { nudge: () => {}, onStatus: (listener) => ((report = listener), () => {}), stop: async () => {}, stall: () => stall };
      const sync = new SyncService({ db: services.database.db, sessions: services.sessions, replay: services.replay, runner });
      expect(await sync.getSyncStatus(id)).toMatchObject({ state: 'offline', message: reason, pendingEvents: 6, retryInMs: 4_000 });
      // One the runner reported offline when the worker died: its countdown is the runner's, as it stands now.
      const moving = await recordAndClose(services, 2);
      report({ sessionId: moving, state: 'offline', objectsUploaded: 1, objectsTotal: 2, bytesUploaded: 10, pendingEvents: 3, retryInMs: 9_000, syncedAt: null, message: reason });
      stall = { reason, retryInMs: 2_500 };
      expect(await sync.getSyncStatus(moving)).toMatchObject({ state: 'offline', objectsUploaded: 1, retryInMs: 2_500 });
      stall = null;
      expect(await sync.getSyncStatus(id)).toMatchObject({ state: 'syncing', message: null });
      expect(await sync.getSyncStatus(moving)).toMatchObject({ retryInMs: 9_000 });
      await sync.dispose();
    });
  });

  describe('with a bucket configured', () => {
    let s3: LocalS3;
    beforeAll(async () => {
      s3 = await startLocalS3();
    });
    afterAll(async () => {
      await s3.dispose();
    });

    const storageConfig = () => ({
      bucket: s3.bucket,
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
    });

    it('syncs a closed session from a worker thread, streaming statuses to the page until synced', async () => {
      services = createServices(configForDataDir(join(temp.dir, 'worker'), { storage: storageConfig() }), {
        syncRunner: 'worker',
        syncSettings: { pollIntervalMs: 100 },
      });
      const host = createIpcHost(services, { name: 'InterviewLM', version: 'test' });
      const api = createIpcClient(ipcContract, createInMemoryTransport(host));
      const seen: SyncStatus[] = [];
      const unsubscribe = api.on('syncStatus', (status) => seen.push(status));
      const id = await recordEdits(services, 150);
      // While the interview runs, chunks go up and the page hears of them...
      await waitFor(() => seen.find((status) => status.sessionId === id && status.state === 'syncing' && status.objectsUploaded > 0), 'a syncing status with a chunk uploaded');
      // ...and once it is closed, of the recording stored.
      await services.sessions.closeSession(id, 'COMPLETED');
      const synced = await waitFor(() => seen.find((status) => status.sessionId === id && status.state === 'synced'), 'a synced status');
      expect(synced).toMatchObject({ pendingEvents: 0, objectsUploaded: 1, objectsTotal: 1, syncedAt: expect.any(String) });
      const session = await services.sessions.getSession(id);
      expect(session.syncState).toBe('SYNCED');
      expect(await api.sync.getSyncStatus(id)).toMatchObject({ state: 'synced' });
      const store = storeOn(s3);
      const key = recordingKey(sessionPrefix(id, session.startedAt));
      const recording = await store.get(key);
      expect(decodeSegmentedRecording(recording!.body, key).events).toEqual(services.replay.getAllEvents(id));
      // The seed's download reads what sync stored: the codec comes from the object's metadata, the bytes are checked by sha256.
      expect(await services.storage!.downloadSessionRecording(id)).toEqual({
        events: services.replay.getAllEvents(id),
        metadata: { candidateId: session.candidateId, startedAt: session.startedAt },
      });
      await store.put(key, recording!.body.subarray(0, 100), { contentType: 'application/octet-stream', metadata: recording!.info.metadata });
      await expect(services.storage!.downloadSessionRecording(id)).rejects.toMatchObject({ code: 'RECORDING_CORRUPT', message: expect.stringContaining(key) });
      store.dispose();
      unsubscribe();
      host.dispose();
    });

    it('on a laptop with only the API URL and an interview token, uploads through presigned URLs and reconciles with the server', async () => {
      const server = await startReferenceSyncServer({ storage: s3 });
      try {
        const config = configForDataDir(join(temp.dir, 'laptop'), {
          storage: loadConfig({ INTERVIEWLM_API_URL: server.url, INTERVIEWLM_API_TOKEN: 'interview-token-1' }, { dataDir: temp.dir }).storage,
        });
        expect(config.storage).not.toHaveProperty('secretAccessKey');
        services = createServices(config, { syncRunner: 'worker', syncSettings: { pollIntervalMs: 100 } });
        const seen: SyncStatus[] = [];
        services.sync.onDidChangeSyncStatus((status) => seen.push(status));
        const { id } = await services.sessions.createSession('cand_laptop');
        server.admit(id, 'interview-token-1');
        await services.sessions.recordEvent(id, { type: 'focus', data: {} });
        await services.sessions.closeSession(id, 'COMPLETED');
        await waitFor(() => seen.find((status) => status.sessionId === id && status.state === 'synced'), 'a synced status');
        expect(server.log.some((entry) => entry.sessionId === id && entry.route === 'uploadUrls')).toBe(true);
        expect(server.log.some((entry) => entry.sessionId === id && entry.route === 'manifest')).toBe(true);
        const store = storeOn(s3);
        const session = await services.sessions.getSession(id);
        const key = recordingKey(sessionPrefix(id, session.startedAt));
        expect(decodeSegmentedRecording((await store.get(key))!.body, key).events).toEqual(services.replay.getEvents(id));
        store.dispose();
      } finally {
        await server.close();
      }
    });
  });
});
