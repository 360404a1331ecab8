import type { Migration } from './index';

/**
 * The codec of each object the sync worker put, so a manifest rebuilt from SQLite (after a
 * restart between SYNCED and the clean-up) names the codec the object was written in. Rows
 * from before it stay NULL: their recordings are col-segments+brotli/v1, the only segmented
 * codec earlier versions wrote.
 */
export const migration0005SyncObjectCodec: Migration = {
  version: 5,
  name: '0005-sync-object-codec',
  up(db) {
    db.exec('ALTER TABLE sync_objects ADD COLUMN codec TEXT');
  },
};
