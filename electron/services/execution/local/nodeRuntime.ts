import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { transform, version as esbuildVersion, type TransformFailure } from 'esbuild';
import { AppError } from '../../../../shared/errors';
import {
  DEFAULT_RUN_LIMITS,
  HarnessCaseOutcomeSchema,
  HarnessResponseSchema,
  type HarnessCaseOutcome,
  type HarnessRequest,
  type HarnessResponse,
  type HarnessWireRequest,
  type LanguageRuntime,
  type RunLimits,
  type WarmWorker,
} from '../harnessProtocol';
import { makeRunDirectory, probeIsolation, sandboxCommand, type IsolationPlan, type RunDirectory } from './isolation';

/*
 * JavaScript and TypeScript, run locally. A worker keeps one pooled harness child
 * (resources/execution/node/harness.cjs --pooled) started ahead of time, in its own run
 * directory, under the isolation plan and Node's permission model; a run hands it the
 * request, and the next child is started once the run is over. Every run is therefore a
 * fresh process, at the cost of a pipe round trip instead of a Node start (~120 ms).
 */

const execFileAsync = promisify(execFile);
const MIB = 1024 * 1024;

/**
 * RLIMIT_NPROC counts every thread of the sandbox user, and Node alone runs about ten. The
 * permission model is what refuses child processes and workers; this is only a backstop.
 */
