import { describe, expect, it } from 'vitest';
import { describeSettingsError, settingsUpdateFrom, storageFormFrom } from '../../../renderer/src/settings/settingsForm';
import { AppError } from '../../../shared/errors';

const SAVED = { bucket: 'saved-bucket', region: 'eu-west-3', endpoint: null, forcePathStyle: false, accessKeyId: 'AKIASAVED', secretAccessKey: { lastFour: '1234' } };

describe('the settings form', () => {
  it('starts from what is saved, never with a secret in it', () => {
    expect(storageFormFrom(SAVED)).toEqual({ bucket: 'saved-bucket', region: 'eu-west-3', endpoint: '', forcePathStyle: false, accessKeyId: 'AKIASAVED', secretAccessKey: '' });
    expect(storageFormFrom(null)).toMatchObject({ bucket: '', region: 'us-east-1' });
  });

  it('sends only what changed: a typed key, and storage only when a field moved', () => {
    const initial = storageFormFrom(SAVED);
    expect(settingsUpdateFrom('', initial, initial)).toEqual({});
    expect(settingsUpdateFrom('  sk-ant-api03-typed-key  ', initial, initial)).toEqual({ apiKey: 'sk-ant-api03-typed-key' });
    // An untouched secret field keeps the saved secret: the member is left out.
    expect(settingsUpdateFrom('', { ...initial, bucket: 'other-bucket' }, initial)).toEqual({
      storage: { bucket: 'other-bucket', region: 'eu-west-3', endpoint: null, forcePathStyle: false, accessKeyId: 'AKIASAVED' },
    });
    expect(settingsUpdateFrom('', { ...initial, secretAccessKey: 'new-secret' }, initial).storage).toMatchObject({ secretAccessKey: 'new-secret' });
    // An emptied bucket removes the saved storage.
    expect(settingsUpdateFrom('', { ...initial, bucket: '  ' }, initial)).toEqual({ storage: null });
  });

  it('names the field a refused save got wrong', () => {
    const refused = new AppError('VALIDATION_FAILED', 'Invalid request to settings:save: 0.storage.bucket: no', { issues: [{ path: '0.storage.bucket', message: 'a bucket name has 3 to 63 characters' }] });
    expect(describeSettingsError(refused)).toBe('Bucket: a bucket name has 3 to 63 characters.');
    expect(describeSettingsError(new AppError('SETTINGS_UNAVAILABLE', 'No keychain.'))).toBe('No keychain. (SETTINGS_UNAVAILABLE)');
  });
});
