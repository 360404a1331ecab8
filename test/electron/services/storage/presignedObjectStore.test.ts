import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../../../shared/errors';
import type { UploadObject } from '../../../../shared/sync/syncServerContract';
import { PresignedObjectStore, type UploadUrlIssuer } from '../../../../electron/services/storage/presignedObjectStore';
import { sha256Hex } from '../../../../electron/services/storage/recordingCodec';
import { S3ObjectStore } from '../../../../electron/services/storage/s3ObjectStore';
import { SyncServerClient } from '../../../../electron/services/sync/syncServerClient';
import { startFaultProxy } from '../../../helpers/faultProxy';
import { startReferenceSyncServer, type ReferenceSyncServer } from '../../../helpers/referenceSyncServer';
import { startLocalS3, storeOn, type LocalS3 } from '../../../helpers/s3rverServer';
import { rejectionOf } from '../../../helpers/tempServices';

const SESSION = 'ses_presigned';
const TOKEN = 'tok_interview_1';
const PREFIX = `sessions/2026/11/29/${SESSION}/`;
const CHUNK = `${PREFIX}chunks/0000000001-0000000100.json.gz`;

const bytes = (text: string) => new TextEncoder().encode(text);
const META = { candidate: 'cand_1', sessionid: SESSION, codec: 'gzip+json/v1' };

