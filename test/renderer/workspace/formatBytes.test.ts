import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../../renderer/src/workspace/formatBytes';

describe('formatBytes', () => {
  it('gives whole bytes below a kilobyte', () => {
    expect([0, 1, 1023].map(formatBytes)).toEqual(['0 B', '1 B', '1023 B']);
  });

  it('gives one decimal below 10 of a unit and whole units above, in binary units', () => {
    expect([1024, 1536, 10 * 1024, 5.3 * 1024 * 1024, 2 * 1024 ** 3, 3 * 1024 ** 4, 5000 * 1024 ** 4].map(formatBytes)).toEqual([
      '1.0 KB',
      '1.5 KB',
      '10 KB',
      '5.3 MB',
      '2.0 GB',
      '3.0 TB',
      '5000 TB',
    ]);
  });

  it('rounds before it picks the precision, so 9.96 KB reads 10 KB, not "10.0 KB"', () => {
    expect(formatBytes(9.96 * 1024)).toBe('10 KB');
    expect(formatBytes(1023.7 * 1024)).toBe('1.0 MB');
  });

  it('reads nonsense as nothing rather than as a negative or NaN size', () => {
    expect([-5, Number.NaN].map(formatBytes)).toEqual(['0 B', '0 B']);
  });
});
