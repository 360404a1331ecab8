import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeStartupError } from '../../../electron/main/startupError';
import { configForDataDir, loadConfig } from '../../../electron/services/config';
import { createServices, type Services } from '../../../electron/services/container';

/** The error `start` throws, caught. */
function failureOf(start: () => unknown): unknown {
  try {
    start();
  } catch (error) {
    return error;
  }
  throw new Error('expected start to fail');
}

describe('describeStartupError', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => cleanup.splice(0).reverse().forEach((step) => step()));

  it("reports an invalid environment with the config's own message", () => {
    const error = failureOf(() => loadConfig({ INTERVIEWLM_DURABILITY: 'sometimes' }, { dataDir: tmpdir() }));
    const report = describeStartupError(error);
    expect(report.title).toBe('InterviewLM: invalid configuration');
    expect(report.message).toContain('INTERVIEWLM_DURABILITY');
    expect(report.message).not.toMatch(/\n\s+at /);
  });

  it('reports a data folder held by another instance as already running', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'interviewlm-startup-'));
    cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first: Services = createServices(configForDataDir(dataDir));
    cleanup.push(() => first.dispose());

    const report = describeStartupError(failureOf(() => createServices(configForDataDir(dataDir))));

    expect(report.title).toBe('InterviewLM is already running');
    expect(report.message).toContain('Another InterviewLM instance is using this data folder');
  });

  it('names the fix when the SQLite addon was built for Node instead of Electron', () => {
    const error = new Error(
      "The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node' was compiled against a different Node.js version using NODE_MODULE_VERSION 115.",
    );
    expect(describeStartupError(error).message).toContain('build-electron-native.mjs');
  });

  it('shows any other failure by its message alone', () => {
    expect(describeStartupError(new TypeError('boom'))).toEqual({ title: 'InterviewLM could not start', message: 'boom' });
    expect(describeStartupError('plain string')).toEqual({ title: 'InterviewLM could not start', message: 'plain string' });
  });
});
