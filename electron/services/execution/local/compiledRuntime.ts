import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../../../../shared/errors';
import type { HarnessCaseOutcome, HarnessRequest, HarnessResponse, LanguageRuntime, RunLimits, WarmWorker } from '../harnessProtocol';
import { makeRunDirectory, probeIsolation, sandboxCommand, type IsolationPlan, type KernelLimits } from './isolation';

const execFileAsync = promisify(execFile);

/** Compiling gets its own wall limit: the run's limit is for the candidate's program. */
const COMPILE_WALL_MS = 20_000;
const COMPILE_OUTPUT_BYTES = 256 * 1024;
/** Compiled programs kept per worker, so re-running unchanged code skips the compiler. */
const CACHE_ENTRIES = 8;
/** Files the candidate's program may write in its directory. */
const RUN_FILE_BYTES = 64 * 1024 * 1024;
/**
 * RLIMIT_NPROC counts threads, and the JVM starts its own (GC, JIT, signal dispatch...):
 * about 14 with the flags below. The count is per uid, machine-wide, so other sandboxes'
 * threads (warm workers of other languages) take from it too: hence the headroom.
 */
const JVM_OWN_THREADS = 64;
/** Address space the JVM reserves beyond the heap (class space, code cache, stacks, CDS): about 1 GB measured. */
const JVM_EXTRA_ADDRESS_SPACE_MB = 1536;

type CompiledLanguage = 'cpp' | 'java';
type ProbeResult = Awaited<ReturnType<LanguageRuntime['probe']>>;
type CompileError = NonNullable<HarnessResponse['compileError']>;

/** How CompiledRuntime finds its compiler and its isolation. */
export interface CompiledRuntimeOptions {
  language: CompiledLanguage;
  /** Isolation for compiling and running; probed from this machine by default. */
  plan?: () => Promise<IsolationPlan>;
  /** The compiler (g++ or javac), by name or path; for Java, `java` is looked up next to a path. */
  compiler?: string;
}

/** How one compiled language is built and run. */
interface Toolchain {
  /** The language as people name it. */
  readonly label: string;
  probe(): Promise<ProbeResult>;
  /** The source file to write the code to, and what to run once it is compiled. */
  layout(code: string): { sourceFile: string; entry: string };
  compileArgv(sourceFile: string): string[];
  readonly compileLimits: KernelLimits;
  parseCompileError(output: string, sourceFile: string): CompileError;
  runArgv(runDir: string, entry: string, limits: RunLimits): string[];
  runLimits(limits: RunLimits): KernelLimits;
  outOfMemory(stderr: string): boolean;
  outOfThreads(stderr: string): boolean;
  /** The uncaught exception a failed run reports on stderr, when the language has a standard form for it. */
  uncaught(stderr: string): { summary: string; detail: string } | null;
}

/**
 * Runs C++ (g++) or Java (javac + java) program cases on this machine: compiled once per
 * code (cached per worker), then each case in a fresh sandboxed process with the run's
 * limits. Function cases are answered with an entryError: they need a harness in the language.
 */
export class CompiledRuntime implements LanguageRuntime {
  readonly language: CompiledLanguage;
  private readonly toolchain: Toolchain;
  private readonly plan: () => Promise<IsolationPlan>;
  private probed: Promise<ProbeResult> | null = null;

  constructor(options: CompiledRuntimeOptions) {
    this.language = options.language;
    this.plan = options.plan ?? probeIsolation;
    this.toolchain = options.language === 'cpp' ? cppToolchain(options.compiler ?? 'g++') : javaToolchain(options.compiler ?? 'javac');
  }

  /** Whether the compiler (and for Java the runtime) answers its version flag; probed once. */
  probe(): Promise<ProbeResult> {
    this.probed ??= this.toolchain.probe();
    return this.probed;
  }

  /** A worker with an empty compile cache. Rejects with LANGUAGE_UNAVAILABLE when the toolchain is missing. */
  async startWorker(): Promise<WarmWorker> {
    const probe = await this.probe();
    if (!probe.available) throw new AppError('LANGUAGE_UNAVAILABLE', `${this.toolchain.label} cannot run on this machine: ${probe.reason}.`, { language: this.language });
    const plan = await this.plan();
    const cacheDir = await mkdtemp(join(tmpdir(), `interviewlm-${this.language}-cache-`));
    return new CompiledWorker(this.language, this.toolchain, plan, cacheDir);
  }
}

