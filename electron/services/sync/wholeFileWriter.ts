import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ExponentialBackoff, halfJitterGenerator, handleWhen, retry } from 'cockatiel';

/** The file operations `writeFileWhole` makes: node:fs's, or a test's that fail on purpose. */
export interface WholeFileOperations {
  /** Creates the folder if need be and writes `bytes` to `path`, through to the disk. */
  write(path: string, bytes: Uint8Array): void;
  rename(from: string, to: string): void;
  /** Removes `path` if it exists. */
  remove(path: string): void;
}

/** node:fs's operations. */
export const NODE_FILE_OPERATIONS: WholeFileOperations = {
  write(path, bytes) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes, { flush: true });
  },
  rename: renameSync,
  remove: (path) => rmSync(path, { force: true }),
};

/** Codes of a rename refused while another program (an antivirus scan, an indexer) has the file open: Windows's, which pass. */
const BUSY_CODES = new Set(['EPERM', 'EACCES', 'EBUSY']);

const renameWhenFree = retry(
  handleWhen((error) => BUSY_CODES.has((error as NodeJS.ErrnoException).code ?? '')),
  // Four retries (five renames in all), doubling from 50-100 ms to 400-800 ms (half jitter): ~0.75-1.5 s in all.
  { maxAttempts: 4, backoff: new ExponentialBackoff({ generator: halfJitterGenerator, initialDelay: 100, maxDelay: 800 }) },
);

/**
 * Writes `bytes` to `path` whole or not at all: to a temporary file beside it, then renamed
 * over it, so a crash or a stick pulled mid-write leaves the earlier file (or none), never half
 * of this one, under that name. A rename refused while another program holds the new file
 * (on Windows, an antivirus scanning it) is tried again, five renames in all. Throws the failure, with
 * the temporary file removed.
 */
export async function writeFileWhole(path: string, bytes: Uint8Array, files: WholeFileOperations = NODE_FILE_OPERATIONS): Promise<void> {
  // A fixed-length name: one built from the target's could pass the file system's name limit.
  const partial = join(dirname(path), `.interviewlm-${randomUUID()}.partial`);
  try {
    files.write(partial, bytes);
    await renameWhenFree.execute(() => files.rename(partial, path));
  } catch (error) {
    try {
      files.remove(partial);
    } catch {
      // The failure to report is the write's; a temporary file left behind is hidden and named as ours.
    }
    throw error;
  }
}
