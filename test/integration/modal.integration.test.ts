import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RUN_LIMITS, type HarnessRequest } from '../../electron/services/execution/harnessProtocol';
import { ModalExecutionBackend } from '../../electron/services/execution/modal/modalBackend';
import { ModalSdkClient } from '../../electron/services/execution/modal/modalSdkClient';

/*
 * Real Modal: runs only with MODAL_TOKEN_ID (and MODAL_TOKEN_SECRET) set, since it creates
 * sandboxes on that account. The first run may wait for Modal to pull the images.
 */
const tokenId = process.env.MODAL_TOKEN_ID?.trim();
if (!tokenId) console.info('Modal integration tests skipped: set MODAL_TOKEN_ID and MODAL_TOKEN_SECRET to run them against real Modal.');

const MODAL_TIMEOUT_MS = 300_000;

const request = (language: HarnessRequest['language'], code: string, entry: string, args: unknown[]): HarnessRequest => ({
  mode: 'function',
  language,
  code,
  entry,
  cases: [{ args }],
  limits: DEFAULT_RUN_LIMITS,
});

describe.skipIf(!tokenId)('Modal, for real', () => {
  let client: ModalSdkClient;
  let backend: ModalExecutionBackend;

  beforeAll(() => {
    client = new ModalSdkClient({ tokenId: tokenId!, tokenSecret: process.env.MODAL_TOKEN_SECRET ?? '', environment: process.env.MODAL_ENVIRONMENT });
    backend = new ModalExecutionBackend({ client, harnessDir: join(import.meta.dirname, '../../resources/execution') });
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('accepts the token', async () => {
    await backend.testConnection();
  });

  it(
    'runs a python request in a sandbox of its own',
    async () => {
      const response = await backend.run(request('python', 'def add(a, b):\n    return a + b\n', 'add', [1, 2]));
      expect(response).toMatchObject({ compileError: null, termination: null, cases: [{ value: 3, error: null }] });
    },
    MODAL_TIMEOUT_MS,
  );

  it(
    'runs a javascript request in a session sandbox',
    async () => {
      const sandbox = await backend.createSandbox('ses_modal_integration', 'javascript');
      try {
        const response = await backend.run(request('javascript', 'function add(a, b) { return a + b; }', 'add', [1, 2]), sandbox.id);
        expect(response).toMatchObject({ compileError: null, termination: null, cases: [{ value: 3, error: null }] });
      } finally {
        await backend.destroySandbox(sandbox.id);
      }
    },
    MODAL_TIMEOUT_MS,
  );

  it(
    'gives sandboxes no network',
    async () => {
      // Straight through the client, not the harness: the harness refuses sockets in-process too, and Modal's block is what is tested.
      const sandbox = await client.createSandbox({ image: 'python', timeoutMs: 120_000, memoryMiB: 256, memoryLimitMiB: 320, blockNetwork: true, tags: { app: 'interviewlm-desktop', purpose: 'test' } });
      try {
        const probe = "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=5).close()\n    print('connected')\nexcept OSError as error:\n    print('blocked', error)\n";
        const result = await sandbox.exec(['python3', '-c', probe], { stdin: '', timeoutMs: 30_000, maxStdoutChars: 10_000 });
        expect(result.stdout).toMatch(/^blocked/);
      } finally {
        await sandbox.terminate();
      }
    },
    MODAL_TIMEOUT_MS,
  );
});
