import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_FILE_NAME, configForDataDir, defaultDataDir, loadConfig, DEFAULT_HARNESS_DIR } from '../../../electron/services/config';

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

describe('loadConfig: cloud storage', () => {
  const S3_ENV = {
    AWS_S3_BUCKET: 'interviewlm-sessions',
    AWS_REGION: 'eu-west-1',
    AWS_S3_ENDPOINT: 'http://127.0.0.1:9000',
    AWS_S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    INTERVIEWLM_API_URL: 'https://api.interviewlm.example/v1',
    INTERVIEWLM_API_TOKEN: 'tok_123',
  };

  it('configures nothing by default: local only, us-east-1, virtual-hosted style', () => {
    expect(loadConfig({}, { dataDir: '/x' }).storage).toEqual({ region: 'us-east-1', forcePathStyle: false });
    expect(configForDataDir('/x').storage).toEqual({ region: 'us-east-1', forcePathStyle: false });
  });

  it('reads every storage variable', () => {
    expect(loadConfig(S3_ENV, { dataDir: '/x' }).storage).toEqual({
      bucket: 'interviewlm-sessions',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: 'secret',
      apiUrl: 'https://api.interviewlm.example/v1',
      apiToken: 'tok_123',
    });
  });

  it.each([
    ['true', true],
    ['1', true],
    ['TRUE', true],
    ['false', false],
    ['0', false],
    ['', false],
  ])('reads AWS_S3_FORCE_PATH_STYLE=%j as %s', (value, expected) => {
    expect(loadConfig({ AWS_S3_FORCE_PATH_STYLE: value }, { dataDir: '/x' }).storage.forcePathStyle).toBe(expected);
  });

  it('treats blank storage variables as unset', () => {
    expect(loadConfig({ AWS_S3_BUCKET: ' ', AWS_REGION: '', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '  ', AWS_S3_ENDPOINT: '' }, { dataDir: '/x' }).storage).toEqual({
      region: 'us-east-1',
      forcePathStyle: false,
    });
  });

  it.each([
    [{ AWS_S3_ENDPOINT: 'localhost:9000' }, 'AWS_S3_ENDPOINT'],
    [{ AWS_S3_ENDPOINT: 'ftp://files.example' }, 'AWS_S3_ENDPOINT'],
    [{ INTERVIEWLM_API_URL: 'not a url' }, 'INTERVIEWLM_API_URL'],
    [{ AWS_S3_FORCE_PATH_STYLE: 'yes' }, 'AWS_S3_FORCE_PATH_STYLE'],
  ])('fails at start with CONFIG_INVALID naming the variable for %o', (env, variable) => {
    expect(() => loadConfig(env, { dataDir: '/x' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(variable) }));
  });

  it.each([{ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }, { AWS_SECRET_ACCESS_KEY: 'secret' }])('refuses half a key pair, naming both variables: %o', (env) => {
    const attempt = () => loadConfig({ AWS_S3_BUCKET: 'b', ...env }, { dataDir: '/x' });
    expect(attempt).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('AWS_ACCESS_KEY_ID') }));
    expect(attempt).toThrow(expect.objectContaining({ message: expect.stringContaining('AWS_SECRET_ACCESS_KEY') }));
  });

  it.each([
    [{ INTERVIEWLM_API_URL: 'https://api.interviewlm.example' }, 'INTERVIEWLM_API_TOKEN'],
    [{ INTERVIEWLM_API_TOKEN: 'tok_123' }, 'INTERVIEWLM_API_URL'],
    [{ INTERVIEWLM_API_URL: 'https://api.interviewlm.example', INTERVIEWLM_API_TOKEN: '  ' }, 'INTERVIEWLM_API_TOKEN'],
  ])('refuses a server URL without its token, or a token without its URL, naming the missing one: %o', (env, missing) => {
    // Saved settings never hold either half, so nothing later could complete the pair: without this the app would quietly not sync through the server.
    const attempt = () => loadConfig({ AWS_S3_BUCKET: 'b', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', ...env }, { dataDir: '/x' });
    expect(attempt).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(`${missing}: INTERVIEWLM_API_URL and INTERVIEWLM_API_TOKEN must be set together`) }));
  });
});

describe('loadConfig: code execution', () => {
  it('runs code on this machine by default, with the harnesses in resources/execution', () => {
    const { execution } = loadConfig({}, { dataDir: '/data' });
    expect(execution).toEqual({ backend: 'local', harnessDir: DEFAULT_HARNESS_DIR });
    expect(DEFAULT_HARNESS_DIR).toMatch(/resources[\\/]execution$/);
  });

  it('chooses Modal when its tokens are set, unless local is asked for', () => {
    const tokens = { MODAL_TOKEN_ID: 'ak-1', MODAL_TOKEN_SECRET: 'as-1' };
    expect(loadConfig(tokens, { dataDir: '/data' }).execution).toMatchObject({ backend: 'modal', modal: { tokenId: 'ak-1', tokenSecret: 'as-1' } });
    expect(loadConfig({ ...tokens, INTERVIEWLM_EXECUTION: 'local' }, { dataDir: '/data' }).execution.backend).toBe('local');
  });

  it('names the variable when the Modal settings do not add up', () => {
    expect(() => loadConfig({ MODAL_TOKEN_ID: 'ak-1' })).toThrow(/MODAL_TOKEN_SECRET: MODAL_TOKEN_ID and MODAL_TOKEN_SECRET must be set together/);
    expect(() => loadConfig({ INTERVIEWLM_EXECUTION: 'modal' })).toThrow(/INTERVIEWLM_EXECUTION: modal needs MODAL_TOKEN_ID/);
    expect(() => loadConfig({ INTERVIEWLM_EXECUTION: 'cloud' })).toThrow(/INTERVIEWLM_EXECUTION: must be local or modal/);
    expect(() => loadConfig({ INTERVIEWLM_RESOURCES_DIR: 'relative' })).toThrow(/INTERVIEWLM_RESOURCES_DIR: must be an absolute path/);
  });
});

describe('loadConfig: the AI assistant', () => {
  it('has no key by default, the seed model, and the bundled question bank', () => {
    const config = loadConfig({}, { dataDir: '/data' });
    expect(config.ai).toEqual({ apiKey: null, model: 'claude-sonnet-4-6' });
    expect(config.questionsDir).toMatch(/resources[\\/]questions$/);
  });

  it('reads the key, a gateway URL and the model', () => {
    const config = loadConfig({ ANTHROPIC_API_KEY: 'sk-ant-1', ANTHROPIC_BASE_URL: 'http://127.0.0.1:8080', INTERVIEWLM_CLAUDE_MODEL: 'claude-haiku-4-5' }, { dataDir: '/data' });
    expect(config.ai).toEqual({ apiKey: 'sk-ant-1', baseURL: 'http://127.0.0.1:8080', model: 'claude-haiku-4-5' });
  });

  it('names the variable when a value is wrong', () => {
    expect(() => loadConfig({ ANTHROPIC_BASE_URL: 'ftp://x' })).toThrow(/ANTHROPIC_BASE_URL: must be an http/);
    expect(() => loadConfig({ INTERVIEWLM_CLAUDE_MODEL: 'a model with spaces' })).toThrow(/INTERVIEWLM_CLAUDE_MODEL: must be a model id/);
  });
});
