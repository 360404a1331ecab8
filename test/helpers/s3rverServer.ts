import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// s3rver ships no types; this is the part of its API the tests use.
import S3rver from 's3rver';
import { S3ObjectStore } from '../../electron/services/storage/s3ObjectStore';

/** A real S3-compatible server (s3rver) on 127.0.0.1, with its own temp folder. */
export interface LocalS3 {
  endpoint: string;
  port: number;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Stops the server; the data folder stays, so `start` again serves the same objects. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after `stop`, to simulate an outage ending). */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: { closeAllConnections(): void };
}

/** s3rver accepts any credentials; these are the fixed ones s3rver's docs use. */
const ACCESS_KEY_ID = 'S3RVER';
const SECRET_ACCESS_KEY = 'S3RVER';

/** `folder`: where s3rver's own temp folder is made (the OS temp folder unless given). */
export async function startLocalS3(options: { bucket?: string; port?: number; folder?: string } = {}): Promise<LocalS3> {
  const directory = mkdtempSync(join(options.folder ?? tmpdir(), 'interviewlm-s3rver-'));
  const bucket = options.bucket ?? 'interviewlm-sessions';
  let port = options.port ?? 0;
  let server: S3rverInstance | null = null;
  const start = async () => {
    if (server) return;
    const instance = new (S3rver as unknown as new (options: object) => S3rverInstance)({
      address: '127.0.0.1',
      port,
      silent: true,
      directory,
      configureBuckets: [{ name: bucket }],
    });
    const address = await instance.run();
    port = address.port;
    server = instance;
  };
  await start();
  const stop = async () => {
    const running = server;
    server = null;
    if (!running) return;
    const closed = running.close();
    // Clients keep connections alive; an outage drops them, and close() would wait for them.
    running.httpServer?.closeAllConnections();
    await closed;
  };
  return {
    get endpoint() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    bucket,
    region: 'us-east-1',
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A store on the local S3 server, or on `endpoint` (a fault proxy in front of it), for `bucket`. */
export function storeOn(s3: LocalS3, options: { endpoint?: string; bucket?: string; listPageSize?: number } = {}): S3ObjectStore {
  return new S3ObjectStore({
    bucket: options.bucket ?? s3.bucket,
    region: s3.region,
    endpoint: options.endpoint ?? s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    ...(options.listPageSize ? { listPageSize: options.listPageSize } : {}),
  });
}
