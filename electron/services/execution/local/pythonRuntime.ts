import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../../../../shared/errors';
import {
  HarnessResponseSchema,
  type HarnessRequest,
  type HarnessResponse,
  type HarnessWireRequest,
  type LanguageRuntime,
  type RunLimits,
  type WarmWorker,
} from '../harnessProtocol';
import { makeRunDirectory, probeIsolation, sandboxCommand, type IsolationPlan } from './isolation';

const execFileAsync = promisify(execFile);

/** How long a zygote may take to say it is ready. */
const READY_TIMEOUT_MS = 15_000;
/** Beyond a run's wall time, how long the zygote (which enforces that time itself) gets to answer. */
const BACKSTOP_MS = 2_000;
const OLDEST_PYTHON: readonly [number, number] = [3, 8];

/** What PythonRuntime is built from. */
export interface PythonRuntimeOptions {
  /** The resources/execution folder; the harness is python/harness.py in it. */
  harnessDir: string;
  /** How this machine isolates sandboxes (probeIsolation by default). */
  plan?: () => Promise<IsolationPlan>;
  /** The interpreter command (`python3` by default). */
  python?: string;
}

type Resolved = { available: true; executable: string; version: string; plan: IsolationPlan } | { available: false; reason: string };

/**
 * Runs Python locally: a warm zygote per worker (harness.py --zygote inside the sandbox) that
 * forks a fresh process for every run, so a run starts in a few ms and inherits nothing from
 * the run before it.
 */
export class PythonRuntime implements LanguageRuntime {
  readonly language = 'python' as const;
  private resolved: Promise<Resolved> | null = null;

  constructor(private readonly options: PythonRuntimeOptions) {}

  private get harnessPath(): string {
    return join(this.options.harnessDir, 'python', 'harness.py');
  }

  /** Whether Python runs here, in the sandbox; resolved once per runtime. */
  async probe(): Promise<{ available: true; version: string } | { available: false; reason: string }> {
    const resolved = await this.resolve();
    return resolved.available ? { available: true, version: resolved.version } : resolved;
  }

  /** A zygote, started and ready. Rejects with LANGUAGE_UNAVAILABLE when Python cannot run here. */
  async startWorker(): Promise<WarmWorker> {
    const resolved = await this.resolve();
    if (!resolved.available) throw new AppError('LANGUAGE_UNAVAILABLE', resolved.reason);
    const command = sandboxCommand(resolved.plan, [resolved.executable, '-I', this.harnessPath, '--zygote'], {});
    const worker = new PythonWorker(resolved.plan, command);
    await worker.start();
    return worker;
  }

  private resolve(): Promise<Resolved> {
    this.resolved ??= this.findInterpreter();
    return this.resolved;
  }

  private async findInterpreter(): Promise<Resolved> {
    const python = this.options.python ?? 'python3';
    if (process.platform === 'win32') return { available: false, reason: 'local Python sandboxes need Linux or macOS (they fork a warm interpreter)' };
    const plan = await (this.options.plan ?? probeIsolation)();
    try {
      await access(this.harnessPath);
    } catch {
      return { available: false, reason: `the Python harness is missing (${this.harnessPath})` };
    }
    // The real binary behind any shim (a pyenv shim costs ~140 ms a start, the binary ~12 ms),
    // found as the sandbox's own user sees it: that user may not reach the caller's interpreter.
    const script = 'import sys; print(sys.executable); print("%d.%d.%d" % sys.version_info[:3])';
    const [command, ...args] = sandboxCommand(plan, [python, '-I', '-c', script], {});
    let stdout: string;
    try {
      ({ stdout } = await execFileAsync(command!, args, { timeout: READY_TIMEOUT_MS, env: sandboxEnvironment(), cwd: tmpdir() }));
    } catch (error) {
      const installed = await execFileAsync(python, ['-c', 'pass'], { timeout: READY_TIMEOUT_MS }).then(
        () => true,
        () => false,
      );
      if (!installed) return { available: false, reason: `${python} is not installed on this machine` };
      return { available: false, reason: `${python} is installed but cannot run in the sandbox: ${firstLine(errorText(error))}` };
    }
    const [executable, version] = stdout.trim().split('\n');
    if (!executable || !version) return { available: false, reason: `${python} did not say where it is installed` };
    const [major = 0, minor = 0] = version.split('.').map(Number);
    if (major < OLDEST_PYTHON[0] || (major === OLDEST_PYTHON[0] && minor < OLDEST_PYTHON[1])) {
      return { available: false, reason: `Python ${version} is too old: ${OLDEST_PYTHON.join('.')} or newer is needed` };
    }
    return { available: true, executable, version, plan };
  }
}

/** The zygote's environment: nothing of the app's (no keys or tokens reach the candidate's code). */
function sandboxEnvironment(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', HOME: tmpdir() };
}

function errorText(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  if (typeof stderr === 'string' && stderr.trim()) return stderr.trim();
  return error instanceof Error ? error.message : String(error);
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim()) ?? text;
}

function seconds(ms: number): string {
  return Number.isInteger(ms / 1000) ? String(ms / 1000) : (ms / 1000).toFixed(1);
}

function endedEarly(termination: HarnessResponse['termination']): HarnessResponse {
  return { compileError: null, entryError: null, cases: [], termination, outputTruncated: false };
}

function backstopTimeout(limits: RunLimits): HarnessResponse {
  return endedEarly({ reason: 'timeout', message: `The code was stopped after ${seconds(limits.wallMs)} s, the time limit for a run.` });
}

