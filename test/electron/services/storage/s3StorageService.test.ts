import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../../../../electron/services/db/sqlite';
import { sha256Hex } from '../../../../electron/services/storage/recordingCodec';
import type { ObjectStore } from '../../../../electron/services/storage/objectStore';
import type { S3ObjectStore } from '../../../../electron/services/storage/s3ObjectStore';
import { manifestFromRecordingObject, objectMetadataBytes, MAX_OBJECT_METADATA_BYTES } from '../../../../electron/services/storage/manifestMetadata';
import { MAX_CALLER_METADATA_BYTES, MAX_PRESIGN_SECONDS, S3StorageService, recordingObjectMetadata } from '../../../../electron/services/storage/s3StorageService';
import { SyncEngine } from '../../../../electron/services/sync/syncEngine';
import type { RecordedEvent } from '../../../../shared/recording/eventTypes';
import { RECORDING_CODEC, SEGMENTED_RECORDING_CODEC, manifestKey, type RecordingManifest } from '../../../../shared/storage/recordingObjects';
import { startFaultProxy, type FaultProxy } from '../../../helpers/faultProxy';
import { startLocalS3, type LocalS3 } from '../../../helpers/s3rverServer';
import { rejectionOf, tempServices } from '../../../helpers/tempServices';
import { INVALID_ACCESS_KEY_XML, SESSION_START, recordRealisticSession, storeOn } from './storageFixtures';

/** Wraps a store and remembers every prefix `list` was asked for. */
function listSpy(store: ObjectStore): { store: ObjectStore; prefixes: string[] } {
  const prefixes: string[] = [];
  return {
    prefixes,
    store: {
      put: (key, body, options) => store.put(key, body, options),
      get: (key) => store.get(key),
      head: (key) => store.head(key),
      presignGet: (key, seconds) => store.presignGet(key, seconds),
      list: (prefix) => {
        prefixes.push(prefix);
        return store.list(prefix);
      },
    },
  };
}

