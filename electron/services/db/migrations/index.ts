import { AppError } from '../../../../shared/errors';
import type { SqliteDatabase } from '../sqlite';
import { migration0001Recording } from './0001-recording';
import { migration0002SyncObjects } from './0002-sync-objects';
import { migration0003SyncSegments } from './0003-sync-segments';
import { migration0004Questions } from './0004-questions';
import { migration0005SyncObjectCodec } from './0005-sync-object-codec';

/** One schema step, applied inside a transaction together with its user_version bump. */
export interface Migration {
  version: number;
  name: string;
  up(db: SqliteDatabase): void;
}

/** Every migration, in order. Append; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  migration0001Recording,
  migration0002SyncObjects,
  migration0003SyncSegments,
  migration0004Questions,
  migration0005SyncObjectCodec,
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

export function schemaVersion(db: SqliteDatabase): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the schema to `target` (default: latest). A database from a newer app is refused
 * with a clear error rather than opened and misread.
 */
export function migrate(db: SqliteDatabase, target = LATEST_SCHEMA_VERSION, migrations = MIGRATIONS): number {
  const current = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new AppError(
      'DATABASE_TOO_NEW',
      `The recording database was written by a newer version of InterviewLM (schema ${current}, this app knows ${latest}). Update the app; the file was left untouched.`,
      { schemaVersion: current, supportedVersion: latest },
    );
  }
  for (const migration of migrations) {
    if (migration.version <= current || migration.version > target) continue;
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return schemaVersion(db);
}