/** One warm worker: a zygote, replaced when it dies or stops answering; runs one request at a time. */
class PythonWorker implements WarmWorker {
  readonly language = 'python' as const;
  private zygote: Zygote | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly plan: IsolationPlan,
    private readonly command: string[],
  ) {}

  async start(): Promise<void> {
    this.zygote = await Zygote.start(this.command);
  }

  run(request: HarnessRequest): Promise<HarnessResponse> {
    const result = this.queue.then(() => this.runNow(request));
    this.queue = result.catch(() => undefined);
    return result;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const zygote = this.zygote;
    this.zygote = null;
    await zygote?.stop();
  }

  private async runNow(request: HarnessRequest): Promise<HarnessResponse> {
    if (this.disposed) throw new AppError('EXECUTION_FAILED', 'The Python worker has been stopped');
    if (!this.zygote?.alive) {
      // The last one was killed or died: a fresh one for this run.
      await this.zygote?.stop();
      this.zygote = await Zygote.start(this.command);
    }
    const zygote = this.zygote;
    const runDir = await makeRunDirectory(this.plan, 'py-run');
    try {
      const wire: HarnessWireRequest = { ...request, runDir: runDir.path };
      const answer = await zygote.exchange(wire, request.limits.wallMs + BACKSTOP_MS);
      if (this.disposed) throw new AppError('EXECUTION_FAILED', 'The Python worker was stopped during the run');
      if (answer.kind === 'silent') {
        await zygote.stop();
        return backstopTimeout(request.limits);
      }
      if (answer.kind === 'exited') {
        return endedEarly({ reason: 'crashed', message: 'The Python sandbox stopped unexpectedly during the run.' });
      }
      const message = answer.message as { harnessError?: unknown } | null;
      if (message && typeof message === 'object' && typeof message.harnessError === 'string') {
        throw new AppError('EXECUTION_FAILED', 'The Python harness failed', { detail: message.harnessError });
      }
      const parsed = HarnessResponseSchema.safeParse(answer.message);
      if (!parsed.success) {
        await zygote.stop(); // its state is unknown: the next run gets a fresh one
        throw new AppError('EXECUTION_FAILED', 'The Python harness answered with a malformed response', { issues: parsed.error.issues.slice(0, 5) });
      }
      return parsed.data;
    } finally {
      await runDir.dispose();
    }
  }
}

type Answer = { kind: 'response'; message: unknown } | { kind: 'silent' } | { kind: 'exited' };

/** The zygote process and its line protocol: `ready`, then per run a `child` pid line and one response line. */
class Zygote {
  alive = true;
  private waiter: ((answer: Answer) => void) | null = null;
  private onReady: ((ready: boolean) => void) | null = null;
  /** The current run's forked child: its process group is killed if the zygote stops answering. */
  private childPid: number | null = null;
  private stderrTail = '';
  private readonly closed: Promise<void>;

  private constructor(private readonly zygoteProcess: ChildProcessWithoutNullStreams) {
    const lines = new LineSplitter((line) => this.onLine(line));
    zygoteProcess.stdout.on('data', (chunk: Buffer) => lines.push(chunk));
    zygoteProcess.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4_000);
    });
    // A write to a zygote that just died fails here; 'close' tells the run.
    zygoteProcess.stdin.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      zygoteProcess.on('close', () => {
        this.alive = false;
        this.killChild();
        this.onReady?.(false);
        this.settle({ kind: 'exited' });
        resolve();
      });
    });
    zygoteProcess.on('error', () => {
      // spawn failed (a missing sandbox tool): 'close' follows and reports it
    });
  }

  static async start(command: readonly string[]): Promise<Zygote> {
    const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: sandboxEnvironment(), cwd: tmpdir() });
    const zygote = new Zygote(child);
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
      zygote.onReady = (value) => {
        clearTimeout(timer);
        zygote.onReady = null;
        resolve(value);
      };
    });
    if (!ready) {
      await zygote.stop();
      const why = zygote.stderrTail.trim();
      throw new AppError('EXECUTION_FAILED', `The Python sandbox did not start${why ? `: ${why.split('\n').slice(-3).join(' ')}` : ''}`);
    }
    return zygote;
  }

  /** Sends one request; answers with the response line, or why there is none. */
  exchange(request: HarnessWireRequest, backstopMs: number): Promise<Answer> {
    if (!this.alive) return Promise.resolve({ kind: 'exited' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle({ kind: 'silent' }), backstopMs);
      this.waiter = (answer) => {
        clearTimeout(timer);
        resolve(answer);
      };
      this.childPid = null;
      this.zygoteProcess.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  /** Kills the zygote and the run it may be in; resolves once it is gone. Idempotent. */
  async stop(): Promise<void> {
    if (this.alive) {
      this.killChild();
      this.zygoteProcess.kill('SIGKILL');
    }
    await this.closed;
  }

  private onLine(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      this.settle({ kind: 'response', message: line });
      return;
    }
    const fields = message && typeof message === 'object' ? (message as Record<string, unknown>) : {};
    if (typeof fields.child === 'number') this.childPid = fields.child;
    else if (fields.ready === true) this.onReady?.(true);
    else this.settle({ kind: 'response', message });
  }

  private settle(answer: Answer): void {
    const waiter = this.waiter;
    this.waiter = null;
    if (answer.kind !== 'silent') this.childPid = null;
    waiter?.(answer);
  }

  private killChild(): void {
    const pid = this.childPid;
    this.childPid = null;
    if (pid === null) return;
    // The child is its own process group (setsid); whatever it started is in it too.
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Splits a byte stream into lines without re-scanning what came before (responses can be megabytes). */
class LineSplitter {
  private parts: Buffer[] = [];

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      this.parts.push(chunk.subarray(start, end));
      const line = Buffer.concat(this.parts).toString('utf8');
      this.parts = [];
      start = end + 1;
      this.onLine(line);
    }
    if (start < chunk.length) this.parts.push(chunk.subarray(start));
  }
}
