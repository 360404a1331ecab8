import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../../shared/sync/syncStatus';
import { countedDown, describeSyncStatus, isSyncSettled } from '../../../renderer/src/workspace/syncStatusView';

const base: SyncStatus = {
  sessionId: 'ses_1',
  state: 'syncing',
  objectsUploaded: 0,
  objectsTotal: 0,
  bytesUploaded: 0,
  pendingEvents: 0,
  retryInMs: null,
  syncedAt: null,
  message: null,
};
const status = (fields: Partial<SyncStatus>): SyncStatus => ({ ...base, ...fields });

describe('describeSyncStatus: the sync indicator in words', () => {
  it('says it is checking before the first status arrives', () => {
    expect(describeSyncStatus(null)).toMatchObject({ label: 'Checking sync…', tone: 'neutral', progress: null });
  });

  it('says "local only" when no storage is configured, without a warning', () => {
    expect(describeSyncStatus(status({ state: 'local_only' }))).toMatchObject({ label: 'Local only', tone: 'neutral', detail: expect.stringContaining('this computer') });
  });

  it('counts chunks and bytes while syncing, with the share uploaded as progress', () => {
    const view = describeSyncStatus(status({ objectsUploaded: 3, objectsTotal: 4, bytesUploaded: 5 * 1024 * 1024 + 300 * 1024, pendingEvents: 42 }));
    expect(view).toEqual({ label: 'Syncing 3 of 4', progress: 0.75, tone: 'busy', detail: '5.3 MB uploaded. 42 events waiting to upload.' });
    expect(describeSyncStatus(status({ objectsUploaded: 0, objectsTotal: 0 }))).toMatchObject({ label: 'Syncing 0 of 0', progress: 0, detail: '0 B uploaded.' });
    // A total the engine has not caught up with yet never reads as more than done.
    expect(describeSyncStatus(status({ objectsUploaded: 5, objectsTotal: 4 }))).toMatchObject({ label: 'Syncing 5 of 5', progress: 1 });
  });

  it('says offline with what is pending and counts down to the next attempt, in whole seconds', () => {
    const view = describeSyncStatus(status({ state: 'offline', pendingEvents: 120, retryInMs: 4_200 }));
    expect(view).toMatchObject({ label: 'Offline · 120 pending', tone: 'warning', detail: expect.stringContaining('retrying in 5 s') });
    expect(describeSyncStatus(status({ state: 'offline', retryInMs: null })).detail).not.toContain('retrying');
  });

  it('names a configuration problem (auth failed, bucket missing) with the engine\'s message, or a plain default', () => {
    expect(describeSyncStatus(status({ state: 'auth_failed', message: 'InvalidAccessKeyId: check AWS_ACCESS_KEY_ID' }))).toEqual({
      label: 'Sync stopped · auth failed',
      progress: null,
      tone: 'warning',
      detail: 'InvalidAccessKeyId: check AWS_ACCESS_KEY_ID',
    });
    expect(describeSyncStatus(status({ state: 'auth_failed' })).detail).toContain('refused the credentials');
    expect(describeSyncStatus(status({ state: 'bucket_missing' }))).toMatchObject({ label: 'Sync stopped · bucket missing', detail: expect.stringContaining('bucket does not exist') });
  });

  it('says synced, with the time it was', () => {
    const syncedAt = new Date(Date.UTC(2026, 10, 29, 9, 30)).toISOString();
    expect(describeSyncStatus(status({ state: 'synced', syncedAt }))).toEqual({
      label: 'Synced',
      progress: 1,
      tone: 'ok',
      detail: `Uploaded at ${new Date(syncedAt).toLocaleTimeString()}.`,
    });
  });
});

describe('isSyncSettled', () => {
  it('is true only once nothing more will upload without help', () => {
    const settled = (['local_only', 'syncing', 'offline', 'auth_failed', 'bucket_missing', 'synced'] as const).filter((state) => isSyncSettled(status({ state })));
    expect(settled).toEqual(['local_only', 'synced']);
    expect(isSyncSettled(null)).toBe(false);
  });
});

describe('countedDown: an offline countdown between statuses', () => {
  it('runs the retry time down by the time since the status arrived, never below zero', () => {
    const offline = status({ state: 'offline', retryInMs: 5_000 });
    expect(countedDown(offline, 1_200).retryInMs).toBe(3_800);
    expect(countedDown(offline, 9_000).retryInMs).toBe(0);
    expect(countedDown(offline, -50).retryInMs).toBe(5_000);
    expect(describeSyncStatus(countedDown(offline, 2_500)).detail).toContain('retrying in 3 s');
  });

  it('leaves every other status as it is', () => {
    for (const other of [status({ state: 'offline', retryInMs: null }), status({ state: 'syncing' }), status({ state: 'auth_failed' })]) expect(countedDown(other, 1_000)).toBe(other);
  });
});
