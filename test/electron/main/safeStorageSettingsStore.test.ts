import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SafeStorageSettingsStore } from '../../../electron/main/safeStorageSettingsStore';
import { secretSettingsPath } from '../../../electron/main/secretSettings';
import { makeTempDir } from '../../helpers/tempServices';
import { fakeSafeStorage } from './fakeSafeStorage';

const KEY = 'sk-ant-api03-electron-store-key-5678';

describe("the Electron shell's settings store (safeStorage)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  it('says it encrypts with the keychain, and saves and reads back through it', () => {
    const cipher = fakeSafeStorage();
    const store = new SafeStorageSettingsStore(secretSettingsPath(temp.dir), cipher, 'linux');
    expect(store.protection).toMatchObject({ kind: 'os-keychain', canSave: true, description: expect.stringMatching(/keychain/) });
    store.write({ anthropicApiKey: KEY });
    expect(cipher.encryptions).toBe(1);
    expect(readFileSync(secretSettingsPath(temp.dir), 'utf8')).not.toContain(KEY);
    expect(new SafeStorageSettingsStore(secretSettingsPath(temp.dir), cipher, 'linux').read()).toEqual({ anthropicApiKey: KEY });
  });

  it('cannot save without encryption, says so, and leaves what was saved untouched', () => {
    const path = secretSettingsPath(temp.dir);
    writeFileSync(path, '{}');
    for (const store of [
      new SafeStorageSettingsStore(path, fakeSafeStorage({ available: false }), 'darwin'),
      new SafeStorageSettingsStore(path, fakeSafeStorage({ backend: 'basic_text' }), 'linux'),
    ]) {
      expect(store.protection).toMatchObject({ kind: 'os-keychain', canSave: false, description: expect.stringMatching(/ANTHROPIC_API_KEY/) });
      expect(() => store.write({ anthropicApiKey: KEY })).toThrow(expect.objectContaining({ code: 'SETTINGS_UNAVAILABLE' }));
      expect(readFileSync(path, 'utf8')).toBe('{}');
    }
  });

  it('reports a failed write as SETTINGS_SAVE_FAILED, not as a crash', () => {
    // The data folder's place is taken by a file: nothing can be created under it.
    const blocked = `${temp.dir}/not-a-folder`;
    writeFileSync(blocked, 'x');
    const store = new SafeStorageSettingsStore(secretSettingsPath(blocked), fakeSafeStorage(), 'linux');
    expect(() => store.write({ anthropicApiKey: KEY })).toThrow(expect.objectContaining({ code: 'SETTINGS_SAVE_FAILED' }));
    expect(existsSync(secretSettingsPath(blocked))).toBe(false);
  });
});
