import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectedSqliteBinding, withSqliteBinding } from '../../../electron/main/sqliteBinding';
import { configForDataDir } from '../../../electron/services/config';

const packaged = { isPackaged: true, resourcesPath: join('/opt', 'InterviewLM', 'resources'), appPath: join('/opt', 'InterviewLM', 'resources', 'app.asar') };
const development = { isPackaged: false, resourcesPath: join('/dev', 'electron', 'resources'), appPath: join('/src', 'interviewlm') };
const config = configForDataDir(join('/data', 'InterviewLM'));

describe('withSqliteBinding', () => {
  it('uses resources/native/ when packaged', () => {
    expect(expectedSqliteBinding(packaged)).toBe(join('/opt', 'InterviewLM', 'resources', 'native', 'better_sqlite3.node'));
    expect(withSqliteBinding(config, packaged, () => true).sqliteNativeBinding).toBe(expectedSqliteBinding(packaged));
  });

  it('uses build/electron-native/ of the project in development', () => {
    expect(expectedSqliteBinding(development)).toBe(join('/src', 'interviewlm', 'build', 'electron-native', 'better_sqlite3.node'));
    expect(withSqliteBinding(config, development, () => true).sqliteNativeBinding).toBe(expectedSqliteBinding(development));
  });

  it('leaves the binding unset when the addon is not there', () => {
    const checked: string[] = [];
    const result = withSqliteBinding(config, development, (path) => (checked.push(path), false));
    expect(result.sqliteNativeBinding).toBeUndefined();
    expect(checked).toEqual([expectedSqliteBinding(development)]);
  });

  it('never overrides INTERVIEWLM_SQLITE_BINDING', () => {
    const explicit = configForDataDir(join('/data', 'InterviewLM'), { sqliteNativeBinding: '/custom/better_sqlite3.node' });
    expect(withSqliteBinding(explicit, packaged, () => true)).toBe(explicit);
  });
});
