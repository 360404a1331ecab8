import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrate, schemaVersion, type Migration } from '../../../../electron/services/db/migrations/index';
import { openSqlite } from '../../../../electron/services/db/sqlite';
import { makeTempDir } from '../../../helpers/tempServices';

describe('schema migrations', () => {
  const temp = makeTempDir();
  afterEach(() => undefined);

  it('numbers migrations 1..N in order, each named NNNN-what-it-does', () => {
    MIGRATIONS.forEach((migration, index) => {
      expect(migration.version).toBe(index + 1);
      expect(migration.name).toMatch(new RegExp(`^${String(index + 1).padStart(4, '0')}-[a-z0-9-]+$`));
    });
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('0001 creates the recording tables on an empty database and records user_version', () => {
    const db = openSqlite(join(temp.dir, 'm1.db'));
    expect(schemaVersion(db)).toBe(0);
    expect(migrate(db, 1)).toBe(1);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['events', 'sessions']);
    db.close();
  });

  it('0002 adds sync state, keeping the sessions and events recorded at version 1', () => {
    const db = openSqlite(join(temp.dir, 'm-0002.db'));
    migrate(db, 1);
    db.prepare("INSERT INTO sessions (id, candidate_id, status, started_at, last_seq, last_hash, last_timestamp) VALUES ('s', 'c', 'COMPLETED', 1, 1, 'h', 1)").run();
    db.prepare("INSERT INTO events (session_id, seq, timestamp, type, data, hash) VALUES ('s', 1, 1, 'focus', '{}', 'h')").run();
    expect(migrate(db, 2)).toBe(2);
    expect(db.prepare('SELECT id, status, last_seq, synced_at, sync_state FROM sessions').get()).toEqual({
      id: 's',
      status: 'COMPLETED',
      last_seq: 1,
      synced_at: null,
      sync_state: 'LOCAL_ONLY',
    });
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(1);
    expect(db.prepare('SELECT count(*) FROM sync_objects').pluck().get()).toBe(0);
    db.close();
  });

  it('0003 adds the sync worker\'s sealed segments, keeping sessions and the objects synced at version 2', () => {
    const db = openSqlite(join(temp.dir, 'm-0003.db'));
    migrate(db, 2);
    db.prepare("INSERT INTO sessions (id, candidate_id, status, started_at, last_seq, last_hash, last_timestamp) VALUES ('s', 'c', 'ACTIVE', 1, 1, 'h', 1)").run();
    db.prepare(
      "INSERT INTO sync_objects (session_id, key, kind, first_seq, last_seq, event_count, sha256, size, compressed_size, etag, uploaded_at) VALUES ('s', 'k', 'chunk', 1, 1, 1, 'x', 10, 5, 'e', 1)",
    ).run();
    db.prepare("INSERT INTO sessions (id, candidate_id, status, started_at, last_seq, last_hash, last_timestamp, sync_state, synced_at) VALUES ('t', 'c', 'COMPLETED', 1, 0, 'h', 1, 'SYNCED', 7)").run();
    expect(migrate(db, 3)).toBe(3);
    // A session synced before: its manifest names its chunks, so there is nothing to clean up.
    expect(db.prepare('SELECT id, status, sync_state, storage_cleaned_at FROM sessions ORDER BY id').all()).toEqual([
      { id: 's', status: 'ACTIVE', sync_state: 'LOCAL_ONLY', storage_cleaned_at: null },
      { id: 't', status: 'COMPLETED', sync_state: 'SYNCED', storage_cleaned_at: 7 },
    ]);
    expect(db.prepare('SELECT key, kind, etag FROM sync_objects').get()).toEqual({ key: 'k', kind: 'chunk', etag: 'e' });
    db.prepare("INSERT INTO sync_segments (session_id, first_seq, last_seq, level, head_hash, raw_size, body) VALUES ('s', 1, 1, 0, 'h', 3, x'010203')").run();
    expect(db.prepare('SELECT first_seq, level, body FROM sync_segments').get()).toEqual({ first_seq: 1, level: 0, body: Buffer.from([1, 2, 3]) });
    db.close();
  });

  it('0004 adds the questions table, keeping the sessions and segments of version 3', () => {
    const db = openSqlite(join(temp.dir, 'm-0004.db'));
    migrate(db, 3);
    db.prepare("INSERT INTO sessions (id, candidate_id, status, started_at, last_seq, last_hash, last_timestamp) VALUES ('s', 'c', 'ACTIVE', 1, 1, 'h', 1)").run();
    db.prepare("INSERT INTO sync_segments (session_id, first_seq, last_seq, level, head_hash, raw_size, body) VALUES ('s', 1, 1, 0, 'h', 3, x'01')").run();
    expect(migrate(db, 4)).toBe(4);
    expect(db.prepare('SELECT id, candidate_id FROM sessions').get()).toEqual({ id: 's', candidate_id: 'c' });
    expect(db.prepare('SELECT count(*) FROM sync_segments').pluck().get()).toBe(1);
    const insert = db.prepare(
      "INSERT INTO questions (id, candidate_id, source, title, difficulty, language, question_json, score, created_at) VALUES (?, 'c', 'bank', 't', 'EASY', 'python', '{}', ?, 1)",
    );
    insert.run('q1', 0.5);
    expect(db.prepare('SELECT id, status, score, tokens_used FROM questions').get()).toEqual({ id: 'q1', status: 'PENDING', score: 0.5, tokens_used: 0 });
    // A score outside 0..1 never reaches the table.
    expect(() => insert.run('q2', 1.5)).toThrow(/CHECK constraint/);
    db.close();
  });

  it('0005 adds the codec of each synced object, keeping the objects of version 4 without one', () => {
    const db = openSqlite(join(temp.dir, 'm-0005.db'));
    migrate(db, 4);
    db.prepare("INSERT INTO sessions (id, candidate_id, status, started_at, last_seq, last_hash, last_timestamp) VALUES ('s', 'c', 'COMPLETED', 1, 1, 'h', 1)").run();
    db.prepare(
      "INSERT INTO sync_objects (session_id, key, kind, first_seq, last_seq, event_count, sha256, size, compressed_size, etag, uploaded_at) VALUES ('s', 'k', 'recording', 1, 1, 1, 'x', 10, 5, 'e', 1)",
    ).run();
    expect(migrate(db, 5)).toBe(5);
    expect(db.prepare('SELECT key, kind, sha256, etag, codec FROM sync_objects').get()).toEqual({ key: 'k', kind: 'recording', sha256: 'x', etag: 'e', codec: null });
    db.prepare(
      "INSERT INTO sync_objects (session_id, key, kind, first_seq, last_seq, event_count, sha256, size, compressed_size, codec, etag, uploaded_at) VALUES ('s', 'k2', 'chunk', 1, 1, 1, 'y', 10, 5, 'gzip+json/v1', 'e', 1)",
    ).run();
    expect(db.prepare("SELECT codec FROM sync_objects WHERE key = 'k2'").pluck().get()).toBe('gzip+json/v1');
    db.close();
  });

  it('keeps the rows written at N-1 when stepping to N (checked with a trial migration)', () => {
    const db = openSqlite(join(temp.dir, 'm2.db'));
    migrate(db);
    db.prepare("INSERT INTO sessions (id, candidate_id, status, started_at, last_hash, last_timestamp) VALUES ('s', 'c', 'ACTIVE', 1, 'h', 1)").run();
    db.prepare("INSERT INTO events (session_id, seq, timestamp, type, data, hash) VALUES ('s', 1, 1, 'focus', '{}', 'h')").run();
    const next = LATEST_SCHEMA_VERSION + 1;
    const trial: Migration = { version: next, name: `${String(next).padStart(4, '0')}-trial`, up: (d) => d.exec('ALTER TABLE sessions ADD COLUMN trial TEXT') };
    expect(migrate(db, next, [...MIGRATIONS, trial])).toBe(next);
    expect(db.prepare('SELECT id, candidate_id, trial FROM sessions').get()).toEqual({ id: 's', candidate_id: 'c', trial: null });
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(1);
    db.close();
  });

  it('rolls a failing migration back whole, leaving the version where it was', () => {
    const db = openSqlite(join(temp.dir, 'm3.db'));
    migrate(db);
    const broken: Migration = {
      version: LATEST_SCHEMA_VERSION + 1,
      name: 'nnnn-broken',
      up: (d) => {
        d.exec('CREATE TABLE half_done (x)');
        throw new Error('boom');
      },
    };
    expect(() => migrate(db, LATEST_SCHEMA_VERSION + 1, [...MIGRATIONS, broken])).toThrow('boom');
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
    db.close();
  });

  it('refuses a database written by a newer app with DATABASE_TOO_NEW, leaving it untouched', () => {
    const db = openSqlite(join(temp.dir, 'm4.db'));
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    expect(() => migrate(db)).toThrow(expect.objectContaining({ code: 'DATABASE_TOO_NEW' }));
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION + 5);
    db.close();
    temp.cleanup();
  });
});
