const UNITS = ['KB', 'MB', 'GB', 'TB'] as const;

/** A byte count as the candidate reads it: "512 B", "3.4 KB", "18 MB" (binary units, one decimal below 10). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes)) || 0} B`;
  let value = bytes / 1024;
  let unit = 0;
  // Whole units from 10 up: a value that rounds to 1024 (1023.7 KB) reads as the next unit.
  while (Math.round(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  // 9.96 KB would read "10.0 KB" with one decimal: round first, then choose the precision.
  const rounded = Math.round(value * 10) / 10;
  return rounded < 10 ? `${rounded.toFixed(1)} ${UNITS[unit]}` : `${Math.round(value)} ${UNITS[unit]}`;
}