const NODE_TASK_ALLOWANCE = 256;
/** The largest file the code may write in its run directory. */
const FILE_SIZE_LIMIT_BYTES = 64 * MIB;
/** How long a pooled child may take to start (a loaded machine, a cold disk cache). */
const READY_TIMEOUT_MS = 20_000;
/** The harness stops async code at the wall limit itself; this kill is for code that never yields. */
const KILL_GRACE_MS = 100;
/** How long to wait for the pipes to drain once the child has exited. */
const CLOSE_WAIT_MS = 500;
/** Raw stderr kept to recognise how the child died (V8's heap message), never shown. */
const STDERR_TAIL_BYTES = 16 * 1024;
const HEAP_OOM = /JavaScript heap out of memory|Reached heap limit|Ineffective mark-compacts near heap limit/;
/** Source that needs esbuild even as JavaScript: ES module syntax, which the CommonJS wrapper refuses. */
const ES_MODULE_SYNTAX = /^\s*(?:import|export)\b(?!\s*\()/m;

/** What a NodeRuntime needs; everything but the language and the harness folder has a default. */
export interface NodeRuntimeDeps {
  language: 'javascript' | 'typescript';
  /** The resources/execution folder (holding node/harness.cjs). */
  harnessDir: string;
  plan?: () => Promise<IsolationPlan>;
  /** The Node binary; under Electron, process.execPath is Electron, run as Node through ELECTRON_RUN_AS_NODE. */
  nodePath?: string;
  /** The limits warm children are started for (heap size, process count); others start a child cold. */
  limits?: RunLimits;
}

/** What the harness is sent: the code to compile, or why it does not compile. */
export type PreparedCode = { code: string } | { compileError: { message: string; line: number | null; column: number | null } };

/**
 * Makes `code` runnable by the harness: TypeScript, and JavaScript with import/export, become
 * CommonJS through esbuild with an inline source map (the harness maps positions back with
 * it); a syntax error comes back at the candidate's line and column. Shared with backends
 * that run the harness elsewhere (--once).
 */
export async function prepareCodeForHarness(language: 'javascript' | 'typescript', code: string): Promise<PreparedCode> {
  if (language === 'javascript' && !ES_MODULE_SYNTAX.test(code)) return { code };
  try {
    const result = await transform(code, {
      loader: language === 'typescript' ? 'ts' : 'js',
      format: 'cjs',
      sourcemap: 'inline',
      sourcefile: language === 'typescript' ? 'solution.ts' : 'solution.js',
      target: 'node20',
      logLevel: 'silent',
    });
    return { code: result.code };
  } catch (error) {
    const first = (error as Partial<TransformFailure>).errors?.[0];
    if (!first) throw new AppError('EXECUTION_FAILED', `esbuild could not transpile the code: ${errorText(error)}`);
    const location = first.location;
    // esbuild counts columns in bytes; the editor counts characters.
    const column = location ? Buffer.from(location.lineText).subarray(0, location.column).toString('utf8').length + 1 : null;
    return { compileError: { message: `SyntaxError: ${first.text}`, line: location?.line ?? null, column } };
  }
}

/** The environment of a sandboxed child: nothing of the app's own, and Electron run as plain Node. */
function childEnvironment(runDir?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ELECTRON_RUN_AS_NODE: '1', LANG: 'C.UTF-8', PATH: process.env.PATH ?? '' };
  // Windows cannot start a process without these.
  for (const name of ['SYSTEMROOT', 'SystemRoot', 'WINDIR']) if (process.env[name]) env[name] = process.env[name];
  if (runDir) Object.assign(env, { HOME: runDir, TMPDIR: runDir, TMP: runDir, TEMP: runDir });
  return env;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** How one pooled child is started. */
interface ChildSpec {
  nodePath: string;
  harnessFile: string;
  plan: IsolationPlan;
  /** The flag that switches Node's permission model on, or null where this Node has none. */
  permissionFlag: string | null;
  heapMb: number;
  processes: number;
}

function kernelProcesses(limits: RunLimits): number {
  return Math.max(limits.processes, NODE_TASK_ALLOWANCE);
}

/** Text kept up to a byte budget; what does not fit is counted as dropped. */
class CappedText {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  dropped = false;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    const room = this.limit - this.kept;
    if (chunk.length > room) this.dropped = true;
    const taken = chunk.length > room ? chunk.subarray(0, Math.max(0, room)) : chunk;
    if (taken.length > 0) {
      this.chunks.push(taken);
      this.kept += taken.length;
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** What the harness writes on fd 3, one JSON line each; `malformed` stands for a line that is not JSON. */
type ProtocolMessage =
  | { type: 'ready' }
  | { type: 'case'; index: number; outcome: unknown; outputTruncated?: boolean }
  | { type: 'response'; response: unknown }
  | { type: 'malformed'; line: string };

/**
 * One harness process waiting in its run directory for a single request. It is used once
 * and then disposed of: the isolation between runs is the process.
 */
class PooledChild {
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly closed: Promise<void>;
  private onMessage: (message: ProtocolMessage) => void = () => {};
  private onProtocolBytes: (total: number) => void = () => {};
  private rawStdout: CappedText | null = null;
  private rawStderr: CappedText | null = null;
  private stderrTail: Buffer = Buffer.alloc(0);
  private disposing: Promise<void> | null = null;
  private hasExited = false;
  private spawnError: Error | null = null;

  private constructor(
    private readonly child: ChildProcess,
    private readonly runDirectory: RunDirectory,
    /** The run directory's real path: the harness's cwd and what the permission model allows. */
    readonly runDir: string,
    readonly heapMb: number,
    readonly processes: number,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      // A spawn that fails (a missing sandbox tool) reports 'error' instead of 'exit'.
      child.once('error', (error) => {
        this.spawnError = error;
        resolve({ code: null, signal: null });
      });
    });
    void this.exited.then(() => (this.hasExited = true));
    this.closed = new Promise((resolve) => child.once('close', () => resolve()));
    child.stdin!.on('error', () => {}); // EPIPE when the child died first
    let pending: Buffer[] = []; // a line's chunks until its newline arrives: no re-copying of long lines
    let total = 0;
    const protocol = child.stdio[3] as Readable;
    protocol.on('error', () => {});
    protocol.on('data', (chunk: Buffer) => {
      total += chunk.length;
      this.onProtocolBytes(total);
      let newline: number;
      while ((newline = chunk.indexOf(10)) >= 0) {
        const line = Buffer.concat([...pending, chunk.subarray(0, newline)]).toString('utf8');
        pending = [];
        chunk = chunk.subarray(newline + 1);
        let message: ProtocolMessage;
        try {
          message = JSON.parse(line) as ProtocolMessage;
        } catch {
          message = { type: 'malformed', line: line.slice(0, 200) };
        }
        this.onMessage(message);
      }
      if (chunk.length > 0) pending.push(chunk);
    });
    child.stdout!.on('data', (chunk: Buffer) => this.rawStdout?.add(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      this.rawStderr?.add(chunk);
      const joined = Buffer.concat([this.stderrTail, chunk]);
      this.stderrTail = joined.subarray(Math.max(0, joined.length - STDERR_TAIL_BYTES));
    });
  }

  /** Starts a child and resolves once its harness is waiting for a request. */
  static async start(spec: ChildSpec): Promise<PooledChild> {
    const runDirectory = await makeRunDirectory(spec.plan, 'js-run');
    let started: PooledChild | null = null;
    try {
      const runDir = await realpath(runDirectory.path);
      const permission = spec.permissionFlag
        ? [spec.permissionFlag, `--allow-fs-read=${spec.harnessFile}`, `--allow-fs-read=${runDir}`, `--allow-fs-write=${runDir}`]
        : [];
      const command = sandboxCommand(
        spec.plan,
        [spec.nodePath, `--max-old-space-size=${spec.heapMb}`, '--disable-warning=ExperimentalWarning', ...permission, spec.harnessFile, '--pooled'],
        // V8 reserves far more address space than it uses and aborts below ~768 MB, so the
        // heap is limited by --max-old-space-size and this is only a backstop.
        { addressSpaceBytes: Math.max(1536, 2 * spec.heapMb + 1024) * MIB, processes: spec.processes, fileSizeBytes: FILE_SIZE_LIMIT_BYTES },
      );
      const child = spawn(command[0]!, command.slice(1), { cwd: runDir, env: childEnvironment(runDir), stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
      started = new PooledChild(child, runDirectory, runDir, spec.heapMb, spec.processes);
      await started.ready();
      return started;
    } catch (error) {
      if (started) await started.dispose();
      else await runDirectory.dispose();
      throw error;
    }
  }

  private ready(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the harness did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      this.onMessage = (message) => {
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        resolve();
      };
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        if (this.spawnError) return reject(this.spawnError);
        const stderr = this.stderrTail.toString('utf8').trim().split('\n').slice(-3).join(' | ');
        reject(new Error(`the harness exited while starting (${signal ?? `exit code ${code}`})${stderr ? `: ${stderr}` : ''}`));
      });
    });
  }

  /** Whether the process is still there to take a request. */
  get alive(): boolean {
    return !this.hasExited && this.disposing === null;
  }

  /** Sends the request and assembles the answer, enforcing the wall-time and output limits. */
  execute(request: HarnessWireRequest): Promise<HarnessResponse> {
    const limits = request.limits;
    this.rawStdout = new CappedText(limits.outputBytes);
    this.rawStderr = new CappedText(limits.outputBytes);
    // Every case travels twice (streamed, then in the final response), outputs and values alike.
    const protocolLimit = 2 * limits.outputBytes + 128 * MIB;
    return new Promise<HarnessResponse>((resolve, reject) => {
      const cases: HarnessCaseOutcome[] = [];
      let outputTruncated = false;
      let stoppedFor: 'timeout' | 'output' | null = null;
      let settled = false;
      const settle = (outcome: { response: HarnessResponse } | { error: AppError }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.kill(); // one request per process; its work is done either way
        if ('error' in outcome) reject(outcome.error);
        else resolve(outcome.response);
      };
      const malformed = (what: string, details: unknown) =>
        settle({ error: new AppError('EXECUTION_FAILED', `The JavaScript harness sent a malformed ${what}`, details) });

      this.onMessage = (message) => {
        if (message.type === 'case') {
          const parsed = HarnessCaseOutcomeSchema.safeParse(message.outcome);
          if (!parsed.success) return malformed('case outcome', { issues: parsed.error.issues });
          cases.push(parsed.data);
          outputTruncated ||= message.outputTruncated === true;
        } else if (message.type === 'response') {
          const parsed = HarnessResponseSchema.safeParse(message.response);
          if (!parsed.success) return malformed('response', { issues: parsed.error.issues });
          settle({ response: this.withRawOutput(parsed.data, limits) });
        } else if (message.type === 'malformed') {
          malformed('line', { line: message.line });
        }
      };
      this.onProtocolBytes = (total) => {
        if (total > protocolLimit && !settled) {
          stoppedFor = 'output';
          this.kill();
        }
      };
      const timer = setTimeout(() => {
        stoppedFor = 'timeout';
        this.kill();
      }, limits.wallMs + KILL_GRACE_MS);

      void this.exited.then(async ({ code, signal }) => {
        // The protocol pipe may still hold the last lines: read them before judging.
        await Promise.race([this.closed, new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS))]);
        if (settled) return;
        if (this.disposing && stoppedFor === null) {
          return settle({ error: new AppError('EXECUTION_FAILED', 'The JavaScript worker was disposed during the run') });
        }
        const termination = this.terminationOf(stoppedFor, code, signal, limits);
        settle({ response: { compileError: null, entryError: null, cases, termination, outputTruncated } });
      });

      this.child.stdin!.end(`${JSON.stringify(request)}\n`);
    });
  }

  private terminationOf(stoppedFor: 'timeout' | 'output' | null, code: number | null, signal: NodeJS.Signals | null, limits: RunLimits): NonNullable<HarnessResponse['termination']> {
    if (stoppedFor === 'timeout') return { reason: 'timeout', message: `Stopped after ${limits.wallMs} ms: the time limit was reached` };
    if (stoppedFor === 'output') return { reason: 'output', message: 'Stopped: the results were too large to send back' };
    if (HEAP_OOM.test(this.stderrTail.toString('utf8'))) {
      return { reason: 'memory', message: `Stopped: the code used more than ${this.heapMb} MB of memory` };
    }
    return { reason: 'crashed', message: `The process ended unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})` };
  }

  /**
   * Output that reached the real stdout/stderr around the harness's capture (native writes)
   * goes to the last case, within what is left of the run's output budget.
   */
  private withRawOutput(response: HarnessResponse, limits: RunLimits): HarnessResponse {
    const stdout = this.rawStdout?.text() ?? '';
    const stderr = this.rawStderr?.text() ?? '';
    const last = response.cases.at(-1);
    if ((!stdout && !stderr) || !last) return response;
    let left = limits.outputBytes - response.cases.reduce((sum, outcome) => sum + Buffer.byteLength(outcome.stdout) + Buffer.byteLength(outcome.stderr), 0);
    let truncated = response.outputTruncated || Boolean(this.rawStdout?.dropped || this.rawStderr?.dropped);
    const fit = (text: string): string => {
      const bytes = Buffer.from(text);
      if (bytes.length <= left) {
        left -= bytes.length;
        return text;
      }
      truncated = true;
      const kept = bytes.subarray(0, Math.max(0, left)).toString('utf8').replace(/\uFFFD$/, '');
      left = 0;
      return kept;
    };
    const merged = { ...last, stdout: last.stdout + fit(stdout), stderr: last.stderr + fit(stderr) };
    return { ...response, cases: [...response.cases.slice(0, -1), merged], outputTruncated: truncated };
  }

  private kill(): void {
    if (!this.hasExited) this.child.kill('SIGKILL');
  }

  /** Kills the process and removes its run directory. Idempotent. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      this.kill();
      await this.exited;
      await this.runDirectory.dispose();
    })();
    return this.disposing;
  }
}

/** A warm worker: one pooled child waiting, replaced after every run. */
class NodeWorker implements WarmWorker {
  private warm: Promise<PooledChild> | null = null;
  private busy: PooledChild | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private disposed: Promise<void> | null = null;

