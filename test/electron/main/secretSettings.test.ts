import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSecretSettings, secretSettingsPath, writeSecretSettings } from '../../../electron/main/secretSettings';
import { configForDataDir } from '../../../electron/services/config';
import { withSavedSettings } from '../../../electron/services/settings/withSavedSettings';
import { makeTempDir } from '../../helpers/tempServices';
import { fakeSafeStorage } from './fakeSafeStorage';

const STORAGE = { bucket: 'interviewlm-proctor', region: 'eu-west-3', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, accessKeyId: 'AKIAEXAMPLE123', secretAccessKey: 's3-secret-never-in-plain-text' };

describe('the settings saved with safeStorage', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  it('stores the API key encrypted, never as plain text, and reads it back', () => {
    const cipher = fakeSafeStorage();
    const path = secretSettingsPath(temp.dir);
    writeSecretSettings(path, cipher, { anthropicApiKey: 'sk-ant-secret-123' });
    expect(readFileSync(path, 'utf8')).not.toContain('sk-ant-secret-123');
    expect(readSecretSettings(path, cipher)).toEqual({ anthropicApiKey: 'sk-ant-secret-123' });
  });

  it('stores the S3 secret access key encrypted and the bucket as it is, readable only by this user', () => {
    const cipher = fakeSafeStorage();
    const path = secretSettingsPath(temp.dir);
    writeSecretSettings(path, cipher, { storage: STORAGE });
    const onDisk = readFileSync(path, 'utf8');
    expect(onDisk).not.toContain(STORAGE.secretAccessKey);
    expect(onDisk).toContain(STORAGE.bucket);
    if (process.platform !== 'win32') expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readSecretSettings(path, cipher)).toEqual({ storage: STORAGE });
  });

  it('fills the config only where the environment sets nothing', () => {
    const config = configForDataDir(temp.dir);
    expect(withSavedSettings(config, { anthropicApiKey: 'saved' }).ai.apiKey).toBe('saved');
    const fromEnv = { ...config, ai: { ...config.ai, apiKey: 'env' } };
    expect(withSavedSettings(fromEnv, { anthropicApiKey: 'saved' }).ai.apiKey).toBe('env');
    expect(withSavedSettings(config, { storage: STORAGE }).storage).toMatchObject({ bucket: STORAGE.bucket, secretAccessKey: STORAGE.secretAccessKey });
  });

  it('drops what cannot be decrypted or a damaged file, without failing', () => {
    const path = secretSettingsPath(temp.dir);
    writeSecretSettings(path, fakeSafeStorage(), { anthropicApiKey: 'k', storage: STORAGE });
    // Another keychain: the secrets are gone, the bucket (not a secret) stays, without its key pair.
    const { accessKeyId: _id, secretAccessKey: _secret, ...withoutPair } = STORAGE;
    expect(readSecretSettings(path, fakeSafeStorage())).toEqual({ storage: withoutPair });
    writeFileSync(path, '{not json');
    expect(readSecretSettings(path, fakeSafeStorage())).toEqual({});
    expect(readSecretSettings(join(temp.dir, 'missing.json'), fakeSafeStorage())).toEqual({});
  });

  it('refuses, rather than writing plain text, when the OS offers no encryption or only Chromium\u2019s built-in password', () => {
    const path = secretSettingsPath(temp.dir);
    expect(() => writeSecretSettings(path, fakeSafeStorage({ available: false }), { anthropicApiKey: 'k' })).toThrow(/no encrypted storage/);
    expect(() => writeSecretSettings(path, fakeSafeStorage({ backend: 'basic_text' }), { anthropicApiKey: 'k' }, 'linux')).toThrow(
      expect.objectContaining({ code: 'SETTINGS_UNAVAILABLE', message: expect.stringMatching(/no keychain/) }),
    );
    expect(() => readFileSync(path)).toThrow(/ENOENT/);
  });
});
