import type { Question } from './question';

/*
 * Kept apart from question.ts and its schemas: the page needs these at start, and importing
 * them from there would build every question schema as the page loads.
 */

/** The languages every question is written for: each has starter code and a reference solution in all three. */
export const QUESTION_LANGUAGES = ['javascript', 'typescript', 'python'] as const;
export type QuestionLanguage = (typeof QUESTION_LANGUAGES)[number];

/** The entry function's name in a language. */
export function entryFor(question: Pick<Question, 'entry' | 'entryPython'>, language: QuestionLanguage): string {
  return language === 'python' ? (question.entryPython ?? question.entry) : question.entry;
}
