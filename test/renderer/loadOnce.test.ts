import { describe, expect, it } from 'vitest';
import { loadOnce } from '../../renderer/src/loadOnce';

describe('loadOnce', () => {
  it('shares one attempt between every caller', async () => {
    let loads = 0;
    const load = loadOnce(async () => ++loads);
    const [first, second] = await Promise.all([load(), load()]);
    expect([first, second, await load()]).toEqual([1, 1, 1]);
    expect(loads).toBe(1);
  });

  it('forgets a failed attempt, so the next call loads again', async () => {
    const outcomes: (() => Promise<string>)[] = [() => Promise.reject(new Error('chunk failed to load')), () => Promise.resolve('monaco')];
    const load = loadOnce(() => outcomes.shift()!());
    await expect(load()).rejects.toThrow('chunk failed to load');
    expect(await load()).toBe('monaco');
    expect(await load()).toBe('monaco');
    expect(outcomes).toEqual([]);
  });

  it('treats a load that throws before returning a promise as a failed attempt', async () => {
    let calls = 0;
    const load = loadOnce<string>(() => {
      calls += 1;
      if (calls === 1) throw new Error('import() refused');
      return Promise.resolve('loaded');
    });
    await expect(load()).rejects.toThrow('import() refused');
    expect(await load()).toBe('loaded');
  });
});
