import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createIpcHost } from '../../../../electron/ipc/handlers';
import { configForDataDir } from '../../../../electron/services/config';
import { createServices } from '../../../../electron/services/container';
import { CompiledRuntime } from '../../../../electron/services/execution/local/compiledRuntime';
import { createInMemoryTransport } from '../../../../electron/ipc/inMemoryTransport';
import { ipcContract } from '../../../../shared/ipc/contract';
import { createIpcClient } from '../../../../shared/ipc/client';
import type { FunctionTestCase } from '../../../../shared/execution/testCases';
import { rejectionOf, tempServices } from '../../../helpers/tempServices';

/*
 * The execution service as the app composes it: real local runtimes (node and python3 on
 * this machine), real SQLite recording. Modal has tests of its own (modal/), against a
 * loopback server.
 */

const ADD = 'function add(a, b) { return a + b; }';

const ADD_CASES: FunctionTestCase[] = [
  { name: 'test_add', input: [2, 3], expected: 5, hidden: false },
  { name: 'test_zero', input: [0, 0], expected: 0, hidden: false },
];

describe('executeCode, the seed\'s Modal Sandbox Service on this machine', () => {
  let env: ReturnType<typeof tempServices>;
  beforeEach(() => {
    env = tempServices({}, { syncRunner: 'none' });
  });
  afterEach(async () => {
    await env.services.execution.dispose();
    env.cleanup();
  });

  it("runs the seed's example: both cases pass, with the seed's result fields", async () => {
    const result = await env.services.execution.executeCode(ADD, 'javascript', ADD_CASES);
    expect(result).toMatchObject({ passedTests: 2, totalTests: 2, compileError: null, terminated: null, backend: 'local', notice: null });
    expect(result.executionTime).toBeGreaterThan(0);
    expect(result.results).toEqual([
      expect.objectContaining({ name: 'test_add', passed: true, actual: '5', expected: '5', error: null, hidden: false }),
      expect.objectContaining({ name: 'test_zero', passed: true, actual: '0', expected: '0', error: null, hidden: false }),
    ]);
  });

  it('gives the same verdicts in JavaScript, TypeScript and Python, with the same comparator', async () => {
    const cases: FunctionTestCase[] = [
      { name: 'keys in any order', input: [{ b: 2, a: 1 }], expected: { a: 1, b: 2, sum: 3 }, hidden: false },
      { name: 'floats within tolerance', input: [{ a: 0.1, b: 0.2 }], expected: { a: 0.1, b: 0.2, sum: 0.3 }, hidden: false },
      { name: 'wrong on purpose', input: [{ a: 1, b: 1 }], expected: { a: 1, b: 1, sum: 3 }, hidden: false },
    ];
    const sources = {
      javascript: 'function withSum(o) { return { sum: o.a + o.b, ...o }; }',
      typescript: 'function withSum(o: { a: number; b: number }): Record<string, number> { return { sum: o.a + o.b, ...o }; }',
      python: 'def with_sum(o):\n    return {"sum": o["a"] + o["b"], **o}\n',
    } as const;
    for (const [language, code] of Object.entries(sources)) {
      const result = await env.services.execution.executeCode(code, language, cases);
      expect(result.results.map((r) => r.passed), language).toEqual([true, true, false]);
    }
  });

  it('runs program cases (stdin to stdout) in Python and C++ alike', async () => {
    const cases = [
      { name: 'small', stdin: '2 3\n', expectedStdout: '5\n', hidden: false },
      { name: 'negative', stdin: '-4 1\n', expectedStdout: '-3', hidden: false },
    ];
    const python = 'a, b = map(int, input().split())\nprint(a + b)\n';
    const cpp = '#include <iostream>\nint main() { long a, b; std::cin >> a >> b; std::cout << a + b << "\\n"; }\n';
    for (const [language, code] of [['python', python], ['cpp', cpp]] as const) {
      const result = await env.services.execution.executeCode(code, language, cases);
      expect(result.results.map((r) => [r.passed, r.actual]), language).toEqual([
        [true, '5\n'],
        [true, '-3\n'],
      ]);
    }
  });

  it('records every run into the session, one test_result per case, a hidden case with its verdict only', async () => {
    const { sessions, replay, execution } = env.services;
    const { id } = await sessions.createSession('cand_exec');
    const cases: FunctionTestCase[] = [...ADD_CASES, { name: 'secret_big', input: [40, 2], expected: 42, hidden: true }];
    const result = await execution.executeCode('function add(a, b) { return a - b; }', 'javascript', cases, { sessionId: id });
    expect(result.passedTests).toBe(1); // only 0 - 0
    const recorded = replay.getAllEvents(id).filter((event) => event.type === 'test_result');
    expect(recorded.map((event) => event.data)).toEqual([
      expect.objectContaining({ testName: 'test_add', passed: false, hidden: false, output: '-1', language: 'javascript', backend: 'local' }),
      expect.objectContaining({ testName: 'test_zero', passed: true, hidden: false }),
      expect.objectContaining({ testName: 'secret_big', passed: false, hidden: true }),
    ]);
    expect(recorded[2]!.data).not.toHaveProperty('output');
    expect(new Set(recorded.map((event) => (event.data as { runId: string }).runId)).size).toBe(1);
    expect(await sessions.getSessionStats(id)).toMatchObject({ testsPassedCount: 1 });
  });

  it('reports code that does not compile as a result: every case failed, with the line and column', async () => {
    const result = await env.services.execution.executeCode('function add(a, b) {\n  return a +;\n}', 'javascript', ADD_CASES);
    expect(result.passedTests).toBe(0);
    expect(result.compileError).toMatchObject({ line: 2, column: expect.any(Number) });
    expect(result.results.every((r) => r.error?.startsWith('The code did not compile'))).toBe(true);
  });

  it('stops an infinite loop at the wall-time limit and stays usable', async () => {
    const { execution } = env.services;
    const loop = 'function add(a, b) { if (a === 0) { for (;;) {} } return a + b; }';
    const result = await execution.executeCode(loop, 'javascript', ADD_CASES, { limits: { wallMs: 1_000 } });
    expect(result.results[0]).toMatchObject({ passed: true });
    expect(result.results[1]).toMatchObject({ passed: false, error: expect.stringMatching(/^Not run: .*/) });
    expect(result.terminated).toMatch(/1 s|time/i);
    expect((await execution.executeCode(ADD, 'javascript', ADD_CASES)).passedTests).toBe(2);
  });

  describe('refuses bad input with a typed error, and runs nothing', () => {
    const bad: [string, () => Promise<unknown>, string, RegExp][] = [
      ['an unknown language', () => env.services.execution.executeCode(ADD, 'cobol', ADD_CASES), 'LANGUAGE_UNAVAILABLE', /Unknown language "cobol"/],
      ['a case without expected', () => env.services.execution.executeCode(ADD, 'javascript', [{ name: 'x', input: [1] }]), 'VALIDATION_FAILED', /test cases.*expected/],
      ['input that is not an argument list', () => env.services.execution.executeCode(ADD, 'javascript', [{ name: 'x', input: 1, expected: 1 }]), 'VALIDATION_FAILED', /input/],
      ['an unknown field', () => env.services.execution.executeCode(ADD, 'javascript', [{ name: 'x', input: [], expected: 1, weight: 2 }]), 'VALIDATION_FAILED', /weight/],
      ['no cases', () => env.services.execution.executeCode(ADD, 'javascript', []), 'VALIDATION_FAILED', /at least one/],
      [
        'function and program cases mixed',
        () => env.services.execution.executeCode(ADD, 'javascript', [ADD_CASES[0], { name: 'io', stdin: '', expectedStdout: '' }]),
        'VALIDATION_FAILED',
        /cannot be mixed/,
      ],
      ['two cases with one name', () => env.services.execution.executeCode(ADD, 'javascript', [ADD_CASES[0], ADD_CASES[0]]), 'VALIDATION_FAILED', /used twice/],
      ['code that is not a string', () => env.services.execution.executeCode(42 as unknown as string, 'javascript', ADD_CASES), 'VALIDATION_FAILED', /code/],
      ['an entry that is not an identifier', () => env.services.execution.executeCode(ADD, 'javascript', ADD_CASES, { entry: 'add; process.exit()' }), 'VALIDATION_FAILED', /entry/],
      ['limits beyond what the app allows', () => env.services.execution.executeCode(ADD, 'javascript', ADD_CASES, { limits: { wallMs: 3_600_000 } }), 'VALIDATION_FAILED', /wallMs/],
    ];
    for (const [what, call, code, message] of bad) {
      it(what, async () => {
        const error = await rejectionOf(call());
        expect(error).toMatchObject({ code });
        expect(error.message).toMatch(message);
      });
    }

    it('a language whose toolchain this machine lacks, saying so plainly', async () => {
      const services = createServices(configForDataDir(join(env.config.dataDir, 'bare')), {
        syncRunner: 'none',
        executionRuntimes: { cpp: new CompiledRuntime({ language: 'cpp', compiler: 'g++-not-installed' }) },
      });
      try {
        const error = await rejectionOf(services.execution.executeCode('int main() {}', 'cpp', [{ name: 'io', stdin: '', expectedStdout: '' }]));
        expect(error).toMatchObject({ code: 'LANGUAGE_UNAVAILABLE', message: expect.stringMatching(/cpp cannot run on this machine: .*not installed/) });
        const languages = await services.execution.availableLanguages();
        expect(languages.find((entry) => entry.language === 'cpp')).toMatchObject({ available: false, detail: expect.stringMatching(/not installed/) });
        expect(languages.find((entry) => entry.language === 'python')).toMatchObject({ available: false, detail: expect.stringMatching(/not available in this version/) });
      } finally {
        services.dispose();
      }
      // This machine has them all.
      const here = await env.services.execution.availableLanguages();
      expect(here.filter((entry) => entry.available).map((entry) => entry.language).sort()).toEqual(['cpp', 'java', 'javascript', 'python', 'typescript']);
    });
  });

  describe('warm sandboxes', () => {
    it('creates one per session and language, runs in it, lists it, and destroys it', async () => {
      const { sessions, execution } = env.services;
      const { id } = await sessions.createSession('cand_sandbox');
      const sandbox = await execution.createSandbox(id, 'python');
      expect(sandbox).toMatchObject({ id: expect.stringMatching(/^sbx_/), sessionId: id, language: 'python', backend: 'local' });
      expect(await execution.listActiveSandboxes()).toEqual([sandbox]);
      const python = 'def add(a, b):\n    return a + b\n';
      expect((await execution.executeCode(python, 'python', ADD_CASES, { sandboxId: sandbox.id })).passedTests).toBe(2);
      // Without an id, the session's sandbox for the language is used.
      expect((await execution.executeCode(python, 'python', ADD_CASES, { sessionId: id })).passedTests).toBe(2);
      await execution.destroySandbox(sandbox.id);
      expect(await execution.listActiveSandboxes()).toEqual([]);
      expect(await rejectionOf(execution.destroySandbox(sandbox.id))).toMatchObject({ code: 'SANDBOX_NOT_FOUND' });
      expect(await rejectionOf(execution.executeCode(python, 'python', ADD_CASES, { sandboxId: sandbox.id }))).toMatchObject({ code: 'SANDBOX_NOT_FOUND' });
    });

    it('refuses to run one language in a sandbox of another', async () => {
      const { sessions, execution } = env.services;
      const { id } = await sessions.createSession('cand_sandbox');
      const sandbox = await execution.createSandbox(id, 'python');
      expect(await rejectionOf(execution.executeCode(ADD, 'javascript', ADD_CASES, { sandboxId: sandbox.id }))).toMatchObject({
        code: 'VALIDATION_FAILED',
        message: expect.stringMatching(/runs python, not javascript/),
      });
    });
  });

  describe('over the IPC contract', () => {
    it('gives the page pass/fail and counts for hidden cases, never their inputs, expected values or output', async () => {
      const host = createIpcHost(env.services, { name: 'InterviewLM', version: 'test' });
      const api = createIpcClient(ipcContract, createInMemoryTransport(host));
      const { id } = await api.sessions.createSession('cand_ipc');
      const secret = { name: 'hidden_concat_case', input: ['sekrit-', 'input'], expected: 'sekrit-expected', hidden: true };
      const result = await api.execution.executeCode(id, { code: 'function add(a, b) { console.log("sum", a + b); return a + b + 1; }', language: 'javascript', testCases: [...ADD_CASES, secret] });
      expect(result.passedTests).toBe(0);
      expect(result.results[2]).toEqual({ name: 'Hidden test 1', passed: false, actual: null, expected: null, error: null, stdout: '', stderr: '', durationMs: expect.any(Number), hidden: true });
      // Its input, expected value, what the code returned and printed, and its name: none of it reaches the page.
      expect(JSON.stringify(result)).not.toMatch(/sekrit|hidden_concat/);
      // The visible ones keep everything the candidate needs.
      expect(result.results[0]).toMatchObject({ name: 'test_add', actual: '6', expected: '5', stdout: 'sum 5\n' });
      expect(await api.execution.listLanguages()).toEqual(expect.arrayContaining([expect.objectContaining({ language: 'javascript', available: true })]));
      host.dispose();
    });

    it('refuses a run for a session that does not exist', async () => {
      const host = createIpcHost(env.services, { name: 'InterviewLM', version: 'test' });
      const api = createIpcClient(ipcContract, createInMemoryTransport(host));
      expect(await rejectionOf(api.execution.executeCode('ses_nope', { code: ADD, language: 'javascript', testCases: ADD_CASES }))).toMatchObject({ code: 'SESSION_NOT_FOUND' });
      host.dispose();
    });
  });
});
