import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'modal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../../../shared/errors';
import { DEFAULT_RUN_LIMITS, type HarnessRequest, type HarnessResponse, type HarnessWireRequest } from '../../../../../electron/services/execution/harnessProtocol';
import { ModalExecutionBackend } from '../../../../../electron/services/execution/modal/modalBackend';
import { ModalSdkClient } from '../../../../../electron/services/execution/modal/modalSdkClient';
import { EnvironmentOverrides } from '../../../../helpers/environmentOverrides';
import type {
  RemoteExecOptions,
  RemoteExecResult,
  RemoteSandbox,
  RemoteSandboxClient,
  RemoteSandboxInfo,
  RemoteSandboxSpec,
} from '../../../../../electron/services/execution/modal/remoteSandboxClient';
import { modalLoopbackEnvironment, startModalLoopbackServer, type ModalLoopbackServer } from '../../../../helpers/modalLoopbackServer';

/*
 * The Modal backend twice over: with RemoteSandboxClient faked at its interface (what the
 * backend sends and how it reads answers), then through the real `modal` SDK against a
 * loopback Modal (test/helpers/modalLoopbackServer.ts) running the real harness scripts.
 */

const repoRoot = join(import.meta.dirname, '../../../../..');

async function rejectionOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected a rejection');
}

const addRequest = (language: HarnessRequest['language'], code: string, limits = DEFAULT_RUN_LIMITS): HarnessRequest => ({
  mode: 'function',
  language,
  code,
  entry: 'add',
  cases: [{ args: [1, 2] }],
  limits,
});
const PYTHON_ADD = 'def add(a, b):\n    return a + b\n';
const JS_ADD = 'function add(a, b) { return a + b; }\n';

const ANSWER: HarnessResponse = {
  compileError: null,
  entryError: null,
  cases: [{ value: 3, stdout: '', stderr: '', error: null, durationMs: 1 }],
  termination: null,
  outputTruncated: false,
};

interface FakeExec {
  sandboxId: string;
  argv: string[];
  options: RemoteExecOptions;
}

/** RemoteSandboxClient faked at its interface: records what it is asked, answers what the test says. */
class FakeSandboxClient implements RemoteSandboxClient {
  readonly specs: RemoteSandboxSpec[] = [];
  readonly execs: FakeExec[] = [];
  readonly terminated: string[] = [];
  listed: RemoteSandboxInfo[] = [];
  closed = false;
  answer: (exec: FakeExec) => RemoteExecResult = (exec) => ({ stdout: `${markerOf(exec)}${JSON.stringify(ANSWER)}\n`, stderr: '', exitCode: 0 });
  private count = 0;

  async createSandbox(spec: RemoteSandboxSpec): Promise<RemoteSandbox> {
    this.specs.push(spec);
    return this.sandbox(`sb-fake-${++this.count}`);
  }
  async fromId(id: string): Promise<RemoteSandbox> {
    return this.sandbox(id);
  }
  async listSandboxes(tags: Record<string, string> = {}): Promise<RemoteSandboxInfo[]> {
    return this.listed.filter((sandbox) => Object.entries(tags).every(([name, value]) => sandbox.tags[name] === value));
  }
  async testConnection(): Promise<void> {}
  close(): void {
    this.closed = true;
  }
  private sandbox(id: string): RemoteSandbox {
    return {
      id,
      exec: async (argv, options) => {
        const exec = { sandboxId: id, argv, options };
        this.execs.push(exec);
        return this.answer(exec);
      },
      terminate: async () => {
        this.terminated.push(id);
      },
    };
  }
}

/** The marker is the harness's last argument (`--once <marker>`). */
const markerOf = (exec: FakeExec) => exec.argv.at(-1)!;
const wireOf = (exec: FakeExec) => JSON.parse(exec.options.stdin) as HarnessWireRequest;