describe('PresignedObjectStore: uploads through URLs the InterviewLM server signs', () => {
  let s3: LocalS3;
  let server: ReferenceSyncServer;
  /** The test's own view of the bucket, with s3rver's keys: the store under test never gets them. */
  let bucket: S3ObjectStore;

  beforeAll(async () => {
    s3 = await startLocalS3();
    server = await startReferenceSyncServer({ storage: s3 });
    server.admit(SESSION, TOKEN);
    bucket = storeOn(s3);
  });
  afterAll(async () => {
    bucket.dispose();
    await server.close();
    await s3.dispose();
  });

  /** The real client, counting the URLs it is asked for. */
  function countingIssuer(client: SyncServerClient) {
    const asked: UploadObject[] = [];
    const issuer: UploadUrlIssuer = {
      requestUploadUrls: (sessionId, objects) => {
        asked.push(...objects);
        return client.requestUploadUrls(sessionId, objects);
      },
    };
    return { issuer, asked };
  }

  it('puts the bytes with their sha256 and metadata, holding nothing but the API URL and the interview token', async () => {
    const client = new SyncServerClient({ apiUrl: server.url, token: TOKEN });
    const store = new PresignedObjectStore({ issuer: client });
    const body = bytes('chunk one');
    const { etag } = await store.put(CHUNK, body, { contentType: 'application/gzip', metadata: META });
    const stored = await bucket.get(CHUNK);
    expect(stored?.body).toEqual(body);
    expect(stored?.info).toMatchObject({ etag, metadata: { ...META, sha256: sha256Hex(body) } });
  });

  it('says the ETag is not the MD5 of the bytes when storage answers that it encrypted them with KMS', async () => {
    const client = new SyncServerClient({ apiUrl: server.url, token: TOKEN });
    const body = bytes('chunk under kms');
    const plain = await new PresignedObjectStore({ issuer: client }).put(CHUNK, body, { contentType: 'application/gzip', metadata: META });
    expect(plain.etagIsMd5).toBe(true);
    // s3rver does not encrypt: the uploads' answers get the header S3 sends when it does.
    const encryptingFetch: typeof fetch = async (input, init) => {
      const answer = await fetch(input, init);
      const headers = new Headers(answer.headers);
      headers.set('x-amz-server-side-encryption', 'aws:kms');
      return new Response(await answer.arrayBuffer(), { status: answer.status, headers });
    };
    const encrypted = await new PresignedObjectStore({ issuer: client, fetch: encryptingFetch }).put(CHUNK, body, { contentType: 'application/gzip', metadata: META });
    expect(encrypted).toMatchObject({ etag: plain.etag, etagIsMd5: false });
  });

  it('is handed URLs that carry a SigV4 signature, the server\'s credential, an expiry, and sign every header it sends', async () => {
    const client = new SyncServerClient({ apiUrl: server.url, token: TOKEN });
    const body = bytes('signed');
    const [upload] = await client.requestUploadUrls(SESSION, [{ key: CHUNK, sha256: sha256Hex(body), size: body.length, contentType: 'application/gzip', metadata: META }]);
    // s3rver does not check signatures, so the URL itself is the evidence.
    const query = new URL(upload!.url).searchParams;
    expect(query.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(query.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(query.get('X-Amz-Credential')).toMatch(new RegExp(`^${s3.accessKeyId}/\\d{8}/${s3.region}/s3/aws4_request$`));
    expect(query.get('X-Amz-Expires')).toBe('900');
    expect(upload!.lifetimeMs).toBeGreaterThan(895_000);
    expect(upload!.lifetimeMs).toBeLessThanOrEqual(901_000);
    // Metadata and checksum travel as signed headers (not hoisted into the query), so the client cannot alter them.
    const signed = query.get('X-Amz-SignedHeaders')!.split(';');
    expect(Object.keys(upload!.headers).sort()).toEqual(signed.filter((name) => name !== 'host').sort());
    expect(upload!.headers).toMatchObject({
      'content-type': 'application/gzip',
      'x-amz-meta-sha256': sha256Hex(body),
      'x-amz-meta-candidate': 'cand_1',
      'x-amz-checksum-sha256': Buffer.from(sha256Hex(body), 'hex').toString('base64'),
    });
    expect([...query.keys()].filter((name) => name.startsWith('x-amz-meta-'))).toEqual([]);
  });

  it('reuses a URL for the same bytes until shortly before it expires, and asks again for new bytes', async () => {
    let now = Date.now();
    const { issuer, asked } = countingIssuer(new SyncServerClient({ apiUrl: server.url, token: TOKEN }));
    const store = new PresignedObjectStore({ issuer, now: () => now, renewBeforeExpiryMs: 60_000 });
    const put = (text: string) => store.put(CHUNK, bytes(text), { contentType: 'application/gzip', metadata: META });
    await put('same');
    await put('same');
    expect(asked).toHaveLength(1);
    now += 900_000 - 90_000;
    await put('same');
    expect(asked).toHaveLength(1);
    now += 40_000; // within a minute of expiry
    await put('same');
    expect(asked).toHaveLength(2);
    await put('other bytes, same key');
    expect(asked).toHaveLength(3);
    expect((await bucket.get(CHUNK))?.body).toEqual(bytes('other bytes, same key'));
  });

  it('refuses a key outside the session\'s folder: the server signs nothing, and the store does not even ask for keys in no session', async () => {
    const client = new SyncServerClient({ apiUrl: server.url, token: TOKEN });
    const body = bytes('x');
    const object = (key: string): UploadObject => ({ key, sha256: sha256Hex(body), size: 1, contentType: 'application/gzip', metadata: {} });
    for (const key of [`sessions/2026/11/29/ses_someone_else/recording`, `${PREFIX}../ses_someone_else/recording`, 'index.html']) {
      const error = await rejectionOf(client.requestUploadUrls(SESSION, [object(`${PREFIX}chunks/fine.json.gz`), object(key)]));
      expect(error).toMatchObject({ code: 'STORAGE_AUTH_FAILED', details: { status: 403, serverCode: 'key_outside_session', transient: false } });
      expect(server.log.at(-1)).toMatchObject({ route: 'uploadUrls', status: 403, code: 'key_outside_session' });
    }
    expect(await bucket.head(`${PREFIX}chunks/fine.json.gz`)).toBeNull();

    const requests = server.log.length;
    const store = new PresignedObjectStore({ issuer: client });
    expect(await rejectionOf(store.put('exports/all.json', body, { contentType: 'application/json', metadata: {} }))).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(server.log.length).toBe(requests);
  });

  it('maps the server refusing the token to STORAGE_AUTH_FAILED, and an unknown session to STORAGE_FAILED', async () => {
    server.admit('ses_other', 'tok_other');
    const body = bytes('x');
    const object: UploadObject = { key: CHUNK, sha256: sha256Hex(body), size: 1, contentType: 'application/gzip', metadata: {} };
    const ask = (token: string, sessionId = SESSION) => rejectionOf(new SyncServerClient({ apiUrl: server.url, token }).requestUploadUrls(sessionId, [object]));
    const unknownToken = await ask('tok_wrong');
    expect(unknownToken).toMatchObject({ code: 'STORAGE_AUTH_FAILED', details: { status: 401, serverCode: 'unauthorized', transient: false } });
    expect(unknownToken.message).toContain('INTERVIEWLM_API_TOKEN');
    expect(await ask('tok_other')).toMatchObject({ code: 'STORAGE_AUTH_FAILED', details: { status: 403, serverCode: 'forbidden' } });
    expect(await ask(TOKEN, 'ses_nobody')).toMatchObject({ code: 'STORAGE_FAILED', details: { status: 404, serverCode: 'session_not_found', transient: false } });
  });

  it('treats an unreachable server as transient', async () => {
    const proxy = await startFaultProxy({ target: server.url });
    await proxy.setMode({ kind: 'outage', how: 'refuse' });
    try {
      const store = new PresignedObjectStore({ issuer: new SyncServerClient({ apiUrl: proxy.endpoint, token: TOKEN }) });
      const error = await rejectionOf(store.put(CHUNK, bytes('x'), { contentType: 'application/gzip', metadata: {} }));
      expect(error).toMatchObject({ code: 'STORAGE_UNAVAILABLE', details: { operation: 'uploadUrls', transient: true } });
      expect(error.message).toMatch(/ECONNREFUSED/);
    } finally {
      await proxy.close();
    }
  });

  it('rejects a malformed answer for upload URLs as a typed error, and never PUTs to it', async () => {
    const proxy = await startFaultProxy({ target: server.url });
    const json = { 'content-type': 'application/json' };
    const key = `${PREFIX}chunks/malformed.json.gz`;
    const future = new Date(Date.now() + 600_000).toISOString();
    const answers: { body: string; headers?: Record<string, string>; problem: RegExp }[] = [
      { body: '<html>Sign in to the hotel Wi-Fi</html>', headers: { 'content-type': 'text/html' }, problem: /not JSON/ },
      { body: JSON.stringify({ uploads: [{ key, url: 'javascript:alert(1)', method: 'PUT', headers: {}, expiresAt: future }] }), problem: /uploads\.0\.url/ },
      { body: JSON.stringify({ uploads: [{ key, url: `${s3.endpoint}/x`, method: 'POST', headers: {}, expiresAt: future }] }), problem: /uploads\.0\.method/ },
      { body: JSON.stringify({ uploads: [{ key, url: `${s3.endpoint}/x`, method: 'PUT', headers: { 'x-amz-meta-a': 'line\r\nbreak' }, expiresAt: future }] }), problem: /headers/ },
      { body: JSON.stringify({ uploads: [{ key: `${PREFIX}recording.json.gz`, url: `${s3.endpoint}/x`, method: 'PUT', headers: {}, expiresAt: future }] }), problem: /no URL for/ },
      { body: JSON.stringify({ uploads: [{ key, url: `${s3.endpoint}/x`, method: 'PUT', headers: {}, expiresAt: '2001-01-01T00:00:00Z' }] }), problem: /expires at/ },
    ];
    try {
      const store = new PresignedObjectStore({ issuer: new SyncServerClient({ apiUrl: proxy.endpoint, token: TOKEN }) });
      for (const answer of answers) {
        await proxy.setMode({ kind: 'respond', status: 200, body: answer.body, headers: answer.headers ?? json });
        const error = await rejectionOf(store.put(key, bytes('x'), { contentType: 'application/gzip', metadata: {} }));
        expect(error, answer.body).toMatchObject({ code: 'STORAGE_FAILED', details: { operation: 'uploadUrls', malformed: true, transient: false } });
        expect(error.message).toMatch(answer.problem);
      }
      expect(await bucket.head(key)).toBeNull();
    } finally {
      await proxy.close();
    }
  });

  describe('when storage answers the PUT badly', () => {
    const s3Error = (code: string) => `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected</Message></Error>`;

    it('reports 5xx, throttling and resets as transient (keeping the URL for the retry), and a missing bucket as such', async () => {
      // The server signs URLs for the proxy, so the PUTs themselves pass through it.
      const proxy = await startFaultProxy({ target: s3.endpoint });
      const signingServer = await startReferenceSyncServer({ storage: { ...s3, endpoint: proxy.endpoint } });
      signingServer.admit(SESSION, TOKEN);
      try {
        const { issuer, asked } = countingIssuer(new SyncServerClient({ apiUrl: signingServer.url, token: TOKEN }));
        const store = new PresignedObjectStore({ issuer });
        const put = () => store.put(CHUNK, bytes('x'), { contentType: 'application/gzip', metadata: {} });
        await proxy.setMode({ kind: 'respond', status: 503, body: s3Error('ServiceUnavailable') });
        expect(await rejectionOf(put())).toMatchObject({ code: 'STORAGE_UNAVAILABLE', details: { operation: 'put', status: 503, awsCode: 'ServiceUnavailable', transient: true } });
        await proxy.setMode({ kind: 'respond', status: 400, body: s3Error('RequestTimeout') });
        expect(await rejectionOf(put())).toMatchObject({ code: 'STORAGE_UNAVAILABLE', details: { awsCode: 'RequestTimeout', transient: true } });
        await proxy.setMode({ kind: 'outage', how: 'reset' });
        expect(await rejectionOf(put())).toMatchObject({ code: 'STORAGE_UNAVAILABLE', details: { operation: 'put', transient: true } });
        await proxy.setMode({ kind: 'pass-through' });
        await put();
        expect(asked).toHaveLength(1);
        await proxy.setMode({ kind: 'respond', status: 404, body: s3Error('NoSuchBucket') });
        expect(await rejectionOf(put())).toMatchObject({ code: 'STORAGE_BUCKET_MISSING', details: { transient: false } });
      } finally {
        await signingServer.close();
        await proxy.close();
      }
    });

    it('reports a fresh URL storage refuses as STORAGE_AUTH_FAILED: the server\'s credentials are wrong, not ours', async () => {
      const misconfigured = await startReferenceSyncServer({ storage: { ...s3, accessKeyId: 'NOT-A-KEY-S3RVER-KNOWS' } });
      misconfigured.admit(SESSION, TOKEN);
      try {
        const store = new PresignedObjectStore({ issuer: new SyncServerClient({ apiUrl: misconfigured.url, token: TOKEN }) });
        const refused = await rejectionOf(store.put(CHUNK, bytes('x'), { contentType: 'application/gzip', metadata: {} }));
        expect(refused).toMatchObject({ code: 'STORAGE_AUTH_FAILED', details: { operation: 'put', status: 403, awsCode: 'InvalidAccessKeyId', transient: false } });
        expect(refused.message).toMatch(/nothing on this computer can fix it/);
      } finally {
        await misconfigured.close();
      }
    });

    it('replaces a cached URL that has expired after all (a laptop asleep, a clock adrift) once, and succeeds', async () => {
      // 2 s, not 1: X-Amz-Date has whole seconds, so a 1 s URL may have well under a second left when used on a busy machine.
      const shortLived = await startReferenceSyncServer({ storage: s3, urlLifetimeSeconds: 2 });
      shortLived.admit(SESSION, TOKEN);
      try {
        const { issuer, asked } = countingIssuer(new SyncServerClient({ apiUrl: shortLived.url, token: TOKEN }));
        // The store's clock stands still, so it believes its URL is still good.
        const now = Date.now();
        const store = new PresignedObjectStore({ issuer, now: () => now });
        const put = (text: string) => store.put(CHUNK, bytes(text), { contentType: 'application/gzip', metadata: {} });
        await put('first');
        await new Promise((resolve) => setTimeout(resolve, 3_100)); // s3rver now answers 403 "Request has expired"
        await put('first');
        expect(asked).toHaveLength(2);
        expect((await bucket.get(CHUNK))?.body).toEqual(bytes('first'));
      } finally {
        await shortLived.close();
      }
    });
  });

  it('cannot read, list, delete or presign: this machine holds no storage credentials', async () => {
    const store = new PresignedObjectStore({ issuer: new SyncServerClient({ apiUrl: server.url, token: TOKEN }) });
    expect(store.canList).toBe(false);
    for (const attempt of [store.get(CHUNK), store.head(CHUNK), store.list(PREFIX), store.delete(CHUNK), store.presignGet(CHUNK)]) {
      const error = await rejectionOf(attempt);
      expect(isAppError(error, 'STORAGE_NOT_CONFIGURED')).toBe(true);
      expect(error.message).toMatch(/holds no storage credentials/);
    }
  });
});
