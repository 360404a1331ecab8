import { describe, expect, it } from 'vitest';
import { median, percentile, pooled, summarize } from './stats';

describe('median', () => {
  it('is the middle value of an odd count, in any order', () => {
    expect(median([5, 1, 3])).toBe(3);
  });

  it('is the mean of the two middle values of an even count, not the lower one', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    // Nearest-rank p50 takes the lower middle: the difference median exists for.
    expect(summarize([4, 1, 3, 2]).p50).toBe(2);
  });

  it('leaves its input as it was, and is NaN with nothing to take it of', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
    expect(median([])).toBeNaN();
  });
});

describe('percentile', () => {
  it('is nearest-rank: the smallest value with at least p% of the samples at or below it', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, index) => index + 1);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile(sorted, 1)).toBe(1);
  });
});

describe('pooled', () => {
  it('joins the runs in order, each without its first `skip` samples (its warm-up), whatever their lengths', () => {
    const runs = [Float64Array.of(9, 1, 2), Float64Array.of(9, 3), Float64Array.of(9, 4, 5, 6)];
    expect(Array.from(pooled(runs, 1))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(pooled([], 1)).toHaveLength(0);
  });
});
