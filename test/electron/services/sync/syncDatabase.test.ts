import { afterEach, describe, expect, it } from 'vitest';
import { openSyncDatabase } from '../../../../electron/services/sync/syncDatabase';
import { tempServices } from '../../../helpers/tempServices';

describe('the sync engine’s connection', () => {
  let env: ReturnType<typeof tempServices> | null = null;
  afterEach(() => env?.cleanup());

  it('commits without an fsync (synchronous=NORMAL) on the WAL database the recorder keeps', () => {
    env = tempServices();
    const db = openSyncDatabase(env.config.databasePath);
    try {
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });
});
