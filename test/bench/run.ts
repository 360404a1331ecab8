/**
 * The performance bench: `npm run bench`. Records on real SQLite files in temp folders,
 * prints a table with each target and whether it is met, and writes bench-results.json at
 * the repo root. Timings are reported, never asserted: this is a script, not a test.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatResultsTable, type BenchResult } from './benchResult';
import { runRecorderBench } from './recorderBench';
import { runReplayBench } from './replayBench';
import { runAiBench } from './aiBench';
import { runAppBench } from './appBench';
import { runExecBench } from './execBench';
import { runSyncBench } from './syncBench';
import { formatNumber } from './stats';

const RESULTS_PATH = fileURLToPath(new URL('../../bench-results.json', import.meta.url));

const BENCHES = {
  recorder: runRecorderBench,
  replay: runReplayBench,
  sync: runSyncBench,
  exec: runExecBench,
  ai: runAiBench,
  app: runAppBench,
} satisfies Record<string, () => Promise<BenchResult[]>>;

type BenchName = keyof typeof BENCHES;

/** Marks this script's run as one bench's own process: `run.ts --bench-process <name> <results file>`. */
const BENCH_PROCESS_FLAG = '--bench-process';

/**
 * Runs one bench in a process of its own and returns its results, so that no bench inherits
 * another's heap, timers or threads: the app bench's browser shell, for one, would otherwise
 * serve the page from the process the sync bench's two-hour sessions have just filled.
 */
async function runInOwnProcess(name: BenchName): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'interviewlm-bench-results-'));
  // Passed on, so a stopped bench run stops the bench's process too (and its Chromium or s3rver).
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), BENCH_PROCESS_FLAG, name, join(dir, 'results.json')], { stdio: 'inherit' });
  process.on('SIGINT', forward).on('SIGTERM', forward);
  try {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    if (code !== 0) throw new Error(`the ${name} bench failed (${signal ? `stopped by ${signal}` : `exit code ${code}`})`);
    // JSON has no NaN (a figure with no samples): it comes back as NaN, not null, so it fails its target.
    return JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'), (key, value: unknown) => (key === 'value' && value === null ? Number.NaN : value)) as BenchResult[];
  } finally {
    process.off('SIGINT', forward).off('SIGTERM', forward);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [first, name, resultsFile] = process.argv.slice(2);
  if (first === BENCH_PROCESS_FLAG) {
    if (!name || !resultsFile || !Object.hasOwn(BENCHES, name)) throw new Error(`usage: run.ts ${BENCH_PROCESS_FLAG} <${Object.keys(BENCHES).join('|')}> <results file>`);
    writeFileSync(resultsFile, JSON.stringify(await BENCHES[name as BenchName]()));
    return;
  }
  const startedAt = performance.now();
  const results: BenchResult[] = [];
  // `npm run bench -- sync exec` runs only those; bench-results.json then holds only their figures.
  const only = new Set(process.argv.slice(2));
  for (const name of Object.keys(BENCHES) as BenchName[]) {
    if (only.size > 0 && !only.has(name)) continue;
    // Each bench also starts on a quiet disk: the ones before it write hundreds of MB
    // (databases, s3rver's folder), whose writeback would otherwise land on its timings.
    spawnSync('sync');
    const benchStartedAt = performance.now();
    process.stdout.write(`running ${name} bench... `);
    results.push(...(await runInOwnProcess(name)));
    process.stdout.write(`${formatNumber((performance.now() - benchStartedAt) / 1000, 1)} s\n`);
  }
  writeFileSync(RESULTS_PATH, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${formatResultsTable(results)}\n`);
  console.log(`Wrote ${RESULTS_PATH} in ${formatNumber((performance.now() - startedAt) / 1000, 1)} s (node ${process.version}).`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
