import type { SyncStatus } from '../../../shared/sync/syncStatus';
import { describeSyncStatus } from './syncStatusView';

/** Local only, offline with pending count, syncing n of m with a progress bar, or synced. */
export function SyncIndicator({ status }: { status: SyncStatus | null }) {
  const view = describeSyncStatus(status);
  return (
    <span className={`sync-indicator tone-${view.tone}`} data-testid="sync-indicator" data-state={status?.state ?? 'unknown'} title={view.detail ?? undefined}>
      <span className="sync-dot" aria-hidden="true" />
      {view.label}
      {view.progress !== null && status?.state === 'syncing' && <progress className="sync-progress" max={1} value={view.progress} />}
    </span>
  );
}
