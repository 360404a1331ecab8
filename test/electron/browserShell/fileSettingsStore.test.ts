import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSettingsStore, fileSettingsPath } from '../../../electron/browserShell/fileSettingsStore';
import { makeTempDir } from '../../helpers/tempServices';

const SETTINGS = {
  anthropicApiKey: 'sk-ant-api03-browser-shell-key-4321',
  storage: { bucket: 'interviewlm-proctor', region: 'us-east-1', forcePathStyle: false, accessKeyId: 'AKIAEXAMPLE123', secretAccessKey: 'browser-shell-s3-secret' },
};

describe("the browser shell's settings store (a 0600 file)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  it('says plainly that it is unencrypted and weaker than the OS keychain', () => {
    const store = new FileSettingsStore(fileSettingsPath(temp.dir));
    expect(store.protection).toMatchObject({ kind: 'file', canSave: true });
    expect(store.protection.description).toMatch(/unencrypted/);
    expect(store.protection.description).toMatch(/0600/);
    expect(store.protection.description).toMatch(/weaker than .*keychain/);
  });

  it('writes a file only this user can read, in the data folder, and reads it back', () => {
    const path = fileSettingsPath(temp.dir);
    expect(path.startsWith(temp.dir)).toBe(true);
    new FileSettingsStore(path).write(SETTINGS);
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(new FileSettingsStore(path).read()).toEqual(SETTINGS);
    // Nothing left beside it: the temporary file was renamed over it.
    expect(readdirSync(temp.dir)).toEqual([path.slice(temp.dir.length + 1)]);
  });

  it('replaces what was saved whole, so a cleared value is gone from the file', () => {
    const path = fileSettingsPath(temp.dir);
    const store = new FileSettingsStore(path);
    store.write(SETTINGS);
    store.write({ storage: SETTINGS.storage });
    expect(readFileSync(path, 'utf8')).not.toContain(SETTINGS.anthropicApiKey);
    expect(store.read()).toEqual({ storage: SETTINGS.storage });
  });

  it('treats a damaged or foreign file as nothing saved, so the shell still starts', () => {
    const path = fileSettingsPath(temp.dir);
    const store = new FileSettingsStore(path);
    expect(store.read()).toEqual({});
    writeFileSync(path, '{"version": 1, "settings": {"anthropicApiKey": ');
    expect(store.read()).toEqual({});
    writeFileSync(path, JSON.stringify({ version: 2, settings: {} }));
    expect(store.read()).toEqual({});
  });

  it('reports a failed write as SETTINGS_SAVE_FAILED and keeps the old file', () => {
    const path = fileSettingsPath(temp.dir);
    const store = new FileSettingsStore(path);
    store.write(SETTINGS);
    const blocked = new FileSettingsStore(join(path, 'under-a-file.json'));
    expect(() => blocked.write({})).toThrow(expect.objectContaining({ code: 'SETTINGS_SAVE_FAILED' }));
    expect(store.read()).toEqual(SETTINGS);
  });
});
