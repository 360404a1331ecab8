import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
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

/** A folder in RAM, where the machine has one (Linux's /dev/shm). */
const RAM_FOLDER = '/dev/shm';

/**
 * Starts s3rver in a child process, as the storage tests' paging case does: there its
 * ListObjectsV2 pages work under Node 20 (they need OpenSSL's legacy provider, see
 * s3rverChild.ts), and its request handling does not share a core's event loop with the
 * recorder being measured, as a remote S3 would not. For the same reason its objects live in
 * RAM where the machine has it: a remote S3 shares no disk with the app either. On the same
 * disk, SQLite's commits just before a close's PUT slowed s3rver's writes of that PUT (the
 * close's request took 9.6 and 10.7 ms, the same request replayed 0.1 s later 7.2 and
 * 8.3 ms; in RAM 7.7 / 7.7 and 6.9 / 7.1 ms), which no remote store would show.
 */
export async function startS3rverProcess(): Promise<S3rverProcess> {
  const folder = ramFolder();
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', CHILD, ...(folder ? [folder] : [])], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
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

function ramFolder(): string | null {
  try {
    accessSync(RAM_FOLDER, constants.W_OK);
    return RAM_FOLDER;
  } catch {
    return null;
  }
}
