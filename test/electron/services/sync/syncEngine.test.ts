import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, type SqliteDatabase } from '../../../../electron/services/db/sqlite';
import { sha256Hex } from '../../../../electron/services/storage/recordingCodec';
import { S3ObjectStore } from '../../../../electron/services/storage/s3ObjectStore';
import { decodeSegmentedRecording, segmentRangesOf } from '../../../../electron/services/storage/segmentedRecording';
import { SyncEngine, type SyncObjectStore, type SyncSettings } from '../../../../electron/services/sync/syncEngine';
import { AppError } from '../../../../shared/errors';
import { MANIFEST_METADATA_NAME, manifestFromRecordingObject } from '../../../../electron/services/storage/manifestMetadata';
import { SEGMENTED_RECORDING_CODEC, SEGMENTED_RECORDING_CODEC_V1, manifestKey, recordingChunkKey, recordingKey, sessionPrefix, type RecordingManifest } from '../../../../shared/storage/recordingObjects';
import type { SyncStatus } from '../../../../shared/sync/syncStatus';
import { startFaultProxy } from '../../../helpers/faultProxy';
import { startLocalS3, storeOn, type LocalS3 } from '../../../helpers/s3rverServer';
import { expectStorageEqualsLocal } from '../../../helpers/syncAssertions';
import { tempServices } from '../../../helpers/tempServices';
import { deleteObjectsRefusedXml, isDeleteObjectsRequest } from '../storage/storageFixtures';

/** A SyncObjectStore that passes every call to `store`, to override one method of. */
function delegateTo(store: S3ObjectStore): SyncObjectStore {
  return {
    put: (key, body, options) => store.put(key, body, options),
    get: (key) => store.get(key),
    head: (key) => store.head(key),
    list: (prefix) => store.list(prefix),
    presignGet: (key, seconds) => store.presignGet(key, seconds),
    delete: (key) => store.delete(key),
    deleteMany: (keys) => store.deleteMany(keys),
  };
}

/** `store`, with `edit` seeing every body put as a session's recording and answering the bytes to put instead. */
function editingRecordingPuts(store: S3ObjectStore, edit: (body: Uint8Array) => Uint8Array): SyncObjectStore {
  return { ...delegateTo(store), put: (key, body, options) => store.put(key, key.endsWith('/recording') ? edit(body) : body, options) };
}

/** `store`, with `edit` applied to the first recording put only; `edited` holds what it put instead. */
function editingFirstRecordingPut(store: S3ObjectStore, edit: (body: Uint8Array) => Uint8Array): { store: SyncObjectStore; edited: Uint8Array[] } {
  const edited: Uint8Array[] = [];
  const editing = editingRecordingPuts(store, (body) => {
    if (edited.length > 0) return body;
    edited.push(edit(body));
    return edited[0]!;
  });
  return { store: editing, edited };
}

/** `store`, holding the first put whose key `matches` until `release`; `held` resolves once that put is waiting. */
function holdingFirstPut(store: SyncObjectStore, matches: (key: string) => boolean): { store: SyncObjectStore; held: Promise<void>; release: () => void } {
  let release: () => void = () => {};
  let holding: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held = new Promise<void>((resolve) => (holding = resolve));
  let matched = 0;
  const holdingStore: SyncObjectStore = {
    ...store,
    put: async (key, body, options) => {
      if (matches(key) && matched++ === 0) {
        holding();
        await gate;
      }
      return store.put(key, body, options);
    },
  };
  return { store: holdingStore, held, release };
}

/** `store`, holding its first chunk put (see holdingFirstPut). */
function holdingFirstChunkPut(store: S3ObjectStore): ReturnType<typeof holdingFirstPut> {
  return holdingFirstPut(delegateTo(store), (key) => key.includes('/chunks/'));
}

const FAST: Partial<SyncSettings> = { maxAttempts: 2, initialRetryDelayMs: 5, maxRetryDelayMs: 20, breakerThreshold: 3, halfOpenAfterMs: 200, pollIntervalMs: 50 };

/**
 * `store`, failing every put of manifest.json through one pass's attempts (the clean-up right
 * after the recording, and the one for sessions left uncleaned), as storage gone away after
 * the recording was stored.
 */
function failingManifestPuts(store: S3ObjectStore): SyncObjectStore {
  let manifestFailures = 2 * FAST.maxAttempts!;
  return {
    ...delegateTo(store),
    put: async (key, body, options) => {
      if (key.endsWith('manifest.json') && manifestFailures-- > 0) throw new AppError('STORAGE_UNAVAILABLE', 'storage went away after the recording was stored', { transient: true });
      return store.put(key, body, options);
    },
  };
}