describe('ModalExecutionBackend, with the sandbox client faked', () => {
  const harnessDir = mkdtempSync(join(tmpdir(), 'interviewlm-modal-unit-'));
  mkdirSync(join(harnessDir, 'python'));
  mkdirSync(join(harnessDir, 'node'));
  writeFileSync(join(harnessDir, 'python/harness.py'), '# python harness\n');
  writeFileSync(join(harnessDir, 'node/harness.cjs'), '// node harness\n');
  afterAll(() => rmSync(harnessDir, { recursive: true, force: true }));
  const setUp = () => {
    const client = new FakeSandboxClient();
    return { client, backend: new ModalExecutionBackend({ client, harnessDir }) };
  };

  it('takes the answer from the marker line, whatever else the code printed', async () => {
    const { client, backend } = setUp();
    client.answer = (exec) => ({ stdout: `candidate noise\n${markerOf(exec)}${JSON.stringify(ANSWER)}\nmore noise`, stderr: 'warning', exitCode: 0 });
    expect(await backend.run(addRequest('python', PYTHON_ADD))).toEqual(ANSWER);
    const [exec] = client.execs;
    // The harness runs in once mode, under sh, with a marker no candidate output can guess.
    expect(exec!.argv.slice(0, 2)).toEqual(['sh', '-c']);
    expect(exec!.argv.slice(-2, -1)).toEqual(['python3']);
    expect(markerOf(exec!)).toMatch(/^@@interviewlm-result-[0-9a-f-]{36}@@$/);
    expect(wireOf(exec!)).toMatchObject({ ...addRequest('python', PYTHON_ADD), runDir: expect.stringMatching(/^\/tmp\/interviewlm-[0-9a-f-]{36}\/run$/) });
  });

  it('uses the last marker line, not one the code printed before it', async () => {
    const { client, backend } = setUp();
    const forged = { ...ANSWER, cases: [{ ...ANSWER.cases[0]!, value: 'forged' }] };
    client.answer = (exec) => ({ stdout: `${markerOf(exec)}${JSON.stringify(forged)}\n${markerOf(exec)}${JSON.stringify(ANSWER)}\n`, stderr: '', exitCode: 0 });
    expect((await backend.run(addRequest('python', PYTHON_ADD))).cases[0]!.value).toBe(3);
  });

  it('creates a sandbox for a run without one, with the limits of the request and the network blocked, and terminates it', async () => {
    const { client, backend } = setUp();
    const limits = { ...DEFAULT_RUN_LIMITS, wallMs: 4_500, memoryMb: 512 };
    await backend.run(addRequest('javascript', JS_ADD, limits));
    const [spec] = client.specs;
    expect(spec).toMatchObject({ image: 'node', blockNetwork: true, memoryMiB: 512, tags: { app: 'interviewlm-desktop', purpose: 'run', language: 'javascript' } });
    expect(spec!.memoryLimitMiB).toBeGreaterThanOrEqual(512);
    expect(spec!.timeoutMs % 1000).toBe(0);
    const [exec] = client.execs;
    expect(exec!.options.timeoutMs % 1000).toBe(0);
    expect(exec!.options.timeoutMs).toBeGreaterThan(limits.wallMs);
    expect(spec!.timeoutMs).toBeGreaterThan(exec!.options.timeoutMs);
    // `timeout` inside the sandbox: the wall time rounded up to seconds, plus the harness's start-up.
    expect(Number(exec!.argv.at(-3))).toBeGreaterThanOrEqual(5);
    expect(wireOf(exec!).limits).toEqual(limits);
    expect(client.terminated).toEqual(['sb-fake-1']);
  });

  it('terminates a run\'s sandbox even when the run fails', async () => {
    const { client, backend } = setUp();
    client.answer = () => {
      throw new AppError('EXECUTION_FAILED', 'Modal is unreachable', { transient: true });
    };
    expect(await rejectionOf(backend.run(addRequest('python', PYTHON_ADD)))).toMatchObject({ code: 'EXECUTION_FAILED', details: { transient: true } });
    expect(client.terminated).toEqual(['sb-fake-1']);
  });

  it('transpiles TypeScript here and runs it on the node image, with a source map for the candidate\'s lines', async () => {
    const { client, backend } = setUp();
    await backend.run(addRequest('typescript', 'function add(a: number, b: number): number { return a + b; }'));
    expect(client.specs[0]!.image).toBe('node');
    const wire = wireOf(client.execs[0]!);
    expect(wire.language).toBe('typescript');
    expect(wire.code).not.toContain(': number');
    expect(wire.code).toContain('sourceMappingURL=data:application/json');
    expect(client.execs[0]!.argv.at(-5)).toBe('harness.cjs');
  });

  it('answers a TypeScript syntax error with its line and column, without creating a sandbox', async () => {
    const { client, backend } = setUp();
    const response = await backend.run(addRequest('typescript', 'function add(a: number, b: number) {\n  return a +* b;\n}'));
    expect(response.compileError).toMatchObject({ line: 2, column: expect.any(Number) });
    expect(client.specs).toHaveLength(0);
  });

  it.each([
    ['no marker line', (): string => 'Traceback: boom\n', /printed no result line \(exit code 1\)/],
    ['a marker line that is not JSON', (marker: string): string => `${marker}{"cases": [\n`, /not JSON: "\{\\"cases\\": \["/],
    ['JSON the protocol does not allow', (marker: string): string => `${marker}{"cases": "many"}\n`, /protocol does not allow \(compileError: .*cases: /],
  ])('%s is an EXECUTION_FAILED that quotes it', async (_, stdout, message) => {
    const { client, backend } = setUp();
    client.answer = (exec) => ({ stdout: stdout(markerOf(exec)), stderr: 'x'.repeat(10_000), exitCode: 1 });
    const error = await rejectionOf(backend.run(addRequest('python', PYTHON_ADD)));
    expect(error).toMatchObject({ code: 'EXECUTION_FAILED', details: { transient: false, exitCode: 1 } });
    expect(error.message).toMatch(message);
    // Quoted, not dumped: a run's output can be megabytes.
    expect(error.message.length).toBeLessThan(2_000);
  });

  it('a run killed at its time limit answers with termination "timeout"', async () => {
    const { client, backend } = setUp();
    client.answer = () => ({ stdout: 'partial', stderr: '', exitCode: 124 });
    expect(await backend.run(addRequest('python', PYTHON_ADD))).toEqual({
      compileError: null,
      entryError: null,
      cases: [],
      termination: { reason: 'timeout', message: expect.stringMatching(/10000 ms/) },
      outputTruncated: false,
    });
  });

  it('a run killed early by SIGKILL answers with termination "memory"', async () => {
    const { client, backend } = setUp();
    client.answer = () => ({ stdout: '', stderr: '', exitCode: 137 });
    expect((await backend.run(addRequest('python', PYTHON_ADD))).termination).toEqual({ reason: 'memory', message: expect.stringMatching(/256 MiB/) });
  });

  it('refuses languages Modal does not run, before creating anything', async () => {
    const { client, backend } = setUp();
    const error = await rejectionOf(backend.run({ ...addRequest('python', ''), language: 'cpp' }));
    expect(error).toMatchObject({ code: 'LANGUAGE_UNAVAILABLE', message: expect.stringMatching(/cpp cannot run on Modal/) });
    expect(await rejectionOf(backend.createSandbox('ses_1', 'java'))).toMatchObject({ code: 'LANGUAGE_UNAVAILABLE' });
    expect(client.specs).toEqual([]);
  });

  it('keeps a session sandbox across runs, in its language only, until destroyed', async () => {
    const { client, backend } = setUp();
    const info = await backend.createSandbox('ses_abc', 'python');
    expect(info).toEqual({ id: expect.stringMatching(/^sbx_modal_/), sessionId: 'ses_abc', language: 'python', createdAt: expect.any(String) });
    expect(client.specs[0]).toMatchObject({ image: 'python', blockNetwork: true, tags: { purpose: 'session', handle: info.id, session: 'ses_abc', language: 'python' } });
    expect(client.specs[0]!.idleTimeoutMs).toBeGreaterThan(0);
    await backend.run(addRequest('python', PYTHON_ADD), info.id);
    await backend.run(addRequest('python', PYTHON_ADD), info.id);
    expect(client.execs.map((exec) => exec.sandboxId)).toEqual(['sb-fake-1', 'sb-fake-1']);
    expect(client.terminated).toEqual([]);
    expect(await rejectionOf(backend.run(addRequest('javascript', JS_ADD), info.id))).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/runs python, not javascript/) });
    await backend.destroySandbox(info.id);
    expect(client.terminated).toEqual(['sb-fake-1']);
    expect(await rejectionOf(backend.run(addRequest('python', PYTHON_ADD), info.id))).toMatchObject({ code: 'SANDBOX_NOT_FOUND' });
  });

  it('replaces a session sandbox Modal has ended, behind the same id', async () => {
    const { client, backend } = setUp();
    const info = await backend.createSandbox('ses_abc', 'python');
    const answer = client.answer;
    client.answer = (exec) => {
      if (exec.sandboxId === 'sb-fake-1') throw new AppError('SANDBOX_NOT_FOUND', 'ended', { sandboxId: exec.sandboxId, ended: true });
      return answer(exec);
    };
    expect(await backend.run(addRequest('python', PYTHON_ADD), info.id)).toEqual(ANSWER);
    expect(await backend.run(addRequest('python', PYTHON_ADD), info.id)).toEqual(ANSWER);
    expect(client.specs).toHaveLength(2);
    expect(client.specs[1]).toEqual(client.specs[0]);
    expect(client.execs.map((exec) => exec.sandboxId)).toEqual(['sb-fake-1', 'sb-fake-2', 'sb-fake-2']);
    await backend.destroySandbox(info.id);
    expect(client.terminated).toEqual(['sb-fake-2']);
  });

  it('lists the session sandboxes Modal reports by their ids, and destroys one it did not create', async () => {
    const { client, backend } = setUp();
    const session = { app: 'interviewlm-desktop', purpose: 'session', handle: 'sbx_modal_1', session: 'ses_1', language: 'python', createdAt: '2025-01-01T00:00:00.000Z' };
    client.listed = [
      { id: 'sb-1', tags: session },
      { id: 'sb-2', tags: { app: 'interviewlm-desktop', purpose: 'session' } },
    ];
    expect(await backend.listActiveSandboxes()).toEqual([{ id: 'sbx_modal_1', sessionId: 'ses_1', language: 'python', createdAt: '2025-01-01T00:00:00.000Z' }]);
    // One an earlier run of the app left behind: found by its id's tag.
    await backend.destroySandbox('sbx_modal_1');
    expect(client.terminated).toEqual(['sb-1']);
    expect(await rejectionOf(backend.destroySandbox('sbx_modal_unknown'))).toMatchObject({ code: 'SANDBOX_NOT_FOUND' });
  });

  it('a missing harness file is a plain EXECUTION_FAILED naming it', async () => {
    const client = new FakeSandboxClient();
    const backend = new ModalExecutionBackend({ client, harnessDir: join(harnessDir, 'nowhere') });
    const error = await rejectionOf(backend.run(addRequest('python', PYTHON_ADD)));
    expect(error).toMatchObject({ code: 'EXECUTION_FAILED', details: { transient: false }, message: expect.stringMatching(/nowhere\/python\/harness\.py cannot be read/) });
  });
});

