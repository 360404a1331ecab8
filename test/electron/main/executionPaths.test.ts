import { describe, expect, it } from 'vitest';
import { withExecutionPaths } from '../../../electron/main/executionPaths';
import { configForDataDir, loadConfig } from '../../../electron/services/config';

describe('withExecutionPaths', () => {
  const config = configForDataDir('/data');

  it('finds the harnesses in resources/execution of the packaged app, and runs JavaScript with Electron as Node', () => {
    const packaged = withExecutionPaths(config, { isPackaged: true, resourcesPath: '/opt/InterviewLM/resources', appPath: '/opt/InterviewLM/resources/app.asar' }, {}, '/opt/InterviewLM/interviewlm');
    expect(packaged.execution).toMatchObject({ harnessDir: '/opt/InterviewLM/resources/execution', nodePath: '/opt/InterviewLM/interviewlm', backend: 'local' });
    expect(packaged.questionsDir).toBe('/opt/InterviewLM/resources/questions');
  });

  it("uses the project's own resources/execution in development", () => {
    const dev = withExecutionPaths(config, { isPackaged: false, resourcesPath: '/x', appPath: '/work/app' }, {}, '/bin/electron');
    expect(dev.execution.harnessDir).toBe('/work/app/resources/execution');
  });

  it('keeps a folder chosen with INTERVIEWLM_RESOURCES_DIR', () => {
    const env = { INTERVIEWLM_RESOURCES_DIR: '/srv/resources' };
    const chosen = withExecutionPaths(loadConfig(env, { dataDir: '/data' }), { isPackaged: true, resourcesPath: '/x', appPath: '/x/app.asar' }, env, '/bin/electron');
    expect(chosen.execution.harnessDir).toBe('/srv/resources/execution');
    expect(chosen.questionsDir).toBe('/srv/resources/questions');
  });
});