interface CacheEntry {
  /** Compiled files, copied into each run's directory; null when the code did not compile. */
  dir: string | null;
  entry: string;
  compileError: CompileError | null;
}

class CompiledWorker implements WarmWorker {
  private readonly cache = new Map<string, CacheEntry>();
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private current: SandboxedProcess | null = null;
  /** The last process's group, until the kernel has reaped all of it. */
  private reaping: Promise<void> = Promise.resolve();

  constructor(
    readonly language: CompiledLanguage,
    private readonly toolchain: Toolchain,
    private readonly plan: IsolationPlan,
    private readonly cacheDir: string,
  ) {}

  run(request: HarnessRequest): Promise<HarnessResponse> {
    // One run at a time: runs share the process allowance of the sandbox identity.
    const result = this.queue.then(() => this.execute(request));
    this.queue = result.catch(() => undefined);
    return result;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.current?.stop();
    await this.queue;
    await rm(this.cacheDir, { recursive: true, force: true });
  }

  private async execute(request: HarnessRequest): Promise<HarnessResponse> {
    if (this.disposed) throw new AppError('EXECUTION_FAILED', `The ${this.toolchain.label} sandbox was stopped.`);
    const response: HarnessResponse = { compileError: null, entryError: null, cases: [], termination: null, outputTruncated: false };
    if (request.mode === 'function') {
      return { ...response, entryError: `Function test cases run in javascript, typescript and python; ${this.toolchain.label} runs program cases (stdin/stdout).` };
    }
    const runDir = await makeRunDirectory(this.plan, this.language);
    try {
      const build = await this.build(request.code, runDir.path);
      if (build.compileError) return { ...response, compileError: build.compileError };
      return await this.runCases(request.cases, request.limits, runDir.path, build.entry, response);
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw new AppError('EXECUTION_FAILED', `The ${this.toolchain.label} sandbox failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await runDir.dispose();
    }
  }

  /** Leaves the compiled program in `runDir`, from the cache or the compiler. */
  private async build(code: string, runDir: string): Promise<CacheEntry> {
    const key = createHash('sha256').update(`${this.language}\0${code}`).digest('hex');
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      if (cached.dir) await copyReadable(cached.dir, runDir);
      return cached;
    }
    const { sourceFile, entry } = this.toolchain.layout(code);
    await writeFile(join(runDir, sourceFile), code, { mode: 0o644 });
    await this.settled();
    // Compiled in the sandbox too: `#include "/etc/shadow"` must not read what the app can.
    const compiled = await this.spawn(sandboxCommand(this.plan, this.toolchain.compileArgv(sourceFile), this.toolchain.compileLimits), runDir, '', {
      deadline: Date.now() + COMPILE_WALL_MS,
      budget: new OutputBudget(COMPILE_OUTPUT_BYTES),
    });
    let result: CacheEntry;
    if (compiled.stoppedFor === 'timeout') {
      result = { dir: null, entry, compileError: { message: `compiling took longer than ${COMPILE_WALL_MS / 1000} s`, line: null, column: null } };
    } else if (compiled.code !== 0) {
      const output = `${compiled.stderr.toString('utf8')}\n${compiled.stdout.toString('utf8')}`;
      result = { dir: null, entry, compileError: this.toolchain.parseCompileError(output, sourceFile) };
    } else {
      const dir = join(this.cacheDir, key);
      // Copied before any of the candidate's code has run in runDir, so the cache holds only compiler output.
      await cp(runDir, dir, { recursive: true, filter: (source) => basename(source) !== sourceFile });
      result = { dir, entry, compileError: null };
    }
    this.cache.set(key, result);
    for (const [oldKey, old] of this.cache) {
      if (this.cache.size <= CACHE_ENTRIES) break;
      this.cache.delete(oldKey);
      if (old.dir) await rm(old.dir, { recursive: true, force: true });
    }
    return result;
  }

  private async runCases(cases: { stdin: string }[], limits: RunLimits, runDir: string, entry: string, response: HarnessResponse): Promise<HarnessResponse> {
    const kernelLimits = this.toolchain.runLimits(limits);
    const argv = sandboxCommand(this.plan, this.toolchain.runArgv(runDir, entry, limits), kernelLimits);
    const budget = new OutputBudget(limits.outputBytes);
    let deadline = Date.now() + limits.wallMs;
    for (const testCase of cases) {
      // Waiting for the last case's leftovers to be reaped is not the candidate's time.
      deadline += await this.settled();
      const exit = await this.spawn(argv, runDir, testCase.stdin, { deadline, budget, countProcesses: true });
      response.outputTruncated = budget.truncated;
      if (exit.stoppedFor === 'timeout') {
        // The unfinished case is dropped; cases finished before it stand.
        response.termination =
          this.plan.kernelLimits && ((kernelLimits.processes !== undefined && exit.groupSize >= kernelLimits.processes) || this.toolchain.outOfThreads(exit.stderr.toString('utf8')))
            ? { reason: 'processes', message: `the program kept starting processes or threads (limit ${limits.processes}) until the run passed its ${seconds(limits.wallMs)} time limit` }
            : { reason: 'timeout', message: `the run passed its ${seconds(limits.wallMs)} time limit` };
        break;
      }
      response.cases.push(this.outcome(exit, limits));
      if (budget.truncated) {
        // Later cases' output would be dropped too, so they are not run.
        response.termination = { reason: 'output', message: `the output passed the ${bytes(limits.outputBytes)} limit` };
        break;
      }
    }
    return response;
  }

  private outcome(exit: SandboxedExit, limits: RunLimits): HarnessCaseOutcome {
    const stdout = exit.stdout.toString('utf8');
    const stderr = exit.stderr.toString('utf8');
    const error = (message: string, withTail = false): HarnessCaseOutcome['error'] => ({ message, stack: withTail ? tail(stderr) : null });
    let failure: HarnessCaseOutcome['error'] = null;
    if (exit.stoppedFor === 'output') failure = error(`stopped: its output passed the ${bytes(limits.outputBytes)} limit`);
    else if (this.toolchain.outOfThreads(stderr)) failure = error(`could not start another thread or process (limit ${limits.processes})`, true);
    // SIGKILL that we did not send comes from the kernel's out-of-memory killer.
    else if (this.toolchain.outOfMemory(stderr) || exit.signal === 'SIGKILL') failure = error(`ran out of memory (limit ${limits.memoryMb} MB)`);
    else if (exit.signal) failure = error(`crashed (${exit.signal})${SIGNAL_HINTS[exit.signal] ?? ''}`, true);
    else if (exit.code !== 0) {
      const uncaught = this.toolchain.uncaught(stderr);
      failure = uncaught ? { message: `exited with code ${exit.code}: uncaught ${uncaught.summary}`, stack: uncaught.detail } : error(`exited with code ${exit.code}`, true);
    }
    return { stdout, stderr, error: failure, durationMs: Math.round(exit.durationMs) };
  }

  /**
   * Waits until the last process's group has been reaped, and answers how long that took (ms):
   * killed processes count against RLIMIT_NPROC until then, and the next one gets the full allowance.
   */
  private async settled(): Promise<number> {
    const started = Date.now();
    await this.reaping;
    return Date.now() - started;
  }

  private async spawn(argv: string[], cwd: string, stdin: string, options: SpawnOptions): Promise<SandboxedExit> {
    const stopped = () => new AppError('EXECUTION_FAILED', `The ${this.toolchain.label} sandbox was stopped during the run.`);
    if (this.disposed) throw stopped();
    const child = new SandboxedProcess(argv, cwd, stdin, options);
    this.current = child;
    try {
      const exit = await child.exited;
      if (exit.stoppedFor === 'stopped') throw stopped();
      return exit;
    } finally {
      this.current = null;
      this.reaping = child.reaped;
    }
  }
}

interface SpawnOptions {
  /** Date.now() by which the process is killed. */
  deadline: number;
  budget: OutputBudget;
  /** Count the group's threads at a timeout, to tell a fork bomb from a slow program. */
  countProcesses?: boolean;
}

interface SandboxedExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  durationMs: number;
  /** Set when this side killed it. */
  stoppedFor: 'timeout' | 'output' | 'stopped' | null;
  /** Threads in its process group when it timed out (Linux), else 0. */
  groupSize: number;
}

/** Bytes of stdout + stderr a run may keep; what goes past it is counted and dropped. */
class OutputBudget {
  private remaining: number;
  dropped = 0;

