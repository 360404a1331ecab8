/**
 * A value built on its first use rather than when its module loads; every use after the
 * first gets the same value. For the zod schemas of modules the page loads at start: building
 * one costs a cold page milliseconds (the first, ~10 ms), which the first screen should not wait for.
 */
export function onFirstUse<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