  constructor(
    readonly language: 'javascript' | 'typescript',
    private readonly specFor: (limits: RunLimits) => Promise<ChildSpec>,
    private readonly warmLimits: RunLimits,
  ) {}

  async start(): Promise<void> {
    this.refill();
    await this.warm;
  }

  run(request: HarnessRequest): Promise<HarnessResponse> {
    const outcome = this.queue.then(() => this.runNow(request));
    // The caller has its answer as soon as the harness does; the next run on this worker
    // waits for the used child to be killed, its directory removed and the refill started.
    this.queue = outcome.then(({ cleanedUp }) => cleanedUp, () => undefined);
    return outcome.then(({ response }) => response);
  }

  private async runNow(request: HarnessRequest): Promise<{ response: HarnessResponse; cleanedUp: Promise<void> }> {
    if (this.disposed) throw new AppError('EXECUTION_FAILED', 'The JavaScript worker has been disposed');
    const prepared = await prepareCodeForHarness(this.language, request.code);
    if ('compileError' in prepared) {
      const response = { compileError: prepared.compileError, entryError: null, cases: [], termination: null, outputTruncated: false };
      return { response, cleanedUp: Promise.resolve() };
    }
    const child = await this.takeChild(request.limits);
    const cleanUp = async () => {
      this.busy = null;
      await child.dispose();
      if (!this.disposed && !this.warm) this.refill();
    };
    if (this.disposed) {
      await cleanUp();
      throw new AppError('EXECUTION_FAILED', 'The JavaScript worker has been disposed');
    }
    this.busy = child;
    try {
      const response = await child.execute({ ...request, code: prepared.code, runDir: child.runDir } as HarnessWireRequest);
      return { response, cleanedUp: cleanUp() };
    } catch (error) {
      await cleanUp();
      throw error;
    }
  }

