import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../../../electron/services/db/migrations/index';
import { openRecordingDatabase } from '../../../../electron/services/db/recordingDatabase';
import { openSqlite } from '../../../../electron/services/db/sqlite';
import { configForDataDir } from '../../../../electron/services/config';
import { createServices } from '../../../../electron/services/container';
import { makeTempDir } from '../../../helpers/tempServices';

const repoRoot = join(import.meta.dirname, '../../../..');

function openError(path: string): { code?: string; message: string } {
  try {
    openRecordingDatabase({ path }).close();
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected the database to fail to open');
}

describe('openRecordingDatabase', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.cleanup());

  it('creates the folder and the file, in WAL mode at the latest schema, with the chosen durability', () => {
    const path = join(temp.dir, 'nested', 'deeper', 'interviewlm.db');
    const database = openRecordingDatabase({ path });
    expect(database.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(database.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(database.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    database.close();
    const full = openRecordingDatabase({ path, durability: 'full' });
    expect(full.db.pragma('synchronous', { simple: true })).toBe(2);
    full.close();
  });

  it('refuses a second opener in the same process with DATABASE_LOCKED, and frees the lock on close', () => {
    const path = join(temp.dir, 'interviewlm.db');
    const first = openRecordingDatabase({ path });
    const error = openError(path);
    expect(error.code).toBe('DATABASE_LOCKED');
    expect(error.message).toMatch(/Another InterviewLM instance/);
    first.close();
    openRecordingDatabase({ path }).close();
  });

  it('refuses a second app instance (another process) with DATABASE_LOCKED, and takes over once it dies', async () => {
    const dir = join(temp.dir, 'data');
    const holder = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/fixtures/holdDataDir.ts'), dir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => holder.on('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('holding') && resolve());
        holder.on('exit', (code) => reject(new Error(`holder exited early (${code})`)));
      });
      expect(() => createServices(configForDataDir(dir))).toThrow(expect.objectContaining({ code: 'DATABASE_LOCKED' }));
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    // The OS released the dead process's lock: no stale lock file blocks the next start.
    createServices(configForDataDir(dir)).dispose();
  });

  it('reports a file that is not a database as DATABASE_CORRUPT and leaves its bytes untouched', () => {
    const path = join(temp.dir, 'interviewlm.db');
    const garbage = Buffer.from('this is not a sqlite database, it is a shopping list: eggs, milk, '.repeat(100));
    writeFileSync(path, garbage);
    const error = openError(path);
    expect(error.code).toBe('DATABASE_CORRUPT');
    expect(error.message).toContain(path);
    expect(readFileSync(path).equals(garbage)).toBe(true);
  });

  it('reports damaged pages as DATABASE_CORRUPT when they are read, never as silent loss', async () => {
    const dir = join(temp.dir, 'data');
    const services = createServices(configForDataDir(dir));
    const { id } = await services.sessions.createSession('cand');
    for (let i = 0; i < 300; i++) await services.sessions.recordEvent(id, { type: 'note', data: { text: 'n'.repeat(200) } });
    services.dispose();
    const path = join(dir, 'interviewlm.db');
    const bytes = readFileSync(path);
    // Overwrite every page after the schema pages with noise.
    for (let offset = 4096 * 3; offset < bytes.length; offset++) bytes[offset] = (offset * 7919) & 0xff;
    writeFileSync(path, bytes);
    let code: string | undefined;
    try {
      const reopened = createServices(configForDataDir(dir));
      try {
        await reopened.sessions.verifySession(id);
      } finally {
        reopened.dispose();
      }
    } catch (error) {
      code = (error as { code?: string }).code;
    }
    expect(code).toBe('DATABASE_CORRUPT');
  });

  it('reports an unwritable location as DATABASE_UNWRITABLE, naming the path', () => {
    const blocker = join(temp.dir, 'a-file');
    writeFileSync(blocker, 'x');
    const underFile = openError(join(blocker, 'interviewlm.db'));
    expect(underFile.code).toBe('DATABASE_UNWRITABLE');
    expect(underFile.message).toContain(blocker);
    const dirAsDatabase = join(temp.dir, 'dir.db');
    mkdirSync(dirAsDatabase);
    expect(openError(dirAsDatabase).code).toBe('DATABASE_UNWRITABLE');
  });

  // Permission bits do not bind root, so the opener runs as an unprivileged user; that needs root to arrange.
  it.runIf(process.getuid?.() === 0)('reports a database file it may read but not write as DATABASE_UNWRITABLE at open', async () => {
    const dir = join(temp.dir, 'data');
    createServices(configForDataDir(dir)).dispose();
    chmodSync(temp.dir, 0o755);
    chmodSync(dir, 0o777);
    chmodSync(join(dir, 'interviewlm.db'), 0o444);
    chmodSync(join(dir, 'interviewlm.db.lock'), 0o666);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/fixtures/tryOpenDataDir.ts'), dir], {
      cwd: repoRoot,
      uid: 65534,
      gid: 65534,
    });
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, code: 'DATABASE_UNWRITABLE', message: expect.stringContaining(dir) });
  });

  it('refuses a database from a newer app version with DATABASE_TOO_NEW', () => {
    const path = join(temp.dir, 'interviewlm.db');
    const db = openSqlite(path);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    const error = openError(path);
    expect(error.code).toBe('DATABASE_TOO_NEW');
    expect(error.message).toMatch(/newer version/);
  });
});
