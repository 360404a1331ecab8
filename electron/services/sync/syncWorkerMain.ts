/**
 * The sync worker thread: its own read-write SQLite connection (WAL lets it read while the
 * main thread records), its own S3 client, and the engine. It reports statuses and takes
 * nudges; it never touches the recording hot path.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSyncDatabase } from './syncDatabase';
import { SyncEngine } from './syncEngine';
import { syncEndpointsFor } from './syncTarget';
import type { FromSyncWorker, SyncWorkerData, ToSyncWorker } from './syncWorkerProtocol';

const port = parentPort;
if (!port) throw new Error('syncWorkerMain.ts runs as a worker thread');
const data = workerData as SyncWorkerData;
const post = (message: FromSyncWorker) => port.postMessage(message);

const db = openSyncDatabase(data.databasePath, { ...(data.nativeBinding ? { nativeBinding: data.nativeBinding } : {}) });
const endpoints = syncEndpointsFor(data.target);
const engine = new SyncEngine({
  db,
  store: endpoints.store,
  ...(endpoints.server ? { server: endpoints.server } : {}),
  ...(data.settings ? { settings: data.settings } : {}),
  onStatus: (status) => post({ type: 'status', status }),
});
engine.start();

port.on('message', (message: ToSyncWorker) => {
  if (message.type === 'nudge') void engine.syncNow();
  if (message.type === 'stop') {
    void engine
      .stop()
      .catch((error: unknown) => post({ type: 'error', message: String(error) }))
      .finally(() => {
        db.close();
        endpoints.dispose();
        post({ type: 'stopped' });
        port.close();
      });
  }
});
