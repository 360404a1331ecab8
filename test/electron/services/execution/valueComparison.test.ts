import { describe, expect, it } from 'vitest';
import { displayValue, returnValueMatches, stdoutMatches } from '../../../../electron/services/execution/valueComparison';

describe('comparing what the code returned with what a case expects', () => {
  it('compares objects by their keys, whatever their order, and arrays element by element', () => {
    expect(returnValueMatches({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toBe(true);
    expect(returnValueMatches([1, 2], [2, 1])).toBe(false);
    expect(returnValueMatches({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(returnValueMatches([], {})).toBe(false);
    expect(returnValueMatches(null, null)).toBe(true);
    expect(returnValueMatches('5', 5)).toBe(false);
  });

  it('compares floats with a tolerance, integers exactly', () => {
    expect(returnValueMatches(0.3, 0.1 + 0.2)).toBe(true);
    expect(returnValueMatches(1e12 / 3, 1e12 / 3 + 1e-4)).toBe(true);
    expect(returnValueMatches(0.3, 0.31)).toBe(false);
    expect(returnValueMatches(3, 4)).toBe(false);
    expect(returnValueMatches(9007199254740991, 9007199254740990)).toBe(false);
    expect(returnValueMatches(0, -0)).toBe(true);
  });

  it('never matches a value JSON cannot express, and spells it as the language would', () => {
    const cases: [unknown, string][] = [
      [{ $ilm: 'undefined' }, 'undefined'],
      [{ $ilm: 'nan' }, 'NaN'],
      [{ $ilm: 'infinity' }, 'Infinity'],
      [{ $ilm: '-infinity' }, '-Infinity'],
      [{ $ilm: 'bigint', value: '10' }, '10n'],
      [{ $ilm: 'cyclic' }, '[Circular]'],
      [{ $ilm: 'function' }, '[Function]'],
      [{ $ilm: 'unserializable', repr: '{1, 2}' }, '{1, 2}'],
    ];
    for (const [encoded, shown] of cases) {
      expect(returnValueMatches(null, encoded)).toBe(false);
      expect(returnValueMatches(0, encoded)).toBe(false);
      expect(displayValue(encoded)).toBe(shown);
    }
    expect(returnValueMatches([1, null], [1, { $ilm: 'undefined' }])).toBe(false);
    expect(displayValue({ a: [1, { $ilm: 'nan' }] })).toBe('{"a":[1,NaN]}');
  });

  it('unwraps a real object that had a "$ilm" key', () => {
    expect(returnValueMatches({ $ilm: 'x', n: 1 }, { $ilm: 'object', value: { $ilm: 'x', n: 1 } })).toBe(true);
  });

  it('shortens long values for display', () => {
    expect(displayValue('x'.repeat(5_000), 100)).toMatch(/…\s\(5002 characters\)$/);
  });

  it('compares program output ignoring line endings, trailing spaces and trailing blank lines', () => {
    expect(stdoutMatches('1\n2\n', '1  \r\n2\r\n\r\n')).toBe(true);
    expect(stdoutMatches('1 2\n', '1  2\n')).toBe(false);
    expect(stdoutMatches('a\n\nb', 'a\nb')).toBe(false);
  });
});
