import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Language } from '../../../../../shared/execution/testCases';
import { DEFAULT_RUN_LIMITS, HarnessResponseSchema, type HarnessResponse, type RunLimits, type WarmWorker } from '../../../../../electron/services/execution/harnessProtocol';
import { NodeRuntime } from '../../../../../electron/services/execution/local/nodeRuntime';

// Real Node children under the machine's real isolation plan (as root here: unshare -n,
// setpriv to nobody, prlimit), and Node's permission model.

const harnessDir = join(import.meta.dirname, '..', '..', '..', '..', '..', 'resources', 'execution');
const limits: RunLimits = { ...DEFAULT_RUN_LIMITS, wallMs: 5_000 };
const PASSWD = join(sep, 'etc', 'passwd');
const DEV_STDIN = join(sep, 'dev', 'stdin');

let javascript: WarmWorker;
let typescript: WarmWorker;

beforeAll(async () => {
  [javascript, typescript] = await Promise.all([
    new NodeRuntime({ language: 'javascript', harnessDir }).startWorker(),
    new NodeRuntime({ language: 'typescript', harnessDir }).startWorker(),
  ]);
});

afterAll(async () => {
  await Promise.all([javascript?.dispose(), typescript?.dispose()]);
});

function workerFor(language: Language): WarmWorker {
  return language === 'typescript' ? typescript : javascript;
}

function call(language: Language, code: string, entry: string | null, cases: unknown[][], extraLimits: Partial<RunLimits> = {}): Promise<HarnessResponse> {
  return workerFor(language).run({ mode: 'function', language, code, entry, cases: cases.map((args) => ({ args })), limits: { ...limits, ...extraLimits } });
}

function values(response: HarnessResponse): unknown[] {
  return response.cases.map((outcome) => outcome.value);
}

/** The worker still answers a plain run correctly. */
async function expectHealthy(language: Language): Promise<void> {
  const response = await call(language, 'function add(a, b) { return a + b }', 'add', [[2, 3]]);
  expect(response).toMatchObject({ compileError: null, entryError: null, termination: null });
  expect(values(response)).toEqual([5]);
}

