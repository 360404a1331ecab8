import { useEffect, useState } from 'react';
import type { SyncStatus } from '../../../shared/sync/syncStatus';
import type { InterviewLmClient } from '../interviewLmClient';
import { countedDown } from './syncStatusView';

/**
 * A session's sync status: asked once, then kept current from the `syncStatus` events; an
 * offline countdown runs down each second between them.
 */
export function useSyncStatus(client: InterviewLmClient, sessionId: string): SyncStatus | null {
  const [received, setReceived] = useState<{ status: SyncStatus; at: number } | null>(null);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    // Another session's status (and countdown) is not this one's.
    setReceived(null);
    let live = true;
    let heard = false;
    const receive = (status: SyncStatus) => {
      const at = Date.now();
      setReceived({ status, at });
      setNow(at);
    };
    const unsubscribe = client.on('syncStatus', (next) => {
      if (next.sessionId !== sessionId) return;
      heard = true;
      receive(next);
    });
    // An event that arrived while we asked is newer than the answer.
    client.sync.getSyncStatus(sessionId).then(
      (first) => live && !heard && receive(first),
      () => {},
    );
    return () => {
      live = false;
      unsubscribe();
    };
  }, [client, sessionId]);
  const counting = received?.status.state === 'offline' && received.status.retryInMs !== null && received.status.retryInMs > now - received.at;
  useEffect(() => {
    if (!counting) return;
    const tick = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(tick);
  }, [counting]);
  return received ? countedDown(received.status, now - received.at) : null;
}
