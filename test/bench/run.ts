/**
 * The performance bench: `npm run bench`. Records on real SQLite files in temp folders,
 * prints a table with each target and whether it is met, and writes bench-results.json at
 * the repo root. Timings are reported, never asserted: this is a script, not a test.
 */
import { spawnSync } from 'node:child_process';
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
function runInOwnProcess(name: BenchName): BenchResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'interviewlm-bench-results-'));
  try {
    const resultsFile = join(dir, `${name}.json`);
    // Each bench also starts on a quiet disk: the ones before it write hundreds of MB
    // (databases, s3rver's folder), whose writeback would otherwise land on its timings.
    spawnSync('sync');
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), BENCH_PROCESS_FLAG, name, resultsFile], { stdio: 'inherit' });
    if (child.status !== 0) throw new Error(`the ${name} bench failed (exit ${child.status ?? child.signal})`);
    return JSON.parse(readFileSync(resultsFile, 'utf8')) as BenchResult[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [first, name, resultsFile] = process.argv.slice(2);
  if (first === BENCH_PROCESS_FLAG) {
    writeFileSync(resultsFile!, JSON.stringify(await BENCHES[name as BenchName]()));
    return;
  }
  const startedAt = performance.now();
  const results: BenchResult[] = [];
  // `npm run bench -- sync exec` runs only those; bench-results.json then holds only their figures.
  const only = new Set(process.argv.slice(2));
  for (const name of Object.keys(BENCHES) as BenchName[]) {
    if (only.size > 0 && !only.has(name)) continue;
    const benchStartedAt = performance.now();
    process.stdout.write(`running ${name} bench... `);
    results.push(...runInOwnProcess(name));
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
