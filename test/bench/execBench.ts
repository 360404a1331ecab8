import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { configForDataDir } from '../../electron/services/config';
import { createServices } from '../../electron/services/container';
import type { FunctionTestCase, Language } from '../../shared/execution/testCases';
import type { BenchResult } from './benchResult';
import { formatMs, formatNumber, summarize } from './stats';
import { withTempDir } from './withTempDir';

const execFileAsync = promisify(execFile);

/** How the exec bench is sized. */
export interface ExecBenchOptions {
  /** Timed warm runs per language (after 3 not counted). */
  warmRuns: number;
  /** Pause between warm runs, not timed: a candidate reads the results before running again. */
  warmGapMs: number;
  /** Bare interpreter starts timed (after 2 not counted). */
  starts: number;
  /** Cold runs (a worker started for the run alone) timed. */
  coldRuns: number;
}

export const DEFAULT_EXEC_BENCH_OPTIONS: ExecBenchOptions = { warmRuns: 40, warmGapMs: 300, starts: 15, coldRuns: 10 };

/** A 10-case problem: the indices of the one pair summing to a target (5 cases hidden). */
const TWO_SUM_CASES: FunctionTestCase[] = Array.from({ length: 10 }, (_, index) => {
  const nums = Array.from({ length: 50 + index * 20 }, (_, i) => (i * 7919 + index) % 1000);
  // Only this pair reaches the target: every other number is below 1,000.
  const [i, j] = [index, nums.length - 1 - index];
  nums[i] = 50_000;
  nums[j] = 50_000 + index;
  return { name: `case_${index + 1}`, input: [nums, 100_000 + index], expected: [i, j], hidden: index >= 5 };
});

const SOLUTIONS: Partial<Record<Language, string>> = {
  javascript: `function twoSum(nums, target) {
  const seen = new Map();
  for (let i = 0; i < nums.length; i++) {
    const want = target - nums[i];
    if (seen.has(want)) return [seen.get(want), i];
    seen.set(nums[i], i);
  }
  return [-1, -1];
}
`,
  python: `def two_sum(nums, target):
    seen = {}
    for i, n in enumerate(nums):
        if target - n in seen:
            return [seen[target - n], i]
        seen[n] = i
    return [-1, -1]
`,
};

async function timeCommand(command: string, args: string[], count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count + 2; i++) {
    const startedAt = performance.now();
    await execFileAsync(command, args);
    if (i >= 2) times.push(performance.now() - startedAt);
  }
  return times;
}

/**
 * exec.*: executeCode through the real ExecutionService and local runtimes (the app's
 * composition), warm and cold, against the bare interpreters' start-up in the same run.
 */
