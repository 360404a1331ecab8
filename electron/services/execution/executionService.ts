import { randomUUID } from 'node:crypto';
import { BrokenCircuitError, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import { z } from 'zod';
import { AppError, isAppError } from '../../../shared/errors';
import {
  LANGUAGES,
  LanguageSchema,
  TestCasesSchema,
  type ExecutionBackend,
  type ExecutionResult,
  type FunctionTestCase,
  type Language,
  type LanguageAvailability,
  type SandboxInfo,
  type StdioTestCase,
  type TestCase,
  type TestCaseResult,
} from '../../../shared/execution/testCases';
import { SessionIdSchema } from '../../../shared/recording/session';
import type { TestResult } from '../../../shared/recording/session';
import { parseOrThrow } from '../../../shared/validation';
import { DEFAULT_RUN_LIMITS, type HarnessRequest, type HarnessResponse, type LanguageRuntime, type RunLimits, type WarmWorker } from './harnessProtocol';
import { displayValue, returnValueMatches, stdoutMatches } from './valueComparison';

/** How long runs skip Modal after it was unreachable. */
export const MODAL_RETRY_AFTER_MS = 30_000;

/** The largest source a run accepts. */
export const MAX_CODE_BYTES = 512 * 1024;


/** Where code runs remotely (Modal), as the service needs it. */
export interface RemoteExecutionBackend {
  /** Runs one request; in the given sandbox when there is one. Rejects with EXECUTION_FAILED (details.transient) when Modal fails. */
  run(request: HarnessRequest, sandboxId?: string): Promise<HarnessResponse>;
  createSandbox(sessionId: string, language: Language): Promise<{ id: string }>;
  destroySandbox(id: string): Promise<void>;
  testConnection(): Promise<void>;
}

/** What the service records runs with. */
export interface TestResultRecorder {
  recordTestResult(sessionId: string, result: TestResult): Promise<unknown>;
}

export interface ExecutionServiceDeps {
  /** The languages this build runs locally. A language without one answers LANGUAGE_UNAVAILABLE. */
  runtimes: Partial<Record<Language, LanguageRuntime>>;
  /** Modal, when configured: tried first, with the local runtimes as the fallback. */
  remote?: RemoteExecutionBackend | null;
  recorder: TestResultRecorder;
  limits?: Partial<RunLimits>;
  now?: () => number;
}

/** `executeCode`'s options beyond the seed's three arguments. */
const ExecuteOptionsSchema = z
  .object({
    /** Runs are recorded into this session (recordTestResult, one event per case). */
    sessionId: SessionIdSchema.optional(),
    /** Runs in this sandbox (from createSandbox); else in the session's sandbox for the language, else a cold one. */
    sandboxId: z.string().min(1).max(100).optional(),
    /** The function the cases call; detected when the code defines exactly one. */
    entry: z
      .string()
      .regex(/^[A-Za-z_$][\w$]*$/, 'must be an identifier')
      .max(100)
      .optional(),
    /** Per-run limits, within what the app allows. */
    limits: z
      .object({
        wallMs: z.number().int().min(100).max(60_000),
        memoryMb: z.number().int().min(32).max(2048),
        outputBytes: z.number().int().min(1024).max(16 * 1024 * 1024),
        processes: z.number().int().min(1).max(256),
      })
      .partial()
      .optional(),
  })
  .strict();
export type ExecuteOptions = z.input<typeof ExecuteOptionsSchema>;

interface LocalSandbox {
  info: SandboxInfo;
  worker: Promise<WarmWorker>;
}

const isStdio = (testCase: TestCase): testCase is StdioTestCase => 'stdin' in testCase;

/**
 * The seed's Modal Sandbox Service, in its desktop form: runs candidate code against test
 * cases in a sandbox and says which pass. Local warm sandboxes are the embedded default;
 * Modal is used when configured, and when it is unreachable the run falls back to this
 * machine and says so in `notice`. Verdicts are reached here (valueComparison.ts), not in
 * the sandbox, so every backend agrees and hidden expectations never leave this process.
 */
export class ExecutionService {
  private readonly limits: RunLimits;
  private readonly now: () => number;
  private readonly sandboxes = new Map<string, LocalSandbox>();
  private readonly remoteSandboxes = new Map<string, SandboxInfo>();
  private readonly probes = new Map<Language, ReturnType<LanguageRuntime['probe']>>();
  /**
   * After Modal was unreachable, runs go straight to this machine for a while instead of
   * waiting out the SDK's own retries (~3.5 s) on every press of "Run tests".
   */
  private readonly modalBreaker = circuitBreaker(handleWhen(isTransient), { halfOpenAfter: MODAL_RETRY_AFTER_MS, breaker: new ConsecutiveBreaker(1) });

  constructor(private readonly deps: ExecutionServiceDeps) {
    this.limits = { ...DEFAULT_RUN_LIMITS, ...deps.limits };
    this.now = deps.now ?? Date.now;
  }

  /**
   * Runs `code` against `testCases` and resolves with each case's verdict. A failing,
   * crashing, looping or non-compiling program is a result, not an error; bad input
   * (an unknown language, malformed cases) rejects with a typed error, and nothing is run.
   */
  async executeCode(code: string, language: string, testCases: unknown, options: ExecuteOptions = {}): Promise<ExecutionResult> {
    const source = parseOrThrow(z.string().max(MAX_CODE_BYTES, `must be at most ${MAX_CODE_BYTES} bytes`), code, 'code');
    const lang = this.languageOf(language);
    const cases = parseOrThrow(TestCasesSchema, testCases, 'test cases');
    const opts = parseOrThrow(ExecuteOptionsSchema, options, 'execute options');
    const limits: RunLimits = { ...this.limits, ...opts.limits };
    const request: HarnessRequest = cases.every(isStdio)
      ? { mode: 'stdio', language: lang, code: source, cases: cases.map((testCase) => ({ stdin: testCase.stdin })), limits }
      : {
          mode: 'function',
          language: lang,
          code: source,
          entry: opts.entry ?? null,
          cases: (cases as FunctionTestCase[]).map((testCase) => ({ args: testCase.input })),
          limits,
        };

    const startedAt = performance.now();
    const { response, backend, notice } = await this.run(request, opts.sandboxId, opts.sessionId);
    const result = judge(cases, response, backend, notice, performance.now() - startedAt);
    if (opts.sessionId) await this.record(opts.sessionId, lang, result);
    return result;
  }

  /** Starts a warm sandbox for a session's language: later runs skip the interpreter's start-up. */
  async createSandbox(sessionId: string, language: string): Promise<SandboxInfo> {
    parseOrThrow(SessionIdSchema, sessionId, 'session id');
    const lang = this.languageOf(language);
    const { remote } = this.deps;
    if (remote) {
      try {
        const { id } = await remote.createSandbox(sessionId, lang);
        const info: SandboxInfo = { id, sessionId, language: lang, backend: 'modal', createdAt: new Date(this.now()).toISOString() };
        this.remoteSandboxes.set(id, info);
        return info;
      } catch (error) {
        if (!isTransient(error)) throw error;
        // Modal unreachable: a local sandbox serves the session instead.
      }
    }
    const runtime = await this.availableRuntime(lang);
    const info: SandboxInfo = { id: `sbx_${randomUUID().replaceAll('-', '')}`, sessionId, language: lang, backend: 'local', createdAt: new Date(this.now()).toISOString() };
    const worker = runtime.startWorker();
    this.sandboxes.set(info.id, { info, worker });
    try {
      await worker;
    } catch (error) {
      this.sandboxes.delete(info.id);
      throw error;
    }
    return info;
  }

  /** Stops a sandbox and removes its files. An unknown id is SANDBOX_NOT_FOUND. */
  async destroySandbox(id: string): Promise<void> {
    parseOrThrow(z.string().min(1).max(100), id, 'sandbox id');
    const local = this.sandboxes.get(id);
    if (local) {
      this.sandboxes.delete(id);
      await (await local.worker).dispose();
      return;
    }
    if (this.remoteSandboxes.has(id)) {
      this.remoteSandboxes.delete(id);
      await this.deps.remote!.destroySandbox(id);
      return;
    }
    throw new AppError('SANDBOX_NOT_FOUND', `No sandbox ${JSON.stringify(id)}: it was never created, or was destroyed.`, { id });
  }

  /** Every sandbox this app has started and not destroyed. */
  async listActiveSandboxes(): Promise<SandboxInfo[]> {
    return this.allSandboxes();
  }

  /** Each language and whether this machine (or Modal) can run it, with the reason when not. */
  async availableLanguages(): Promise<LanguageAvailability[]> {
    return Promise.all(
      LANGUAGES.map(async (language) => {
        const probe = await this.probe(language);
        return probe.available ? { language, available: true, detail: probe.version } : { language, available: false, detail: probe.reason };
      }),
    );
  }

  /** True when the configured backend answers: Modal when configured, else at least one local language runs. */
  async testConnection(): Promise<boolean> {
    if (this.deps.remote) {
      try {
        await this.deps.remote.testConnection();
        return true;
      } catch {
        return false;
      }
    }
    return (await this.availableLanguages()).some((language) => language.available);
  }

  /** Stops every sandbox. */
  async dispose(): Promise<void> {
    const local = [...this.sandboxes.values()];
    this.sandboxes.clear();
    await Promise.allSettled(local.map(async (sandbox) => (await sandbox.worker).dispose()));
    const remote = [...this.remoteSandboxes.keys()];
    this.remoteSandboxes.clear();
    await Promise.allSettled(remote.map((id) => this.deps.remote!.destroySandbox(id)));
  }

  private allSandboxes(): SandboxInfo[] {
    return [...[...this.sandboxes.values()].map((sandbox) => sandbox.info), ...this.remoteSandboxes.values()];
  }

  private languageOf(language: string): Language {
    const parsed = LanguageSchema.safeParse(language);
    if (!parsed.success) {
      throw new AppError('LANGUAGE_UNAVAILABLE', `Unknown language ${JSON.stringify(language)}; this app knows ${LANGUAGES.join(', ')}.`, { language });
    }
    return parsed.data;
  }

  private probe(language: Language): ReturnType<LanguageRuntime['probe']> {
    let probe = this.probes.get(language);
    if (!probe) {
      const runtime = this.deps.runtimes[language];
      probe = runtime ? runtime.probe() : Promise.resolve({ available: false as const, reason: `${language} is not available in this version of the app` });
      this.probes.set(language, probe);
    }
    return probe;
  }

  private async availableRuntime(language: Language): Promise<LanguageRuntime> {
    const probe = await this.probe(language);
    if (!probe.available) throw new AppError('LANGUAGE_UNAVAILABLE', `${language} cannot run on this machine: ${probe.reason}.`, { language });
    return this.deps.runtimes[language]!;
  }

  /** Modal first when configured (falling back to this machine when it is unreachable), else local. */
  private async run(request: HarnessRequest, sandboxId: string | undefined, sessionId: string | undefined): Promise<{ response: HarnessResponse; backend: ExecutionBackend; notice: string | null }> {
    const chosen = sandboxId ? this.sandboxById(sandboxId, request.language) : this.sandboxFor(sessionId, request.language);
    const { remote } = this.deps;
    if (remote && chosen?.backend !== 'local') {
      try {
        return { response: await this.modalBreaker.execute(() => remote.run(request, chosen?.id)), backend: 'modal', notice: null };
      } catch (error) {
        if (!(error instanceof BrokenCircuitError) && !isTransient(error)) throw error;
        const reason = error instanceof BrokenCircuitError ? 'it did not answer a moment ago' : error instanceof Error ? error.message : String(error);
        const response = await this.runLocally(request, null);
        return { response, backend: 'local', notice: `Modal could not be reached (${reason}); this run used this computer instead.` };
      }
    }
    return { response: await this.runLocally(request, chosen && chosen.backend === 'local' ? this.sandboxes.get(chosen.id)! : null), backend: 'local', notice: null };
  }

  /** In a warm sandbox when there is one, else in a worker started (cold) for this run alone. */
  private async runLocally(request: HarnessRequest, sandbox: LocalSandbox | null): Promise<HarnessResponse> {
    const runtime = await this.availableRuntime(request.language);
    if (sandbox) return (await sandbox.worker).run(request);
    const worker = await runtime.startWorker();
    try {
      return await worker.run(request);
    } finally {
      await worker.dispose();
    }
  }

  private sandboxById(id: string, language: Language): SandboxInfo {
    const info = this.sandboxes.get(id)?.info ?? this.remoteSandboxes.get(id);
    if (!info) throw new AppError('SANDBOX_NOT_FOUND', `No sandbox ${JSON.stringify(id)}: it was never created, or was destroyed.`, { id });
    if (info.language !== language) throw new AppError('VALIDATION_FAILED', `Sandbox ${id} runs ${info.language}, not ${language}.`, { id });
    return info;
  }

  private sandboxFor(sessionId: string | undefined, language: Language): SandboxInfo | null {
    if (!sessionId) return null;
    for (const info of this.allSandboxes()) {
      if (info.sessionId === sessionId && info.language === language) return info;
    }
    return null;
  }

  /** One test_result event per case. A hidden case is recorded with its verdict only, like the page sees it. */
  private async record(sessionId: string, language: Language, result: ExecutionResult): Promise<void> {
    const runId = `run_${randomUUID().replaceAll('-', '')}`;
    for (const testCase of result.results) {
      await this.deps.recorder.recordTestResult(sessionId, {
        testName: testCase.name,
        passed: testCase.passed,
        duration: testCase.durationMs,
        hidden: testCase.hidden,
        ...(testCase.hidden ? {} : { ...(testCase.error ? { error: testCase.error } : {}), output: testCase.actual ?? '' }),
        runId,
        language,
        backend: result.backend,
      });
    }
  }
}

function isTransient(error: unknown): boolean {
  return isAppError(error) && (error.details as { transient?: boolean } | undefined)?.transient === true;
}

/** The verdict on each case, from what the harness reported. */
function judge(cases: TestCase[], response: HarnessResponse, backend: ExecutionBackend, notice: string | null, executionTime: number): ExecutionResult {
  const results: TestCaseResult[] = cases.map((testCase, index) => {
    const outcome = response.cases[index];
    const base = { name: testCase.name, hidden: testCase.hidden };
    const expected = isStdio(testCase) ? testCase.expectedStdout : JSON.stringify(testCase.expected);
    if (response.compileError) {
      return { ...base, passed: false, actual: null, expected, error: `The code did not compile: ${response.compileError.message}`, stdout: '', stderr: '', durationMs: 0 };
    }
    if (response.entryError) return { ...base, passed: false, actual: null, expected, error: response.entryError, stdout: '', stderr: '', durationMs: 0 };
    if (!outcome) {
      const why = response.termination ? response.termination.message : 'the run ended before this case';
      return { ...base, passed: false, actual: null, expected, error: `Not run: ${why}`, stdout: '', stderr: '', durationMs: 0 };
    }
    const error = outcome.error ? [outcome.error.message, outcome.error.stack].filter(Boolean).join('\n') : null;
    const actual = isStdio(testCase) ? outcome.stdout : 'value' in outcome ? displayValue(outcome.value) : null;
    const passed =
      error === null && (isStdio(testCase) ? stdoutMatches(testCase.expectedStdout, outcome.stdout) : 'value' in outcome && returnValueMatches(testCase.expected, outcome.value));
    return { ...base, passed, actual, expected, error, stdout: outcome.stdout, stderr: outcome.stderr, durationMs: outcome.durationMs };
  });
  return {
    passedTests: results.filter((result) => result.passed).length,
    totalTests: results.length,
    executionTime,
    results,
    compileError: response.compileError,
    terminated: response.termination?.message ?? null,
    outputTruncated: response.outputTruncated,
    backend,
    notice,
  };
}