  constructor(readonly limit: number) {
    this.remaining = limit;
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  /** The part of `chunk` that fits. */
  take(chunk: Buffer): Buffer {
    const kept = chunk.subarray(0, Math.max(0, Math.min(chunk.length, this.remaining)));
    this.remaining -= kept.length;
    this.dropped += chunk.length - kept.length;
    return kept;
  }
}

/**
 * One sandboxed process in a process group of its own, so that a timeout or a flood kills
 * everything it started (a child that calls setsid() escapes the group: the plan has no PID
 * namespace).
 */
class SandboxedProcess {
  readonly exited: Promise<SandboxedExit>;
  /** Resolves once nothing of its process group is left, zombies included (at most a couple of seconds). */
  reaped: Promise<void> = Promise.resolve();
  private readonly stdout: Buffer[] = [];
  private readonly stderr: Buffer[] = [];
  private stoppedFor: SandboxedExit['stoppedFor'] = null;
  private groupSize = 0;
  private pid: number | undefined;

  constructor(argv: string[], cwd: string, stdin: string, private readonly options: SpawnOptions) {
    const started = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env: sandboxEnv(cwd), detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.pid = child.pid;
    // Far enough past the cap that a program printing a little too much still finishes.
    const floodAt = Math.max(options.budget.limit, 1024 * 1024);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      const kept = options.budget.take(chunk);
      if (kept.length > 0) into.push(kept);
      if (options.budget.dropped > floodAt) this.kill('output');
    };
    child.stdout.on('data', collect(this.stdout));
    child.stderr.on('data', collect(this.stderr));
    child.stdin.on('error', () => undefined); // EPIPE when the program does not read its input
    child.stdin.end(stdin);
    const timer = setTimeout(() => this.kill('timeout'), Math.max(0, options.deadline - Date.now()));
    this.exited = new Promise((resolve, reject) => {
      let exit: { code: number | null; signal: NodeJS.Signals | null; durationMs: number } | null = null;
      let closeFallback: NodeJS.Timeout | undefined;
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('exit', (code, signal) => {
        exit = { code, signal, durationMs: performance.now() - started };
        clearTimeout(timer);
        // Whatever it left running in its group goes with it.
        this.signalGroup('SIGKILL');
        // A process outside the group may still hold the pipes open.
        closeFallback = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
        }, 2_000);
      });
      child.on('close', () => {
        clearTimeout(closeFallback);
        if (!exit) return;
        const finished = exit;
        this.reaped = this.groupGone();
        resolve({ ...finished, stdout: Buffer.concat(this.stdout), stderr: Buffer.concat(this.stderr), stoppedFor: this.stoppedFor, groupSize: this.groupSize });
      });
    });
  }

  /** Kills it (when the worker is disposed). */
  stop(): void {
    this.kill('stopped');
  }

  private kill(reason: NonNullable<SandboxedExit['stoppedFor']>): void {
    if (this.stoppedFor) return;
    this.stoppedFor = reason;
    if (reason === 'timeout' && this.pid !== undefined && this.options.countProcesses) this.groupSize = processGroupSize(this.pid);
    this.signalGroup('SIGKILL');
  }

  private signalGroup(signal: NodeJS.Signals | 0): boolean {
    if (this.pid === undefined) return false;
    try {
      process.kill(-this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Waits (briefly) until every process of the group is gone: orphans are reaped by init, which may be slow (about 1.5 s in some containers). */
  private async groupGone(): Promise<void> {
    for (let waited = 0; waited < 2_000 && this.signalGroup(0); waited += 10) {
      this.signalGroup('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** How many threads (what RLIMIT_NPROC counts) the processes of group `pgid` have, from /proc (0 where there is none). */
function processGroupSize(pgid: number): number {
  let count = 0;
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        // Fields after the command name (which may contain spaces), from field 3: state ppid pgrp ... num_threads (20).
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[2]) === pgid) count += Number(fields[17]) || 1;
      } catch {
        // The process ended while we looked.
      }
    }
  } catch {
    return 0;
  }
  return count;
}

/** A small, fixed environment: nothing of the app's own (tokens, JAVA_TOOL_OPTIONS...) reaches the candidate's code. */
function sandboxEnv(runDir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    // English compiler messages, so that they can be parsed.
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    HOME: runDir,
    TMPDIR: runDir,
    // glibc reserves 64 MB of address space per thread arena; the JVM has many threads.
    MALLOC_ARENA_MAX: '2',
  };
}

