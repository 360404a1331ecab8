import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSecretSettings, secretSettingsPath, withSecretSettings, writeSecretSettings, type SecretCipher } from '../../../electron/main/secretSettings';
import { configForDataDir } from '../../../electron/services/config';
import { makeTempDir } from '../../helpers/tempServices';

/** Stands in for Electron's safeStorage (the Electron binary cannot run here): AES-GCM with a key of its own. */
function fakeSafeStorage(available = true): SecretCipher {
  const key = randomBytes(32);
  return {
    isEncryptionAvailable: () => available,
    encryptString(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decryptString(encrypted) {
      const decipher = createDecipheriv('aes-256-gcm', key, encrypted.subarray(0, 12));
      decipher.setAuthTag(encrypted.subarray(12, 28));
      return Buffer.concat([decipher.update(encrypted.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}

describe('the API key saved in settings', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  it('is stored encrypted, never as plain text, and read back', () => {
    const cipher = fakeSafeStorage();
    const path = secretSettingsPath(temp.dir);
    writeSecretSettings(path, cipher, { anthropicApiKey: 'sk-ant-secret-123' });
    expect(readFileSync(path, 'utf8')).not.toContain('sk-ant-secret-123');
    expect(readSecretSettings(path, cipher)).toEqual({ anthropicApiKey: 'sk-ant-secret-123' });
  });

  it('fills the config only when the environment sets no key', () => {
    const config = configForDataDir(temp.dir);
    expect(withSecretSettings(config, { anthropicApiKey: 'saved' }).ai.apiKey).toBe('saved');
    const fromEnv = { ...config, ai: { ...config.ai, apiKey: 'env' } };
    expect(withSecretSettings(fromEnv, { anthropicApiKey: 'saved' }).ai.apiKey).toBe('env');
  });

  it('is dropped, not fatal, when it cannot be decrypted or the file is damaged', () => {
    const path = secretSettingsPath(temp.dir);
    writeSecretSettings(path, fakeSafeStorage(), { anthropicApiKey: 'k' });
    expect(readSecretSettings(path, fakeSafeStorage())).toEqual({});
    writeFileSync(path, '{not json');
    expect(readSecretSettings(path, fakeSafeStorage())).toEqual({});
    expect(readSecretSettings(join(temp.dir, 'missing.json'), fakeSafeStorage())).toEqual({});
  });

  it('is refused, rather than written in plain text, when the OS offers no encryption', () => {
    expect(() => writeSecretSettings(secretSettingsPath(temp.dir), fakeSafeStorage(false), { anthropicApiKey: 'k' })).toThrow(/no encrypted storage/);
  });
});
