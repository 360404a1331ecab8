/**
 * Strict JSON checks for recorded data. `JSON.stringify` silently turns NaN into null and
 * drops functions and undefined; a recording must not change what it was given, so such
 * values are refused instead.
 */

/** Why a value is not plain JSON, or null when it is. `path` names the offending member. */
export function findNonJsonValue(value: unknown, maxDepth = 64): { path: string; reason: string } | null {
  return walk(value, '$', 0, maxDepth, []);
}

function walk(
  value: unknown,
  path: string,
  depth: number,
  maxDepth: number,
  ancestors: object[],
): { path: string; reason: string } | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : { path, reason: `${value} is not a JSON number` };
    case 'object': {
      if (value === null) return null;
      if (depth >= maxDepth) return { path, reason: `nested deeper than ${maxDepth} levels` };
      if (ancestors.includes(value)) return { path, reason: 'cyclic reference' };
      ancestors.push(value);
      try {
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) {
            const found = walk(value[i], `${path}[${i}]`, depth + 1, maxDepth, ancestors);
            if (found) return found;
          }
          return null;
        }
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
          return { path, reason: `${name} is not a plain JSON object` };
        }
        for (const key in value) {
          const found = walk((value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1, maxDepth, ancestors);
          if (found) return found;
        }
        return null;
      } finally {
        ancestors.pop();
      }
    }
    default:
      return { path, reason: `${typeof value} is not a JSON value` };
  }
}
