import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../electron/services/config';
import { openSqlite, type SqliteDatabase } from '../../../../electron/services/db/sqlite';
import type { PutOptions } from '../../../../electron/services/storage/objectStore';
import { PresignedObjectStore } from '../../../../electron/services/storage/presignedObjectStore';
import { sha256Hex } from '../../../../electron/services/storage/recordingCodec';
import { S3ObjectStore } from '../../../../electron/services/storage/s3ObjectStore';
import { DEFAULT_SYNC_SETTINGS, SyncEngine, type ManifestReconciler, type SyncSettings } from '../../../../electron/services/sync/syncEngine';
import { SyncServerClient, syncServerOptionsFrom } from '../../../../electron/services/sync/syncServerClient';
import { syncEndpointsFor, syncTargetFrom } from '../../../../electron/services/sync/syncTarget';
import { recordingChunkKey, recordingKey, sessionPrefix, type RecordingManifest } from '../../../../shared/storage/recordingObjects';
import type { SyncStatus } from '../../../../shared/sync/syncStatus';
import { startFaultProxy, type FaultProxy } from '../../../helpers/faultProxy';
import { startReferenceSyncServer, type ReferenceSyncServer } from '../../../helpers/referenceSyncServer';
import { startLocalS3, storeOn, type LocalS3 } from '../../../helpers/s3rverServer';
import { expectStorageEqualsLocal } from '../../../helpers/syncAssertions';
import { rejectionOf, tempServices } from '../../../helpers/tempServices';

const FAST: Partial<SyncSettings> = { maxAttempts: 2, initialRetryDelayMs: 5, maxRetryDelayMs: 20, breakerThreshold: 3, halfOpenAfterMs: 200, pollIntervalMs: 50 };
const TOKEN = 'tok_interview_42';

