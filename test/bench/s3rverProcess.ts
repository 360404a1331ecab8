import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { S3ObjectStoreOptions } from '../../electron/services/storage/s3ObjectStore';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('../electron/services/storage/s3rverChild.ts', import.meta.url));

/** s3rver serving from another process, and the store options that reach it. */
export interface S3rverProcess {
  endpoint: string;
  storage: S3ObjectStoreOptions;
  /** Stops the server and removes its folder. */
  dispose(): Promise<void>;
}

/**
 * Starts s3rver in a child process, as the storage tests' paging case does: there its
 * ListObjectsV2 pages work under Node 20 (they need OpenSSL's legacy provider, see
 * s3rverChild.ts), and its request handling does not share a core's event loop with the
 * recorder being measured, as a remote S3 would not.
 */
export async function startS3rverProcess(): Promise<S3rverProcess> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', CHILD], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const info = JSON.parse(line) as { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string };
  return {
    endpoint: info.endpoint,
    storage: {
      bucket: info.bucket,
      region: info.region,
      endpoint: info.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
    },
    dispose: async () => {
      child.stdin.end();
      await exited;
    },
  };
}