  /** The warm child when it suits the request's limits, else a child started for them. */
  private async takeChild(limits: RunLimits): Promise<PooledChild> {
    const spec = await this.specFor(limits);
    const warmSpec = await this.specFor(this.warmLimits);
    if (spec.heapMb !== warmSpec.heapMb || spec.processes !== warmSpec.processes) return this.startChild(spec);
    const waiting = this.warm;
    this.warm = null;
    const child = waiting ? await waiting.catch(() => null) : null;
    if (child?.alive) return child;
    if (child) await child.dispose();
    return this.startChild(spec);
  }

  private async startChild(spec: ChildSpec): Promise<PooledChild> {
    try {
      return await PooledChild.start(spec);
    } catch (error) {
      throw new AppError('EXECUTION_FAILED', `Could not start a ${this.language} sandbox: ${errorText(error)}`);
    }
  }

  /** Starts the next warm child in the background. */
  private refill(): void {
    const next = this.specFor(this.warmLimits).then((spec) => this.startChild(spec));
    next.catch(() => undefined); // awaited (and reported) by the run that takes it
    this.warm = next;
  }

  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      const waiting = this.warm;
      this.warm = null;
      await Promise.all([waiting?.then((child) => child.dispose(), () => undefined), this.busy?.dispose(), this.queue]);
    })();
    return this.disposed;
  }
}

