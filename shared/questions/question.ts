import { z } from 'zod';
import { FunctionTestCaseSchema } from '../execution/testCases';
import { QUESTION_LANGUAGES } from './questionLanguages';

/** The seed's difficulty levels. */
export const DIFFICULTIES = ['EASY', 'MEDIUM', 'HARD'] as const;
export const DifficultySchema = z.enum(DIFFICULTIES);
export type Difficulty = z.infer<typeof DifficultySchema>;

/** One of QUESTION_LANGUAGES. */
export const QuestionLanguageSchema = z.enum(QUESTION_LANGUAGES);

const SourceSchema = z.string().min(1).max(20_000);
const PerLanguageSchema = z.strictObject({ javascript: SourceSchema, typescript: SourceSchema, python: SourceSchema });

/** What a question consists of, apart from its id: the input schema of the tool Claude answers with. */
export const QuestionBodySchema = z.strictObject({
  title: z.string().trim().min(3).max(120),
  difficulty: DifficultySchema,
  topics: z.array(z.string().trim().min(1).max(40)).min(1).max(8),
  /** Markdown: the problem, its input and output, constraints, and an example or two. */
  description: z.string().trim().min(40).max(8_000),
  entry: z.string().regex(/^[A-Za-z_$][\w$]*$/, 'must be an identifier'),
  entryPython: z.string().regex(/^[A-Za-z_]\w*$/, 'must be an identifier').optional(),
  starterCode: PerLanguageSchema,
  referenceSolution: PerLanguageSchema,
  testCases: z.array(FunctionTestCaseSchema).min(10).max(60),
});

/** At least 5 visible and 5 hidden cases, with distinct names. */
function checkCases(question: z.infer<typeof QuestionBodySchema>, context: z.core.$RefinementCtx): void {
  const visible = question.testCases.filter((testCase) => !testCase.hidden).length;
  const hidden = question.testCases.length - visible;
  if (visible < 5) context.addIssue({ code: 'custom', path: ['testCases'], message: `needs at least 5 visible cases, has ${visible}` });
  if (hidden < 5) context.addIssue({ code: 'custom', path: ['testCases'], message: `needs at least 5 hidden cases, has ${hidden}` });
  const names = new Set<string>();
  for (const [index, testCase] of question.testCases.entries()) {
    if (names.has(testCase.name)) context.addIssue({ code: 'custom', path: ['testCases', index, 'name'], message: `the name ${JSON.stringify(testCase.name)} is used twice` });
    names.add(testCase.name);
  }
}

/** A question as a model proposes it (no id yet). */
export const QuestionDraftSchema = QuestionBodySchema.superRefine(checkCases);
export type QuestionDraft = z.infer<typeof QuestionDraftSchema>;

/**
 * A question: what the bank holds and what generation stores. `entry` names the function
 * every language defines (camelCase in JavaScript and TypeScript; `entryPython` when Python's
 * differs, in snake_case).
 */
export const QuestionSchema = QuestionBodySchema.extend({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{2,63}$/, 'must be 3-64 characters of a-z, 0-9 and -'),
}).superRefine(checkCases);
export type Question = z.infer<typeof QuestionSchema>;

/**
 * A question as the renderer may see it: no reference solution, and of the cases only the
 * visible ones; hidden cases are a count.
 */
export const PublicQuestionSchema = z.object({
  id: z.string(),
  title: z.string(),
  difficulty: DifficultySchema,
  topics: z.array(z.string()),
  description: z.string(),
  entry: z.string(),
  entryPython: z.string().optional(),
  starterCode: PerLanguageSchema,
  examples: z.array(FunctionTestCaseSchema),
  hiddenCaseCount: z.number().int().nonnegative(),
});
export type PublicQuestion = z.infer<typeof PublicQuestionSchema>;

/** `question` without what must not leave the main process. */
export function publicQuestion(question: Question): PublicQuestion {
  return {
    id: question.id,
    title: question.title,
    difficulty: question.difficulty,
    topics: question.topics,
    description: question.description,
    entry: question.entry,
    ...(question.entryPython ? { entryPython: question.entryPython } : {}),
    starterCode: question.starterCode,
    examples: question.testCases.filter((testCase) => !testCase.hidden),
    hiddenCaseCount: question.testCases.filter((testCase) => testCase.hidden).length,
  };
}

/** A question assigned to a candidate, as the renderer sees it. */
export const AssignedPublicQuestionSchema = PublicQuestionSchema.extend({
  language: QuestionLanguageSchema,
  status: z.enum(['PENDING', 'IN_PROGRESS', 'COMPLETED']),
  score: z.number().nullable(),
});
export type AssignedPublicQuestion = z.infer<typeof AssignedPublicQuestionSchema>;