export async function runExecBench(options: ExecBenchOptions = DEFAULT_EXEC_BENCH_OPTIONS): Promise<BenchResult[]> {
  return withTempDir('interviewlm-bench-exec-', async (dir) => {
    const services = createServices(configForDataDir(dir), { syncRunner: 'none' });
    try {
      const { execution, sessions } = services;
      const sessionId = (await sessions.createSession('bench-candidate')).id;
      const results: BenchResult[] = [];
      const nodeStart = summarize(await timeCommand(process.execPath, ['-e', '0'], options.starts));
      const python = (await execFileAsync('python3', ['-c', 'import sys; print(sys.executable)'])).stdout.trim();
      const pythonStart = summarize(await timeCommand('python3', ['-c', '0'], options.starts));
      const pythonBinaryStart = summarize(await timeCommand(python, ['-c', '0'], options.starts));

      /** Warm runs, paced `gapMs` apart (0: back to back); the pauses are not timed. */
      const warm = async (language: Language, gapMs: number) => {
        const sandbox = await execution.createSandbox(sessionId, language);
        const times: number[] = [];
        for (let i = 0; i < options.warmRuns + 3; i++) {
          if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
          const startedAt = performance.now();
          const result = await execution.executeCode(SOLUTIONS[language]!, language, TWO_SUM_CASES, { sandboxId: sandbox.id, sessionId });
          if (result.passedTests !== 10) throw new Error(`${language}: ${result.passedTests}/10 passed: ${JSON.stringify(result.results.find((r) => !r.passed))}`);
          if (i >= 3) times.push(performance.now() - startedAt);
        }
        await execution.destroySandbox(sandbox.id);
        return summarize(times);
      };
      const cold = async (language: Language) => {
        const times: number[] = [];
        for (let i = 0; i < options.coldRuns; i++) {
          const startedAt = performance.now();
          const result = await execution.executeCode(SOLUTIONS[language]!, language, TWO_SUM_CASES);
          if (result.passedTests !== 10) throw new Error(`${language} cold: ${result.passedTests}/10 passed`);
          times.push(performance.now() - startedAt);
        }
        return summarize(times);
      };

      const js = await warm('javascript', options.warmGapMs);
      const py = await warm('python', options.warmGapMs);
      const jsBackToBack = await warm('javascript', 0);
      const pyBackToBack = await warm('python', 0);
      const jsCold = await cold('javascript');
      const pyCold = await cold('python');
      const runNote = (what: string) =>
        `executeCode of a 10-case two-sum problem (arrays of 50-230 numbers; 5 hidden cases), judged and recorded (one test_result event per case) through the app's ExecutionService and local runtime, ${what}`;
      results.push(
        {
          id: 'exec.js_warm_p50_ms',
          value: js.p50,
          unit: 'ms',
          note:
            `${runNote(`in a warm sandbox (createSandbox first), runs ${options.warmGapMs} ms apart (a candidate reads the results before running again): p50 of ${js.count} runs after 3 not counted`)}; ` +
            `p95 ${formatMs(js.p95)}, max ${formatMs(js.max)} ms; each run in a fresh Node process started ahead of it. ` +
            `Back to back, each run also waits for the next process to start: p50 ${formatMs(jsBackToBack.p50)} ms`,
        },
        { id: 'exec.node_start_ms', value: nodeStart.p50, unit: 'ms', note: `a bare \`node -e 0\` (${process.execPath}), p50 of ${nodeStart.count} after 2 not counted; mean ${formatMs(nodeStart.mean)}, max ${formatMs(nodeStart.max)} ms` },
        {
          id: 'exec.py_warm_p50_ms',
          value: py.p50,
          unit: 'ms',
          note:
            `${runNote(`in a warm sandbox, runs ${options.warmGapMs} ms apart: p50 of ${py.count} runs after 3 not counted`)}; p95 ${formatMs(py.p95)}, max ${formatMs(py.max)} ms; ` +
            `each run a fresh fork of the warm interpreter. Back to back: p50 ${formatMs(pyBackToBack.p50)} ms`,
        },
        {
          id: 'exec.python_start_ms',
          value: pythonStart.p50,
          unit: 'ms',
          note: `a bare \`python3 -c 0\` (through PATH: ${formatMs(pythonStart.p50)} ms; the resolved binary ${python} alone: ${formatMs(pythonBinaryStart.p50)} ms), p50 of ${pythonStart.count} after 2 not counted`,
        },
        {
          id: 'exec.cold_ratio',
          value: Math.max(jsCold.p50 / nodeStart.p50, pyCold.p50 / pythonStart.p50),
          unit: 'ratio',
          note:
            `the first run without a warm sandbox (a worker started for the run alone, then stopped) over the bare interpreter start, the worse of the two languages: ` +
            `javascript ${formatMs(jsCold.p50)} / ${formatMs(nodeStart.p50)} ms = ${formatNumber(jsCold.p50 / nodeStart.p50, 2)}, ` +
            `python ${formatMs(pyCold.p50)} / ${formatMs(pythonStart.p50)} ms = ${formatNumber(pyCold.p50 / pythonStart.p50, 2)} (p50 of ${options.coldRuns} each)`,
        },
      );
      return results;
    } finally {
      await services.execution.dispose();
      services.dispose();
    }
  });
}
