import { describe, expect, it } from 'vitest';
import { formatElapsed, formatTimeOfDay } from '../../../renderer/src/workspace/formatTime';

describe('the interview clock', () => {
  it('shows the time since the start as m:ss, and h:mm:ss past an hour', () => {
    expect([0, 59_999, 61_000, 3_600_000, 3_725_000].map(formatElapsed)).toEqual(['0:00', '0:59', '1:01', '1:00:00', '1:02:05']);
  });

  it('tells the local time the interview started as hh:mm on the 24-hour clock', () => {
    expect(formatTimeOfDay(new Date(2026, 10, 30, 9, 5, 59).getTime())).toBe('09:05');
    expect(formatTimeOfDay(new Date(2026, 10, 30, 23, 40).getTime())).toBe('23:40');
  });
});
