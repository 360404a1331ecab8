import { useEffect, useState } from 'react';
import type { SyncStatus } from '../../../shared/sync/syncStatus';
import type { InterviewLmClient } from '../interviewLmClient';

/** A session's sync status: asked once, then kept current from the `syncStatus` events. */
export function useSyncStatus(client: InterviewLmClient, sessionId: string): SyncStatus | null {
  const [status, setStatus] = useState<SyncStatus | null>(null);
  useEffect(() => {
    let live = true;
    let heard = false;
    const unsubscribe = client.on('syncStatus', (next) => {
      if (next.sessionId !== sessionId) return;
      heard = true;
      setStatus(next);
    });
    // An event that arrived while we asked is newer than the answer.
    client.sync.getSyncStatus(sessionId).then(
      (first) => live && !heard && setStatus(first),
      () => {},
    );
    return () => {
      live = false;
      unsubscribe();
    };
  }, [client, sessionId]);
  return status;
}