/** The SDK's WARNs (plaintext router on loopback) would only clutter the test output. */
const quietLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('ModalExecutionBackend through the real Modal SDK, against a loopback Modal', () => {
  let server: ModalLoopbackServer;
  let scratch: string;
  // The real harness scripts, as the app ships them.
  const harnessDir = join(repoRoot, 'resources/execution');
  let backend: ModalExecutionBackend;
  const environment = new EnvironmentOverrides();
  const sdkClient = (tokenSecret = server.tokenSecret) => new ModalSdkClient({ tokenId: server.tokenId, tokenSecret, logger: quietLogger });

  beforeAll(async () => {
    server = await startModalLoopbackServer();
    scratch = mkdtempSync(join(tmpdir(), 'interviewlm-modal-sdk-'));
    // Only this test process's environment: the SDK reads it, and its config file at import.
    environment.setAll({ ...modalLoopbackEnvironment(server, scratch), MODAL_PROFILE: undefined, MODAL_ENVIRONMENT: undefined });
    backend = new ModalExecutionBackend({ client: sdkClient(), harnessDir });
  });

  afterAll(async () => {
    await backend?.close();
    await server?.close();
    environment.restore();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('creates a session sandbox with the network blocked, a lifetime and a memory limit, runs python in it, lists and destroys it', async () => {
    const info = await backend.createSandbox('ses_loopback', 'python');
    const created = server.callsTo('SandboxCreateV2').at(-1)!.request;
    const modalSandbox = [...server.sandboxes.values()].find((sandbox) => sandbox.tags.handle === info.id)!;
    expect(created.definition).toMatchObject({
      networkAccess: { networkAccessType: 2 }, // BLOCKED
      timeoutSecs: 3600,
      idleTimeoutSecs: 900,
      resources: { memoryMb: DEFAULT_RUN_LIMITS.memoryMb, memoryMbMax: DEFAULT_RUN_LIMITS.memoryMb + 64 },
    });
    expect(server.callsTo('ImageGetOrCreate').map((call) => call.request.image.dockerfileCommands)).toContainEqual(['FROM python:3.12-slim']);
    expect(server.callsTo('AppGetOrCreate')[0]!.request).toMatchObject({ appName: 'interviewlm-sandboxes', objectCreationType: 1 });

    const response = await backend.run(addRequest('python', PYTHON_ADD), info.id);
    expect(response).toMatchObject({ compileError: null, termination: null, cases: [{ value: 3, error: null }] });
    const started = server.callsTo('TaskExecStart').at(-1)!.request;
    expect(started.commandArgs.slice(0, 2)).toEqual(['sh', '-c']);
    expect(started.timeoutSecs).toBeGreaterThan(DEFAULT_RUN_LIMITS.wallMs / 1000);
    expect(modalSandbox.endedWith).toBeNull();

    // Past its idle timeout Modal ends it; the next run gets a new one behind the same id.
    server.expire(modalSandbox.id);
    expect(await backend.run(addRequest('python', PYTHON_ADD), info.id)).toMatchObject({ cases: [{ value: 3 }] });
    const replacement = [...server.sandboxes.values()].at(-1)!;
    expect(replacement).toMatchObject({ tags: { handle: info.id }, endedWith: null });

    expect(await backend.listActiveSandboxes()).toEqual([info]);
    await backend.destroySandbox(info.id);
    expect(replacement.endedWith).toBe(3); // TERMINATED
    expect(await backend.listActiveSandboxes()).toEqual([]);
    expect(await rejectionOf(backend.destroySandbox('sbx_modal_unknown'))).toMatchObject({ code: 'SANDBOX_NOT_FOUND' });
  });

  it('runs javascript in a sandbox of its own, on the node image, and terminates it', async () => {
    const before = server.sandboxes.size;
    const response = await backend.run(addRequest('javascript', JS_ADD));
    expect(response).toMatchObject({ compileError: null, termination: null, cases: [{ value: 3, error: null }] });
    expect(server.sandboxes.size).toBe(before + 1);
    const sandbox = [...server.sandboxes.values()].at(-1)!;
    expect(sandbox.definition).toMatchObject({ networkAccess: { networkAccessType: 2 } });
    expect(sandbox.endedWith).toBe(3);
    expect(server.callsTo('ImageGetOrCreate').map((call) => call.request.image.dockerfileCommands)).toContainEqual(['FROM node:20-slim']);
  });

  it('runs typescript through the real harness, and a runtime error names the candidate\'s TypeScript line', async () => {
    const code = 'function add(a: number, b: number): number {\n  if (a < 0) throw new RangeError("negative");\n  return a + b;\n}';
    const request = addRequest('typescript', code);
    const response = await backend.run({ ...request, mode: 'function', cases: [{ args: [1, 2] }, { args: [-1, 2] }] } as HarnessRequest);
    expect(response.cases[0]).toMatchObject({ value: 3, error: null });
    expect(response.cases[1]!.error).toMatchObject({ message: 'RangeError: negative', stack: expect.stringMatching(/solution\.ts:2/) });
  });

  it('a run past its wall time ends with termination "timeout", stopped by the harness or by `timeout` around it', async () => {
    const limits = { ...DEFAULT_RUN_LIMITS, wallMs: 1000 };
    const python = await backend.run(addRequest('python', 'def add(a, b):\n    while True:\n        pass\n', limits));
    expect(python.termination).toMatchObject({ reason: 'timeout' });
    // A synchronous loop cannot be interrupted inside node: the sandbox's `timeout` ends it.
    const javascript = await backend.run(addRequest('javascript', 'function add(a, b) { for (;;) {} }', limits));
    expect(javascript.termination).toMatchObject({ reason: 'timeout' });
  });

  it('runs a program (stdio) request', async () => {
    const response = await backend.run({
      mode: 'stdio',
      language: 'python',
      code: 'print(int(input()) * 2)\n',
      cases: [{ stdin: '21\n' }],
      limits: DEFAULT_RUN_LIMITS,
    });
    expect(response).toMatchObject({ compileError: null, termination: null, cases: [{ stdout: '42\n', error: null }] });
  });

  it('testConnection resolves when Modal takes the token', async () => {
    await expect(backend.testConnection()).resolves.toBeUndefined();
  });

  it('Modal answering UNAVAILABLE is a transient EXECUTION_FAILED (the service falls back to local)', async () => {
    server.failWith('UNAVAILABLE');
    try {
      const error = await rejectionOf(new ModalExecutionBackend({ client: sdkClient(), harnessDir }).run(addRequest('python', PYTHON_ADD)));
      expect(error).toMatchObject({ code: 'EXECUTION_FAILED', details: { transient: true, grpcStatus: 'UNAVAILABLE' } });
    } finally {
      server.failWith(null);
    }
  });

  it('Modal unreachable altogether is a transient EXECUTION_FAILED', async () => {
    // The SDK reads the server URL when the client is built, which happens at its first call.
    const url = process.env.MODAL_SERVER_URL;
    process.env.MODAL_SERVER_URL = 'http://127.0.0.1:1';
    try {
      const error = await rejectionOf(sdkClient().testConnection());
      expect(error).toMatchObject({ code: 'EXECUTION_FAILED', details: { transient: true } });
    } finally {
      process.env.MODAL_SERVER_URL = url;
    }
  });

  it('a token Modal refuses is an EXECUTION_FAILED that is not transient, naming the variables', async () => {
    const error = await rejectionOf(sdkClient('as-wrong').testConnection());
    expect(error).toMatchObject({ code: 'EXECUTION_FAILED', details: { transient: false, grpcStatus: 'UNAUTHENTICATED' } });
    expect(error.message).toMatch(/MODAL_TOKEN_ID and MODAL_TOKEN_SECRET/);
  });

  it('no token at all is CONFIG_INVALID, before any call', () => {
    expect(() => new ModalSdkClient({ tokenId: ' ', tokenSecret: 'x' })).toThrowError(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
