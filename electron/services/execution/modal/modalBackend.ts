import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AppError, isAppError } from '../../../../shared/errors';
import type { Language } from '../../../../shared/execution/testCases';
import { DEFAULT_RUN_LIMITS, HarnessResponseSchema, type HarnessRequest, type HarnessResponse, type HarnessWireRequest, type RunLimits } from '../harnessProtocol';
import { prepareCodeForHarness } from '../local/nodeRuntime';
import type { RemoteExecResult, RemoteSandbox, RemoteSandboxClient, RemoteSandboxSpec, SandboxImage } from './remoteSandboxClient';

/** How one language runs in a Modal sandbox. */
interface SandboxRuntime {
  image: SandboxImage;
  interpreter: string;
  /** The harness script, relative to the harness folder. */
  harness: string;
}

const PYTHON: SandboxRuntime = { image: 'python', interpreter: 'python3', harness: 'python/harness.py' };
// .cjs, so node runs it as CommonJS whatever package.json is near it.
const NODE: SandboxRuntime = { image: 'node', interpreter: 'node', harness: 'node/harness.cjs' };

/** The languages Modal runs; TypeScript arrives already transpiled to JavaScript. */
const RUNTIMES: Partial<Record<Language, SandboxRuntime>> = { python: PYTHON, javascript: NODE, typescript: NODE };

/** Tags that mark the app's own sandboxes in the Modal app, and say what each is for. */
const OWNER_TAGS = { app: 'interviewlm-desktop' } as const;

/**
 * The command run in the sandbox, as `sh -c SCRIPT $0 dir file payload seconds interpreter marker`.
 * The harness travels inside the exec's arguments (gzip, then base64, so shell and argv carry
 * it untouched) and is written to a fresh folder; the request goes on stdin. One exec per run,
 * no filesystem API and no state left between runs. `timeout` makes the run's wall limit the
 * sandbox's own business (exit 124), well before the SDK's deadline on the exec. 125: the run
 * could not be set up.
 */
const RUN_SCRIPT = [
  'dir=$1 file=$2 payload=$3 seconds=$4 interpreter=$5 marker=$6',
  'mkdir -p "$dir/run" && printf %s "$payload" | base64 -d | gzip -dc > "$dir/$file" && [ -s "$dir/$file" ] || exit 125',
  'timeout -k 1 "$seconds" "$interpreter" "$dir/$file" --once "$marker"',
  'code=$?',
  'rm -rf "$dir"',
  'exit $code',
].join('\n');

/** The SDK refuses exec arguments above 64 KiB in total. */
const EXEC_ARGS_MAX_CHARS = 64 * 1024;
/** Start-up of the interpreter and harness, on top of the run's wall time. */
const HARNESS_STARTUP_SECONDS = 2;
/** How much longer the SDK waits for the exec than `timeout` lets the harness run. */
const EXEC_SLACK_MS = 5_000;
/** A one-run sandbox is terminated right after its run; this is only its safety net. */
const RUN_SANDBOX_SLACK_MS = 60_000;
/** Memory of the interpreter, harness and shell beyond the candidate's limit. */
const HARNESS_MEMORY_HEADROOM_MIB = 64;
/** The result line can hold every case's output and values; the tail of stdout is what is kept. */
const MAX_STDOUT_CHARS = 64 * 1024 * 1024;
/** Of stdout or stderr, this much is quoted in an error. */
const EXCERPT_CHARS = 500;

/** A session's sandbox, as the backend reports it. */
export interface ModalSandboxInfo {
  /** The backend's handle, stable while Modal replaces the sandbox behind it. */
  id: string;
  sessionId: string;
  language: Language;
  /** ISO time it was created. */
  createdAt: string;
}

/** What the Modal backend is built from. */
export interface ModalBackendOptions {
  client: RemoteSandboxClient;
  /** The folder holding python/harness.py and node/harness.cjs (resources/execution). */
  harnessDir: string;
  /** Limits of session sandboxes (a run in one cannot use more memory than its sandbox has). */
  sessionLimits?: Partial<RunLimits>;
  /** A session sandbox's longest life. */
  sessionTimeoutMs?: number;
  /** A session sandbox with nothing running for this long is terminated. */
  sessionIdleTimeoutMs?: number;
  now?: () => number;
}

/** A session sandbox: the handle the app knows, and the Modal sandbox serving it now. */
interface HeldSandbox {
  info: ModalSandboxInfo;
  spec: RemoteSandboxSpec;
  /** Replaced when Modal ends the sandbox (lifetime or idle timeout); the handle stays. */
  current: Promise<RemoteSandbox>;
}