describe('S3StorageService against a real S3 server (s3rver on loopback)', () => {
  let s3: LocalS3;
  let proxy: FaultProxy;
  const clock = { now: SESSION_START };
  let app: ReturnType<typeof tempServices>;
  const stores: S3ObjectStore[] = [];

  beforeAll(async () => {
    s3 = await startLocalS3();
    proxy = await startFaultProxy({ target: s3.endpoint, seed: 42 });
  });
  afterAll(async () => {
    await proxy?.close();
    await s3?.dispose();
  });
  beforeEach(() => {
    app = tempServices({}, { now: () => clock.now });
  });
  afterEach(async () => {
    await proxy.setMode({ kind: 'pass-through' });
    for (const store of stores.splice(0)) store.dispose();
    app.cleanup();
  });

  /** A storage service over `store` (default: straight to s3rver) for the temp app's sessions. */
  function storageOver(store: ObjectStore = track(storeOn(s3))): S3StorageService {
    return new S3StorageService({ store, lookupSession: (id) => app.services.sessions.getSession(id), now: () => clock.now });
  }
  function track(store: S3ObjectStore): S3ObjectStore {
    stores.push(store);
    return store;
  }

  it('uploads a recording under sessions/YYYY/MM/DD/<id>/ and downloads exactly the same events and metadata', async () => {
    const { sessionId, events } = await recordRealisticSession(app.services, clock);
    const storage = storageOver();

    const uploaded = await storage.uploadSessionRecording(sessionId, events, { candidateId: 'cand_123', duration: '1800' });
    expect(uploaded.key).toBe(`sessions/2025/03/07/${sessionId}/recording`);
    expect(uploaded.compressedSize).toBeLessThan(uploaded.size);
    expect(uploaded.compressionRatio).toBeCloseTo(uploaded.size / uploaded.compressedSize, 10);
    // A realistic interview compresses well (the seed claims 5-10x for its own format).
    expect(uploaded.compressionRatio).toBeGreaterThan(3);
    expect(uploaded.etag).toMatch(/^"[0-9a-f]{32}"$/);

    const downloaded = await storage.downloadSessionRecording(sessionId);
    expect(downloaded.events).toHaveLength(events.length);
    expect(downloaded.events).toStrictEqual(events);
    expect(downloaded.metadata).toStrictEqual({ candidateId: 'cand_123', duration: '1800' });
  });

  it("stores the seed's object metadata and a sha256 of the stored bytes", async () => {
    const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 300 });
    const store = track(storeOn(s3));
    clock.now = Date.UTC(2025, 2, 8, 0, 30);
    const uploaded = await storageOver(store).uploadSessionRecording(sessionId, events, { candidateId: 'cand_123' });

    const object = await store.get(uploaded.key);
    expect(object).not.toBeNull();
    expect(object!.body.byteLength).toBe(uploaded.compressedSize);
    expect(sha256Hex(object!.body)).toBe(uploaded.sha256);
    expect(object!.info.metadata).toStrictEqual({
      candidate: 'cand_123',
      // Without a duration the span of the events is used: first to last event, in seconds.
      duration: String(Math.round((events.at(-1)!.timestamp - events[0]!.timestamp) / 1000)),
      eventcount: String(events.length),
      codec: RECORDING_CODEC,
      sha256: uploaded.sha256,
      size: String(uploaded.size),
      uploadedat: '2025-03-08T00:30:00.000Z',
      // The seq range and hash-chain head, under the names sync uses, so a later upload can tell whether it covers this one.
      sessionid: sessionId,
      firstseq: '1',
      lastseq: String(events.length),
      headhash: events.at(-1)!.hash,
    });
  });

  it('reports storage stats before and after the upload', async () => {
    const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 300 });
    const storage = storageOver();
    const key = `sessions/2025/03/07/${sessionId}/recording`;
    expect(await storage.getStorageStats(sessionId)).toStrictEqual({ exists: false, key, size: 0, compressedSize: 0, eventCount: 0, sha256: null, uploadedAt: null });

    clock.now = Date.UTC(2025, 2, 8, 1, 0);
    const uploaded = await storage.uploadSessionRecording(sessionId, events, {});
    expect(await storage.getStorageStats(sessionId)).toStrictEqual({
      exists: true,
      key,
      size: uploaded.size,
      compressedSize: uploaded.compressedSize,
      eventCount: events.length,
      sha256: uploaded.sha256,
      uploadedAt: '2025-03-08T01:00:00.000Z',
    });
  });

  it('presigns a GET URL that fetches the stored bytes, with its signing and expiry parameters', async () => {
    const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 300 });
    const store = track(storeOn(s3));
    const storage = storageOver(store);
    const uploaded = await storage.uploadSessionRecording(sessionId, events, {});

    const url = new URL(await storage.generatePresignedUrl(sessionId, 900));
    expect(url.pathname).toBe(`/${s3.bucket}/${uploaded.key}`);
    // s3rver does not verify signatures, so check what S3 would: algorithm, credential scope, expiry, signature.
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(new RegExp(`^${s3.accessKeyId}/\\d{8}/${s3.region}/s3/aws4_request$`));
    expect(url.searchParams.get('X-Amz-Date')).toMatch(/^\d{8}T\d{6}Z$/);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);

    const response = await fetch(url);
    expect(response.status).toBe(200);
    const fetched = new Uint8Array(await response.arrayBuffer());
    expect(sha256Hex(fetched)).toBe(uploaded.sha256);
    expect(Buffer.from(fetched).equals(Buffer.from((await store.get(uploaded.key))!.body))).toBe(true);

    const byDefault = new URL(await storage.generatePresignedUrl(sessionId));
    expect(byDefault.searchParams.get('X-Amz-Expires')).toBe('3600');
    const longest = new URL(await storage.generatePresignedUrl(sessionId, MAX_PRESIGN_SECONDS));
    expect(longest.searchParams.get('X-Amz-Expires')).toBe('604800');
  });

  it.each([604_801, 0, -1, 1.5, Number.NaN])('refuses expiresIn %s with VALIDATION_FAILED', async (expiresIn) => {
    const { sessionId } = await recordRealisticSession(app.services, clock, { targetEvents: 50 });
    const error = await rejectionOf(storageOver().generatePresignedUrl(sessionId, expiresIn));
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('expiresIn') });
  });

  describe('a damaged object is refused whole, naming its key', () => {
    async function uploadedRecording() {
      const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 500 });
      const store = track(storeOn(s3));
      const uploaded = await storageOver(store).uploadSessionRecording(sessionId, events, {});
      const original = (await store.get(uploaded.key))!;
      return { sessionId, store, key: uploaded.key, original };
    }

    it('garbage bytes under the original metadata: the sha256 does not match', async () => {
      const { sessionId, store, key, original } = await uploadedRecording();
      await store.put(key, new TextEncoder().encode('definitely not a recording'), { contentType: 'application/gzip', metadata: original.info.metadata });
      const error = await rejectionOf(storageOver(store).downloadSessionRecording(sessionId));
      expect(error).toMatchObject({ code: 'RECORDING_CORRUPT', message: expect.stringContaining(key) });
      expect(error.message).toContain('hash');
    });

    it('garbage bytes whose sha256 was updated too: the gzip check refuses them', async () => {
      const { sessionId, store, key, original } = await uploadedRecording();
      const garbage = new Uint8Array(original.body.byteLength).map((_, index) => (index * 31 + 7) & 0xff);
      await store.put(key, garbage, { contentType: 'application/gzip', metadata: { ...original.info.metadata, sha256: sha256Hex(garbage) } });
      const error = await rejectionOf(storageOver(store).downloadSessionRecording(sessionId));
      expect(error).toMatchObject({ code: 'RECORDING_CORRUPT', message: expect.stringContaining(key) });
      expect(error.message).toContain('gzip');
    });

    it.each(['original', 'updated'])('the first half of the bytes (sha256 metadata %s)', async (which) => {
      const { sessionId, store, key, original } = await uploadedRecording();
      const half = original.body.slice(0, Math.floor(original.body.byteLength / 2));
      const metadata = which === 'original' ? original.info.metadata : { ...original.info.metadata, sha256: sha256Hex(half) };
      await store.put(key, half, { contentType: 'application/gzip', metadata });
      const error = await rejectionOf(storageOver(store).downloadSessionRecording(sessionId));
      expect(error).toMatchObject({ code: 'RECORDING_CORRUPT', message: expect.stringContaining(key) });
    });

    it('a whole gzip of another event count than recorded at upload', async () => {
      const { sessionId, store, key, original } = await uploadedRecording();
      const body = JSON.parse(new TextDecoder().decode(gunzipSync(original.body))) as { events: RecordedEvent[] };
      body.events.pop();
      const shorter = new Uint8Array(gzipSync(JSON.stringify(body)));
      await store.put(key, shorter, { contentType: 'application/gzip', metadata: { ...original.info.metadata, sha256: sha256Hex(shorter) } });
      const error = await rejectionOf(storageOver(store).downloadSessionRecording(sessionId));
      expect(error).toMatchObject({ code: 'RECORDING_CORRUPT', message: expect.stringContaining(key) });
    });
  });

  describe('a stored recording is replaced only by one that covers it', () => {
    const hashesOf = (events: readonly RecordedEvent[]) => events.map((event) => event.hash);

    it('refuses its first half with RECORDING_CONFLICT naming the key and both counts, and keeps every event', async () => {
      const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 300 });
      const storage = storageOver();
      const whole = await storage.uploadSessionRecording(sessionId, events, {});
      const half = events.slice(0, Math.floor(events.length / 2));

      const error = await rejectionOf(storage.uploadSessionRecording(sessionId, half, {}));
      expect(error).toMatchObject({ code: 'RECORDING_CONFLICT', message: expect.stringContaining(whole.key) });
      expect(error.message).toContain(`${events.length} events (seqs 1..${events.length})`);
      expect(error.message).toContain(`only ${half.length} events (seqs 1..${half.length})`);
      expect((await storage.getStorageStats(sessionId)).sha256).toBe(whole.sha256);
      expect(hashesOf((await storage.downloadSessionRecording(sessionId)).events)).toStrictEqual(hashesOf(events));
    });

    /** One pass of a sync engine on its own connection, as the worker runs it: the closed session's recording goes to `store`. */
    async function syncedBySyncEngine(store: S3ObjectStore): Promise<void> {
      const engineDb = openSqlite(app.config.databasePath);
      try {
        await new SyncEngine({ db: engineDb, store, now: () => clock.now }).syncNow();
      } finally {
        engineDb.close();
      }
    }

    it('refuses part of the complete recording sync stored, by the manifest in its metadata', async () => {
      const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 300 });
      const store = track(storeOn(s3));
      await syncedBySyncEngine(store);
      const storage = storageOver(store);
      const { key } = await storage.getStorageStats(sessionId);
      const synced = (await store.head(key))!;
      expect(manifestFromRecordingObject(synced)).toMatchObject({ eventCount: events.length, headHash: events.at(-1)!.hash });

      const error = await rejectionOf(storage.uploadSessionRecording(sessionId, events.slice(0, 50), {}));
      expect(error).toMatchObject({ code: 'RECORDING_CONFLICT', message: expect.stringContaining(key) });
      expect(error.message).toContain(`${events.length} events`);
      expect((await store.head(key))!.metadata.sha256).toBe(synced.metadata.sha256);
      expect(hashesOf((await storage.downloadSessionRecording(sessionId)).events)).toStrictEqual(hashesOf(events));
    });

    it('keeps the recording sync stored when given the same events: no PUT, the bytes still match manifest.json and sync_objects, and it answers the stored stats', async () => {
      const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 300 });
      const store = track(storeOn(s3));
      await syncedBySyncEngine(store);
      const { key } = await storageOver(store).getStorageStats(sessionId);
      const synced = (await store.get(key))!;
      expect(synced.info.metadata.codec).toBe(SEGMENTED_RECORDING_CODEC);
      const manifestAt = manifestKey(key.slice(0, -'recording'.length));
      const manifestOf = async () => JSON.parse(new TextDecoder().decode((await store.get(manifestAt))!.body)) as RecordingManifest;
      const row = () => app.services.database.db.prepare<[string, string], { sha256: string; etag: string | null }>('SELECT sha256, etag FROM sync_objects WHERE session_id = ? AND key = ?').get(sessionId, key)!;
      expect((await manifestOf()).objects[0]).toMatchObject({ key, sha256: sha256Hex(synced.body), codec: SEGMENTED_RECORDING_CODEC });
      expect(row().sha256).toBe(sha256Hex(synced.body));

      const storage = storageOver(track(storeOn(s3, { endpoint: proxy.endpoint })));
      proxy.resetStats();
      clock.now += 60_000;
      const uploaded = await storage.uploadSessionRecording(sessionId, events, { candidateId: 'cand_123', duration: '1800' });

      expect(proxy.log.filter((entry) => entry.method === 'PUT')).toStrictEqual([]);
      const after = (await store.get(key))!;
      expect(Buffer.from(after.body).equals(Buffer.from(synced.body))).toBe(true);
      expect(after.info.etag).toBe(synced.info.etag);
      expect(after.info.metadata).toStrictEqual(synced.info.metadata);
      expect((await manifestOf()).objects[0]!.sha256).toBe(sha256Hex(after.body));
      expect(row()).toStrictEqual({ sha256: sha256Hex(after.body), etag: after.info.etag });

      const size = Number(synced.info.metadata.size);
      expect(uploaded).toStrictEqual({ key, size, compressedSize: synced.body.byteLength, compressionRatio: size / synced.body.byteLength, sha256: sha256Hex(synced.body), etag: synced.info.etag });
      const stats = await storage.getStorageStats(sessionId);
      expect({ size: stats.size, compressedSize: stats.compressedSize, sha256: stats.sha256 }).toStrictEqual({ size: uploaded.size, compressedSize: uploaded.compressedSize, sha256: uploaded.sha256 });
      expect(hashesOf((await storage.downloadSessionRecording(sessionId)).events)).toStrictEqual(hashesOf(events));
    });

    it('puts once when given the same events twice, and answers both calls alike', async () => {
      const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 300 });
      const storage = storageOver(track(storeOn(s3, { endpoint: proxy.endpoint })));
      proxy.resetStats();
      const first = await storage.uploadSessionRecording(sessionId, events, {});
      clock.now += 60_000;
      const second = await storage.uploadSessionRecording(sessionId, events, {});

      expect(proxy.log.filter((entry) => entry.method === 'PUT').map((entry) => new URL(entry.url, proxy.endpoint).pathname)).toStrictEqual([`/${s3.bucket}/${first.key}`]);
      expect(second).toStrictEqual(first);
      expect(await storage.getStorageStats(sessionId)).toMatchObject({ sha256: first.sha256, size: first.size, compressedSize: first.compressedSize, uploadedAt: new Date(clock.now - 60_000).toISOString() });
    });

    it('puts the same events again when the stored bytes no longer hash to their recorded sha256, which repairs the recording', async () => {
      const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 300 });
      const store = track(storeOn(s3));
      const storage = storageOver(store);
      const first = await storage.uploadSessionRecording(sessionId, events, {});
      // Damaged in storage, behind the app's back, its metadata (its recorded sha256 included) kept.
      const stored = (await store.get(first.key))!;
      const damaged = stored.body.slice();
      damaged[damaged.length >> 1]! ^= 0xff;
      await store.put(first.key, damaged, { contentType: 'application/gzip', metadata: stored.info.metadata });
      expect(await rejectionOf(storage.downloadSessionRecording(sessionId))).toMatchObject({ code: 'RECORDING_CORRUPT' });

      const repaired = await storage.uploadSessionRecording(sessionId, events, {});
      expect(repaired.sha256).toBe(first.sha256);
      expect(sha256Hex((await store.get(first.key))!.body)).toBe(first.sha256);
      expect(hashesOf((await storage.downloadSessionRecording(sessionId)).events)).toStrictEqual(hashesOf(events));
    });

    it('keeps the recording it reads back, not the one it saw first, when it was put again in between (the same events, other bytes)', async () => {
      const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 300 });
      const store = track(storeOn(s3));
      const first = await storageOver(store).uploadSessionRecording(sessionId, events, {});
      // The same events, gzipped at another level: other bytes, with the sha256 recorded for them.
      const stored = (await store.get(first.key))!;
      const other = gzipSync(gunzipSync(stored.body), { level: 1 });
      const otherMetadata = { ...stored.info.metadata, sha256: sha256Hex(other) };
      expect(sha256Hex(other)).not.toBe(first.sha256);
      const puts: string[] = [];
      let putAgain = true;
      const racing: ObjectStore = {
        head: (key) => store.head(key),
        list: (prefix) => store.list(prefix),
        presignGet: (key, seconds) => store.presignGet(key, seconds),
        put: (key, body, options) => (puts.push(key), store.put(key, body, options)),
        // Between the HEAD and the GET, the recording is put again, as a restarted close would.
        get: async (key) => {
          if (putAgain) {
            putAgain = false;
            await store.put(key, other, { contentType: 'application/gzip', metadata: otherMetadata });
          }
          return store.get(key);
        },
      };
      const answer = await storageOver(racing).uploadSessionRecording(sessionId, events, {});
      expect(puts).toEqual([]);
      expect(answer).toMatchObject({ key: first.key, sha256: sha256Hex(other) });
      expect(sha256Hex((await store.get(first.key))!.body)).toBe(sha256Hex(other));
    });

    it('accepts the same events again, but not as many events with another hash at the last seq', async () => {
      const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 300 });
      const storage = storageOver();
      await storage.uploadSessionRecording(sessionId, events, {});
      const again = await storage.uploadSessionRecording(sessionId, events, { duration: '1800' });
      expect((await storage.getStorageStats(sessionId)).sha256).toBe(again.sha256);

      const other = events.map((event, index) => (index === events.length - 1 ? { ...event, hash: 'f'.repeat(64) } : event));
      const error = await rejectionOf(storage.uploadSessionRecording(sessionId, other, {}));
      expect(error).toMatchObject({ code: 'RECORDING_CONFLICT', message: expect.stringContaining(again.key) });
      expect(error.message).toContain(events.at(-1)!.hash);
      expect((await storage.getStorageStats(sessionId)).sha256).toBe(again.sha256);
      expect(hashesOf((await storage.downloadSessionRecording(sessionId)).events)).toStrictEqual(hashesOf(events));
    });

    it('replaces it with a longer recording that extends it, which a shorter one then cannot replace', async () => {
      const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 300 });
      const storage = storageOver();
      const half = events.slice(0, Math.floor(events.length / 2));
      await storage.uploadSessionRecording(sessionId, half, {});
      const whole = await storage.uploadSessionRecording(sessionId, events, {});
      expect(hashesOf((await storage.downloadSessionRecording(sessionId)).events)).toStrictEqual(hashesOf(events));

      expect(await rejectionOf(storage.uploadSessionRecording(sessionId, half, {}))).toMatchObject({ code: 'RECORDING_CONFLICT', message: expect.stringContaining(whole.key) });
      expect((await storage.getStorageStats(sessionId)).sha256).toBe(whole.sha256);
    });
  });

  it('wrong credentials: STORAGE_AUTH_FAILED, not a retryable failure', async () => {
    // s3rver accepts any credentials, so the fault proxy answers every request as S3 does for
    // an unknown access key: 403 with S3's InvalidAccessKeyId error body.
    const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 100 });
    await proxy.setMode({ kind: 'respond', status: 403, body: INVALID_ACCESS_KEY_XML });
    const storage = storageOver(track(storeOn(s3, { endpoint: proxy.endpoint })));

    // An upload first HEADs the recording it might replace, and HEAD answers carry no body:
    // the 403 alone must say it (s3ObjectStore.test.ts reads InvalidAccessKeyId from a PUT's body).
    const upload = await rejectionOf(storage.uploadSessionRecording(sessionId, events, {}));
    expect(upload).toMatchObject({ code: 'STORAGE_AUTH_FAILED', details: expect.objectContaining({ transient: false, status: 403 }) });
    expect(upload.message).toContain('AWS_ACCESS_KEY_ID');
    expect(await rejectionOf(storage.getStorageStats(sessionId))).toMatchObject({ code: 'STORAGE_AUTH_FAILED' });
    expect(await rejectionOf(storage.downloadSessionRecording(sessionId))).toMatchObject({ code: 'STORAGE_AUTH_FAILED' });
    expect(await storage.testConnection()).toBe(false);
    expect(await rejectionOf(storage.checkConnection())).toMatchObject({ code: 'STORAGE_AUTH_FAILED' });
  });

  it('a bucket the server does not have: STORAGE_BUCKET_MISSING, for a put, a get and a head', async () => {
    const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 100 });
    const storage = storageOver(track(storeOn(s3, { bucket: 'no-such-bucket' })));
    const upload = await rejectionOf(storage.uploadSessionRecording(sessionId, events, {}));
    expect(upload).toMatchObject({ code: 'STORAGE_BUCKET_MISSING', message: expect.stringContaining('no-such-bucket'), details: expect.objectContaining({ transient: false }) });
    expect(await rejectionOf(storage.downloadSessionRecording(sessionId))).toMatchObject({ code: 'STORAGE_BUCKET_MISSING' });
    // HEAD cannot tell a missing bucket from a missing key by itself: stats must not say "not uploaded".
    expect(await rejectionOf(storage.getStorageStats(sessionId))).toMatchObject({ code: 'STORAGE_BUCKET_MISSING' });
    expect(await storage.testConnection()).toBe(false);
  });

  it('S3 down: STORAGE_UNAVAILABLE marked transient, and it works again once S3 is back', async () => {
    const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 100 });
    const storage = storageOver();
    expect(await storage.testConnection()).toBe(true);
    await s3.stop();
    try {
      for (const attempt of [() => storage.uploadSessionRecording(sessionId, events, {}), () => storage.getStorageStats(sessionId), () => storage.downloadSessionRecording(sessionId)]) {
        expect(await rejectionOf(attempt())).toMatchObject({ code: 'STORAGE_UNAVAILABLE', details: expect.objectContaining({ transient: true }) });
      }
      expect(await storage.testConnection()).toBe(false);
    } finally {
      await s3.start();
    }
    await storage.uploadSessionRecording(sessionId, events, {});
    expect((await storage.downloadSessionRecording(sessionId)).events).toStrictEqual(events);
  });

  it('lists only under a prefix: the health check lists health/, and nothing lists the bucket', async () => {
    const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 100 });
    const spy = listSpy(track(storeOn(s3, { endpoint: proxy.endpoint })));
    const storage = storageOver(spy.store);
    proxy.resetStats();

    expect(await storage.testConnection()).toBe(true);
    await storage.uploadSessionRecording(sessionId, events, {});
    await storage.getStorageStats(sessionId);
    await storage.downloadSessionRecording(sessionId);
    await storage.generatePresignedUrl(sessionId);

    expect(spy.prefixes).toStrictEqual(['health/']);
    // On the wire as well: every ListObjectsV2 request carries a non-empty prefix.
    const listRequests = proxy.log.filter((entry) => entry.method === 'GET' && new URL(entry.url, proxy.endpoint).searchParams.get('list-type') === '2');
    expect(listRequests).toHaveLength(1);
    expect(listRequests.map((entry) => new URL(entry.url, proxy.endpoint).searchParams.get('prefix'))).toStrictEqual(['health/']);
  });

  it('rejects unknown sessions with SESSION_NOT_FOUND and a missing recording with RECORDING_NOT_FOUND', async () => {
    const storage = storageOver();
    for (const attempt of [() => storage.uploadSessionRecording('nope', [], {}), () => storage.downloadSessionRecording('nope'), () => storage.getStorageStats('nope'), () => storage.generatePresignedUrl('nope')]) {
      expect(await rejectionOf(attempt())).toMatchObject({ code: 'SESSION_NOT_FOUND' });
    }
    const noSessions = new S3StorageService({ store: track(storeOn(s3)), lookupSession: () => null });
    expect(await rejectionOf(noSessions.getStorageStats('ses_gone'))).toMatchObject({ code: 'SESSION_NOT_FOUND', message: expect.stringContaining('ses_gone') });

    const { sessionId } = await recordRealisticSession(app.services, clock, { targetEvents: 20 });
    const missing = await rejectionOf(storage.downloadSessionRecording(sessionId));
    expect(missing).toMatchObject({ code: 'RECORDING_NOT_FOUND', message: expect.stringContaining(`sessions/2025/03/07/${sessionId}/recording`) });
  });

  it('validates its arguments before touching storage', async () => {
    const { sessionId, events } = await recordRealisticSession(app.services, clock, { targetEvents: 20 });
    const storage = storageOver(track(storeOn(s3, { endpoint: proxy.endpoint })));
    proxy.resetStats();
    const invalid: [unknown, unknown][] = [
      [[{ ...events[0], seq: 0 }], {}],
      [[{ type: 'keystroke', data: { key: 'a' } }], {}],
      [[events[1], events[0]], {}],
      // A consolidated recording is the whole session: from seq 1, with no gap.
      [events.slice(1), {}],
      [[events[0], events[2]], {}],
      [[{ ...events[0]!, sessionId: 'someone-else' }], {}],
      [events, { candidateId: 'cand_999' }],
      [events, { nested: { not: 'flat' } }],
      ['not a list', {}],
    ];
    for (const [list, metadata] of invalid) {
      const error = await rejectionOf(storage.uploadSessionRecording(sessionId, list as RecordedEvent[], metadata as Record<string, string>));
      expect(error).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(proxy.stats.requests).toBe(0);
  });
});