/** Copies compiled files into a run directory, readable and runnable by the sandbox's identity whatever the umask. */
async function copyReadable(from: string, to: string): Promise<void> {
  await cp(from, to, { recursive: true });
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) continue;
      await chmod(path, 0o755);
      if (entry.isDirectory()) await walk(path);
    }
  };
  await walk(to);
}

async function versionLine(command: string, args: string[]): Promise<string | null> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { timeout: 15_000 });
    return `${stdout}\n${stderr}`.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
  } catch {
    return null;
  }
}

function cppToolchain(compiler: string): Toolchain {
  return {
    label: 'C++',
    async probe() {
      const version = await versionLine(compiler, ['--version']);
      return version === null ? { available: false, reason: 'g++ is not installed on this machine' } : { available: true, version };
    },
    layout: () => ({ sourceFile: 'main.cpp', entry: 'main' }),
    compileArgv: (sourceFile) => [compiler, '-std=c++17', '-O2', '-pipe', '-fdiagnostics-color=never', '-o', 'main', sourceFile],
    // cc1plus on heavy templates needs far more than a run; the wall limit bounds the rest.
    compileLimits: { addressSpaceBytes: 4 * 1024 ** 3, processes: 64, fileSizeBytes: 256 * 1024 ** 2 },
    parseCompileError(output, sourceFile) {
      const first = /^(.+?):(\d+):(\d+): (?:fatal )?error: (.+)$/m.exec(output);
      if (!first) return { message: unlocatedError(output), line: null, column: null };
      if (basename(first[1]!) === sourceFile) return { message: clip(first[4]!), line: Number(first[2]), column: Number(first[3]) };
      // An error inside a library header: g++ names the candidate's line as "main.cpp:L:C:   required from here".
      const mentions = [...output.slice(0, first.index).matchAll(new RegExp(`^${escapeRegExp(sourceFile)}:(\\d+):(\\d+):`, 'gm'))];
      const from = mentions.at(-1);
      return { message: clip(first[4]!), line: from ? Number(from[1]) : null, column: from ? Number(from[2]) : null };
    },
    runArgv: (runDir, entry) => [join(runDir, entry)],
    runLimits: (limits) => ({ addressSpaceBytes: limits.memoryMb * 1024 * 1024, processes: limits.processes, fileSizeBytes: RUN_FILE_BYTES }),
    outOfMemory: (stderr) => stderr.includes('std::bad_alloc'),
    outOfThreads: () => false,
    // libstdc++ prints "terminate called..." and aborts: SIGABRT, answered with stderr's tail.
    uncaught: () => null,
  };
}