describe('SyncEngine against a real S3-compatible server', () => {
  let s3: LocalS3;
  let env: ReturnType<typeof tempServices>;
  let engineDb: SqliteDatabase;
  let store: S3ObjectStore;
  let now: number;
  let statuses: SyncStatus[];

  beforeAll(async () => {
    s3 = await startLocalS3();
  });
  afterAll(async () => {
    await s3.dispose();
  });
  beforeEach(() => {
    now = Date.UTC(2026, 10, 29, 9, 30);
    env = tempServices({}, { now: () => now });
    // The engine has its own connection, as in the worker.
    engineDb = openSqlite(env.config.databasePath);
    store = storeOn(s3);
    statuses = [];
  });
  afterEach(() => {
    engineDb.close();
    env.cleanup();
  });

  /** An engine on its own connection, FAST unless `settings` say otherwise, reporting into `statuses`; on `withStore` when given. */
  function engine(settings: Partial<SyncSettings> = {}, withStore: SyncObjectStore = store): SyncEngine {
    return new SyncEngine({ db: engineDb, store: withStore, settings: { ...FAST, ...settings }, now: () => now, onStatus: (status) => statuses.push(status) });
  }

  async function recordSession(eventCount: number): Promise<string> {
    const s = env.services.sessions;
    const { id } = await s.createSession('cand_sync');
    await s.recordEvent(id, { type: 'file_created', fileId: 'f', data: { fileName: 'main.py', content: '' } });
    let text = '';
    const acks = [];
    for (let i = 0; i < eventCount - 2; i++) {
      acks.push(s.recordEvent(id, { type: 'code_edit', fileId: 'f', data: { changes: [{ rangeOffset: text.length, rangeLength: 0, text: 'x' }] } }));
      text += 'x';
    }
    await Promise.all(acks);
    return id;
  }

  /**
   * One pass of an engine on `over` whose store notes each PUT's key (all of them, and those
   * made before the synced status) and each request as "PUT <key>" or "HEAD <key>" until then.
   */
  async function syncWatchingPuts(over: SyncObjectStore = delegateTo(store)): Promise<{ puts: string[]; putsWhenSynced: string[] | null; requestsWhenSynced: string[] | null }> {
    const puts: string[] = [];
    const requests: string[] = [];
    let putsWhenSynced: string[] | null = null;
    let requestsWhenSynced: string[] | null = null;
    const watched: SyncObjectStore = {
      ...over,
      put: (key, body, options) => (puts.push(key), requests.push(`PUT ${key}`), over.put(key, body, options)),
      head: (key) => (requests.push(`HEAD ${key}`), over.head(key)),
    };
    const onStatus = (status: SyncStatus) => {
      if (status.state !== 'synced') return;
      putsWhenSynced = [...puts];
      requestsWhenSynced = [...requests];
    };
    await new SyncEngine({ db: engineDb, store: watched, settings: FAST, now: () => now, onStatus }).syncNow();
    return { puts, putsWhenSynced, requestsWhenSynced };
  }

  /** Every object of the session in storage, by key. */
  async function stored(sessionId: string) {
    const session = await env.services.sessions.getSession(sessionId);
    const prefix = sessionPrefix(sessionId, session.startedAt);
    return { prefix, objects: await store.list(prefix) };
  }

  it('ships full chunks while the session runs and holds back a partial one until it is old enough', async () => {
    const id = await recordSession(250);
    const sync = engine();
    await sync.syncNow();
    let { objects, prefix } = await stored(id);
    expect(objects.map((object) => object.key)).toEqual([`${prefix}chunks/0000000001-0000000100.json.gz`, `${prefix}chunks/0000000101-0000000200.json.gz`]);
    expect(statuses.at(-1)).toMatchObject({ sessionId: id, state: 'syncing', pendingEvents: 50 });
    now += 10_000;
    await sync.syncNow();
    ({ objects } = await stored(id));
    expect(objects.map((object) => object.key)).toContain(`${prefix}chunks/0000000201-0000000250.json.gz`);
    expect((await env.services.sessions.getSession(id)).syncState).toBe('PENDING');
  });

  it('on close uploads the recording and the manifest, reconciles, and marks the session SYNCED', async () => {
    const id = await recordSession(230);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    await engine().syncNow();
    await expectStorageEqualsLocal(env.services, store, id);
    const session = await env.services.sessions.getSession(id);
    expect(session).toMatchObject({ syncState: 'SYNCED', syncedAt: new Date(now).toISOString() });
    expect(statuses.at(-1)).toMatchObject({ state: 'synced', pendingEvents: 0 });
  });

  it('reports the final upload as syncing only while it takes long enough to be seen; a quick one goes straight to synced', async () => {
    const quick = await recordSession(30);
    await env.services.sessions.closeSession(quick, 'COMPLETED');
    const patient = engine({ closeSyncingStatusAfterMs: 1_000 });
    await patient.syncNow();
    // Past the threshold: a syncing status left armed would have arrived by now.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(statuses.filter((status) => status.sessionId === quick).map((status) => status.state)).toEqual(['synced']);
    // Built in memory at the close, it is what the engine reads back from SQLite.
    expect(statuses.at(-1)).toEqual({ ...patient.statusOf(quick), message: null });

    const slow = await recordSession(30);
    await env.services.sessions.closeSession(slow, 'COMPLETED');
    const delayed: SyncObjectStore = {
      ...delegateTo(store),
      put: async (key, body, options) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return store.put(key, body, options);
      },
    };
    await engine({ closeSyncingStatusAfterMs: 0 }, delayed).syncNow();
    expect(statuses.filter((status) => status.sessionId === slow).map((status) => [status.state, status.objectsUploaded, status.objectsTotal])).toEqual([
      ['syncing', 0, 1],
      ['synced', 1, 1],
    ]);
    expect(statuses.at(-1)).toMatchObject({ sessionId: slow, syncedAt: new Date(now).toISOString() });
    expect(statuses.at(-1)!.bytesUploaded).toBeGreaterThan(0);
  });

  it('removes the chunks shipped while the session ran once its recording is stored', async () => {
    const id = await recordSession(230);
    const sync = engine();
    await sync.syncNow();
    const { prefix, objects } = await stored(id);
    expect(objects.map((object) => object.key)).toEqual([`${prefix}chunks/0000000001-0000000100.json.gz`, `${prefix}chunks/0000000101-0000000200.json.gz`]);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    await sync.syncNow();
    await expectStorageEqualsLocal(env.services, store, id);
    expect(statuses.at(-1)).toMatchObject({ state: 'synced', objectsUploaded: 1, objectsTotal: 1, pendingEvents: 0 });
  });

  it('marks the session SYNCED once the recording is stored, and removes the chunks later if storage fails in between', async () => {
    let listFailures = FAST.maxAttempts! + 1; // the first call and every retry
    const flaky: SyncObjectStore = {
      put: (key, body, options) => store.put(key, body, options),
      get: (key) => store.get(key),
      head: (key) => store.head(key),
      list: async (prefix) => {
        if (listFailures-- > 0) throw new AppError('STORAGE_UNAVAILABLE', 'storage went away after the recording was stored', { transient: true });
        return store.list(prefix);
      },
      presignGet: (key, seconds) => store.presignGet(key, seconds),
      delete: (key) => store.delete(key),
      deleteMany: (keys) => store.deleteMany(keys),
    };
    const sync = engine({}, flaky);
    const id = await recordSession(230);
    await sync.syncNow();
    await env.services.sessions.closeSession(id, 'COMPLETED');
    await sync.syncNow();
    expect(await env.services.sessions.getSession(id)).toMatchObject({ syncState: 'SYNCED' });
    expect(statuses.at(-1)).toMatchObject({ state: 'synced', objectsUploaded: 1, objectsTotal: 1 });
    const { prefix, objects } = await stored(id);
    expect(objects.filter((object) => object.key.startsWith(`${prefix}chunks/`))).toHaveLength(2);
    // The clean-up is due in SQLite, so the next pass (or the next launch) does it, once the breaker lets requests through.
    await new Promise((resolve) => setTimeout(resolve, FAST.halfOpenAfterMs! + 50));
    await sync.syncNow();
    await expectStorageEqualsLocal(env.services, store, id);
    expect(engineDb.prepare('SELECT storage_cleaned_at FROM sessions WHERE id = ?').pluck().get(id)).toBe(now);
  });

  it('re-uploads a recording storage lost or altered, and removes what the manifest does not name', async () => {
    const id = await recordSession(230);
    const sync = engine();
    await sync.syncNow();
    await env.services.sessions.closeSession(id, 'COMPLETED');
    await sync.syncNow();
    const { prefix } = await stored(id);
    // Storage alters the recording, and a chunk from a killed upload reappears.
    await store.put(recordingKey(prefix), new Uint8Array([1, 2, 3]), { contentType: 'application/octet-stream', metadata: { sha256: 'bad' } });
    await store.put(`${prefix}chunks/0000000101-0000000150.json.gz`, new Uint8Array([4]), { contentType: 'application/gzip', metadata: {} });
    engineDb.prepare("UPDATE sessions SET sync_state = 'PENDING' WHERE id = ?").run(id);
    await sync.syncNow();
    await expectStorageEqualsLocal(env.services, store, id);
  });

  it('seals segments while the session runs, merges them, and at close compresses only the events after the last one', async () => {
    const sync = engine({ segmentEvents: 40, segmentMergeFactor: 4 });
    const id = await recordSession(230);
    await sync.syncNow();
    const segments = () => engineDb.prepare<[string], { first_seq: number; last_seq: number; level: number }>('SELECT first_seq, last_seq, level FROM sync_segments WHERE session_id = ? ORDER BY first_seq').all(id);
    // 230 events: four level-0 segments of 40 merged into one of 160, then one more of 40; 30 wait.
    expect(segments()).toEqual([
      { first_seq: 1, last_seq: 160, level: 1 },
      { first_seq: 161, last_seq: 200, level: 0 },
    ]);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const { prefix } = await stored(id);
    await sync.syncNow();
    const recording = await store.get(recordingKey(prefix));
    expect(decodeSegmentedRecording(recording!.body, recordingKey(prefix)).events).toEqual(env.services.replay.getAllEvents(id));
    // The 30 waiting events were compressed on the last pass as a provisional tail; the close encoded only session_closed.
    expect(segmentRangesOf(recording!.body, recordingKey(prefix))).toEqual([
      [1, 160],
      [161, 200],
      [201, 230],
      [231, 231],
    ]);
    await expectStorageEqualsLocal(env.services, store, id);
  });

  it('re-encodes the tail at close when events arrived after the provisional one crossed a segment boundary', async () => {
    const sync = engine({ segmentEvents: 40, segmentMergeFactor: 4 });
    const id = await recordSession(230);
    await sync.syncNow();
    for (let i = 0; i < 15; i++) await env.services.sessions.recordEvent(id, { type: i % 2 === 0 ? 'blur' : 'focus', data: {} });
    await env.services.sessions.closeSession(id, 'COMPLETED');
    await sync.syncNow();
    const { prefix } = await stored(id);
    const recording = await store.get(recordingKey(prefix));
    // 246 events: 201..240 became a full segment, so the provisional 201..230 no longer followed the sealed ones.
    expect(segmentRangesOf(recording!.body, recordingKey(prefix))).toEqual([
      [1, 160],
      [161, 200],
      [201, 240],
      [241, 246],
    ]);
    await expectStorageEqualsLocal(env.services, store, id);
  });

  it('closes with one upload, the recording carrying its manifest, and a HEAD finding storage holds both before SYNCED; manifest.json follows', async () => {
    const id = await recordSession(230);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const { puts, requestsWhenSynced } = await syncWatchingPuts();
    const { prefix } = await stored(id);
    expect(requestsWhenSynced).toEqual([`PUT ${recordingKey(prefix)}`, `HEAD ${recordingKey(prefix)}`]);
    expect(puts).toEqual([recordingKey(prefix), manifestKey(prefix)]);
    await expectStorageEqualsLocal(env.services, store, id);
    // Every object stored carries the sha256 of its bytes.
    for (const key of [recordingKey(prefix), manifestKey(prefix)]) {
      const object = (await store.get(key))!;
      expect(object.info.metadata.sha256, key).toBe(sha256Hex(object.body));
    }
  });

  it('puts the recording again, before SYNCED, when the HEAD finds storage lost it right after accepting it', async () => {
    const id = await recordSession(230);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    let lose = true;
    const losing: SyncObjectStore = {
      ...delegateTo(store),
      put: async (key, body, options) => {
        const answer = await store.put(key, body, options);
        if (lose && key.endsWith('/recording')) {
          lose = false;
          await store.delete(key);
        }
        return answer;
      },
    };
    const { requestsWhenSynced } = await syncWatchingPuts(losing);
    const key = recordingKey((await stored(id)).prefix);
    expect(requestsWhenSynced).toEqual([`PUT ${key}`, `HEAD ${key}`, `PUT ${key}`, `HEAD ${key}`]);
    expect((await env.services.sessions.getSession(id)).syncState).toBe('SYNCED');
    await expectStorageEqualsLocal(env.services, store, id);
  });

  it('puts the recording again when storage kept the bytes but dropped the manifest from its metadata', async () => {
    const id = await recordSession(230);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    let drop = true;
    const dropping: SyncObjectStore = {
      ...delegateTo(store),
      put: (key, body, options) => {
        if (!drop || !key.endsWith('/recording')) return store.put(key, body, options);
        drop = false;
        const { [MANIFEST_METADATA_NAME]: _dropped, ...kept } = options.metadata;
        return store.put(key, body, { ...options, metadata: kept });
      },
    };
    const { requestsWhenSynced } = await syncWatchingPuts(dropping);
    const key = recordingKey((await stored(id)).prefix);
    expect(requestsWhenSynced).toEqual([`PUT ${key}`, `HEAD ${key}`, `PUT ${key}`, `HEAD ${key}`]);
    const manifest = JSON.parse(new TextDecoder().decode((await store.get(manifestKey((await stored(id)).prefix)))!.body)) as RecordingManifest;
    expect(manifestFromRecordingObject((await store.head(key))!)).toEqual(manifest);
  });

  it('gives up on the close after a bounded number of puts while storage never holds what was put, and tries it again only after a backoff', async () => {
    const id = await recordSession(230);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const heads: string[] = [];
    const forgetful: SyncObjectStore = { ...delegateTo(store), head: async (key) => (heads.push(key), null) };
    const sync = engine({}, forgetful);
    await sync.syncNow();
    expect(heads).toHaveLength(3);
    expect((await env.services.sessions.getSession(id)).syncState).not.toBe('SYNCED');
    const refused = statuses.at(-1)!;
    expect(refused).toMatchObject({ sessionId: id, state: 'offline', message: expect.stringContaining('it is missing') });
    // At least half the poll interval away (half jitter), and said so by statusOf too.
    expect(refused.retryInMs).toBeGreaterThanOrEqual(FAST.pollIntervalMs! / 2);
    expect(sync.statusOf(id)).toMatchObject({ state: 'offline', retryInMs: refused.retryInMs });
    await sync.syncNow();
    expect(heads).toHaveLength(3);
    now += refused.retryInMs!;
    await sync.syncNow();
    expect(heads).toHaveLength(6);
  });

  it('takes the checked answer to the PUT as it stands when the keys may write but not read, and does not ask to list on every pass', async () => {
    const id = await recordSession(230);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const refused = (operation: string) => new AppError('STORAGE_AUTH_FAILED', `Access Denied (HTTP 403) for a ${operation}`, { transient: false, status: 403, awsCode: 'AccessDenied' });
    const asked: string[] = [];
    const writeOnly: SyncObjectStore = {
      ...delegateTo(store),
      head: async () => (asked.push('head'), Promise.reject(refused('HEAD'))),
      list: async () => (asked.push('list'), Promise.reject(refused('LIST'))),
      deleteMany: async () => (asked.push('delete'), Promise.reject(refused('DELETE'))),
    };
    const sync = engine({}, writeOnly);
    await sync.syncNow();
    expect(sync.haltedBy).toBeNull();
    expect((await env.services.sessions.getSession(id)).syncState).toBe('SYNCED');
    await expectStorageEqualsLocal(env.services, store, id);
    // The clean-up is noted done: the listing it was refused would be refused again.
    expect(engineDb.prepare('SELECT storage_cleaned_at FROM sessions WHERE id = ?').pluck().get(id)).toBe(now);
    await sync.syncNow();
    expect(asked).toEqual(['head', 'list']);
  });

  it('asks once and notes the clean-up done when the keys may list but not delete: S3 names the refused keys in a 200 answer', async () => {
    const proxy = await startFaultProxy({ target: s3.endpoint });
    const viaProxy = storeOn(s3, { endpoint: proxy.endpoint });
    try {
      const id = await recordSession(230);
      // A breaker that one counted failure would open: the refusal must not be one.
      const sync = engine({ breakerThreshold: 1 }, viaProxy);
      await sync.syncNow();
      const { prefix } = await stored(id);
      const chunks = (await store.list(prefix)).map((object) => object.key);
      expect(chunks.length).toBeGreaterThan(0);
      await proxy.setMode({ kind: 'respond', status: 200, body: deleteObjectsRefusedXml(chunks.map((key) => ({ key, code: 'AccessDenied' }))), only: isDeleteObjectsRequest });
      const running = await recordSession(230);
      await env.services.sessions.closeSession(id, 'COMPLETED');
      await sync.syncNow();
      expect((await env.services.sessions.getSession(id)).syncState).toBe('SYNCED');
      // One DeleteObjects, not retried: a refusal is not a failing store, so the breaker stays shut and the running session's chunks go on in the same pass.
      expect(proxy.log.filter(isDeleteObjectsRequest)).toHaveLength(1);
      expect(engineDb.prepare('SELECT storage_cleaned_at FROM sessions WHERE id = ?').pluck().get(id)).toBe(now);
      expect(sync.statusOf(running)).toMatchObject({ state: 'syncing' });
      expect(sync.haltedBy).toBeNull();
      await sync.syncNow();
      expect(proxy.log.filter(isDeleteObjectsRequest)).toHaveLength(1);
      // What it could not remove stays, for the bucket's lifecycle rules.
      expect((await store.list(prefix)).map((object) => object.key)).toEqual(expect.arrayContaining(chunks));
    } finally {
      viaProxy.dispose();
      await proxy.close();
    }
  });

  it('leaves the clean-up for a later pass when the credentials themselves are refused during it, rather than noting it done', async () => {
    const id = await recordSession(230);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    let expired = true;
    const lists: string[] = [];
    const expiring: SyncObjectStore = {
      ...delegateTo(store),
      list: async (prefix) => {
        lists.push(prefix);
        if (expired) throw new AppError('STORAGE_AUTH_FAILED', 'ExpiredToken: The provided token has expired.', { transient: false, status: 400, awsCode: 'ExpiredToken' });
        return store.list(prefix);
      },
    };
    const sync = engine({}, expiring);
    await sync.syncNow();
    expect((await env.services.sessions.getSession(id)).syncState).toBe('SYNCED');
    expect(engineDb.prepare('SELECT storage_cleaned_at FROM sessions WHERE id = ?').pluck().get(id)).toBeNull();
    const listedWhileExpired = lists.length;
    expired = false;
    await sync.syncNow();
    expect(lists.length).toBeGreaterThan(listedWhileExpired);
    expect(engineDb.prepare('SELECT storage_cleaned_at FROM sessions WHERE id = ?').pluck().get(id)).toBe(now);
    const { prefix } = await stored(id);
    expect((await store.list(prefix)).map((object) => object.key)).toEqual([recordingKey(prefix), manifestKey(prefix)].sort());
  });

  it('gives no countdown while halted, even to a session that was waiting on its own backoff', async () => {
    const running = await recordSession(230);
    const refusing: SyncObjectStore = {
      ...delegateTo(store),
      put: async (key) => {
        if (key.includes('/chunks/')) throw new AppError('STORAGE_FAILED', 'the server does not know this session', { transient: false });
        throw new AppError('STORAGE_AUTH_FAILED', 'InvalidAccessKeyId: check AWS_ACCESS_KEY_ID', { transient: false, status: 403 });
      },
    };
    const sync = engine({}, refusing);
    await sync.syncNow();
    expect(statuses.at(-1)).toMatchObject({ sessionId: running, state: 'offline', retryInMs: expect.any(Number) });
    // Within that backoff, a closed session's upload is refused for the app's credentials.
    now += 1;
    const closed = await recordSession(20);
    await env.services.sessions.closeSession(closed, 'COMPLETED');
    await sync.syncNow();
    expect(sync.haltedBy).toMatchObject({ code: 'STORAGE_AUTH_FAILED' });
    expect(statuses.filter((status) => status.sessionId === running).at(-1)).toMatchObject({ state: 'auth_failed', retryInMs: null });
    expect(sync.statusOf(running)).toMatchObject({ state: 'auth_failed', retryInMs: null });
  });

  it('tries a session refused while it ran at once when it has closed since, whatever its backoff', async () => {
    const id = await recordSession(230);
    let refuseChunks = true;
    const refusing: SyncObjectStore = {
      ...delegateTo(store),
      put: async (key, body, options) => {
        if (refuseChunks) throw new AppError('STORAGE_FAILED', 'the server does not know this session', { transient: false });
        return store.put(key, body, options);
      },
    };
    const sync = engine({}, refusing);
    // Refused pass after pass while it runs, its backoff grows.
    for (let pass = 0; pass < 4; pass++) {
      await sync.syncNow();
      now += 60_000;
    }
    expect(statuses.at(-1)).toMatchObject({ sessionId: id, state: 'offline', retryInMs: expect.any(Number) });
    expect(statuses.at(-1)!.retryInMs).toBeGreaterThan(FAST.pollIntervalMs!);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    // Its final upload is tried at once, and refused, waits from the first step again.
    await sync.syncNow();
    expect(statuses.at(-1)).toMatchObject({ sessionId: id, state: 'offline' });
    expect(statuses.at(-1)!.retryInMs).toBeLessThanOrEqual(FAST.pollIntervalMs!);
    refuseChunks = false;
    now += 60_000;
    await sync.syncNow();
    expect((await env.services.sessions.getSession(id)).syncState).toBe('SYNCED');
  });

  it('writes manifest.json on a later pass when storage failed after the recording was stored', async () => {
    const flaky = failingManifestPuts(store);
    const id = await recordSession(230);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const sync = engine({}, flaky);
    await sync.syncNow();
    const { prefix, objects } = await stored(id);
    expect(await env.services.sessions.getSession(id)).toMatchObject({ syncState: 'SYNCED' });
    expect(objects.map((object) => object.key)).toEqual([recordingKey(prefix)]);
    const { lastSeq } = await env.services.sessions.getSession(id);
    expect(manifestFromRecordingObject((await store.head(recordingKey(prefix)))!)).toMatchObject({ sessionId: id, lastSeq });
    expect(engineDb.prepare('SELECT storage_cleaned_at FROM sessions WHERE id = ?').pluck().get(id)).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, FAST.halfOpenAfterMs! + 50)); // the breaker opened on those failures
    await sync.syncNow();
    await expectStorageEqualsLocal(env.services, store, id);
  });

  it('names in a manifest.json rebuilt from SQLite the codec its row records, v1 for a row from before schema 5', async () => {
    const id = await recordSession(120);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const sync = engine({}, failingManifestPuts(store));
    await sync.syncNow();
    expect(engineDb.prepare("SELECT codec FROM sync_objects WHERE session_id = ? AND kind = 'recording'").pluck().get(id)).toBe(SEGMENTED_RECORDING_CODEC);
    // As an earlier version left it: SYNCED, not cleaned up, its recording's row without a codec.
    engineDb.prepare("UPDATE sync_objects SET codec = NULL WHERE session_id = ? AND kind = 'recording'").run(id);
    await new Promise((resolve) => setTimeout(resolve, FAST.halfOpenAfterMs! + 50));
    await sync.syncNow();
    const { prefix } = await stored(id);
    const manifest = JSON.parse(new TextDecoder().decode((await store.get(manifestKey(prefix)))!.body)) as RecordingManifest;
    expect(manifest.objects.map((object) => object.codec)).toEqual([SEGMENTED_RECORDING_CODEC_V1]);
  });

  it('puts manifest.json alongside the recording, before SYNCED, when the metadata cannot carry the whole candidate id', async () => {
    // 150 CJK characters: 1,350 bytes percent-encoded, cut in `candidate` to fit S3's 2 KB of metadata.
    const { id } = await env.services.sessions.createSession('漢'.repeat(150));
    await env.services.sessions.recordEvent(id, { type: 'blur', data: {} });
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const { putsWhenSynced } = await syncWatchingPuts();
    const { prefix } = await stored(id);
    expect([...(putsWhenSynced ?? [])].sort()).toEqual([recordingKey(prefix), manifestKey(prefix)].sort());
    await expectStorageEqualsLocal(env.services, store, id, { manifestInRecording: false });
    // The head alone, then, so an upload that would replace the recording can be checked against it.
    const manifest = JSON.parse(new TextDecoder().decode((await store.get(manifestKey(prefix)))!.body)) as RecordingManifest;
    expect((await store.head(recordingKey(prefix)))!.metadata.headhash).toBe(manifest.headHash);
  });

  it('puts again what storage stored damaged: an ETag that is not the MD5 of the bytes sent', async () => {
    const id = await recordSession(150);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const damaging = editingFirstRecordingPut(store, (body) => {
      const flipped = body.slice();
      flipped[flipped.length - 1]! ^= 0xff; // one bit of the last byte, as a bad link might
      return flipped;
    });
    await engine({}, damaging.store).syncNow();
    expect(damaging.edited).toHaveLength(1);
    await expectStorageEqualsLocal(env.services, store, id);
  });

  it('hashes the recording anew when its bytes do not match the digests kept for them, and puts it again', async () => {
    const id = await recordSession(150);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const changing = editingFirstRecordingPut(store, (body) => {
      body[body.length - 1]! ^= 0xff; // the bytes themselves, after their digests were taken
      return body;
    });
    const sync = engine({}, changing.store);
    await sync.syncNow();
    expect(changing.edited).toHaveLength(1);
    expect(statuses.at(-1)).toMatchObject({ state: 'offline', message: expect.stringMatching(/is not that of its bytes/) });
    expect((await env.services.sessions.getSession(id)).syncState).toBe('PENDING');
    await sync.syncNow();
    expect((await env.services.sessions.getSession(id)).syncState).toBe('SYNCED');
    await expectStorageEqualsLocal(env.services, store, id);
  });

  it('writes nothing between the close and its upload: a closed session goes from LOCAL_ONLY to SYNCED', async () => {
    const id = await recordSession(150);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const statesAtPut: string[] = [];
    const watching = editingRecordingPuts(store, (body) => {
      statesAtPut.push(engineDb.prepare<[string], { sync_state: string }>('SELECT sync_state FROM sessions WHERE id = ?').get(id)!.sync_state);
      return body;
    });
    await engine({}, watching).syncNow();
    expect(statesAtPut).toEqual(['LOCAL_ONLY']);
    expect((await env.services.sessions.getSession(id)).syncState).toBe('SYNCED');
  });

  it('uploads nothing twice under another key when a pass is repeated', async () => {
    const id = await recordSession(150);
    await env.services.sessions.closeSession(id, 'COMPLETED');
    await engine().syncNow();
    const first = (await stored(id)).objects.map((object) => [object.key, object.size]);
    // Forget the local state entirely: a fresh engine re-derives the same keys and bytes.
    engineDb.prepare('DELETE FROM sync_objects').run();
    engineDb.prepare("UPDATE sessions SET sync_state = 'PENDING' WHERE id = ?").run(id);
    await engine().syncNow();
    expect((await stored(id)).objects.map((object) => [object.key, object.size])).toEqual(first);
    await expectStorageEqualsLocal(env.services, store, id);
  });

  it('syncs a session closed while a pass runs in one more pass right after it, not at the next tick', async () => {
    const id = await recordSession(150);
    const holding = holdingFirstChunkPut(store);
    const sync = engine({}, holding.store);
    const running = sync.syncNow();
    await holding.held;
    // The running pass listed the session while it was open: it ships a chunk and stops there.
    await env.services.sessions.closeSession(id, 'COMPLETED');
    const nudged = sync.syncNow();
    expect(sync.syncNow()).toBe(nudged);
    holding.release();
    await running;
    expect((await env.services.sessions.getSession(id)).syncState).not.toBe('SYNCED');
    await nudged;
    expect((await env.services.sessions.getSession(id)).syncState).toBe('SYNCED');
    await expectStorageEqualsLocal(env.services, store, id);
  });

  it('uploads a closed session before the chunks of an older session still running', async () => {
    const running = await recordSession(150);
    now += 60_000;
    const closed = await recordSession(120);
    await env.services.sessions.closeSession(closed, 'COMPLETED');
    const { puts } = await syncWatchingPuts();
    const closedPrefix = (await stored(closed)).prefix;
    expect(puts[0]).toBe(recordingKey(closedPrefix));
    expect(puts).toContain(recordingChunkKey((await stored(running)).prefix, 1, 100));
    await expectStorageEqualsLocal(env.services, store, closed);
  });

  it('stops once the pass asked to follow the running one has ended too', async () => {
    const id = await recordSession(150);
    const holding = holdingFirstChunkPut(store);
    const sync = engine({}, holding.store);
    void sync.syncNow();
    await holding.held;
    await env.services.sessions.closeSession(id, 'COMPLETED');
    void sync.syncNow();
    const stopped = sync.stop();
    holding.release();
    await stopped;
    expect((await env.services.sessions.getSession(id)).syncState).toBe('SYNCED');
  });

  it('waits at stop for every pass asked for, even past one that fails, then reports the failure', async () => {
    const id = await recordSession(150);
    const chunkHeld = holdingFirstChunkPut(store);
    const recordingHeld = holdingFirstPut(chunkHeld.store, (key) => key.endsWith('/recording'));
    let closed = false;
    // A status listener that breaks once the session is closed makes each pass after that fail.
    const onStatus = () => {
      if (closed) throw new Error('the status listener broke');
    };
    const sync = new SyncEngine({ db: engineDb, store: recordingHeld.store, settings: FAST, now: () => now, onStatus });
    void sync.syncNow().catch(() => {});
    await chunkHeld.held;
    await env.services.sessions.closeSession(id, 'COMPLETED');
    closed = true;
    void sync.syncNow().catch(() => {});
    const stopped = sync.stop();
    chunkHeld.release();
    // The follow-up puts the recording; one more pass is asked for while it does.
    await recordingHeld.held;
    void sync.syncNow().catch(() => {});
    recordingHeld.release();
    await expect(stopped).rejects.toThrow('the status listener broke');
    // That last pass has run too: it finds the session SYNCED but not cleaned up (the pass that
    // stored the recording failed at its status) and does the clean-up.
    await expectStorageEqualsLocal(env.services, store, id);
    expect(engineDb.prepare('SELECT storage_cleaned_at FROM sessions WHERE id = ?').pluck().get(id)).toBe(now);
  });

  it('keeps recording through a whole outage, reports offline, and catches up once storage is back', async () => {
    await s3.stop();
    try {
      const id = await recordSession(330);
      await env.services.sessions.closeSession(id, 'COMPLETED');
      const sync = engine();
      await sync.syncNow();
      expect(statuses.at(-1)).toMatchObject({ sessionId: id, state: 'offline', pendingEvents: 331 });
      expect(statuses.at(-1)!.retryInMs).toBeGreaterThan(0);
      expect((await env.services.sessions.getSessionStats(id)).eventCount).toBe(331);
      await s3.start();
      await new Promise((resolve) => setTimeout(resolve, 250)); // the breaker's half-open wait
      await sync.syncNow();
      await expectStorageEqualsLocal(env.services, store, id);
    } finally {
      await s3.start().catch(() => {});
    }
  });

  it('finishes even when the clock moves backwards mid-session', async () => {
    const id = await recordSession(120);
    const sync = engine();
    await sync.syncNow();
    now -= 3_600_000;
    await env.services.sessions.recordEvent(id, { type: 'focus', data: {} });
    await env.services.sessions.closeSession(id, 'COMPLETED');
    await sync.syncNow();
    await expectStorageEqualsLocal(env.services, store, id);
    expect(await env.services.sessions.verifySession(id)).toMatchObject({ valid: true });
  });
});
