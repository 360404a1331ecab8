import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RUN_LIMITS, type HarnessRequest, type HarnessResponse, type RunLimits, type WarmWorker } from '../../../../../electron/services/execution/harnessProtocol';
import { CompiledRuntime } from '../../../../../electron/services/execution/local/compiledRuntime';

/*
 * The real g++, javac and java of this machine, sandboxed as the app does it (unshare -n,
 * setpriv to nobody and prlimit where available). Compiling costs most of the time here, so
 * one C++ program answers several behaviours, picked by its first word of input.
 */

const cpp = new CompiledRuntime({ language: 'cpp' });
const java = new CompiledRuntime({ language: 'java' });
const cppProbe = await cpp.probe();
const javaProbe = await java.probe();
if (!cppProbe.available) console.log(`Skipping the C++ tests: ${cppProbe.reason}`);
if (!javaProbe.available) console.log(`Skipping the Java tests: ${javaProbe.reason}`);

const BEHAVIOURS_CPP = String.raw`
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>
#include <unistd.h>

int main() {
  std::string first;
  std::cin >> first;
  if (first == "loop") { volatile unsigned long n = 0; for (;;) n = n + 1; }
  if (first == "alloc") { std::vector<std::vector<char>> blocks; for (;;) blocks.emplace_back(1 << 20, 'x'); }
  if (first == "fork") { for (;;) fork(); }
  if (first == "flood") {
    std::string line(1023, 'y');
    line += '\n';
    for (int i = 0; i < 100 * 1024; i++) fwrite(line.data(), 1, line.size(), stdout);
    return 0;
  }
  if (first == "segv") { volatile int* p = nullptr; *p = 1; }
  long long a = std::stoll(first), b;
  std::cin >> b;
  std::cout << a + b << "\n";
}
`;

function stdio(language: 'cpp' | 'java', code: string, stdins: string[], limits: Partial<RunLimits> = {}): HarnessRequest {
  return { mode: 'stdio', language, code, cases: stdins.map((stdin) => ({ stdin })), limits: { ...DEFAULT_RUN_LIMITS, ...limits } };
}

async function timed(run: Promise<HarnessResponse>): Promise<{ response: HarnessResponse; ms: number }> {
  const started = performance.now();
  const response = await run;
  return { response, ms: performance.now() - started };
}

describe.skipIf(!cppProbe.available)('CompiledRuntime, C++ (g++)', () => {
  let worker: WarmWorker;
  beforeAll(async () => {
    worker = await cpp.startWorker();
  });
  afterAll(async () => {
    await worker.dispose();
  });

  async function expectHealthy(): Promise<void> {
    const { response } = await timed(worker.run(stdio('cpp', BEHAVIOURS_CPP, ['20 22'])));
    expect(response.cases.map((outcome) => [outcome.stdout, outcome.error])).toEqual([['42\n', null]]);
  }

  it('reads two numbers from stdin and prints their sum, for each of 3 cases', async () => {
    const { response, ms } = await timed(worker.run(stdio('cpp', BEHAVIOURS_CPP, ['1 2', '-5 5', '1000000000000 1'])));
    console.log(`C++ compile + 3 cases: ${Math.round(ms)} ms`);
    expect(response).toMatchObject({ compileError: null, entryError: null, termination: null, outputTruncated: false });
    expect(response.cases.map((outcome) => outcome.stdout)).toEqual(['3\n', '0\n', '1000000000001\n']);
    expect(response.cases.every((outcome) => outcome.error === null && outcome.stderr === '')).toBe(true);
  });

  it('answers a compile error with its message, line and column', async () => {
    const code = '#include <iostream>\nint main() {\n  int x = ;\n  std::cout << x;\n}\n';
    const { response } = await timed(worker.run(stdio('cpp', code, ['1'])));
    expect(response.compileError).toEqual({ message: expect.stringContaining('expected primary-expression'), line: 3, column: 11 });
    expect(response.cases).toEqual([]);
  });

  it('stops an infinite loop at the wall limit, keeps the cases finished before it, and stays healthy', async () => {
    const { response, ms } = await timed(worker.run(stdio('cpp', BEHAVIOURS_CPP, ['1 1', 'loop', '2 2'], { wallMs: 1_000 })));
    expect(response.termination).toEqual({ reason: 'timeout', message: 'the run passed its 1 s time limit' });
    expect(response.cases.map((outcome) => outcome.stdout)).toEqual(['2\n']);
    expect(ms).toBeLessThan(3_000);
    await expectHealthy();
  });

  it('answers a memory bomb with a plain memory-limit message', async () => {
    const { response } = await timed(worker.run(stdio('cpp', BEHAVIOURS_CPP, ['alloc', '3 4'], { memoryMb: 128 })));
    expect(response.cases[0]!.error).toEqual({ message: 'ran out of memory (limit 128 MB)', stack: null });
    // Each case is a process of its own: the next one runs normally.
    expect(response.cases[1]).toMatchObject({ stdout: '7\n', error: null });
  });

  it('limits a fork bomb, ends it at the wall limit without hanging, and stays healthy', async () => {
    const { response, ms } = await timed(worker.run(stdio('cpp', BEHAVIOURS_CPP, ['fork'], { wallMs: 1_000, processes: 16 })));
    expect(response.cases).toEqual([]);
    expect(['processes', 'timeout']).toContain(response.termination?.reason);
    console.log(`fork bomb: ${response.termination?.message} (${Math.round(ms)} ms)`);
    expect(ms).toBeLessThan(5_000);
    await expectHealthy();
  });

  it('truncates 100 MB of output at the limit, flags it, and stops the program quickly', async () => {
    const { response, ms } = await timed(worker.run(stdio('cpp', BEHAVIOURS_CPP, ['flood', '1 1'], { outputBytes: 1024 * 1024 })));
    console.log(`100 MB flood: ${Math.round(ms)} ms`);
    expect(response.outputTruncated).toBe(true);
    expect(response.termination).toEqual({ reason: 'output', message: 'the output passed the 1 MB limit' });
    expect(response.cases).toHaveLength(1);
    expect(response.cases[0]!.stdout.length).toBe(1024 * 1024);
    expect(response.cases[0]!.error?.message).toBe('stopped: its output passed the 1 MB limit');
    expect(ms).toBeLessThan(3_000);
  });

  it('answers a segfault as a crash by SIGSEGV', async () => {
    const { response } = await timed(worker.run(stdio('cpp', BEHAVIOURS_CPP, ['segv'])));
    expect(response.cases[0]!.error?.message).toMatch(/^crashed \(SIGSEGV\): invalid memory access/);
    expect(response.termination).toBeNull();
  });

  it('reuses the compiled program when the same code runs again', async () => {
    const code = `${BEHAVIOURS_CPP}\n// cache test\n`;
    const first = await timed(worker.run(stdio('cpp', code, ['2 3'])));
    const second = await timed(worker.run(stdio('cpp', code, ['2 3'])));
    console.log(`C++ first run ${Math.round(first.ms)} ms, cached ${Math.round(second.ms)} ms`);
    expect(second.response).toEqual({ ...first.response, cases: [expect.objectContaining({ stdout: '5\n', error: null })] });
    expect(second.ms).toBeLessThan(first.ms / 3);
  });

  it('answers a function-mode request with an entryError and no cases', async () => {
    const response = await worker.run({ mode: 'function', language: 'cpp', code: 'int add(int a, int b) { return a + b; }', entry: 'add', cases: [{ args: [1, 2] }], limits: DEFAULT_RUN_LIMITS });
    expect(response).toEqual({
      compileError: null,
      entryError: 'Function test cases run in javascript, typescript and python; C++ runs program cases (stdin/stdout).',
      cases: [],
      termination: null,
      outputTruncated: false,
    });
  });
});

