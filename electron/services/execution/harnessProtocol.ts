import { z } from 'zod';
import type { Language } from '../../../shared/execution/testCases';

/*
 * The protocol between the execution service and a language harness (the code that runs
 * inside a sandbox, local or Modal, next to the candidate's code). The harness gets the
 * code and each case's inputs, never the expected values: comparing is done here, by one
 * comparator, so every backend gives the same verdict and hidden expectations stay in the
 * main process.
 *
 * Values the candidate's code returns are sent back as "encoded JSON": plain JSON, except
 * that what JSON cannot carry is replaced by a marker object with the single key "$ilm":
 *   {"$ilm": "undefined"} {"$ilm": "nan"} {"$ilm": "infinity"} {"$ilm": "-infinity"}
 *   {"$ilm": "bigint", "value": "123"} {"$ilm": "cyclic"} {"$ilm": "function"}
 *   {"$ilm": "unserializable", "repr": "<the language's own text of it>"}
 * and an object whose own keys include "$ilm" is sent as {"$ilm": "object", "value": {...}}.
 * Python's tuples become arrays, its sets and other objects "unserializable".
 */

/** Per-run limits the sandbox enforces. */
export interface RunLimits {
  /** Wall time of the whole run (every case), ms. */
  wallMs: number;
  /** Memory of the candidate's process, MiB. */
  memoryMb: number;
  /** stdout + stderr kept per run, bytes; beyond it output is dropped and the run flagged. */
  outputBytes: number;
  /** Processes the candidate's code may have at once (its own included). */
  processes: number;
}

export const DEFAULT_RUN_LIMITS: RunLimits = { wallMs: 10_000, memoryMb: 256, outputBytes: 1024 * 1024, processes: 16 };

/**
 * What one run asks of a harness. `entry` names the function to call; null asks the harness
 * to find it: the one top-level function the code defines, when there is exactly one.
 */
export type HarnessRequest =
  | { mode: 'function'; language: Language; code: string; entry: string | null; cases: { args: unknown[] }[]; limits: RunLimits }
  | { mode: 'stdio'; language: Language; code: string; cases: { stdin: string }[]; limits: RunLimits };

/**
 * A request as written to a harness process: one line of JSON. `runDir` is the run's private
 * working directory (the harness chdirs there; files outside it are refused).
 *
 * Harness processes speak it in two ways:
 * - warm (local): a long-lived process reads request lines on stdin and answers each with
 *   one response line, running each request in a fresh process of its own (a fork, or a
 *   pre-started child);
 * - once (`<harness> --once <marker>`, for Modal): it reads one request from stdin to EOF,
 *   runs it in-process, and prints `<marker><response JSON>` on a line of its own on stdout,
 *   so that whatever the candidate's code wrote to the real stdout cannot be mistaken for it.
 */
export type HarnessWireRequest = HarnessRequest & { runDir: string };

const LocatedErrorSchema = z.object({
  message: z.string(),
  /** The candidate's stack: frames in the harness removed, line numbers the candidate's own. */
  stack: z.string().nullable().default(null),
});

/** One case as the harness ran it. */
export const HarnessCaseOutcomeSchema = z.object({
  /** The returned value, encoded (function mode; absent when it threw). */
  value: z.unknown().optional(),
  stdout: z.string(),
  stderr: z.string(),
  error: LocatedErrorSchema.nullable(),
  durationMs: z.number().nonnegative(),
});
export type HarnessCaseOutcome = z.infer<typeof HarnessCaseOutcomeSchema>;

/** What a harness answers; `cases` is shorter than asked when the run ended early (`termination` says why). */
export const HarnessResponseSchema = z.object({
  compileError: z.object({ message: z.string(), line: z.number().int().positive().nullable(), column: z.number().int().positive().nullable() }).nullable(),
  /** Why no entry function could be called (function mode): none by that name, or none or several to choose from. */
  entryError: z.string().nullable().default(null),
  cases: z.array(HarnessCaseOutcomeSchema),
  termination: z
    .object({ reason: z.enum(['timeout', 'memory', 'output', 'processes', 'crashed']), message: z.string() })
    .nullable(),
  outputTruncated: z.boolean(),
});
export type HarnessResponse = z.infer<typeof HarnessResponseSchema>;

/** A pre-started interpreter for one language, ready to run the next request in a fresh process. */
export interface WarmWorker {
  readonly language: Language;
  /** Runs one request isolated from every run before it. Rejects only when the sandbox itself broke. */
  run(request: HarnessRequest): Promise<HarnessResponse>;
  /** Stops the interpreter and removes its files. Idempotent. */
  dispose(): Promise<void>;
}

/** How one language is run locally. */
export interface LanguageRuntime {
  readonly language: Language;
  /** Whether this machine has the toolchain, with its version, or a plain reason why not. */
  probe(): Promise<{ available: true; version: string } | { available: false; reason: string }>;
  /** Starts a warm worker: the interpreter is up and waiting when this resolves. */
  startWorker(): Promise<WarmWorker>;
}
