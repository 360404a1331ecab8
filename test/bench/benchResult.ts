import { formatNumber } from './stats';

/** One figure of the bench, as written to bench-results.json. */
export interface BenchResult {
  id: string;
  value: number;
  unit: string;
  /** What exactly was measured, so the figure can be read without the code. */
  note: string;
}

/** A goal a figure is held to. */
export interface BenchTarget {
  comparison: '>=' | '<=';
  threshold: number;
}

/** The figures that have a goal; the rest are context. */
export const BENCH_TARGETS: Readonly<Record<string, BenchTarget>> = {
  'recorder.throughput_ratio': { comparison: '>=', threshold: 0.5 },
  'recorder.p99_ms': { comparison: '<=', threshold: 2 },
  'replay.reconstruct_ms': { comparison: '<=', threshold: 10 },
  'replay.speedup_vs_full_replay': { comparison: '>=', threshold: 20 },
  'sync.compression_vs_seed': { comparison: '<=', threshold: 0.33 },
  'sync.close_upload_overhead': { comparison: '<=', threshold: 1.2 },
  'sync.p99_ratio_s3_down': { comparison: '<=', threshold: 1.1 },
  'exec.js_warm_p50_ms': { comparison: '<=', threshold: 50 },
  'exec.py_warm_p50_ms': { comparison: '<=', threshold: 80 },
  'exec.cold_ratio': { comparison: '<=', threshold: 1.3 },
  'ai.ttft_overhead_ms': { comparison: '<=', threshold: 2 },
  'ai.total_overhead_ratio': { comparison: '<=', threshold: 1.05 },
  'ai.abort_ms': { comparison: '<=', threshold: 50 },
  'app.editor_ready_ms': { comparison: '<=', threshold: 1500 },
  'app.keystroke_p99_ms': { comparison: '<=', threshold: 16 },
  'app.keystrokes_recorded_ratio': { comparison: '>=', threshold: 1 },
};

/** Whether a figure meets its target; null when it has none. */
export function meetsTarget(result: BenchResult): boolean | null {
  const target = BENCH_TARGETS[result.id];
  if (!target) return null;
  return target.comparison === '>=' ? result.value >= target.threshold : result.value <= target.threshold;
}

function formatValue(value: number): string {
  const magnitude = Math.abs(value);
  return formatNumber(value, magnitude >= 1000 ? 0 : magnitude >= 100 ? 1 : magnitude >= 1 ? 2 : 3);
}

/** The results as an aligned text table, with each target and a PASS/FAIL mark, then the notes. */
export function formatResultsTable(results: readonly BenchResult[]): string {
  const rows = results.map((result) => {
    const target = BENCH_TARGETS[result.id];
    const met = meetsTarget(result);
    return [
      result.id,
      formatValue(result.value),
      result.unit,
      target ? `${target.comparison} ${target.threshold}` : '',
      met === null ? '' : met ? 'PASS' : 'FAIL',
    ];
  });
  const header = ['id', 'value', 'unit', 'target', ''];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, column) => (column === 1 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ').trimEnd();
  const table = [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)];
  const notes = results.map((result) => `  ${result.id}: ${result.note}`);
  return [...table, '', 'Notes:', ...notes].join('\n');
}