describe.skipIf(!javaProbe.available)('CompiledRuntime, Java (javac + java)', () => {
  let worker: WarmWorker;
  beforeAll(async () => {
    worker = await java.startWorker();
  });
  afterAll(async () => {
    await worker.dispose();
  });

  it('compiles the public class and sums two numbers from stdin for each case', async () => {
    const code = [
      'import java.util.Scanner;',
      '',
      '/* not the class: public class Decoy */',
      'public class Solution {',
      '  public static void main(String[] args) {',
      '    Scanner in = new Scanner(System.in);',
      '    System.out.println(in.nextLong() + in.nextLong());',
      '  }',
      '}',
    ].join('\n');
    const { response, ms } = await timed(worker.run(stdio('java', code, ['1 2', '40 2'])));
    console.log(`Java compile + 2 cases: ${Math.round(ms)} ms (runs ${response.cases.map((outcome) => outcome.durationMs).join(', ')} ms)`);
    expect(response).toMatchObject({ compileError: null, termination: null, outputTruncated: false });
    expect(response.cases.map((outcome) => [outcome.stdout, outcome.error])).toEqual([
      ['3\n', null],
      ['42\n', null],
    ]);
  });

  it('answers a compile error with its line and column', async () => {
    const code = 'public class Main {\n  public static void main(String[] args) {\n    int x = 1\n  }\n}\n';
    const { response } = await timed(worker.run(stdio('java', code, [''])));
    expect(response.compileError).toEqual({ message: "';' expected", line: 3, column: 14 });
  });

  it('answers a function-mode request with an entryError', async () => {
    const response = await worker.run({ mode: 'function', language: 'java', code: 'class A {}', entry: null, cases: [{ args: [] }], limits: DEFAULT_RUN_LIMITS });
    expect(response.entryError).toBe('Function test cases run in javascript, typescript and python; Java runs program cases (stdin/stdout).');
    expect(response.cases).toEqual([]);
  });
});

describe('CompiledRuntime without a toolchain', () => {
  it('says plainly that the compiler is not installed', async () => {
    const missing = new CompiledRuntime({ language: 'cpp', compiler: '/nonexistent/g++' });
    expect(await missing.probe()).toEqual({ available: false, reason: 'g++ is not installed on this machine' });
    await expect(missing.startWorker()).rejects.toMatchObject({ code: 'LANGUAGE_UNAVAILABLE' });
  });
});