const excerpt = (text: string) => (text.length <= EXCERPT_CHARS ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, EXCERPT_CHARS))}… (${text.length} characters)`);

const failed = (message: string, details: Record<string, unknown> = {}) => new AppError('EXECUTION_FAILED', message, { transient: false, ...details });

function runtimeFor(language: Language): SandboxRuntime {
  const runtime = RUNTIMES[language];
  if (!runtime) {
    throw new AppError('LANGUAGE_UNAVAILABLE', `${language} cannot run on Modal; it runs python, javascript and typescript.`, { language, backend: 'modal' });
  }
  return runtime;
}

/** Seconds the harness may run: the run's wall time and its start-up. */
const harnessSecondsFor = (limits: RunLimits) => Math.ceil(limits.wallMs / 1000) + HARNESS_STARTUP_SECONDS;

/**
 * Runs harness requests in Modal sandboxes: the same harness scripts as the local backend, in
 * once mode, in a container with the network blocked, a lifetime and a memory limit. A run
 * without a sandbox gets a sandbox of its own, terminated after it; a session's sandbox
 * (createSandbox) serves its runs until destroyed. Rejects with LANGUAGE_UNAVAILABLE,
 * SANDBOX_NOT_FOUND, or EXECUTION_FAILED whose `details.transient` says whether Modal was
 * unreachable (worth falling back to local) or failed for good.
 */
export class ModalExecutionBackend {
  private readonly client: RemoteSandboxClient;
  private readonly now: () => number;
  private readonly sessionLimits: RunLimits;
  private readonly held = new Map<string, HeldSandbox>();
  /** Per harness file: the gzip+base64 payload the run script unpacks. */
  private readonly payloads = new Map<string, Promise<string>>();

  constructor(private readonly options: ModalBackendOptions) {
    this.client = options.client;
    this.now = options.now ?? Date.now;
    this.sessionLimits = { ...DEFAULT_RUN_LIMITS, ...options.sessionLimits };
  }

  /**
   * Runs one request and resolves with the harness's answer. `sandbox` is a session sandbox's
   * id (from createSandbox) or a sandbox handle; without one, a sandbox is created for this
   * run alone. A run that outlives its wall time resolves with termination "timeout".
   */
  async run(original: HarnessRequest, sandbox?: string | RemoteSandbox): Promise<HarnessResponse> {
    const runtime = runtimeFor(original.language);
    // TypeScript (and JavaScript with import/export) is made CommonJS here, as for local runs;
    // the harness maps positions back through the inline source map, so frames read solution.ts.
    // Code that does not compile is answered without a sandbox.
    let request = original;
    if (original.language === 'typescript' || original.language === 'javascript') {
      const prepared = await prepareCodeForHarness(original.language, original.code);
      if ('compileError' in prepared) return { compileError: prepared.compileError, entryError: null, cases: [], termination: null, outputTruncated: false };
      request = { ...original, code: prepared.code };
    }
    if (typeof sandbox === 'string') return this.runInSession(this.heldFor(sandbox, request.language), runtime, request);
    if (sandbox !== undefined) return this.runIn(sandbox, runtime, request);
    const created = await this.client.createSandbox({
      image: runtime.image,
      timeoutMs: this.execTimeoutMs(request.limits) + RUN_SANDBOX_SLACK_MS,
      ...this.memoryOf(request.limits),
      blockNetwork: true,
      tags: { ...OWNER_TAGS, purpose: 'run', language: request.language },
    });
    try {
      return await this.runIn(created, runtime, request);
    } finally {
      // Best effort: a sandbox that cannot be terminated now ends at its own timeout.
      await created.terminate().catch(() => undefined);
    }
  }

  /**
   * Creates a sandbox for a session's runs in one language. It lives until destroySandbox;
   * when Modal ends it first (its lifetime or idle timeout), the next run starts another
   * behind the same id.
   */
  async createSandbox(sessionId: string, language: Language): Promise<ModalSandboxInfo> {
    const runtime = runtimeFor(language);
    const info: ModalSandboxInfo = { id: `sbx_modal_${randomUUID()}`, sessionId, language, createdAt: new Date(this.now()).toISOString() };
    const spec: RemoteSandboxSpec = {
      image: runtime.image,
      timeoutMs: this.options.sessionTimeoutMs ?? 60 * 60_000,
      idleTimeoutMs: this.options.sessionIdleTimeoutMs ?? 15 * 60_000,
      ...this.memoryOf(this.sessionLimits),
      blockNetwork: true,
      tags: { ...OWNER_TAGS, purpose: 'session', handle: info.id, session: sessionId, language, createdAt: info.createdAt },
    };
    const current = Promise.resolve(await this.client.createSandbox(spec));
    this.held.set(info.id, { info, spec, current });
    return info;
  }

  /**
   * Terminates a session sandbox: one of this backend's, or one an earlier run of the app left
   * running (by its id from listActiveSandboxes). SANDBOX_NOT_FOUND when Modal runs none by that id.
   */
  async destroySandbox(id: string): Promise<void> {
    const held = this.held.get(id);
    if (held) {
      this.held.delete(id);
      try {
        await (await held.current).terminate();
      } catch (error) {
        // Modal ended it already: destroyed is what was asked.
        if (!isAppError(error, 'SANDBOX_NOT_FOUND')) throw error;
      }
      return;
    }
    const running = await this.client.listSandboxes({ ...OWNER_TAGS, purpose: 'session', handle: id });
    if (running.length === 0) throw new AppError('SANDBOX_NOT_FOUND', `No Modal sandbox ${id} is running.`, { sandboxId: id });
    for (const { id: modalId } of running) await (await this.client.fromId(modalId)).terminate();
  }

  /** The app's session sandboxes running in Modal, including ones an earlier run of the app left behind. */
  async listActiveSandboxes(): Promise<ModalSandboxInfo[]> {
    const listed = await this.client.listSandboxes({ ...OWNER_TAGS, purpose: 'session' });
    const byHandle = new Map<string, ModalSandboxInfo>();
    for (const { tags } of listed) {
      const language = tags.language as Language | undefined;
      if (!tags.handle || !tags.session || !language || !RUNTIMES[language]) continue;
      byHandle.set(tags.handle, { id: tags.handle, sessionId: tags.session, language, createdAt: tags.createdAt ?? '' });
    }
    return [...byHandle.values()];
  }

  /** Resolves when Modal is reachable and accepts the token. */
  async testConnection(): Promise<void> {
    await this.client.testConnection();
  }

  /** Terminates this backend's session sandboxes and closes the client. */
  async close(): Promise<void> {
    const held = [...this.held.values()];
    this.held.clear();
    await Promise.allSettled(held.map(async ({ current }) => (await current).terminate()));
    this.client.close();
  }

  private heldFor(id: string, language: Language): HeldSandbox {
    const held = this.held.get(id);
    if (!held) throw new AppError('SANDBOX_NOT_FOUND', `No Modal sandbox ${id} is open in this app.`, { sandboxId: id });
    if (runtimeFor(held.info.language).image !== runtimeFor(language).image) {
      throw new AppError('VALIDATION_FAILED', `Sandbox ${id} runs ${held.info.language}, not ${language}.`, { sandboxId: id });
    }
    return held;
  }

  /** Runs in the session's sandbox; once Modal has ended it, in a new one that takes its place. */
  private async runInSession(held: HeldSandbox, runtime: SandboxRuntime, request: HarnessRequest): Promise<HarnessResponse> {
    const current = held.current;
    try {
      return await this.runIn(await current, runtime, request);
    } catch (error) {
      if (!isAppError(error, 'SANDBOX_NOT_FOUND') || !this.held.has(held.info.id)) throw error;
      // Concurrent runs that all found it ended start one replacement between them.
      if (held.current === current) {
        const replacement = this.client.createSandbox(held.spec);
        held.current = replacement;
        // A replacement that could not be made is not kept: the next run tries again.
        replacement.catch(() => {
          if (held.current === replacement) held.current = current;
        });
      }
      return this.runIn(await held.current, runtime, request);
    }
  }

  private async runIn(sandbox: RemoteSandbox, runtime: SandboxRuntime, request: HarnessRequest): Promise<HarnessResponse> {
    const payload = await this.payload(runtime);
    const dir = `/tmp/interviewlm-${randomUUID()}`;
    const marker = `@@interviewlm-result-${randomUUID()}@@`;
    const seconds = harnessSecondsFor(request.limits);
    const fileName = runtime.harness.slice(runtime.harness.lastIndexOf('/') + 1);
    const wire: HarnessWireRequest = { ...request, runDir: `${dir}/run` };
    const argv = ['sh', '-c', RUN_SCRIPT, 'interviewlm-run', dir, fileName, payload, String(seconds), runtime.interpreter, marker];
    const startedAt = this.now();
    const result = await sandbox.exec(argv, { stdin: JSON.stringify(wire), timeoutMs: this.execTimeoutMs(request.limits), maxStdoutChars: MAX_STDOUT_CHARS });
    return this.responseFrom(result, marker, request, runtime, this.now() - startedAt >= seconds * 1000);
  }

  private responseFrom(result: RemoteExecResult, marker: string, request: HarnessRequest, runtime: SandboxRuntime, ranOutOfTime: boolean): HarnessResponse {
    const harness = `the ${runtime.harness} harness`;
    // The last marker: the harness prints its line after the candidate's code has finished.
    const at = result.stdout.lastIndexOf(marker);
    if (at >= 0) {
      const end = result.stdout.indexOf('\n', at);
      const line = result.stdout.slice(at + marker.length, end < 0 ? undefined : end);
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        throw failed(`The Modal run failed: ${harness} answered with a result line that is not JSON: ${excerpt(line)}`, { exitCode: result.exitCode });
      }
      const parsed = HarnessResponseSchema.safeParse(json);
      if (!parsed.success) {
        const issues = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
        throw failed(`The Modal run failed: ${harness} answered with a result the protocol does not allow (${issues.join('; ')}): ${excerpt(line)}`, { exitCode: result.exitCode });
      }
      return parsed.data;
    }
    // Killed by `timeout` (124, or 137 when TERM was ignored), or by the SDK's deadline.
    if (result.exitCode === 124 || (result.exitCode === 137 && ranOutOfTime)) {
      return this.terminated('timeout', `The run did not finish within its time limit of ${request.limits.wallMs} ms.`);
    }
    // SIGKILL before the time ran out: in a Modal container, the kernel's OOM killer at the memory limit.
    if (result.exitCode === 137) {
      return this.terminated('memory', `The run was killed, most likely for using more than its ${request.limits.memoryMb} MiB of memory.`);
    }
    if (result.exitCode === 125) {
      throw failed(`The Modal run failed: the sandbox could not unpack ${harness} (it needs sh, base64 and gzip). stderr: ${excerpt(result.stderr)}`, { exitCode: 125 });
    }
    throw failed(
      `The Modal run failed: ${harness} printed no result line (exit code ${result.exitCode}). stderr: ${excerpt(result.stderr)}; stdout: ${excerpt(result.stdout.slice(-EXCERPT_CHARS * 2))}`,
      { exitCode: result.exitCode },
    );
  }

  private terminated(reason: 'timeout' | 'memory', message: string): HarnessResponse {
    return { compileError: null, entryError: null, cases: [], termination: { reason, message }, outputTruncated: false };
  }

  private execTimeoutMs(limits: RunLimits): number {
    // +1: `timeout -k 1` may take one more second to kill a harness that ignores TERM.
    return (harnessSecondsFor(limits) + 1) * 1000 + EXEC_SLACK_MS;
  }

  private memoryOf(limits: RunLimits): { memoryMiB: number; memoryLimitMiB: number } {
    return { memoryMiB: limits.memoryMb, memoryLimitMiB: limits.memoryMb + HARNESS_MEMORY_HEADROOM_MIB };
  }

  private payload(runtime: SandboxRuntime): Promise<string> {
    let payload = this.payloads.get(runtime.harness);
    if (!payload) {
      const path = join(this.options.harnessDir, runtime.harness);
      payload = readFile(path).then(
        (source) => {
          const encoded = gzipSync(source, { level: 9 }).toString('base64');
          // Leaves room for the script and the other arguments.
          if (encoded.length > EXEC_ARGS_MAX_CHARS - RUN_SCRIPT.length - 1024) {
            throw failed(`The harness ${path} is too large to send to Modal: ${encoded.length} characters compressed, the limit is about ${EXEC_ARGS_MAX_CHARS - RUN_SCRIPT.length - 1024}.`);
          }
          return encoded;
        },
        (error: unknown) => {
          throw failed(`The harness ${path} cannot be read (${error instanceof Error ? error.message : String(error)}); the app's resources are incomplete.`);
        },
      );
      this.payloads.set(runtime.harness, payload);
      // A missing file may appear later (a dev build); do not keep the failure.
      payload.catch(() => this.payloads.delete(runtime.harness));
    }
    return payload;
  }
}
