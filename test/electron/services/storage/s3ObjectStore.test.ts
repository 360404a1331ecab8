import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore, s3ClientConfig, s3StoreOptionsFrom } from '../../../../electron/services/storage/s3ObjectStore';
import { isPermissionRefusal } from '../../../../electron/services/storage/storageErrors';
import { AppError } from '../../../../shared/errors';
import { startFaultProxy, type FaultProxy } from '../../../helpers/faultProxy';
import { startLocalS3, type LocalS3 } from '../../../helpers/s3rverServer';
import { rejectionOf } from '../../../helpers/tempServices';
import { INVALID_ACCESS_KEY_XML, deleteObjectsRefusedXml, isDeleteObjectsRequest, storeOn } from './storageFixtures';

/**
 * s3rver in a child process with OpenSSL's legacy provider, the only way its paginated
 * listings work under Node 20 (see s3rverChild.ts).
 */
async function startPagingS3(): Promise<{ s3: LocalS3; dispose: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', join(import.meta.dirname, 's3rverChild.ts')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const info = JSON.parse(line) as Pick<LocalS3, 'endpoint' | 'bucket' | 'region' | 'accessKeyId' | 'secretAccessKey'>;
  const unsupported = () => Promise.reject(new Error('not supported for the child-process server'));
  return {
    s3: { ...info, port: Number(new URL(info.endpoint).port), stop: unsupported, start: unsupported, dispose: unsupported },
    dispose: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

const bytes = (text: string) => new TextEncoder().encode(text);
const put = (store: S3ObjectStore, key: string, text = key) => store.put(key, bytes(text), { contentType: 'text/plain', metadata: { sha256: 'x' } });

describe('S3ObjectStore against s3rver, directly and through the fault proxy', () => {
  let s3: LocalS3;
  let proxy: FaultProxy;
  const stores: S3ObjectStore[] = [];
  const track = (store: S3ObjectStore) => (stores.push(store), store);
  const disposers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    s3 = await startLocalS3();
    proxy = await startFaultProxy({ target: s3.endpoint, seed: 7 });
  });
  afterAll(async () => {
    await proxy?.close();
    await s3?.dispose();
  });
  afterEach(async () => {
    await proxy.setMode({ kind: 'pass-through' });
    proxy.resetStats();
    for (const store of stores.splice(0)) store.dispose();
    for (const dispose of disposers.splice(0).reverse()) await dispose();
  });

  it('signs the payload with the sha256 a put is given, instead of hashing the body again', async () => {
    // A loopback server that keeps each request's headers (s3rver does not check payload hashes; S3 does).
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      req.resume().on('end', () => res.writeHead(200, { etag: '"0123456789abcdef0123456789abcdef"' }).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    disposers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const store = track(storeOn({ ...s3, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
    const body = bytes('a recording');
    const given = 'f'.repeat(64); // not the body's hash: proves the header is what is signed, not a recomputation
    await store.put('k/given', body, { contentType: 'application/octet-stream', metadata: {}, sha256: given });
    await store.put('k/computed', body, { contentType: 'application/octet-stream', metadata: {} });
    expect(seen.map((headers) => headers['x-amz-content-sha256'])).toEqual([given, createHash('sha256').update(body).digest('hex')]);
    expect(seen[0]!.authorization).toMatch(/SignedHeaders=[^,]*x-amz-content-sha256/);
  });

  it('puts, heads, gets and deletes an object with its metadata', async () => {
    const store = track(storeOn(s3));
    const { etag } = await store.put('sessions/2025/01/01/s1/a.json.gz', bytes('hello'), { contentType: 'application/gzip', metadata: { candidate: 'cand_1', eventcount: '3' } });
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const head = await store.head('sessions/2025/01/01/s1/a.json.gz');
    expect(head).toStrictEqual({ key: 'sessions/2025/01/01/s1/a.json.gz', size: 5, etag, metadata: { candidate: 'cand_1', eventcount: '3' } });
    const got = await store.get('sessions/2025/01/01/s1/a.json.gz');
    expect(new TextDecoder().decode(got!.body)).toBe('hello');
    expect(got!.info).toStrictEqual(head);

    await store.delete('sessions/2025/01/01/s1/a.json.gz');
    expect(await store.head('sessions/2025/01/01/s1/a.json.gz')).toBeNull();
    expect(await store.get('sessions/2025/01/01/s1/a.json.gz')).toBeNull();
    // Deleting what is not there is not an error: a repeated cleanup is harmless.
    await store.delete('sessions/2025/01/01/s1/a.json.gz');
  });

  it('lists every object under a prefix, page by page, and nothing outside it', async () => {
    const paging = await startPagingS3();
    disposers.push(paging.dispose);
    const pagingProxy = await startFaultProxy({ target: paging.s3.endpoint });
    disposers.push(() => pagingProxy.close());
    const store = track(storeOn(paging.s3, { endpoint: pagingProxy.endpoint, listPageSize: 2 }));
    const inside = ['sessions/2025/01/02/s2/chunks/1.gz', 'sessions/2025/01/02/s2/chunks/2.gz', 'sessions/2025/01/02/s2/chunks/3.gz', 'sessions/2025/01/02/s2/manifest.json', 'sessions/2025/01/02/s2/recording'];
    for (const key of [...inside, 'sessions/2025/01/02/s20/recording', 'sessions/2025/01/02/other/x']) await put(store, key);
    pagingProxy.resetStats();

    const listed = await store.list('sessions/2025/01/02/s2/');
    expect(listed.map((object) => object.key).sort()).toStrictEqual(inside);
    expect(listed.every((object) => object.size > 0 && object.etag !== null)).toBe(true);
    // Five keys at two per page: three ListObjectsV2 requests, each with the prefix.
    const prefixes = pagingProxy.log.map((entry) => new URL(entry.url, pagingProxy.endpoint).searchParams);
    expect(prefixes.map((query) => [query.get('list-type'), query.get('prefix')])).toStrictEqual(Array(3).fill(['2', 'sessions/2025/01/02/s2/']));
    expect(await store.list('sessions/2099/')).toStrictEqual([]);
  });

  it('refuses to list without a prefix before sending anything', async () => {
    const store = track(storeOn(s3, { endpoint: proxy.endpoint }));
    expect(await rejectionOf(store.list(''))).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('prefix') });
    expect(proxy.stats.requests).toBe(0);
  });

  it('makes exactly one attempt per call: retries are the sync worker policy, not the SDK', async () => {
    const store = track(storeOn(s3, { endpoint: proxy.endpoint }));
    await proxy.setMode({ kind: 'flaky', failureRate: 1, failures: ['503'] });
    expect(await rejectionOf(put(store, 'sessions/once'))).toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    expect(proxy.stats.requests).toBe(1);
    expect(s3ClientConfig(s3StoreOptionsFrom({ bucket: 'b', region: 'r', forcePathStyle: true, accessKeyId: 'k', secretAccessKey: 's' })!)).toMatchObject({
      maxAttempts: 1,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });

  it.each([
    ['a 503 from S3', { kind: 'flaky', failureRate: 1, failures: ['503'] }, 503],
    ['a connection reset', { kind: 'flaky', failureRate: 1, failures: ['reset'] }, undefined],
    ['a reset after the server wrote the object', { kind: 'flaky', failureRate: 1, failures: ['reset-after-forward'] }, undefined],
    ['a refused connection', { kind: 'outage', how: 'refuse' }, undefined],
    ['every connection reset on accept', { kind: 'outage', how: 'reset' }, undefined],
  ] as const)('maps %s to STORAGE_UNAVAILABLE with transient: true', async (_label, mode, status) => {
    const store = track(storeOn(s3, { endpoint: proxy.endpoint }));
    await proxy.setMode(mode);
    for (const attempt of [() => put(store, 'sessions/t/x'), () => store.get('sessions/t/x'), () => store.head('sessions/t/x'), () => store.list('sessions/t/')]) {
      const error = await rejectionOf(attempt());
      expect(error).toMatchObject({ code: 'STORAGE_UNAVAILABLE', details: expect.objectContaining({ transient: true, bucket: s3.bucket }) });
      if (status) expect(error).toMatchObject({ details: expect.objectContaining({ status }) });
    }
  });

  it('still succeeds through added latency', async () => {
    const store = track(storeOn(s3, { endpoint: proxy.endpoint }));
    await proxy.setMode({ kind: 'pass-through', latencyMs: 150 });
    const started = performance.now();
    await put(store, 'sessions/slow/x', 'slow');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(new TextDecoder().decode((await store.get('sessions/slow/x'))!.body)).toBe('slow');
  });

  it('says whether a put\'s ETag is the MD5 of its bytes: not when S3 encrypts the object with KMS or a customer key', async () => {
    const store = track(storeOn(s3, { endpoint: proxy.endpoint }));
    const plain = await put(store, 'sessions/etag/plain', 'plain');
    expect(plain).toEqual({ etag: `"${createHash('md5').update('plain').digest('hex')}"`, etagIsMd5: true });
    // s3rver does not encrypt: the proxy adds the headers S3 answers with when it does.
    const encryptions: { header: Record<string, string>; etagIsMd5: boolean }[] = [
      { header: { 'x-amz-server-side-encryption': 'AES256' }, etagIsMd5: true },
      { header: { 'x-amz-server-side-encryption': 'aws:kms' }, etagIsMd5: false },
      { header: { 'x-amz-server-side-encryption': 'aws:kms:dsse' }, etagIsMd5: false },
      { header: { 'x-amz-server-side-encryption-customer-algorithm': 'AES256' }, etagIsMd5: false },
    ];
    for (const { header, etagIsMd5 } of encryptions) {
      await proxy.setMode({ kind: 'pass-through', responseHeaders: header });
      expect(await put(store, 'sessions/etag/encrypted', 'encrypted'), JSON.stringify(header)).toMatchObject({ etagIsMd5 });
    }
  });

  it("maps S3's 403 InvalidAccessKeyId (as the proxy sends it: s3rver accepts any key) to STORAGE_AUTH_FAILED", async () => {
    const store = track(storeOn(s3, { endpoint: proxy.endpoint }));
    await proxy.setMode({ kind: 'respond', status: 403, body: INVALID_ACCESS_KEY_XML });
    for (const attempt of [() => put(store, 'sessions/a/x'), () => store.get('sessions/a/x'), () => store.head('sessions/a/x'), () => store.list('sessions/a/'), () => store.delete('sessions/a/x')]) {
      expect(await rejectionOf(attempt())).toMatchObject({ code: 'STORAGE_AUTH_FAILED', details: expect.objectContaining({ transient: false, status: 403 }) });
    }
  });

  it('maps keys a DeleteObjects answered 200 but refused by their own codes: AccessDenied as a refusal, not transient; InternalError as transient', async () => {
    const store = track(storeOn(s3, { endpoint: proxy.endpoint }));
    const keys = ['sessions/a/chunks/1', 'sessions/a/chunks/2'];
    for (const key of keys) await put(store, key);
    await proxy.setMode({ kind: 'respond', status: 200, body: deleteObjectsRefusedXml(keys.map((key) => ({ key, code: 'AccessDenied' }))), only: isDeleteObjectsRequest });
    const denied = await rejectionOf(store.deleteMany(keys));
    expect(denied).toMatchObject({
      code: 'STORAGE_AUTH_FAILED',
      message: expect.stringContaining('"sessions/a/chunks/1"'),
      details: expect.objectContaining({ operation: 'delete', transient: false, awsCode: 'AccessDenied', key: 'sessions/a/chunks/1' }),
    });
    expect(denied.message).toContain('1 other key(s) not deleted either');
    expect(isPermissionRefusal(denied)).toBe(true);
    await proxy.setMode({ kind: 'respond', status: 200, body: deleteObjectsRefusedXml([{ key: keys[1]!, code: 'InternalError' }]), only: isDeleteObjectsRequest });
    expect(await rejectionOf(store.deleteMany(keys))).toMatchObject({ code: 'STORAGE_UNAVAILABLE', details: expect.objectContaining({ transient: true, key: 'sessions/a/chunks/2' }) });
    // Only the DeleteObjects requests were answered by the proxy: the keys are still there.
    expect(proxy.stats.responded).toBe(2);
    expect((await store.list('sessions/a/')).map((object) => object.key)).toEqual(keys);
  });

  it('sends every batch of a DeleteObjects, and fails as the refused keys warrant together: transient if any is, a refusal only if all are', async () => {
    const store = track(storeOn(s3, { endpoint: proxy.endpoint }));
    // 1,001 keys: two requests (S3 takes 1,000 a request), each answered with the same refusals.
    const keys = Array.from({ length: 1_001 }, (_, index) => `sessions/b/chunks/${String(index).padStart(4, '0')}`);
    const deleteRequests = () => proxy.log.filter(isDeleteObjectsRequest).length;
    await proxy.setMode({ kind: 'respond', status: 200, body: deleteObjectsRefusedXml([{ key: keys[0]!, code: 'AccessDenied' }, { key: keys[1_000]!, code: 'SlowDown' }]), only: isDeleteObjectsRequest });
    const mixed = await rejectionOf(store.deleteMany(keys));
    expect(deleteRequests()).toBe(2);
    expect(mixed).toMatchObject({ code: 'STORAGE_UNAVAILABLE', details: expect.objectContaining({ transient: true, awsCode: 'SlowDown' }) });
    expect(mixed.message).toContain('3 other key(s) not deleted either');
    expect(isPermissionRefusal(mixed)).toBe(false);

    await proxy.setMode({ kind: 'respond', status: 200, body: deleteObjectsRefusedXml([{ key: keys[0]!, code: 'AccessDenied' }]), only: isDeleteObjectsRequest });
    const denied = await rejectionOf(store.deleteMany(keys));
    expect(deleteRequests()).toBe(4);
    expect(isPermissionRefusal(denied)).toBe(true);
    // A refusal with no code at all is not taken for one that will last.
    await proxy.setMode({ kind: 'respond', status: 200, body: deleteObjectsRefusedXml([{ key: keys[0]!, code: 'AccessDenied' }]).replace('<Code>AccessDenied</Code>', ''), only: isDeleteObjectsRequest });
    expect(await rejectionOf(store.deleteMany(keys.slice(0, 1)))).toMatchObject({ details: expect.objectContaining({ transient: true }) });
  });

  it('tells a refused permission (keys allowed to write, not to list or delete) from credentials refused outright', async () => {
    const store = track(storeOn(s3, { endpoint: proxy.endpoint }));
    await proxy.setMode({ kind: 'respond', status: 403, body: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>' });
    expect(isPermissionRefusal(await rejectionOf(store.list('sessions/a/')))).toBe(true);
    // A HEAD's 403 has no body to say which: taken as the permission, since a PUT with these keys has just succeeded.
    expect(isPermissionRefusal(await rejectionOf(store.head('sessions/a/x')))).toBe(true);
    await proxy.setMode({ kind: 'respond', status: 403, body: INVALID_ACCESS_KEY_XML });
    expect(isPermissionRefusal(await rejectionOf(store.list('sessions/a/')))).toBe(false);
    expect(isPermissionRefusal(new AppError('STORAGE_UNAVAILABLE', 'down', { transient: true }))).toBe(false);
  });

  it('maps a missing bucket to STORAGE_BUCKET_MISSING, even for a HEAD, whose 404 has no body', async () => {
    const store = track(storeOn(s3, { bucket: 'no-such-bucket' }));
    for (const attempt of [() => put(store, 'sessions/a/x'), () => store.get('sessions/a/x'), () => store.head('sessions/a/x'), () => store.list('sessions/a/')]) {
      expect(await rejectionOf(attempt())).toMatchObject({ code: 'STORAGE_BUCKET_MISSING', message: expect.stringContaining('no-such-bucket') });
    }
  });

  it('maps other refusals to STORAGE_FAILED', async () => {
    const store = track(storeOn(s3, { endpoint: proxy.endpoint }));
    await proxy.setMode({ kind: 'respond', status: 400, body: '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidArgument</Code><Message>Bad argument</Message></Error>' });
    expect(await rejectionOf(put(store, 'sessions/a/x'))).toMatchObject({ code: 'STORAGE_FAILED', details: expect.objectContaining({ transient: false, awsCode: 'InvalidArgument' }) });
  });

  it('works over a client passed in, and leaves that client open on dispose', async () => {
    const client = new S3Client(s3ClientConfig({ bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } }));
    try {
      const store = new S3ObjectStore({ bucket: s3.bucket, region: s3.region, credentials: { accessKeyId: '', secretAccessKey: '' } }, client);
      await put(store, 'sessions/own/x');
      store.dispose();
      expect(await store.head('sessions/own/x')).toMatchObject({ key: 'sessions/own/x' });
    } finally {
      client.destroy();
    }
  });

  it('builds options only from a config that can sign: a bucket and both keys', () => {
    expect(s3StoreOptionsFrom({ region: 'us-east-1', forcePathStyle: false })).toBeNull();
    expect(s3StoreOptionsFrom({ bucket: 'b', region: 'us-east-1', forcePathStyle: false, apiUrl: 'https://api.example', apiToken: 't' })).toBeNull();
    expect(s3StoreOptionsFrom({ bucket: 'b', region: 'eu-west-1', forcePathStyle: true, endpoint: 'http://127.0.0.1:9000', accessKeyId: 'k', secretAccessKey: 's' })).toStrictEqual({
      bucket: 'b',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    });
  });
});
