/**
 * Strict JSON checks for recorded data. `JSON.stringify` silently turns NaN into null and
 * drops functions and undefined; a recording must not change what it was given, so such
 * values are refused instead.
 */

interface Problem {
  /** Keys from the offending member up to the root (built only on failure: this runs per event). */
  reversedPath: (string | number)[];
  reason: string;
}

/** Why a value is not plain JSON, or null when it is. `path` names the offending member. */
export function findNonJsonValue(value: unknown, maxDepth = 64): { path: string; reason: string } | null {
  const problem = walk(value, 0, maxDepth, []);
  if (!problem) return null;
  const path = problem.reversedPath.reverse().reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}.${key}`), '$');
  return { path, reason: problem.reason };
}

function walk(value: unknown, depth: number, maxDepth: number, ancestors: object[]): Problem | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : { reversedPath: [], reason: `${value} is not a JSON number` };
    case 'object': {
      if (value === null) return null;
      if (depth >= maxDepth) return { reversedPath: [], reason: `nested deeper than ${maxDepth} levels` };
      if (ancestors.includes(value)) return { reversedPath: [], reason: 'cyclic reference' };
      ancestors.push(value);
      try {
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) {
            const found = walk(value[i], depth + 1, maxDepth, ancestors);
            if (found) {
              found.reversedPath.push(i);
              return found;
            }
          }
          return null;
        }
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
          return { reversedPath: [], reason: `${name} is not a plain JSON object` };
        }
        for (const key in value) {
          const found = walk((value as Record<string, unknown>)[key], depth + 1, maxDepth, ancestors);
          if (found) {
            found.reversedPath.push(key);
            return found;
          }
        }
        return null;
      } finally {
        ancestors.pop();
      }
    }
    default:
      return { reversedPath: [], reason: `${typeof value} is not a JSON value` };
  }
}
