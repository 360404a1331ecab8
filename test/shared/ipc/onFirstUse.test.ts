import { describe, expect, it } from 'vitest';
import { onFirstUse } from '../../../shared/ipc/onFirstUse';

describe('onFirstUse', () => {
  it('builds nothing until first used, then builds once and keeps the value', () => {
    let builds = 0;
    const value = onFirstUse(() => ({ built: ++builds }));
    expect(builds).toBe(0);
    expect(value()).toEqual({ built: 1 });
    expect(value()).toBe(value());
    expect(builds).toBe(1);
  });

  it('keeps a falsy value too, rather than building again', () => {
    let builds = 0;
    const value = onFirstUse(() => (builds++, undefined));
    value();
    value();
    expect(builds).toBe(1);
  });
});
