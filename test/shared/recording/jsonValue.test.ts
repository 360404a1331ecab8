import { describe, expect, it } from 'vitest';
import { findNonJsonValue } from '../../../shared/recording/jsonValue';

describe('findNonJsonValue', () => {
  it('accepts plain JSON values, including null-prototype objects and shared (non-cyclic) references', () => {
    const shared = { a: 1 };
    const bare = Object.assign(Object.create(null) as object, { k: 'v' });
    expect(findNonJsonValue({ s: 'x', n: 1.5, b: false, z: null, list: [shared, shared], bare })).toBeNull();
  });

  it.each([
    [{ n: Number.NaN }, '$.n', /NaN/],
    [{ n: Infinity }, '$.n', /Infinity/],
    [{ list: [1, 2n] }, '$.list[1]', /bigint/],
    [{ u: undefined }, '$.u', /undefined/],
    [{ f: () => 1 }, '$.f', /function/],
    [{ s: Symbol('s') }, '$.s', /symbol/],
    [{ d: new Date(0) }, '$.d', /Date/],
    [{ m: new Map() }, '$.m', /Map/],
  ])('names the offending member of %o', (value, path, reason) => {
    const found = findNonJsonValue(value);
    expect(found?.path).toBe(path);
    expect(found?.reason).toMatch(reason);
  });

  it('reports cycles and excessive depth instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    expect(findNonJsonValue(cyclic)).toEqual({ path: '$.me', reason: 'cyclic reference' });
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(findNonJsonValue(deep)?.reason).toMatch(/deeper than 64/);
  });
});
