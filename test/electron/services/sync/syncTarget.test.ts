import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configForDataDir, type StorageSettings } from '../../../../electron/services/config';
import { createServices } from '../../../../electron/services/container';
import { withSavedSettings } from '../../../../electron/services/settings/withSavedSettings';
import { syncTargetFrom } from '../../../../electron/services/sync/syncTarget';
import { makeTempDir } from '../../../helpers/tempServices';

const SERVER = { apiUrl: 'https://api.interviewlm.example/desktop', apiToken: 'tok_interview_42' };
const KEYS = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret-access-key' };

/** Storage settings as the environment alone would give them. */
function environmentStorage(storage: Partial<StorageSettings> = {}): StorageSettings {
  return configForDataDir('/tmp/unused', { storage: { region: 'us-east-1', forcePathStyle: false, ...storage } }).storage;
}

describe('syncTargetFrom: where the effective storage settings send recordings', () => {
  it('is local only with nothing configured', () => {
    expect(syncTargetFrom(environmentStorage())).toBeNull();
  });

  it('uploads through the server with its URL and token alone, and reconciles with it beside a bucket and keys', () => {
    expect(syncTargetFrom(environmentStorage(SERVER))).toEqual({ mode: 'server', server: { apiUrl: SERVER.apiUrl, token: SERVER.apiToken } });
    expect(syncTargetFrom(environmentStorage({ bucket: 'interviewlm-sessions', ...KEYS, ...SERVER }))).toMatchObject({
      mode: 's3',
      server: { apiUrl: SERVER.apiUrl, token: SERVER.apiToken },
    });
  });

  it.each([
    [{ apiUrl: SERVER.apiUrl }, 'INTERVIEWLM_API_TOKEN'],
    [{ apiToken: SERVER.apiToken }, 'INTERVIEWLM_API_URL'],
  ])('refuses half the server pair with CONFIG_INVALID naming the missing half, rather than quietly not syncing: %o', (half, missing) => {
    const refusal = expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(`${missing}: INTERVIEWLM_API_URL and INTERVIEWLM_API_TOKEN must be set together`) });
    expect(() => syncTargetFrom(environmentStorage(half))).toThrow(refusal);
    // Alongside a bucket and keys too: S3 sync would go on, but the server's reconciliation would be silently skipped.
    expect(() => syncTargetFrom(environmentStorage({ bucket: 'interviewlm-sessions', ...KEYS, ...half }))).toThrow(refusal);
  });

  it('checks the settings merged with the saved ones: a saved bucket completes neither half of the server pair', () => {
    const environment = configForDataDir('/tmp/unused', { storage: environmentStorage({ apiToken: SERVER.apiToken }) });
    const merged = withSavedSettings(environment, { storage: { bucket: 'saved-bucket', region: 'eu-west-1', forcePathStyle: false, ...KEYS } });
    expect(merged.storage).toMatchObject({ bucket: 'saved-bucket', apiToken: SERVER.apiToken });
    expect(merged.storage.apiUrl).toBeUndefined();
    expect(() => syncTargetFrom(merged.storage)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('INTERVIEWLM_API_URL') }));
  });

  it('stops the app at start, as any invalid configuration does, and leaves the database free', () => {
    const temp = makeTempDir();
    try {
      const config = configForDataDir(join(temp.dir, 'half'), { storage: environmentStorage({ apiUrl: SERVER.apiUrl }) });
      expect(() => createServices(config, { syncRunner: 'none' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
      // The failed start released its lock: a corrected config opens the same data folder.
      createServices({ ...config, storage: environmentStorage() }).dispose();
    } finally {
      temp.cleanup();
    }
  });
});
