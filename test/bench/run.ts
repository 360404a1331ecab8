/**
 * The performance bench: `npm run bench`. Records on real SQLite files in temp folders,
 * prints a table with each target and whether it is met, and writes bench-results.json at
 * the repo root. Timings are reported, never asserted: this is a script, not a test.
 */
import { writeFileSync } from 'node:fs';
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

async function main(): Promise<void> {
  const startedAt = performance.now();
  const results: BenchResult[] = [];
  // `npm run bench -- sync exec` runs only those; bench-results.json then holds only their figures.
  const only = new Set(process.argv.slice(2));
  for (const [name, bench] of [
    ['recorder', runRecorderBench],
    ['replay', runReplayBench],
    ['sync', runSyncBench],
    ['exec', runExecBench],
    ['ai', runAiBench],
    ['app', runAppBench],
  ] as const) {
    if (only.size > 0 && !only.has(name)) continue;
    const benchStartedAt = performance.now();
    process.stdout.write(`running ${name} bench... `);
    results.push(...(await bench()));
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
