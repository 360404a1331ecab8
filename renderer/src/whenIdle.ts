/** The longest a `whenIdle` callback waits for an idle moment before it runs anyway. */
const IDLE_TIMEOUT_MS = 2000;

/**
 * Runs `callback` once the page has an idle moment (after the frames and input waiting now),
 * or after IDLE_TIMEOUT_MS at the latest; returns a disposer that cancels it. For work the
 * screen does not need to show its first frame. Falls back to a timer where
 * requestIdleCallback is missing (Safari).
 */
export function whenIdle(callback: () => void): () => void {
  if (typeof requestIdleCallback === 'function') {
    const handle = requestIdleCallback(() => callback(), { timeout: IDLE_TIMEOUT_MS });
    return () => cancelIdleCallback(handle);
  }
  const handle = setTimeout(callback, 0);
  return () => clearTimeout(handle);
}
