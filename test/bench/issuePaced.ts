/**
 * Issues `count` items at a steady `ratePerSecond` from a 1 ms timer, the way IPC messages
 * from a typing candidate reach the main process: each wake-up calls `issue(from, to)` with
 * the items that fell due since the last one. Item i is due at `startedAt + i * 1000 / rate`.
 * Resolves with `startedAt` once the last item is issued.
 */
export function issuePaced(count: number, ratePerSecond: number, issue: (from: number, to: number, startedAt: number) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    let next = 0;
    const tick = () => {
      try {
        const due = Math.min(count, Math.floor(((performance.now() - startedAt) * ratePerSecond) / 1000) + 1);
        if (due > next) {
          issue(next, due, startedAt);
          next = due;
        }
        if (next < count) setTimeout(tick, 1);
        else resolve(startedAt);
      } catch (error) {
        reject(error);
      }
    };
    tick();
  });
}

/** When item `index` of a paced run was due. */
export function dueAt(startedAt: number, index: number, ratePerSecond: number): number {
  return startedAt + (index * 1000) / ratePerSecond;
}
