import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_RUN_LIMITS,
  HarnessResponseSchema,
  type HarnessRequest,
  type HarnessResponse,
  type HarnessWireRequest,
  type RunLimits,
  type WarmWorker,
} from '../../../../../electron/services/execution/harnessProtocol';
import { probeIsolation, SANDBOX_UID } from '../../../../../electron/services/execution/local/isolation';
import { PythonRuntime } from '../../../../../electron/services/execution/local/pythonRuntime';

const HARNESS_DIR = fileURLToPath(new URL('../../../../../resources/execution', import.meta.url));
const LIMITS: RunLimits = { ...DEFAULT_RUN_LIMITS, wallMs: 5_000 };
const ADD = 'def add(a, b):\n    return a + b\n';

function functionRun(code: string, args: unknown[][], entry: string | null = null, limits: Partial<RunLimits> = {}): HarnessRequest {
  return { mode: 'function', language: 'python', code, entry, cases: args.map((caseArgs) => ({ args: caseArgs })), limits: { ...LIMITS, ...limits } };
}

function programRun(code: string, stdins: string[]): HarnessRequest {
  return { mode: 'stdio', language: 'python', code, cases: stdins.map((stdin) => ({ stdin })), limits: LIMITS };
}

function values(response: HarnessResponse): unknown[] {
  return response.cases.map((outcome) => outcome.value);
}

function errors(response: HarnessResponse): (string | undefined)[] {
  return response.cases.map((outcome) => outcome.error?.message);
}