describe("a recording's object metadata", () => {
  const fields = { durationSeconds: '3600', eventCount: 10, sha256: 'a'.repeat(64), size: 100, uploadedAt: Date.UTC(2025, 2, 8) };

  it('carries a candidate id percent-encoded, whole when it fits, and says nothing was cut', () => {
    const metadata = recordingObjectMetadata({ ...fields, candidateId: 'Zoë Łukasz' });
    expect(decodeURIComponent(metadata.candidate!)).toBe('Zoë Łukasz');
    expect(metadata).not.toHaveProperty('cut');
  });

  it('cuts a candidate id or duration too long for S3 at a whole character, says so, and stays within S3\'s 2 KB', () => {
    // 256 characters of 4-byte UTF-8 (128 surrogate pairs) and of 3-byte: 1.5 and 2.3 KB percent-encoded.
    for (const candidateId of ['🙂'.repeat(128), '漢'.repeat(256)]) {
      const metadata = recordingObjectMetadata({ ...fields, candidateId, durationSeconds: 'é'.repeat(400), extra: { sessionid: 'ses_1', firstseq: '1', lastseq: '10' } });
      expect(metadata.cut).toBe('candidate,duration');
      expect(metadata.candidate!.length).toBeLessThanOrEqual(MAX_CALLER_METADATA_BYTES);
      expect(candidateId.startsWith(decodeURIComponent(metadata.candidate!))).toBe(true);
      expect(decodeURIComponent(metadata.candidate!).length).toBeGreaterThan(0);
      expect(objectMetadataBytes(metadata)).toBeLessThanOrEqual(MAX_OBJECT_METADATA_BYTES);
    }
  });
});
