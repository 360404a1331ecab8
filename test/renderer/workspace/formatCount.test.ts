import { describe, expect, it } from 'vitest';
import { formatCount } from '../../../renderer/src/workspace/formatCount';

describe('formatCount', () => {
  it('shows counts under 1,000 as they are, with nothing to group', () => {
    expect([0, 7, 999, -999].map(formatCount)).toEqual(['0', '7', '999', '-999']);
  });

  it("groups larger counts, and fractions, by the locale's rules", () => {
    for (const count of [1000, 1_234_567, -1000, 12.5]) expect(formatCount(count)).toBe(count.toLocaleString());
  });
});
