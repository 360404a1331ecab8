import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** File system calls the write makes, replaceable so a test can fail one of them. */
export interface AtomicWriteFileSystem {
  renameSync: typeof renameSync;
}

/**
 * Replaces `path` with `contents` so that, whatever happens (a crash, a full disk, a kill),
 * the file holds either its old contents or the new ones, never half of either: the bytes
 * go to a temporary file beside it, which is flushed to disk and then renamed over `path`
 * (a rename within a folder is atomic). The temporary file is removed when anything fails.
 * `mode` is applied to the new file (0o600: only this user account can read it).
 */
export function writeFileAtomically(path: string, contents: string | Uint8Array, mode: number, fs: AtomicWriteFileSystem = { renameSync }): void {
  const folder = dirname(path);
  mkdirSync(folder, { recursive: true });
  // A name of its own per write, so two writers never share a temporary file.
  const temporary = join(folder, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    // 'wx': a fresh file, created with `mode` from the start, so the secret is never readable by others, even briefly.
    const descriptor = openSync(temporary, 'wx', mode);
    try {
      const bytes = typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
      let written = 0;
      while (written < bytes.length) written += writeSync(descriptor, bytes, written, bytes.length - written);
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
    // The umask may have removed bits from `mode` at creation; never added any. Set it exactly.
    chmodSync(temporary, mode);
    fs.renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  syncFolder(folder);
}

/** Flushes the folder's entry for the renamed file, so the rename itself survives a power cut. */
function syncFolder(folder: string): void {
  // Windows cannot open a folder for fsync; NTFS journals the rename itself.
  if (process.platform === 'win32') return;
  let descriptor: number | undefined;
  try {
    descriptor = openSync(folder, 'r');
    fsyncSync(descriptor);
  } catch {
    // Some file systems refuse fsync on a folder; the file's own contents are already on disk.
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}
