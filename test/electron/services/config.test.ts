import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_FILE_NAME, defaultDataDir, loadConfig } from '../../../electron/services/config';

describe('loadConfig', () => {
  it('runs on the embedded defaults with no variables set', () => {
    const config = loadConfig({}, { dataDir: '/tmp/user-data' });
    expect(config).toMatchObject({ dataDir: '/tmp/user-data', databasePath: join('/tmp/user-data', DATABASE_FILE_NAME), durability: 'normal' });
    expect(config.sqliteNativeBinding).toBeUndefined();
    expect(config.recorder.maxEventBytes).toBe(1024 * 1024);
  });

  it('prefers INTERVIEWLM_DATA_DIR over the shell default, and treats blank values as unset', () => {
    expect(loadConfig({ INTERVIEWLM_DATA_DIR: '/srv/interviews' }, { dataDir: '/x' }).dataDir).toBe('/srv/interviews');
    expect(loadConfig({ INTERVIEWLM_DATA_DIR: '  ', INTERVIEWLM_DURABILITY: '' }, { dataDir: '/x' })).toMatchObject({ dataDir: '/x', durability: 'normal' });
  });

  it('falls back to a per-user folder under plain Node', () => {
    expect(defaultDataDir('linux', {}, '/home/ada')).toBe('/home/ada/.local/share/InterviewLM');
    expect(defaultDataDir('linux', { XDG_DATA_HOME: '/data' }, '/home/ada')).toBe('/data/InterviewLM');
    expect(defaultDataDir('darwin', {}, '/Users/ada')).toBe('/Users/ada/Library/Application Support/InterviewLM');
    expect(defaultDataDir('win32', { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'C:\\Users\\ada')).toContain('InterviewLM');
    expect(loadConfig({}).dataDir).toMatch(/InterviewLM$/);
  });

  it.each([
    [{ INTERVIEWLM_DURABILITY: 'fast' }, 'INTERVIEWLM_DURABILITY'],
    [{ INTERVIEWLM_SQLITE_BINDING: 'relative/better_sqlite3.node' }, 'INTERVIEWLM_SQLITE_BINDING'],
  ])('fails at start with CONFIG_INVALID naming the variable for %o', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(variable) }));
  });

  it('accepts the documented values', () => {
    const config = loadConfig({ INTERVIEWLM_DURABILITY: 'full', INTERVIEWLM_SQLITE_BINDING: '/opt/app/better_sqlite3.node' }, { dataDir: '/x' });
    expect(config).toMatchObject({ durability: 'full', sqliteNativeBinding: '/opt/app/better_sqlite3.node' });
  });
});