describe('reconciling with the InterviewLM server, on a laptop that holds no AWS secret', () => {
  let s3: LocalS3;
  let server: ReferenceSyncServer;
  /** The test's own view of the bucket, with s3rver's keys; the app under test never has them. */
  let bucket: S3ObjectStore;
  let env: ReturnType<typeof tempServices>;
  let engineDb: SqliteDatabase;
  let now: number;
  let statuses: SyncStatus[];

  beforeAll(async () => {
    s3 = await startLocalS3();
    server = await startReferenceSyncServer({ storage: s3 });
    bucket = storeOn(s3);
  });
  afterAll(async () => {
    bucket.dispose();
    await server.close();
    await s3.dispose();
  });
  beforeEach(() => {
    now = Date.UTC(2026, 10, 29, 9, 30);
    env = tempServices({}, { now: () => now });
    engineDb = openSqlite(env.config.databasePath);
    statuses = [];
  });
  afterEach(() => {
    server.beforeReconcile(null);
    engineDb.close();
    env.cleanup();
  });

  /** The candidate-laptop configuration: only the API URL and the interview token. */
  function laptopConfig(token = TOKEN, apiUrl = server.url) {
    return loadConfig({ INTERVIEWLM_API_URL: apiUrl, INTERVIEWLM_API_TOKEN: token }, { dataDir: env.config.dataDir }).storage;
  }

  /** An engine as the laptop builds it: a presigned-URL store and the server client, both from the config alone. */
  function laptopEngine(options: { token?: string; reconcileVia?: string; server?: ManifestReconciler; loseFirstRecording?: boolean; settings?: Partial<SyncSettings> } = {}) {
    const client = new SyncServerClient(syncServerOptionsFrom(laptopConfig(options.token))!);
    const reconciler = options.server ?? (options.reconcileVia ? new SyncServerClient(syncServerOptionsFrom(laptopConfig(options.token, options.reconcileVia))!) : client);
    let lose = options.loseFirstRecording ?? false;
    // Storage that loses the first recording right after accepting it, as a bucket restored from an older backup would.
    const store = new (class extends PresignedObjectStore {
      override async put(key: string, body: Uint8Array, putOptions: PutOptions) {
        const answer = await super.put(key, body, putOptions);
        if (lose && key.endsWith('/recording')) {
          lose = false;
          await bucket.delete(key);
        }
        return answer;
      }
    })({ issuer: client });
    return new SyncEngine({ db: engineDb, store, server: reconciler, settings: { ...FAST, ...options.settings }, now: () => now, onStatus: (status) => statuses.push(status) });
  }

  async function recordSession(eventCount: number): Promise<string> {
    const s = env.services.sessions;
    const { id } = await s.createSession('cand_laptop');
    server.admit(id, TOKEN);
    await s.recordEvent(id, { type: 'file_created', fileId: 'f', data: { fileName: 'main.py', content: '' } });
    const acks = [];
    for (let i = 0; i < eventCount - 2; i++) acks.push(s.recordEvent(id, { type: 'code_edit', fileId: 'f', data: { changes: [{ rangeOffset: i, rangeLength: 0, text: 'x' }] } }));
    await Promise.all(acks);
    return id;
  }

  const requestsFor = (sessionId: string, route: 'uploadUrls' | 'manifest') => server.log.filter((entry) => entry.sessionId === sessionId && entry.route === route);
  const prefixOf = async (sessionId: string) => sessionPrefix(sessionId, (await env.services.sessions.getSession(sessionId)).startedAt);

  /**
   * Overwrites `key` in storage, behind the app's back, with as many bytes, one of them changed,
   * and the metadata it had (its recorded sha256 included): only a hash of the bytes tells.
   * Returns the sha256 of the bytes now stored.
   */
  async function alterInStorage(key: string): Promise<string> {
    const stored = (await bucket.get(key))!;
    const altered = stored.body.slice();
    altered[altered.length >> 1]! ^= 0xff;
    await bucket.put(key, altered, { contentType: 'application/octet-stream', metadata: stored.info.metadata });
    expect((await bucket.head(key))!.metadata).toEqual(stored.info.metadata);
    return sha256Hex(altered);
  }

  /** Runs `change` on the server's first manifest check only, before it reads storage. */
  function onFirstCheck(change: () => Promise<unknown>): void {
    let first = true;
    server.beforeReconcile(async () => {
      if (!first) return;
      first = false;
      await change();
    });
  }

  it('uploads every object through server-issued URLs, and is SYNCED once the server holds them all', async () => {
    const storage = laptopConfig();
    expect(storage).not.toHaveProperty('accessKeyId');
    expect(storage).not.toHaveProperty('secretAccessKey');
    expect(storage).not.toHaveProperty('bucket');

    const id = await recordSession(230);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    await laptopEngine().syncNow();

    expect(await env.services.sessions.getSession(id)).toMatchObject({ syncState: 'SYNCED', syncedAt: new Date(now).toISOString() });
    expect(statuses.at(-1)).toMatchObject({ sessionId: id, state: 'synced', pendingEvents: 0 });
    await expectStorageEqualsLocal(env.services, bucket, id);
    // Every object was uploaded with the sha256 of its bytes, as the server's manifest check reads it.
    const prefix = await prefixOf(id);
    for (const object of await bucket.list(prefix)) {
      const stored = await bucket.get(object.key);
      expect(stored!.info.metadata.sha256, object.key).toBe(sha256Hex(stored!.body));
    }
    // A closed session goes straight to its recording: the recording and the manifest; one manifest check, which found nothing missing.
    expect(requestsFor(id, 'uploadUrls').map((entry) => entry.status)).toEqual([200, 200]);
    expect(requestsFor(id, 'manifest').map((entry) => entry.status)).toEqual([200]);
  });

  it('goes on to the next session when the server refuses only one (a session it does not know)', async () => {
    const s = env.services.sessions;
    const unknown = (await s.createSession('cand_elsewhere')).id;
    await s.closeSession(unknown, 'COMPLETED');
    now += 1000;
    const id = await recordSession(40);
    await s.closeSession(id, 'COMPLETED');
    await laptopEngine().syncNow();
    expect(await s.getSession(unknown)).toMatchObject({ syncState: 'PENDING' });
    expect(statuses.filter((status) => status.sessionId === unknown).at(-1)).toMatchObject({ state: 'offline', message: expect.any(String) });
    expect(await s.getSession(id)).toMatchObject({ syncState: 'SYNCED' });
    await expectStorageEqualsLocal(env.services, bucket, id);
  });

  it("refuses an earlier interview's session on today's token without stopping the others, and asks for it again only after a backoff", async () => {
    const s = env.services.sessions;
    const earlier = (await s.createSession('cand_earlier')).id;
    server.admit(earlier, 'tok_interview_41');
    await s.closeSession(earlier, 'COMPLETED');
    now += 1000;
    const id = await recordSession(40);
    await s.closeSession(id, 'COMPLETED');
    const sync = laptopEngine();
    await sync.syncNow();
    expect(sync.haltedBy).toBeNull();
    expect(await s.getSession(id)).toMatchObject({ syncState: 'SYNCED' });
    expect(statuses.filter((status) => status.sessionId === earlier).at(-1)).toMatchObject({ state: 'auth_failed', message: expect.stringContaining('another interview') });
    expect(requestsFor(earlier, 'uploadUrls').map((entry) => entry.code)).toEqual(['forbidden']);
    // Passes before its backoff is due leave it be, and still say why it waits.
    statuses = [];
    await sync.syncNow();
    await sync.syncNow();
    expect(requestsFor(earlier, 'uploadUrls')).toHaveLength(1);
    expect(statuses.map((status) => [status.sessionId, status.state])).toEqual([
      [earlier, 'auth_failed'],
      [earlier, 'auth_failed'],
    ]);
    now += DEFAULT_SYNC_SETTINGS.maxSessionRetryDelayMs;
    await sync.syncNow();
    expect(requestsFor(earlier, 'uploadUrls')).toHaveLength(2);
    expect(await s.getSession(earlier)).toMatchObject({ syncState: 'PENDING' });
  });

  it('re-uploads what the server reports missing, and only then marks the session SYNCED', async () => {
    const id = await recordSession(250);
    const sync = laptopEngine({ loseFirstRecording: true });
    await sync.syncNow(); // ships two full chunks while the session runs
    const prefix = await prefixOf(id);
    const shipped = recordingChunkKey(prefix, 1, 100);
    const orphan = recordingChunkKey(prefix, 101, 150);
    expect(await bucket.head(shipped)).not.toBeNull();
    // A killed upload has left an orphan; and storage will lose the recording once it is put.
    await bucket.put(orphan, new Uint8Array([1, 2, 3]), { contentType: 'application/gzip', metadata: {} });
    await env.services.sessions.closeSession(id, 'COMPLETED');
    await sync.syncNow();

    expect(requestsFor(id, 'manifest')).toHaveLength(2);
    expect(await env.services.sessions.getSession(id)).toMatchObject({ syncState: 'SYNCED' });
    expect(statuses.at(-1)).toMatchObject({ sessionId: id, state: 'synced' });
    // The client cannot delete; the server removed what the manifest does not name: the chunks and the orphan.
    expect(await bucket.head(shipped)).toBeNull();
    expect(await bucket.head(orphan)).toBeNull();
    await expectStorageEqualsLocal(env.services, bucket, id);
  });

  it('stops with "auth failed" on a bad token, and does not keep asking', async () => {
    const id = await recordSession(50);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const sync = laptopEngine({ token: 'tok_not_this_interview' });
    await sync.syncNow();
    expect(statuses.at(-1)).toMatchObject({ sessionId: id, state: 'auth_failed' });
    expect(statuses.at(-1)!.message).toContain('INTERVIEWLM_API_TOKEN');
    expect(sync.haltedBy).toMatchObject({ code: 'STORAGE_AUTH_FAILED', details: { status: 401 } });
    await sync.syncNow();
    await sync.syncNow();
    // Refused once for the close's one upload (the recording, carrying its manifest), and not retried: the token will not become valid by asking again.
    expect(requestsFor(id, 'uploadUrls')).toEqual([expect.objectContaining({ status: 401, code: 'unauthorized' })]);
    expect(await env.services.sessions.getSession(id)).toMatchObject({ syncState: 'PENDING' });
  });

  it('reports a close as syncing while the server is still checking what it holds, not only while uploading', async () => {
    const id = await recordSession(50);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const client = new SyncServerClient(syncServerOptionsFrom(laptopConfig())!);
    const slowCheck: ManifestReconciler = {
      reconcileManifest: async (manifest) => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        return client.reconcileManifest(manifest);
      },
    };
    // The uploads take well under the threshold on loopback; the check takes twice it.
    await laptopEngine({ server: slowCheck, settings: { closeSyncingStatusAfterMs: 500 } }).syncNow();
    expect(statuses.filter((status) => status.sessionId === id).map((status) => status.state)).toEqual(['syncing', 'synced']);
    expect(await env.services.sessions.getSession(id)).toMatchObject({ syncState: 'SYNCED' });
  });

  it('uploads the recording again when its bytes were altered in storage after the upload, metadata kept: the server hashes what it holds', async () => {
    const id = await recordSession(120);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const key = recordingKey(await prefixOf(id));
    let alteredSha = '';
    onFirstCheck(async () => (alteredSha = await alterInStorage(key)));
    await laptopEngine().syncNow();

    const checks = requestsFor(id, 'manifest');
    expect(checks).toHaveLength(2);
    // Held, but not as the manifest has it: the sha256 of the bytes stored, not the one recorded at upload.
    expect(checks[0]!.answer).toEqual({ held: [{ key, sha256: alteredSha, size: expect.any(Number) }], missing: [] });
    // Put again (through the URL already issued for it): the second check finds the bytes put.
    const stored = (await bucket.get(key))!;
    expect(sha256Hex(stored.body)).not.toBe(alteredSha);
    expect(checks[1]!.answer).toEqual({ held: [{ key, sha256: sha256Hex(stored.body), size: stored.body.byteLength }], missing: [] });
    expect(await env.services.sessions.getSession(id)).toMatchObject({ syncState: 'SYNCED' });
    expect(statuses.at(-1)).toMatchObject({ sessionId: id, state: 'synced' });
    await expectStorageEqualsLocal(env.services, bucket, id);
  });

  describe('with AWS keys and a server URL both configured: both reconciliations', () => {
    /** In front of s3rver for the app's own signed requests; the server reaches s3rver directly. */
    let proxy: FaultProxy;
    let disposeEndpoints: (() => void) | null;

    beforeEach(async () => {
      proxy = await startFaultProxy({ target: s3.endpoint });
      disposeEndpoints = null;
    });
    afterEach(async () => {
      disposeEndpoints?.();
      await proxy.close();
    });

    /** The engine as the app builds it from this configuration (syncTarget.ts): a signing S3 store and the server client. */
    function keysAndServerEngine(): SyncEngine {
      const storage = loadConfig(
        {
          AWS_S3_BUCKET: s3.bucket,
          AWS_REGION: s3.region,
          AWS_S3_ENDPOINT: proxy.endpoint,
          AWS_S3_FORCE_PATH_STYLE: 'true',
          AWS_ACCESS_KEY_ID: s3.accessKeyId,
          AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
          INTERVIEWLM_API_URL: server.url,
          INTERVIEWLM_API_TOKEN: TOKEN,
        },
        { dataDir: env.config.dataDir },
      ).storage;
      const target = syncTargetFrom(storage)!;
      expect(target).toMatchObject({ mode: 's3', storage: { bucket: s3.bucket, endpoint: proxy.endpoint }, server: { apiUrl: server.url, token: TOKEN } });
      const { dispose, ...endpoints } = syncEndpointsFor(target);
      disposeEndpoints = dispose;
      expect(endpoints.store).toBeInstanceOf(S3ObjectStore);
      expect(endpoints.server).toBeInstanceOf(SyncServerClient);
      return new SyncEngine({ db: engineDb, ...endpoints, settings: FAST, now: () => now, onStatus: (status) => statuses.push(status) });
    }

    /** The app's own requests for `key`, by method, in order. */
    const appRequestsFor = (key: string) =>
      proxy.log.filter((entry) => decodeURIComponent(new URL(entry.url, 'http://127.0.0.1').pathname) === `/${s3.bucket}/${key}`).map((entry) => entry.method);

    it('HEADs the recording it put, then asks the server what it holds, and is SYNCED with storage equal to local', async () => {
      const id = await recordSession(120);
      await env.services.sessions.closeSession(id, 'COMPLETED');
      const key = recordingKey(await prefixOf(id));
      const seenAtCheck: string[][] = [];
      server.beforeReconcile(() => void seenAtCheck.push(appRequestsFor(key)));
      await keysAndServerEngine().syncNow();

      // By the time the server was asked, the app had put the recording and confirmed it with a HEAD.
      expect(seenAtCheck).toEqual([['PUT', 'HEAD']]);
      expect(appRequestsFor(key)).toEqual(['PUT', 'HEAD']);
      const stored = (await bucket.get(key))!;
      // The app signs its own uploads: it asked the server only what it holds, and it held the recording as put.
      expect(requestsFor(id, 'uploadUrls')).toEqual([]);
      expect(requestsFor(id, 'manifest')).toEqual([
        expect.objectContaining({ status: 200, answer: { held: [{ key, sha256: sha256Hex(stored.body), size: stored.body.byteLength }], missing: [] } }),
      ]);
      expect(await env.services.sessions.getSession(id)).toMatchObject({ syncState: 'SYNCED' });
      expect(statuses.at(-1)).toMatchObject({ sessionId: id, state: 'synced' });
      await expectStorageEqualsLocal(env.services, bucket, id);
    });

    it.each<[string, (key: string) => Promise<unknown>]>([
      // What the server's first check answers, for each.
      ['deleted', async (key) => (await bucket.delete(key), { held: [], missing: [key] })],
      ['overwritten with altered bytes, its metadata kept', async (key) => ({ held: [{ key, sha256: await alterInStorage(key), size: expect.any(Number) }], missing: [] })],
    ])('puts the recording again when it is %s after the HEAD confirmed it, and is SYNCED only once the server holds it', async (_, change) => {
      const id = await recordSession(120);
      await env.services.sessions.closeSession(id, 'COMPLETED');
      const key = recordingKey(await prefixOf(id));
      let seenAtCheck: string[] = [];
      let firstAnswer: unknown;
      onFirstCheck(async () => {
        seenAtCheck = appRequestsFor(key);
        firstAnswer = await change(key);
      });
      await keysAndServerEngine().syncNow();

      // The HEAD found it as put; the server's check, after the change, did not, and the app put it again.
      expect(seenAtCheck).toEqual(['PUT', 'HEAD']);
      const checks = requestsFor(id, 'manifest');
      expect(checks.map((entry) => entry.status)).toEqual([200, 200]);
      expect(checks[0]!.answer).toEqual(firstAnswer);
      expect(checks[1]!.answer!.missing).toEqual([]);
      expect(appRequestsFor(key)).toEqual(['PUT', 'HEAD', 'PUT']);
      expect(await env.services.sessions.getSession(id)).toMatchObject({ syncState: 'SYNCED' });
      expect(statuses.at(-1)).toMatchObject({ sessionId: id, state: 'synced' });
      await expectStorageEqualsLocal(env.services, bucket, id);
    });
  });

  it('gives up on a session after a bounded number of checks while the server keeps reporting it incomplete', async () => {
    const id = await recordSession(50);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const checked: RecordingManifest[] = [];
    const stubborn: ManifestReconciler = {
      reconcileManifest: async (manifest) => {
        checked.push(manifest);
        return { missing: [manifest.objects[0]!.key] };
      },
    };
    const sync = laptopEngine({ server: stubborn });
    await sync.syncNow();
    expect(checked).toHaveLength(3);
    expect(statuses.at(-1)).toMatchObject({ sessionId: id, state: 'offline' });
    expect(statuses.at(-1)!.message).toMatch(/still lacks 1 object/);
    expect(await env.services.sessions.getSession(id)).toMatchObject({ syncState: 'PENDING' });
    // Not again on every pass: after a backoff, which its status counts down.
    const firstWait = statuses.at(-1)!.retryInMs!;
    expect(firstWait).toBeGreaterThan(0);
    now += 1;
    await sync.syncNow();
    expect(checked).toHaveLength(3);
    expect(statuses.at(-1)).toMatchObject({ sessionId: id, state: 'offline', retryInMs: firstWait - 1 });
    now += firstWait;
    await sync.syncNow();
    expect(checked).toHaveLength(6);
    expect(statuses.at(-1)!.retryInMs).toBeGreaterThan(0);
  });

  it('does not trust a malformed manifest answer: a typed error, and the session is not SYNCED', async () => {
    const id = await recordSession(50);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    // Uploads reach the server directly; the manifest check goes through a proxy answering nonsense.
    const proxy = await startFaultProxy({ target: server.url });
    try {
      await proxy.setMode({ kind: 'respond', status: 200, body: JSON.stringify({ held: [], missing: [] }), headers: { 'content-type': 'application/json' } });
      await laptopEngine({ reconcileVia: proxy.endpoint }).syncNow();
      expect(statuses.at(-1)).toMatchObject({ sessionId: id, state: 'offline' });
      expect(statuses.at(-1)!.message).toMatch(/breaks the sync contract.*says nothing of/);
      expect(await env.services.sessions.getSession(id)).toMatchObject({ syncState: 'PENDING' });
    } finally {
      await proxy.close();
    }
  });

  describe('SyncServerClient.reconcileManifest', () => {
    const sha = (text: string) => sha256Hex(new TextEncoder().encode(text));
    const SESSION = 'ses_manifest_only';
    const prefix = sessionPrefix(SESSION, '2026-11-29T09:30:00.000Z');
    const manifest: RecordingManifest = {
      version: 1,
      sessionId: SESSION,
      candidateId: 'cand',
      status: 'COMPLETED',
      startedAt: '2026-11-29T09:30:00.000Z',
      endedAt: '2026-11-29T10:30:00.000Z',
      eventCount: 2,
      firstSeq: 1,
      lastSeq: 2,
      headHash: 'h',
      objects: [
        { key: recordingChunkKey(prefix, 1, 2), kind: 'chunk', firstSeq: 1, lastSeq: 2, eventCount: 2, sha256: sha('chunk'), size: 50, compressedSize: 5 },
        { key: recordingKey(prefix), kind: 'recording', firstSeq: 1, lastSeq: 2, eventCount: 2, sha256: sha('recording'), size: 90, compressedSize: 9 },
      ],
      stats: {},
    };
    const [chunk, recording] = manifest.objects as [RecordingManifest['objects'][number], RecordingManifest['objects'][number]];

    beforeAll(() => server.admit(SESSION, TOKEN));

    it('reports as missing what the server lacks, and what it holds with other bytes than the manifest says', async () => {
      const client = new SyncServerClient({ apiUrl: server.url, token: TOKEN });
      expect(await client.reconcileManifest(manifest)).toEqual({ held: [], missing: [chunk.key, recording.key] });
      const store = new PresignedObjectStore({ issuer: client });
      await store.put(chunk.key, new TextEncoder().encode('chunk'), { contentType: 'application/gzip', metadata: {} });
      // As long as the recording, but not its bytes: only the sha256 tells them apart.
      await store.put(recording.key, new TextEncoder().encode('RECORDING'), { contentType: 'application/gzip', metadata: {} });
      expect(await client.reconcileManifest(manifest)).toEqual({
        held: [
          { key: chunk.key, sha256: sha('chunk'), size: 5 },
          { key: recording.key, sha256: sha('RECORDING'), size: 9 },
        ],
        missing: [recording.key],
      });
    });

    it('reports the sha256 of the bytes it stores, not the one recorded at upload: an object altered since is held with other bytes', async () => {
      const client = new SyncServerClient({ apiUrl: server.url, token: TOKEN });
      const store = new PresignedObjectStore({ issuer: client });
      await store.put(chunk.key, new TextEncoder().encode('chunk'), { contentType: 'application/gzip', metadata: {} });
      await store.put(recording.key, new TextEncoder().encode('recording'), { contentType: 'application/gzip', metadata: {} });
      // The chunk's bytes replaced behind the server's back, with the metadata (and sha256) it was uploaded with.
      const uploaded = (await bucket.get(chunk.key))!;
      expect(uploaded.info.metadata.sha256).toBe(sha('chunk'));
      await bucket.put(chunk.key, new TextEncoder().encode('CHUNK'), { contentType: 'application/gzip', metadata: uploaded.info.metadata });
      expect(await client.reconcileManifest(manifest)).toEqual({
        held: [
          { key: chunk.key, sha256: sha('CHUNK'), size: 5 },
          { key: recording.key, sha256: sha('recording'), size: 9 },
        ],
        missing: [chunk.key],
      });
    });

    it('is refused by the server for a manifest naming objects outside the session\'s folder', async () => {
      const client = new SyncServerClient({ apiUrl: server.url, token: TOKEN });
      const foreign = { ...chunk, key: recordingKey(sessionPrefix('ses_other', manifest.startedAt)) };
      expect(await rejectionOf(client.reconcileManifest({ ...manifest, objects: [foreign] }))).toMatchObject({
        code: 'STORAGE_AUTH_FAILED',
        details: { operation: 'manifest', status: 403, serverCode: 'key_outside_session' },
      });
      // The right session, another day's folder: not this session's prefix either.
      const elsewhere = { ...chunk, key: recordingKey(sessionPrefix(SESSION, '2020-01-01T00:00:00Z')) };
      expect(await rejectionOf(client.reconcileManifest({ ...manifest, objects: [elsewhere] }))).toMatchObject({ details: { serverCode: 'key_outside_session' } });
    });

    it('rejects an answer that breaks the contract as a typed error', async () => {
      const proxy = await startFaultProxy({ target: server.url });
      const client = new SyncServerClient({ apiUrl: proxy.endpoint, token: TOKEN });
      const held = (key: string) => ({ key, sha256: sha('x'), size: 1 });
      const answers: [unknown, RegExp][] = [
        ['not json at all', /not JSON/],
        [{ held: 'everything', missing: [] }, /held/],
        [{ held: [{ key: chunk.key, sha256: 'ABC', size: 5 }], missing: [recording.key] }, /held\.0\.sha256/],
        [{ held: [held(chunk.key)], missing: [recording.key, `${prefix}chunks/extra.json.gz`] }, /names .*extra\.json\.gz, which is not in the manifest/],
        [{ held: [held(chunk.key)], missing: [chunk.key, recording.key] }, /names .* twice/],
        [{ held: [held(chunk.key)], missing: [] }, /says nothing of .*\/recording\./],
      ];
      try {
        for (const [body, problem] of answers) {
          await proxy.setMode({ kind: 'respond', status: 200, body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
          const error = await rejectionOf(client.reconcileManifest(manifest));
          expect(error, JSON.stringify(body)).toMatchObject({ code: 'STORAGE_FAILED', details: { operation: 'manifest', malformed: true, transient: false } });
          expect(error.message).toMatch(problem);
        }
      } finally {
        await proxy.close();
      }
    });
  });

  it('refuses to build an engine whose store cannot list and that has no server to reconcile with', () => {
    const store = new PresignedObjectStore({ issuer: new SyncServerClient({ apiUrl: server.url, token: TOKEN }) });
    expect(() => new SyncEngine({ db: engineDb, store })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
