import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { configForDataDir } from '../../../electron/services/config';
import { createServices } from '../../../electron/services/container';
import { makeTempDir } from '../../helpers/tempServices';

const repoRoot = join(import.meta.dirname, '../../..');

describe("the seed's usage example for sessions", () => {
  const temp = makeTempDir();
  afterEach(() => temp.cleanup());

  it('runs nearly verbatim under Node with tsx, against the facade bound to INTERVIEWLM_DATA_DIR', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'test/fixtures/seedSessionsExample.ts')],
      { cwd: repoRoot, env: { ...process.env, INTERVIEWLM_DATA_DIR: temp.dir, TSX_TSCONFIG_PATH: join(repoRoot, 'tsconfig.node.json') } },
    );
    expect(stdout).toContain('Events: 6');
    expect(stdout).toContain('Tokens: 450');
    expect(stdout).toContain('Tests passed: 1/1');
    const sessionId = /Session: (\S+)/.exec(stdout)?.[1];
    expect(sessionId).toBeDefined();

    const services = createServices(configForDataDir(temp.dir));
    try {
      expect(await services.sessions.getSession(sessionId!)).toMatchObject({ candidateId: 'cand_123', status: 'COMPLETED' });
      expect(await services.sessions.verifySession(sessionId!)).toMatchObject({ valid: true, eventCount: 6 });
    } finally {
      services.dispose();
    }
  });
});