function javaToolchain(compiler: string): Toolchain {
  const java = compiler.includes('/') || compiler.includes('\\') ? join(dirname(compiler), 'java') : 'java';
  // Serial GC and two JIT threads: fewer threads and less memory, the same on every machine.
  const jvmFlags = ['-XX:+UseSerialGC', '-XX:CICompilerCount=2', '-XX:-UsePerfData', '-XX:CompressedClassSpaceSize=64m', '-XX:ReservedCodeCacheSize=64m'];
  return {
    label: 'Java',
    async probe() {
      const javac = await versionLine(compiler, ['-version']);
      if (javac === null) return { available: false, reason: 'javac (the Java compiler, from a JDK) is not installed on this machine' };
      const runtime = await versionLine(java, ['-version']);
      if (runtime === null) return { available: false, reason: 'java is not installed on this machine' };
      return { available: true, version: `${javac}; ${runtime}` };
    },
    layout(code) {
      const plain = stripJavaCommentsAndStrings(code);
      const types = topLevelTypes(plain);
      // javac wants the file named after the public type; java wants the type that declares main.
      const fileType = types.find((type) => type.isPublic)?.name ?? 'Main';
      const mainAt = /\bstatic\s+(?:final\s+)?void\s+main\s*\(/.exec(plain)?.index;
      const mainType = mainAt === undefined ? undefined : types.filter((type) => type.index < mainAt).at(-1)?.name;
      const entry = mainType ?? fileType;
      const pkg = /^\s*package\s+([A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)\s*;/m.exec(plain)?.[1]?.replace(/\s+/g, '');
      return { sourceFile: `${fileType}.java`, entry: pkg ? `${pkg}.${entry}` : entry };
    },
    // -proc:none: no annotation processors, which would run code at compile time.
    compileArgv: (sourceFile) => [compiler, '-J-Xmx512m', '-J-XX:+UseSerialGC', '-J-XX:TieredStopAtLevel=1', '-J-XX:-UsePerfData', '-encoding', 'UTF-8', '-proc:none', '-d', '.', sourceFile],
    compileLimits: { processes: 128, fileSizeBytes: 256 * 1024 ** 2 },
    parseCompileError(output, sourceFile) {
      const lines = output.split('\n');
      const pattern = new RegExp(`^(?:.*[/\\\\])?${escapeRegExp(sourceFile)}:(\\d+): error: (.+)$`);
      for (let index = 0; index < lines.length; index += 1) {
        const located = pattern.exec(lines[index]!);
        if (!located) continue;
        // javac prints the source line, then a caret under the column.
        const caret = lines.slice(index + 1, index + 4).find((line) => /^\s*\^\s*$/.test(line));
        return { message: clip(located[2]!), line: Number(located[1]), column: caret ? caret.indexOf('^') + 1 : null };
      }
      return { message: unlocatedError(output), line: null, column: null };
    },
    runArgv: (_runDir, entry, limits) => [
      java,
      `-Xmx${limits.memoryMb}m`,
      '-Xss64m',
      ...jvmFlags,
      '-Dfile.encoding=UTF-8',
      '-Dsun.stdout.encoding=UTF-8',
      '-Dsun.stderr.encoding=UTF-8',
      '-cp',
      '.',
      entry,
    ],
    runLimits: (limits) => ({
      addressSpaceBytes: (limits.memoryMb + JVM_EXTRA_ADDRESS_SPACE_MB) * 1024 * 1024,
      processes: limits.processes + JVM_OWN_THREADS,
      fileSizeBytes: RUN_FILE_BYTES,
    }),
    outOfMemory: (stderr) => stderr.includes('java.lang.OutOfMemoryError') || stderr.includes('Could not reserve enough space'),
    outOfThreads: (stderr) => stderr.includes('unable to create native thread'),
    uncaught(stderr) {
      const lines = stderr.split('\n');
      const at = lines.findIndex((line) => line.startsWith('Exception in thread "main" '));
      if (at < 0) return null;
      // The head of the trace: a StackOverflowError's tail is a thousand identical frames.
      return { summary: clip(lines[at]!.slice('Exception in thread "main" '.length), 300), detail: clip(lines.slice(at, at + 8).join('\n'), 1_000) };
    },
  };
}

const SIGNAL_HINTS: Partial<Record<NodeJS.Signals, string>> = {
  SIGSEGV: ': invalid memory access, such as a null pointer, an index out of bounds or a stack overflow',
  SIGBUS: ': invalid memory access',
  SIGFPE: ': arithmetic error, such as an integer division by zero',
  SIGABRT: ': aborted, for example by an uncaught exception or a failed assert',
  SIGILL: ': illegal instruction',
  SIGXFSZ: `: wrote a file larger than ${RUN_FILE_BYTES / 1024 / 1024} MB`,
};

/** The most useful line of compiler output that names no line of the source (linker errors and the like). */
function unlocatedError(output: string): string {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  const undefinedReference = lines.find((text) => text.includes('undefined reference'));
  if (undefinedReference) return clip(undefinedReference.slice(undefinedReference.indexOf('undefined reference')));
  const line = lines.find((text) => /\berror\b/i.test(text)) ?? lines[0];
  return line ? clip(line) : 'the compiler failed without a message';
}

/** Types declared at the top level of (comment- and string-free) Java source, in order. */
function topLevelTypes(plain: string): { name: string; index: number; isPublic: boolean }[] {
  const types: { name: string; index: number; isPublic: boolean }[] = [];
  const declaration = /\b((?:(?:public|final|abstract|strictfp|sealed|non-sealed)\s+)*)(?:class|record|enum|interface)\s+([A-Za-z_$][\w$]*)/g;
  let depth = 0;
  let scanned = 0;
  for (const match of plain.matchAll(declaration)) {
    for (; scanned < match.index; scanned += 1) {
      if (plain[scanned] === '{') depth += 1;
      else if (plain[scanned] === '}') depth -= 1;
    }
    if (depth === 0) types.push({ name: match[2]!, index: match.index, isPublic: /\bpublic\b/.test(match[1]!) });
  }
  return types;
}

function stripJavaCommentsAndStrings(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, ' ');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function clip(text: string, max = 500): string {
  const trimmed = text.trim();
  return trimmed.length > max ? `${trimmed.slice(0, max)}…` : trimmed;
}

/** The last lines of stderr, for an error's detail; null when there are none. */
function tail(stderr: string): string | null {
  const lines = stderr.trimEnd().split('\n').slice(-8).join('\n');
  const clipped = lines.length > 1_000 ? lines.slice(-1_000) : lines;
  return clipped.trim() === '' ? null : clipped;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function bytes(count: number): string {
  if (count >= 1024 * 1024) return `${Number((count / 1024 / 1024).toFixed(1))} MB`;
  if (count >= 1024) return `${Number((count / 1024).toFixed(1))} KB`;
  return `${count} bytes`;
}
