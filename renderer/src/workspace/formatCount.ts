/**
 * A count as the candidate reads it: grouped by the locale from 1,000 up, in plain Latin
 * digits below. Chromium loads its locale data (ICU) on a page's first toLocaleString(),
 * 40-70 ms of the main thread on this kind of machine, and the workspace's first render shows
 * counts that start at 0: below 1,000 there is nothing to group, so they show without that
 * load (a locale with its own digits sees them from 1,000 on).
 */
export function formatCount(count: number): string {
  return Number.isInteger(count) && Math.abs(count) < 1000 ? String(count) : count.toLocaleString();
}
