import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configForDataDir } from '../../../../electron/services/config';
import { createServices } from '../../../../electron/services/container';
import {
  configureServices,
  createSession,
  downloadSessionRecording,
  generatePresignedUrl,
  getStorageStats,
  s3Service,
  shutdownServices,
  uploadSessionRecording,
} from '../../../../electron/services/index';
import { startLocalS3, type LocalS3 } from '../../../helpers/s3rverServer';
import { makeTempDir, rejectionOf } from '../../../helpers/tempServices';

describe("the seed's storage functions on the default container", () => {
  let s3: LocalS3;
  const temps: ReturnType<typeof makeTempDir>[] = [];
  const tempDir = () => {
    const temp = makeTempDir();
    temps.push(temp);
    return temp.dir;
  };

  beforeAll(async () => {
    s3 = await startLocalS3();
  });
  afterAll(async () => {
    await s3?.dispose();
  });
  afterEach(() => {
    shutdownServices();
    for (const temp of temps.splice(0)) temp.cleanup();
  });

  it('with nothing configured, the container has no storage and recording works: local only', async () => {
    const services = createServices(configForDataDir(tempDir()));
    try {
      expect(services.storage).toBeNull();
      const session = await services.sessions.createSession('cand_1');
      expect(session.syncState).toBe('LOCAL_ONLY');
    } finally {
      services.dispose();
    }
  });

  it('rejects every storage call with STORAGE_NOT_CONFIGURED naming the variables to set', async () => {
    configureServices(configForDataDir(tempDir()));
    const session = await createSession('cand_1');
    for (const call of [
      () => uploadSessionRecording(session.id, [], {}),
      () => downloadSessionRecording(session.id),
      () => generatePresignedUrl(session.id, 60),
      () => getStorageStats(session.id),
      () => s3Service.testConnection(),
      () => s3Service.getStorageStats(session.id),
    ]) {
      const error = await rejectionOf(call());
      expect(error).toMatchObject({ code: 'STORAGE_NOT_CONFIGURED' });
      for (const variable of ['AWS_S3_BUCKET', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) expect(error.message).toContain(variable);
    }
  });

  it('names only what is missing: a bucket and a server URL with its token, but no keys', async () => {
    configureServices(configForDataDir(tempDir(), { storage: { bucket: 'b', region: 'us-east-1', forcePathStyle: false, apiUrl: 'https://api.example', apiToken: 'tok_1' } }));
    const error = await rejectionOf(s3Service.testConnection());
    expect(error).toMatchObject({ code: 'STORAGE_NOT_CONFIGURED', details: { missing: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] } });
    expect(error.message).toContain('INTERVIEWLM_API_URL');
  });

  it('with a bucket and keys, runs the seed example: upload, stats, download, presigned URL, health check', async () => {
    const services = configureServices(
      configForDataDir(tempDir(), {
        storage: { bucket: s3.bucket, region: s3.region, endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      }),
    );
    expect(services.storage).not.toBeNull();
    const session = await createSession('cand_123');
    await services.sessions.recordEvent(session.id, { type: 'keystroke', data: { key: 'a' } });
    await services.sessions.closeSession(session.id, 'COMPLETED');
    const events = services.replay.getAllEvents(session.id);

    const uploadResult = await uploadSessionRecording(session.id, events, { candidateId: 'cand_123', duration: '1800' });
    expect(uploadResult).toMatchObject({ size: expect.any(Number), compressedSize: expect.any(Number), compressionRatio: expect.any(Number) });
    expect((await getStorageStats(session.id)).exists).toBe(true);
    expect((await downloadSessionRecording(session.id)).events).toStrictEqual(events);
    expect(await generatePresignedUrl(session.id, 3600)).toContain('X-Amz-Expires=3600');
    expect(await s3Service.testConnection()).toBe(true);
  });
});
