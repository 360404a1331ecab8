import type { SyncStatus } from '../../../shared/sync/syncStatus';
import { formatBytes } from './formatBytes';

/** How a sync status reads to the candidate. */
export interface SyncStatusView {
  label: string;
  /** Uploaded share, 0..1, while syncing; null otherwise. */
  progress: number | null;
  tone: 'neutral' | 'busy' | 'warning' | 'ok';
  detail: string | null;
}

/** The indicator's words for each state: local only, offline with pending, syncing n of m with bytes, auth failed or bucket missing, synced. */
export function describeSyncStatus(status: SyncStatus | null): SyncStatusView {
  if (!status) return { label: 'Checking sync…', progress: null, tone: 'neutral', detail: null };
  switch (status.state) {
    case 'local_only':
      return { label: 'Local only', progress: null, tone: 'neutral', detail: 'Saved on this computer; no cloud storage is set up.' };
    case 'offline': {
      const retry = status.retryInMs === null ? '' : `, retrying in ${Math.ceil(status.retryInMs / 1000)} s`;
      return { label: `Offline · ${status.pendingEvents} pending`, progress: null, tone: 'warning', detail: `Everything is saved on this computer and will upload when the network is back${retry}.` };
    }
    case 'syncing': {
      const total = Math.max(status.objectsTotal, status.objectsUploaded);
      const waiting = status.pendingEvents > 0 ? ` ${status.pendingEvents} events waiting to upload.` : '';
      return {
        label: `Syncing ${status.objectsUploaded} of ${total}`,
        progress: total === 0 ? 0 : status.objectsUploaded / total,
        tone: 'busy',
        detail: `${formatBytes(status.bytesUploaded)} uploaded.${waiting}`,
      };
    }
    case 'synced':
      return { label: 'Synced', progress: 1, tone: 'ok', detail: status.syncedAt ? `Uploaded at ${new Date(status.syncedAt).toLocaleTimeString()}.` : null };
    case 'auth_failed':
      return {
        label: 'Sync stopped · auth failed',
        progress: null,
        tone: 'warning',
        detail: status.message ?? 'Cloud storage refused the credentials; the recording is safe on this computer.',
      };
    case 'bucket_missing':
      return {
        label: 'Sync stopped · bucket missing',
        progress: null,
        tone: 'warning',
        detail: status.message ?? 'The storage bucket does not exist; the recording is safe on this computer.',
      };
  }
}

/** True once nothing more will upload without help: synced, or no storage to upload to. */
export function isSyncSettled(status: SyncStatus | null): boolean {
  return status?.state === 'synced' || status?.state === 'local_only';
}

/** `status` as it stands `elapsedMs` after it arrived: an offline countdown run down by that much (never below 0). */
export function countedDown(status: SyncStatus, elapsedMs: number): SyncStatus {
  if (status.state !== 'offline' || status.retryInMs === null) return status;
  return { ...status, retryInMs: Math.max(0, status.retryInMs - Math.max(0, elapsedMs)) };
}
