import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NODE_FILE_OPERATIONS, writeFileWhole, type WholeFileOperations } from '../../../../electron/services/sync/wholeFileWriter';
import { makeTempDir, rejectionOf } from '../../../helpers/tempServices';

const bytes = (text: string) => new TextEncoder().encode(text);

/** node:fs's operations, with `rename` failing with `code` the first `times` calls. */
function renameRefused(code: string, times: number): WholeFileOperations & { renames: number } {
  const files = {
    ...NODE_FILE_OPERATIONS,
    renames: 0,
    rename(from: string, to: string) {
      files.renames += 1;
      if (files.renames <= times) throw Object.assign(new Error(`${code}: operation not permitted, rename`), { code });
      NODE_FILE_OPERATIONS.rename(from, to);
    },
  };
  return files;
}

describe('writeFileWhole: a file written whole or not at all', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  it('writes the file, creating its folder, and leaves nothing else beside it', async () => {
    const path = join(temp.dir, 'usb', 'session.json.gz');
    await writeFileWhole(path, bytes('the recording'));
    expect(readFileSync(path, 'utf8')).toBe('the recording');
    expect(readdirSync(join(temp.dir, 'usb'))).toEqual(['session.json.gz']);
  });

  it('keeps the earlier file whole when the write fails half-way, and removes what it wrote', async () => {
    const path = join(temp.dir, 'session.json.gz');
    writeFileSync(path, 'the earlier export');
    const full: WholeFileOperations = {
      ...NODE_FILE_OPERATIONS,
      write(target, body) {
        NODE_FILE_OPERATIONS.write(target, body.subarray(0, body.length >> 1));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    };
    expect(await rejectionOf(writeFileWhole(path, bytes('a new recording, cut short'), full))).toMatchObject({ code: 'ENOSPC' });
    expect(readFileSync(path, 'utf8')).toBe('the earlier export');
    expect(readdirSync(temp.dir)).toEqual(['session.json.gz']);
  });

  it('tries the rename again while another program holds the new file (Windows answers EBUSY or EPERM), then succeeds', async () => {
    const path = join(temp.dir, 'session.json.gz');
    const files = renameRefused('EBUSY', 2);
    await writeFileWhole(path, bytes('the recording'), files);
    expect(files.renames).toBe(3);
    expect(readFileSync(path, 'utf8')).toBe('the recording');
    expect(readdirSync(temp.dir)).toEqual(['session.json.gz']);
  });

  it('gives up after a bounded number of renames, keeping the earlier file and removing the temporary one', async () => {
    const path = join(temp.dir, 'session.json.gz');
    writeFileSync(path, 'the earlier export');
    const files = renameRefused('EPERM', Infinity);
    expect(await rejectionOf(writeFileWhole(path, bytes('the recording'), files))).toMatchObject({ code: 'EPERM' });
    expect(files.renames).toBe(5);
    expect(readFileSync(path, 'utf8')).toBe('the earlier export');
    expect(readdirSync(temp.dir)).toEqual(['session.json.gz']);
  });

  it('does not retry a failure that will not pass, and reports it rather than a failure to clean up', async () => {
    const path = join(temp.dir, 'session.json.gz');
    const files = renameRefused('EXDEV', Infinity);
    files.remove = () => {
      throw Object.assign(new Error('EBUSY: resource busy, unlink'), { code: 'EBUSY' });
    };
    expect(await rejectionOf(writeFileWhole(path, bytes('the recording'), files))).toMatchObject({ code: 'EXDEV' });
    expect(files.renames).toBe(1);
  });
});
