import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../electron/services/config';
import { createServices, type Services } from '../../../../electron/services/container';
import type { FunctionTestCase } from '../../../../shared/execution/testCases';
import { modalLoopbackEnvironment, startModalLoopbackServer, type ModalLoopbackServer } from '../../../helpers/modalLoopbackServer';
import { EnvironmentOverrides } from '../../../helpers/environmentOverrides';
import { rejectionOf } from '../../../helpers/tempServices';

/*
 * The app configured for Modal (MODAL_TOKEN_ID / MODAL_TOKEN_SECRET), composed by
 * createServices with the real SDK, against a loopback server that stands in for Modal's
 * cloud (which cannot run here) and really runs each command on this machine.
 */

const ADD_CASES: FunctionTestCase[] = [
  { name: 'test_add', input: [2, 3], expected: 5, hidden: false },
  { name: 'test_zero', input: [0, 0], expected: 0, hidden: false },
];

describe('executeCode with Modal configured', () => {
  let server: ModalLoopbackServer;
  let scratch: string;
  const environment = new EnvironmentOverrides();

  beforeAll(async () => {
    server = await startModalLoopbackServer();
    scratch = mkdtempSync(join(tmpdir(), 'interviewlm-modal-service-'));
    environment.setAll({ ...modalLoopbackEnvironment(server, scratch), MODAL_PROFILE: undefined });
  });
  afterAll(async () => {
    await server.close();
    environment.restore();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function withServices<T>(tokenSecret: string, body: (services: Services) => Promise<T>): Promise<T> {
    const config = loadConfig({ MODAL_TOKEN_ID: server.tokenId, MODAL_TOKEN_SECRET: tokenSecret }, { dataDir: mkdtempSync(join(scratch, 'data-')) });
    expect(config.execution.backend).toBe('modal');
    const services = createServices(config, { syncRunner: 'none' });
    try {
      return await body(services);
    } finally {
      await services.shutdown();
    }
  }

  it('runs in Modal, in a sandbox with the network blocked, and says so in the result', async () => {
    await withServices(server.tokenSecret, async (services) => {
      const before = server.callsTo('SandboxCreateV2').length;
      const result = await services.execution.executeCode('function add(a, b) { return a + b; }', 'javascript', ADD_CASES);
      expect(result).toMatchObject({ passedTests: 2, backend: 'modal', notice: null });
      const created = server.callsTo('SandboxCreateV2').slice(before);
      expect(created).toHaveLength(1);
      expect(created[0]!.request.definition).toMatchObject({ networkAccess: { networkAccessType: 2 } });
    });
  });

  it('falls back to this machine when Modal is unreachable, and says so plainly', async () => {
    await withServices(server.tokenSecret, async (services) => {
      server.failWith('UNAVAILABLE');
      try {
        const result = await services.execution.executeCode('def add(a, b):\n    return a + b\n', 'python', ADD_CASES);
        expect(result).toMatchObject({ passedTests: 2, backend: 'local', notice: expect.stringMatching(/^Modal could not be reached \(.+\); this run used this computer instead\.$/) });
        // The next run does not wait for Modal again: straight to this machine, for a while.
        const calls = server.calls.length;
        const next = await services.execution.executeCode('def add(a, b):\n    return a + b\n', 'python', ADD_CASES);
        expect(next).toMatchObject({ passedTests: 2, backend: 'local', notice: expect.stringMatching(/did not answer a moment ago/) });
        expect(server.calls.length).toBe(calls);
      } finally {
        server.failWith(null);
      }
    });
  });

  it('does not fall back on a token Modal refuses: a clear error naming the variables', async () => {
    await withServices('as-wrong', async (services) => {
      const error = await rejectionOf(services.execution.executeCode('function add(a, b) { return a + b; }', 'javascript', ADD_CASES));
      expect(error).toMatchObject({ code: 'EXECUTION_FAILED', message: expect.stringMatching(/MODAL_TOKEN_ID/) });
      expect(await services.execution.testConnection()).toBe(false);
    });
  });
});