/** Runs JavaScript or TypeScript locally in warm, sandboxed Node processes. */
export class NodeRuntime implements LanguageRuntime {
  readonly language: 'javascript' | 'typescript';
  private readonly harnessFile: string;
  private readonly nodePath: string;
  private readonly plan: () => Promise<IsolationPlan>;
  private readonly warmLimits: RunLimits;
  private permission: Promise<string | null> | null = null;

  constructor(deps: NodeRuntimeDeps) {
    this.language = deps.language;
    this.harnessFile = join(deps.harnessDir, 'node', 'harness.cjs');
    this.nodePath = deps.nodePath ?? process.execPath;
    this.plan = deps.plan ?? probeIsolation;
    this.warmLimits = deps.limits ?? DEFAULT_RUN_LIMITS;
  }

  /** The Node version (and esbuild's, for TypeScript), or why Node cannot run here. */
  async probe(): Promise<{ available: true; version: string } | { available: false; reason: string }> {
    try {
      await access(this.harnessFile, fsConstants.R_OK);
    } catch {
      return { available: false, reason: `the JavaScript harness is missing (${this.harnessFile})` };
    }
    try {
      const { stdout } = await execFileAsync(this.nodePath, ['--version'], { env: childEnvironment(), timeout: 10_000 });
      const node = `Node.js ${stdout.trim().replace(/^v/, '')}`;
      return { available: true, version: this.language === 'typescript' ? `${node}, esbuild ${esbuildVersion}` : node };
    } catch (error) {
      return { available: false, reason: `Node.js could not be started from ${this.nodePath}: ${errorText(error)}` };
    }
  }

  /** Starts a worker whose first child is up and waiting when this resolves. */
  async startWorker(): Promise<WarmWorker> {
    const worker = new NodeWorker(this.language, (limits) => this.childSpec(limits), this.warmLimits);
    await worker.start();
    if (this.language === 'typescript') await prepareCodeForHarness('typescript', ''); // starts esbuild's service now, not on the first run
    return worker;
  }

  private async childSpec(limits: RunLimits): Promise<ChildSpec> {
    const [plan, permissionFlag, harnessFile] = await Promise.all([this.plan(), this.permissionFlag(), realpath(this.harnessFile)]);
    return { nodePath: this.nodePath, harnessFile, plan, permissionFlag, heapMb: limits.memoryMb, processes: kernelProcesses(limits) };
  }

  /**
   * The permission model's flag for this Node, asked once: --permission on Node >= 22.13
   * and 23.5, --experimental-permission before; null if neither is accepted (the sandbox then
   * rests on the isolation plan alone).
   */
  private permissionFlag(): Promise<string | null> {
    this.permission ??= (async () => {
      for (const flag of ['--permission', '--experimental-permission']) {
        try {
          await execFileAsync(this.nodePath, [flag, '--disable-warning=ExperimentalWarning', '-e', '0'], { env: childEnvironment(), timeout: 10_000 });
          return flag;
        } catch {
          // not this one
        }
      }
      return null;
    })();
    return this.permission;
  }
}