describe('NodeRuntime', () => {
  it('probes the Node version', async () => {
    const probe = await new NodeRuntime({ language: 'typescript', harnessDir }).probe();
    expect(probe).toMatchObject({ available: true, version: expect.stringMatching(/^Node\.js \d+\.\d+\.\d+, esbuild \d/) });
    const missing = await new NodeRuntime({ language: 'javascript', harnessDir, nodePath: join(tmpdir(), 'no-such-node') }).probe();
    expect(missing).toMatchObject({ available: false, reason: expect.stringContaining('could not be started') });
  });

  it('adds two numbers, with the entry named or found, exported or plainly declared', async () => {
    const exported = 'const add = (a, b) => a + b;\nmodule.exports = { add };';
    const declared = 'function add(a, b) {\n  return a + b;\n}';
    for (const code of [exported, declared]) {
      for (const entry of ['add', null]) {
        const response = await call('javascript', code, entry, [[1, 2], [-5, 5]]);
        expect(response).toMatchObject({ compileError: null, entryError: null, termination: null, outputTruncated: false });
        expect(values(response)).toEqual([3, 0]);
        expect(response.cases[0]!.durationMs).toBeGreaterThanOrEqual(0);
      }
    }
    await expectHealthy('javascript');
  });

  it('runs TypeScript with types, exported or not', async () => {
    const code = [
      'interface Pair<T> { left: T; right: T }',
      'type Num = number;',
      'export function add(a: Num, b: Num): Num {',
      '  const pair: Pair<Num> = { left: a, right: b };',
      '  return pair.left + pair.right;',
      '}',
    ].join('\n');
    expect(values(await call('typescript', code, 'add', [[1, 2]]))).toEqual([3]);
    expect(values(await call('typescript', code, null, [[20, 22]]))).toEqual([42]);
    expect(values(await call('typescript', 'const twice = (xs: number[]): number[] => xs.map((x) => x * 2);', null, [[[1, 2]]]))).toEqual([[2, 4]]);
    await expectHealthy('typescript');
  });

  it('isolates each run from the one before: globals and files are gone', async () => {
    const first = await call(
      'javascript',
      'function leave() { globalThis.leftOver = 42; require("fs").writeFileSync("note.txt", "hello"); return process.cwd() }',
      'leave',
      [[]],
    );
    const firstDir = first.cases[0]!.value as string;
    expect(typeof firstDir).toBe('string');
    const second = await call('javascript', 'function look() { return [typeof globalThis.leftOver, require("fs").existsSync("note.txt"), process.cwd()] }', 'look', [[]]);
    const [leftOver, noteExists, secondDir] = second.cases[0]!.value as [string, boolean, string];
    expect(leftOver).toBe('undefined');
    expect(noteExists).toBe(false);
    expect(secondDir).not.toBe(firstDir);
    expect(existsSync(firstDir)).toBe(false);
    await expectHealthy('javascript');
  });

  it('stops an endless loop at the time limit and keeps the cases finished before it', async () => {
    const started = Date.now();
    const response = await call('javascript', 'function spin(n) {\n  while (n < 0) {}\n  return n * 10;\n}', 'spin', [[1], [2], [-1], [3]], { wallMs: 1_000 });
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(response.termination).toMatchObject({ reason: 'timeout', message: expect.stringContaining('1000 ms') });
    expect(values(response)).toEqual([10, 20]);
    await expectHealthy('javascript');
  });

  it('stops a memory bomb with a clear memory-limit result', async () => {
    const response = await call('javascript', 'function hog() { const kept = []; for (;;) kept.push(new Array(100000).fill(1.5)) }', 'hog', [[]]);
    expect(response.termination).toEqual({ reason: 'memory', message: `Stopped: the code used more than ${limits.memoryMb} MB of memory` });
    expect(response.cases).toEqual([]);
    await expectHealthy('javascript');
  });

  it('refuses a fork bomb', async () => {
    const code = 'function bomb() {\n  const { fork, spawn } = require("child_process");\n  for (;;) { fork(__filename); spawn(process.execPath); }\n}';
    const response = await call('javascript', code, 'bomb', [[]]);
    expect(response.termination).toBeNull();
    expect(response.cases[0]!.error).toMatchObject({ message: expect.stringContaining('starting other processes is not allowed'), stack: expect.stringContaining('solution.js:3:') });
    const workers = await call('javascript', 'function threads() { new (require("worker_threads").Worker)("0", { eval: true }) }', 'threads', [[]]);
    expect(workers.cases[0]!.error?.message).toContain('worker threads are not allowed');
    await expectHealthy('javascript');
  });

  it('keeps the first bytes of 100 MB of output and flags the rest as dropped', async () => {
    const code = 'function noisy() {\n  const line = "x".repeat(1023);\n  for (let i = 0; i < 102400; i++) console.log(line);\n  process.stderr.write("after");\n  return "done";\n}';
    const response = await call('javascript', code, 'noisy', [[]]);
    expect(response.outputTruncated).toBe(true);
    expect(response.termination).toBeNull();
    const outcome = response.cases[0]!;
    expect(outcome.value).toBe('done'); // the code kept running
    expect(Buffer.byteLength(outcome.stdout) + Buffer.byteLength(outcome.stderr)).toBe(limits.outputBytes);
    expect(outcome.stdout.startsWith(`${'x'.repeat(1023)}\n`)).toBe(true);
    await expectHealthy('javascript');
  });

  it('refuses writing outside the run directory and reading /etc/passwd, with a clear error', async () => {
    const outside = join(tmpdir(), `interviewlm-escape-${process.pid}-${Date.now()}.txt`);
    const code = `function touch(what) {\n  const fs = require("fs");\n  if (what === "read") return fs.readFileSync(${JSON.stringify(PASSWD)}, "utf8");\n  fs.writeFileSync(${JSON.stringify(outside)}, "escaped");\n}`;
    const response = await call('javascript', code, 'touch', [['read'], ['write']]);
    expect(response.cases.map((outcome) => outcome.error?.message)).toEqual([
      expect.stringMatching(new RegExp(`reading ${PASSWD} is not allowed: the sandbox only gives access to its own working directory`)),
      expect.stringContaining(`writing ${outside} is not allowed`),
    ]);
    expect(response.cases[0]!.error?.stack).toContain('solution.js:3:');
    expect(existsSync(outside)).toBe(false);
    await expectHealthy('javascript');
  });

  it('reports a syntax error at its line and column, in JavaScript and TypeScript', async () => {
    const javascriptError = await call('javascript', 'function add(a, b) {\n  return a +* b;\n}', 'add', [[1, 2]]);
    expect(javascriptError.compileError).toEqual({ message: "SyntaxError: Unexpected token '*'", line: 2, column: 13 });
    expect(javascriptError.cases).toEqual([]);
    const typescriptError = await call('typescript', 'type N = number;\nfunction add(a: N, b: N): N {\n  return a +* b;\n}', 'add', [[1, 2]]);
    expect(typescriptError.compileError).toMatchObject({ message: expect.stringMatching(/^SyntaxError: /), line: 3, column: 13 });
    await expectHealthy('javascript');
    await expectHealthy('typescript');
  });

  it("reports an exception's message and the candidate's stack at the candidate's lines, in JavaScript and TypeScript", async () => {
    const javascriptRun = await call('javascript', 'function boom() {\n  const box = null;\n  return box.value;\n}', 'boom', [[]]);
    const javascriptError = javascriptRun.cases[0]!.error!;
    expect(javascriptError.message).toBe("TypeError: Cannot read properties of null (reading 'value')");
    expect(javascriptError.stack).toBe(`${javascriptError.message}\n    at boom (solution.js:3:14)`);

    // Types removed by esbuild shift the lines: the stack must still point into the TypeScript.
    const typescriptCode = 'interface Box {\n  value: number;\n}\ntype Maybe = Box | null;\nfunction boom(box: Maybe): number {\n  return box!.value;\n}';
    const typescriptRun = await call('typescript', typescriptCode, 'boom', [[null]]);
    const typescriptError = typescriptRun.cases[0]!.error!;
    expect(typescriptError.message).toBe("TypeError: Cannot read properties of null (reading 'value')");
    expect(typescriptError.stack).toBe(`${typescriptError.message}\n    at boom (solution.ts:6:15)`);
    await expectHealthy('typescript');
  });

  it('encodes what JSON cannot carry as markers', async () => {
    const code = [
      'function odd(kind) {',
      '  const cyclic = { name: "loop" };',
      '  cyclic.self = cyclic;',
      '  return { undefined: undefined, nan: NaN, infinity: Infinity, negative: -Infinity, big: 10n, cyclic, fn: () => 1, zero: -0, marker: { $ilm: 1 } }[kind];',
      '}',
    ].join('\n');
    const kinds = ['undefined', 'nan', 'infinity', 'negative', 'big', 'cyclic', 'fn', 'zero', 'marker'];
    const response = await call('javascript', code, 'odd', kinds.map((kind) => [kind]));
    expect(values(response)).toEqual([
      { $ilm: 'undefined' },
      { $ilm: 'nan' },
      { $ilm: 'infinity' },
      { $ilm: '-infinity' },
      { $ilm: 'bigint', value: '10' },
      { name: 'loop', self: { $ilm: 'cyclic' } },
      { $ilm: 'function' },
      0,
      { $ilm: 'object', value: { $ilm: 1 } },
    ]);
    await expectHealthy('javascript');
  });

  it('awaits an async function, and reports its rejection', async () => {
    const code = 'async function later(n) {\n  await new Promise((resolve) => setTimeout(resolve, 5));\n  if (n < 0) throw new RangeError("negative");\n  return n * 2;\n}';
    const response = await call('javascript', code, 'later', [[21], [-1]]);
    expect(response.cases[0]!.value).toBe(42);
    expect(response.cases[1]!.error).toMatchObject({ message: 'RangeError: negative', stack: expect.stringContaining('solution.js:3:') });
    await expectHealthy('javascript');
  });

  it('names a missing entry function', async () => {
    const response = await call('javascript', 'function add(a, b) { return a + b }', 'solve', [[1, 2]]);
    expect(response).toMatchObject({ compileError: null, entryError: 'No function named solve is defined', cases: [] });
    await expectHealthy('javascript');
  });

  it('asks for an entry when several functions are defined and none is named', async () => {
    const code = 'function add(a, b) { return a + b }\nconst sub = (a, b) => a - b;\nconst LIMIT = 10;\nclass Helper {}';
    const response = await call('javascript', code, null, [[1, 2]]);
    expect(response.entryError).toBe('Expected exactly one top-level function to call, found 2: add, sub; name the entry function');
    expect(response.cases).toEqual([]);
    await expectHealthy('javascript');
  });

  it('runs a program per case on its own stdin, however it reads it', async () => {
    const readers = [
      'const [a, b] = require("fs").readFileSync(0, "utf8").trim().split(" ").map(Number);\nconsole.log(a + b);',
      `const [a, b] = require("fs").readFileSync(${JSON.stringify(DEV_STDIN)}, "utf8").trim().split(" ").map(Number);\nconsole.log(a + b);`,
      'let input = "";\nprocess.stdin.on("data", (chunk) => (input += chunk));\nprocess.stdin.on("end", () => {\n  const [a, b] = input.trim().split(" ").map(Number);\n  process.stdout.write(`${a + b}\\n`);\n});',
      'const lines = [];\nrequire("readline").createInterface({ input: process.stdin }).on("line", (line) => lines.push(line)).on("close", () => console.log(lines.join(" ").split(" ").map(Number).reduce((x, y) => x + y, 0)));',
    ];
    for (const code of readers) {
      const response = await javascript.run({ mode: 'stdio', language: 'javascript', code, cases: [{ stdin: '1 2\n' }, { stdin: '40 2' }], limits });
      expect(response).toMatchObject({ compileError: null, termination: null });
      expect(response.cases.map((outcome) => [outcome.stdout, outcome.error])).toEqual([
        ['3\n', null],
        ['42\n', null],
      ]);
    }
    const failing = await javascript.run({ mode: 'stdio', language: 'javascript', code: 'console.log("before");\nundefinedCall();', cases: [{ stdin: '' }], limits });
    expect(failing.cases[0]).toMatchObject({ stdout: 'before\n', error: { message: 'ReferenceError: undefinedCall is not defined', stack: expect.stringContaining('solution.js:2:1') } });
    await expectHealthy('javascript');
  });

  it('rejects a harness answer that does not match the protocol with EXECUTION_FAILED', async () => {
    const fakeDir = mkdtempSync(join(tmpdir(), 'interviewlm-fake-harness-'));
    try {
      mkdirSync(join(fakeDir, 'node'));
      const fake = [
        'const fs = require("fs");',
        'fs.writeSync(3, JSON.stringify({ type: "ready" }) + "\\n");',
        'fs.readFileSync(0);',
        'fs.writeSync(3, JSON.stringify({ type: "response", response: { cases: "none" } }) + "\\n");',
      ].join('\n');
      writeFileSync(join(fakeDir, 'node', 'harness.cjs'), fake);
      chmodSync(fakeDir, 0o755); // the sandbox user must be able to read it
      const worker = await new NodeRuntime({ language: 'javascript', harnessDir: fakeDir }).startWorker();
      try {
        await expect(worker.run({ mode: 'function', language: 'javascript', code: 'function f() {}', entry: 'f', cases: [{ args: [] }], limits })).rejects.toMatchObject({
          code: 'EXECUTION_FAILED',
          message: expect.stringContaining('malformed response'),
        });
      } finally {
        await worker.dispose();
      }
    } finally {
      rmSync(fakeDir, { recursive: true, force: true });
    }
  });

  it('runs a request in-process with --once, answering after a marker on stdout', async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'interviewlm-once-'));
    try {
      const request = {
        mode: 'function',
        language: 'javascript',
        code: 'function add(a, b) {\n  console.log("MARK{}");\n  return a + b;\n}',
        entry: null,
        cases: [{ args: [2, 2] }],
        limits,
        runDir,
      };
      const child = spawn(process.execPath, [join(harnessDir, 'node', 'harness.cjs'), '--once', 'MARK'], { stdio: ['pipe', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      const exitCode = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.stdin.end(JSON.stringify(request));
      expect(await exitCode).toBe(0);
      const answerLine = stdout.split('\n').find((line) => line.startsWith('MARK'));
      const response = HarnessResponseSchema.parse(JSON.parse(answerLine!.slice('MARK'.length)));
      expect(response.cases).toEqual([{ value: 4, stdout: 'MARK{}\n', stderr: '', error: null, durationMs: expect.any(Number) }]);
    } finally {
      rmSync(runDir, { recursive: true, force: true });
    }
  });
});
