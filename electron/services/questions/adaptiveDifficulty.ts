import { DIFFICULTIES, type Difficulty } from '../../../shared/questions/question';

/** At or above this performance the next question is one level harder. */
export const STEP_UP_AT = 0.8;
/** Below this performance the next question is one level easier. */
export const STEP_DOWN_BELOW = 0.4;
/** How many of the candidate's latest scores count. */
export const RECENT_SCORES = 3;

/**
 * The difficulty of the next question. The rule:
 * - performance is the mean of `previousPerformance` (when given) and the mean of the
 *   candidate's last RECENT_SCORES scores (when any); with neither, the requested difficulty
 *   stands;
 * - performance ≥ STEP_UP_AT: one level above the requested (HARD stays HARD);
 * - performance < STEP_DOWN_BELOW: one level below (EASY stays EASY);
 * - otherwise the requested difficulty.
 * Scores and previousPerformance are in 0..1 (checked by the caller).
 */
export function adaptDifficulty(requested: Difficulty, previousPerformance: number | undefined, recentScores: readonly number[]): Difficulty {
  const parts: number[] = [];
  if (previousPerformance !== undefined) parts.push(previousPerformance);
  const recent = recentScores.slice(-RECENT_SCORES);
  if (recent.length > 0) parts.push(recent.reduce((sum, score) => sum + score, 0) / recent.length);
  if (parts.length === 0) return requested;
  const performance = parts.reduce((sum, part) => sum + part, 0) / parts.length;
  const level = DIFFICULTIES.indexOf(requested);
  if (performance >= STEP_UP_AT) return DIFFICULTIES[Math.min(level + 1, DIFFICULTIES.length - 1)]!;
  if (performance < STEP_DOWN_BELOW) return DIFFICULTIES[Math.max(level - 1, 0)]!;
  return requested;
}
