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

/** Per event of a paced run: call to acknowledgement, and schedule to acknowledgement, in ms. */
export interface PacedLatencies {
  latencies: Float64Array;
  fromSchedule: Float64Array;
}

/** Feeds `events` to `record` at a steady rate and times each acknowledgement. */
export async function recordPacedEvents<T>(events: readonly T[], ratePerSecond: number, record: (event: T) => Promise<unknown>): Promise<PacedLatencies> {
  const run = { latencies: new Float64Array(events.length), fromSchedule: new Float64Array(events.length) };
  const acks: Promise<unknown>[] = [];
  await issuePaced(events.length, ratePerSecond, (from, to, startedAt) => {
    for (let index = from; index < to; index++) {
      const calledAt = performance.now();
      acks.push(
        record(events[index]!).then(() => {
          const doneAt = performance.now();
          run.latencies[index] = doneAt - calledAt;
          run.fromSchedule[index] = doneAt - dueAt(startedAt, index, ratePerSecond);
        }),
      );
    }
  });
  await Promise.all(acks);
  return run;
}
