/**
 * Wraps a load (a dynamic import) so every caller shares one attempt: the first call starts
 * it, later calls get the same promise. A failed attempt is forgotten once it settles, so the
 * next call tries again rather than repeating the old failure (a chunk that failed to load
 * while the network blinked loads on the next Start).
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let attempt: Promise<T> | null = null;
  return () => {
    if (attempt) return attempt;
    // Inside the executor, a load that throws before returning a promise is a rejection too.
    const current = new Promise<T>((resolve) => resolve(load()));
    attempt = current;
    current.catch(() => {
      if (attempt === current) attempt = null;
    });
    return current;
  };
}