describe('PythonRuntime: warm local Python sandboxes (real python3, real zygote)', () => {
  const runtime = new PythonRuntime({ harnessDir: HARNESS_DIR });
  let worker: WarmWorker;

  beforeAll(async () => {
    worker = await runtime.startWorker();
  });
  afterAll(async () => {
    await worker.dispose();
    await worker.dispose();
  });
  // Whatever the test's code did, the worker answers the next run.
  afterEach(async () => {
    const response = await worker.run(functionRun(ADD, [[2, 3]], 'add'));
    expect(values(response)).toEqual([5]);
    expect(response.termination).toBeNull();
  });

  it('probes the interpreter and its version, or says plainly that it is missing', async () => {
    expect(await runtime.probe()).toEqual({ available: true, version: expect.stringMatching(/^3\.\d+\.\d+$/) });
    const missing = new PythonRuntime({ harnessDir: HARNESS_DIR, python: 'python3-not-on-this-machine' });
    expect(await missing.probe()).toEqual({ available: false, reason: 'python3-not-on-this-machine is not installed on this machine' });
    await expect(missing.startWorker()).rejects.toMatchObject({ code: 'LANGUAGE_UNAVAILABLE' });
  });

  it('adds two numbers, with the entry named and with the one function found', async () => {
    const named = await worker.run(functionRun(ADD, [[1, 2], [-5, 5]], 'add'));
    expect(named).toMatchObject({ compileError: null, entryError: null, termination: null, outputTruncated: false });
    expect(values(named)).toEqual([3, 0]);
    expect(named.cases[0]).toMatchObject({ stdout: '', stderr: '', error: null });
    const found = await worker.run(functionRun(`import math\n${ADD}`, [[0.5, 0.25]]));
    expect(values(found)).toEqual([0.75]);
  });

  it('answers a warm run in a few milliseconds', async () => {
    const times: number[] = [];
    for (let index = 0; index < 20; index += 1) {
      const started = performance.now();
      await worker.run(functionRun(ADD, [[index, 1]], 'add'));
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    expect(times[10]).toBeLessThan(50);
  });

  it('isolates a run from the run before: no globals, no files', async () => {
    const first = await worker.run(
      functionRun("import builtins, os\ndef remember():\n    builtins.leaked = 'run 1'\n    open('note.txt', 'w').write('hi')\n    return os.getcwd()\n", [[]]),
    );
    const firstDir = first.cases[0]?.value as string;
    expect(firstDir).toContain('interviewlm-py-run-');
    expect(existsSync(firstDir)).toBe(false);

    const second = await worker.run(
      functionRun(
        "import builtins, os\ndef recall(before):\n    return [getattr(builtins, 'leaked', None), os.path.exists(os.path.join(before, 'note.txt')), os.getcwd() == before]\n",
        [[firstDir]],
      ),
    );
    expect(values(second)).toEqual([[null, false, false]]);
  });

  it('stops an infinite loop at the wall time and keeps the cases that finished before it', async () => {
    const started = performance.now();
    const response = await worker.run(functionRun('def spin(n):\n    while n > 1:\n        pass\n    return n\n', [[0], [1], [2], [1]], null, { wallMs: 1_000 }));
    expect(performance.now() - started).toBeLessThan(2_500);
    expect(values(response)).toEqual([0, 1]);
    expect(response.termination).toEqual({ reason: 'timeout', message: 'The code was stopped after 1 s, the time limit for a run.' });
  });

  it('turns a memory bomb into a clear memory-limit error, and the next case still runs', async () => {
    const code = "def grow(n):\n    hoard = []\n    while n:\n        hoard.append('x' * 1_000_000)\n    return 'fine'\n";
    const response = await worker.run(functionRun(code, [[1], [0]]));
    expect(errors(response)).toEqual(['MemoryError: the memory limit (256 MiB) was hit', undefined]);
    expect(response.cases[0]?.error?.stack).toContain('line 4, in grow');
    expect(values(response)).toEqual([undefined, 'fine']);
  });

  it('refuses a fork bomb, under a process limit the kernel enforces, without hanging', async () => {
    const started = performance.now();
    const bomb = await worker.run(functionRun('import os\ndef bomb():\n    while True:\n        os.fork()\n', [[]]));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(errors(bomb)).toEqual(['PermissionError: starting processes is not allowed in the sandbox']);

    const plan = await probeIsolation();
    const identity = await worker.run(functionRun('import os, resource\ndef who():\n    return [os.getuid(), list(resource.getrlimit(resource.RLIMIT_NPROC))]\n', [[]]));
    if (plan.dropsPrivileges) expect(values(identity)).toEqual([[SANDBOX_UID, [LIMITS.processes, LIMITS.processes]]]);
    else expect((values(identity)[0] as unknown[])[1]).toEqual([LIMITS.processes, LIMITS.processes]);
  });

  it('keeps 1 MiB of 100 MB of output, flags it, lets the code finish, and is quick about it', async () => {
    const code = "import sys\ndef spam():\n    line = 'x' * 999 + '\\n'\n    for _ in range(100_000):\n        sys.stdout.write(line)\n    return 'done'\n";
    const started = performance.now();
    const response = await worker.run(functionRun(code, [[]]));
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(response.outputTruncated).toBe(true);
    expect(response.termination).toBeNull();
    expect(values(response)).toEqual(['done']);
    expect(response.cases[0]?.stdout.length).toBe(LIMITS.outputBytes);
  });

  it('refuses writes outside the run folder and reads of system files, with a clear error', async () => {
    const code = [
      'def attempt(kind):',
      "    if kind == 'tmp':",
      "        open('/tmp/x', 'w').write('no')",
      "    if kind == 'parent':",
      "        open('../x', 'w').write('no')",
      "    if kind == 'passwd':",
      "        return open('/etc/passwd').read()",
      "    open('mine.txt', 'w').write('yes')",
      "    return open('mine.txt').read()",
      '',
    ].join('\n');
    const response = await worker.run(functionRun(code, [['tmp'], ['parent'], ['passwd'], ['own']]));
    expect(errors(response)).toEqual([
      'PermissionError: writing /tmp/x is not allowed: code may only write files in its own working folder',
      expect.stringMatching(/^PermissionError: writing \/\S+\/x is not allowed/),
      'PermissionError: reading /etc/passwd is not allowed: code may only read files in its own working folder',
      undefined,
    ]);
    expect(values(response)[3]).toBe('yes');
    expect(existsSync('/tmp/x')).toBe(false);
  });

  it('reports a syntax error at the line and column of the candidate code, with no cases', async () => {
    const response = await worker.run(functionRun('def add(a, b):\n    total = a +\n    return total\n', [[1, 2]]));
    // The wording and exact column vary between Python versions; the place is the candidate's line 2.
    expect(response.compileError).toEqual({ message: expect.stringMatching(/^SyntaxError: /), line: 2, column: expect.any(Number) });
    expect(response.compileError?.column).toBeGreaterThanOrEqual(1);
    expect(response.compileError?.column).toBeLessThanOrEqual('    total = a +'.length + 1);
    expect(response.cases).toEqual([]);
  });

  it('reports an exception with its message and a stack of the candidate frames, at the candidate lines', async () => {
    const code = "def divide(a, b):\n    if b < 0:\n        raise ValueError('negative')\n    return a // b\n";
    const response = await worker.run(functionRun(code, [[1, 0], [1, -1], [9, 3]]));
    expect(errors(response)).toEqual([expect.stringMatching(/^ZeroDivisionError: \S/), 'ValueError: negative', undefined]);
    const stack = response.cases[0]?.error?.stack ?? '';
    expect(stack).toContain('File "solution.py", line 4, in divide');
    expect(stack).not.toContain('harness.py');
    expect(response.cases[1]?.error?.stack).toContain('line 3, in divide');
    expect(values(response)[2]).toBe(3);
  });

  it('encodes values JSON cannot carry as markers', async () => {
    const code = [
      'def odd():',
      '    cyclic = [1]',
      '    cyclic.append(cyclic)',
      "    return [float('nan'), float('inf'), -float('inf'), {1, 2}, cyclic, 2 ** 64, (1, 2), {'$ilm': 0}, 2 ** 53 - 1]",
      '',
    ].join('\n');
    const response = await worker.run(functionRun(code, [[]]));
    expect(values(response)).toEqual([
      [
        { $ilm: 'nan' },
        { $ilm: 'infinity' },
        { $ilm: '-infinity' },
        { $ilm: 'unserializable', repr: '{1, 2}' },
        [1, { $ilm: 'cyclic' }],
        { $ilm: 'bigint', value: '18446744073709551616' },
        [1, 2],
        { $ilm: 'object', value: { $ilm: 0 } },
        9007199254740991,
      ],
    ]);
  });

  it('says so when the named entry function is missing', async () => {
    const response = await worker.run(functionRun(ADD, [[1, 2]], 'solve'));
    expect(response.entryError).toBe('No function named solve is defined');
    expect(response.cases).toEqual([]);
  });

  it('asks for the entry to be named when the code defines several functions', async () => {
    const response = await worker.run(functionRun('def helper(x):\n    return x\n\ndef solve(x):\n    return helper(x)\n', [[1]]));
    expect(response.entryError).toBe('The code defines 2 functions (helper, solve): name the one to call');
    expect(response.cases).toEqual([]);
  });

  it('runs a program per case on its own stdin (stdio mode)', async () => {
    const code = "import sys\nn = int(input())\nprint(n * 2)\nif n == 21:\n    sys.exit(0)\nprint('after', file=sys.stderr)\n";
    const response = await worker.run(programRun(code, ['4\n', '21\n']));
    expect(response.cases.map(({ stdout, stderr, error }) => ({ stdout, stderr, error }))).toEqual([
      { stdout: '8\n', stderr: 'after\n', error: null },
      { stdout: '42\n', stderr: '', error: null },
    ]);
  });

  it('reports a crash of the process plainly, keeping the cases before it', async () => {
    const response = await worker.run(functionRun('import faulthandler\ndef crash(n):\n    if n:\n        faulthandler._sigsegv()\n    return n\n', [[0], [1]]));
    expect(values(response)).toEqual([0]);
    expect(response.termination).toEqual({ reason: 'crashed', message: 'The Python process crashed (SIGSEGV).' });
  });

  it('replaces a zygote that stops answering, and reports the run as timed out', async () => {
    const parent = await worker.run(functionRun('import os\ndef zygote():\n    return os.getppid()\n', [[]]));
    process.kill(values(parent)[0] as number, 'SIGSTOP');
    const started = performance.now();
    const response = await worker.run(functionRun(ADD, [[1, 1]], 'add', { wallMs: 300 }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(response.termination).toEqual({ reason: 'timeout', message: 'The code was stopped after 0.3 s, the time limit for a run.' });
  });

  it('rejects a malformed answer from the harness with EXECUTION_FAILED', async () => {
    // A stand-in harness that starts properly, then answers every request with nonsense.
    const harnessDir = await mkdtemp(join(tmpdir(), 'interviewlm-py-fake-'));
    try {
      await mkdir(join(harnessDir, 'python'));
      const fake = "import sys\nprint('{\"ready\": true}', flush=True)\nfor line in sys.stdin:\n    print('{\"cases\": \"nope\"}', flush=True)\n";
      await writeFile(join(harnessDir, 'python', 'harness.py'), fake);
      // Readable by the sandbox's own user, as the app's resources folder is.
      await chmod(harnessDir, 0o755);
      const broken = await new PythonRuntime({ harnessDir }).startWorker();
      await expect(broken.run(functionRun(ADD, [[1, 2]], 'add'))).rejects.toMatchObject({ code: 'EXECUTION_FAILED' });
      await broken.dispose();
    } finally {
      await rm(harnessDir, { recursive: true, force: true });
    }
  });

  it('runs once mode: `harness.py --once MARK` answers after the marker on a line of its own', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'interviewlm-py-once-'));
    try {
      const request: HarnessWireRequest = {
        ...functionRun("import os\ndef add(a, b):\n    os.write(1, b'noise on the real stdout')\n    print('kept')\n    return a + b\n", [[2, 2], [3, 4]]),
        runDir,
      };
      const stdout = await new Promise<string>((resolve, reject) => {
        const child = spawn('python3', [join(HARNESS_DIR, 'python', 'harness.py'), '--once', 'MARK'], { stdio: ['pipe', 'pipe', 'inherit'] });
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        child.on('error', reject);
        child.on('close', () => resolve(text));
        child.stdin.end(JSON.stringify(request));
      });
      expect(stdout.startsWith('noise on the real stdout')).toBe(true);
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('MARK'));
      const response = HarnessResponseSchema.parse(JSON.parse(line!.slice('MARK'.length)));
      expect(values(response)).toEqual([4, 7]);
      expect(response.cases[0]?.stdout).toBe('kept\n');
      expect(response.termination).toBeNull();
    } finally {
      await rm(runDir, { recursive: true, force: true });
    }
  });
});
