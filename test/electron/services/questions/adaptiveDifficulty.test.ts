import { describe, expect, it } from 'vitest';
import { adaptDifficulty, STEP_DOWN_BELOW, STEP_UP_AT } from '../../../../electron/services/questions/adaptiveDifficulty';

describe('the adaptive difficulty rule', () => {
  it('keeps the requested difficulty with nothing to go on', () => {
    for (const difficulty of ['EASY', 'MEDIUM', 'HARD'] as const) expect(adaptDifficulty(difficulty, undefined, [])).toBe(difficulty);
  });

  it('steps up at STEP_UP_AT exactly, and not just below it', () => {
    expect(adaptDifficulty('MEDIUM', STEP_UP_AT, [])).toBe('HARD');
    expect(adaptDifficulty('MEDIUM', STEP_UP_AT - 0.001, [])).toBe('MEDIUM');
    expect(adaptDifficulty('EASY', 1, [])).toBe('MEDIUM');
  });

  it('steps down below STEP_DOWN_BELOW, and not at it', () => {
    expect(adaptDifficulty('MEDIUM', STEP_DOWN_BELOW, [])).toBe('MEDIUM');
    expect(adaptDifficulty('MEDIUM', STEP_DOWN_BELOW - 0.001, [])).toBe('EASY');
    expect(adaptDifficulty('HARD', 0, [])).toBe('MEDIUM');
  });

  it('never goes past HARD or below EASY', () => {
    expect(adaptDifficulty('HARD', 1, [1, 1, 1])).toBe('HARD');
    expect(adaptDifficulty('EASY', 0, [0, 0, 0])).toBe('EASY');
  });

  it('weighs previousPerformance and the mean of the last three scores equally', () => {
    // (0.9 + mean(0.2, 0.9, 0.9, 0.9 -> last three 0.9)) / 2 = 0.9: up.
    expect(adaptDifficulty('EASY', 0.9, [0.2, 0.9, 0.9, 0.9])).toBe('MEDIUM');
    // (1.0 + 0.5) / 2 = 0.75: stays.
    expect(adaptDifficulty('EASY', 1, [0.5, 0.5, 0.5])).toBe('EASY');
    // Scores alone decide when no previousPerformance is given.
    expect(adaptDifficulty('MEDIUM', undefined, [0.1, 0.2, 0.3])).toBe('EASY');
  });
});
