import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomically } from '../../../../electron/services/settings/writeFileAtomically';
import { makeTempDir } from '../../../helpers/tempServices';

describe('writing a settings file atomically', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  it('replaces the file whole, with the mode asked for, and leaves no temporary file', () => {
    const path = join(temp.dir, 'nested', 'settings.json');
    writeFileAtomically(path, 'first', 0o600);
    writeFileAtomically(path, 'second, longer than the first', 0o600);
    expect(readFileSync(path, 'utf8')).toBe('second, longer than the first');
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(temp.dir, 'nested'))).toEqual(['settings.json']);
  });

  it('keeps the old contents, and removes its temporary file, when the rename fails', () => {
    const path = join(temp.dir, 'settings.json');
    writeFileSync(path, 'old contents');
    const failingRename = {
      renameSync: () => {
        throw new Error('EIO: the disk went away');
      },
    };
    expect(() => writeFileAtomically(path, 'new contents', 0o600, failingRename)).toThrow(/EIO/);
    expect(readFileSync(path, 'utf8')).toBe('old contents');
    expect(readdirSync(temp.dir)).toEqual(['settings.json']);
  });

  it('never exposes the new contents under the real name before they are complete', () => {
    const path = join(temp.dir, 'settings.json');
    writeFileSync(path, 'old contents');
    let seenAtRename: string | null = null;
    writeFileAtomically(path, 'new contents', 0o600, {
      renameSync: (from, to) => {
        // At the moment of the rename the real file is still the old one, and the temporary one is complete.
        seenAtRename = `${readFileSync(to, 'utf8')} | ${readFileSync(from, 'utf8')}`;
        renameSync(from, to);
      },
    });
    expect(seenAtRename).toBe('old contents | new contents');
    expect(readFileSync(path, 'utf8')).toBe('new contents');
  });
});
