import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../electron/services/container';
import { QuestionSchema, type Question } from '../../shared/questions/question';
import { QUESTION_LANGUAGES, entryFor } from '../../shared/questions/questionLanguages';
import { tempServices } from '../helpers/tempServices';

/*
 * Every question of the bundled bank is checked the way a generated one is: its reference
 * solution, in each language, passes all its cases through executeCode, and its starter code
 * fails at least one. QUESTIONS_ONLY=<id,id> narrows the run while writing questions.
 */

const BANK_DIR = join(import.meta.dirname, '../../resources/questions');
const only = new Set((process.env.QUESTIONS_ONLY ?? '').split(',').filter(Boolean));
const files = readdirSync(BANK_DIR)
  .filter((name) => name.endsWith('.json'))
  .filter((name) => only.size === 0 || only.has(name.replace(/\.json$/, '')))
  .sort();

describe('the bundled question bank', () => {
  let env: ReturnType<typeof tempServices>;
  let services: Services;
  const sandboxes = new Map<string, string>();

  beforeAll(async () => {
    env = tempServices({}, { syncRunner: 'none' });
    services = env.services;
    const { id } = await services.sessions.createSession('bank-check');
    for (const language of QUESTION_LANGUAGES) sandboxes.set(language, (await services.execution.createSandbox(id, language)).id);
  });
  afterAll(async () => {
    await services.execution.dispose();
    env.cleanup();
  });

  it('holds at least 30 questions across EASY, MEDIUM and HARD, each valid, with unique ids and titles', () => {
    const questions = files.map((name) => QuestionSchema.parse(JSON.parse(readFileSync(join(BANK_DIR, name), 'utf8'))));
    if (only.size > 0) return;
    expect(questions.length).toBeGreaterThanOrEqual(30);
    for (const difficulty of ['EASY', 'MEDIUM', 'HARD'] as const) expect(questions.filter((q) => q.difficulty === difficulty).length, difficulty).toBeGreaterThanOrEqual(8);
    expect(new Set(questions.map((q) => q.id)).size).toBe(questions.length);
    expect(new Set(questions.map((q) => q.title)).size).toBe(questions.length);
    for (const [index, question] of questions.entries()) expect(`${question.id}.json`).toBe(files[index]);
  });

  for (const file of files) {
    describe(file, () => {
      const question = (): Question => QuestionSchema.parse(JSON.parse(readFileSync(join(BANK_DIR, file), 'utf8')));
      for (const language of QUESTION_LANGUAGES) {
        it(`${language}: the reference solution passes every case, the starter fails at least one`, async () => {
          const q = question();
          const options = { sandboxId: sandboxes.get(language)!, entry: entryFor(q, language) };
          const reference = await services.execution.executeCode(q.referenceSolution[language], language, q.testCases, options);
          const failed = reference.results.filter((result) => !result.passed).map((result) => `${result.name}: ${result.error ?? `got ${result.actual}, expected ${result.expected}`}`);
          expect(reference.compileError, 'compiles').toBeNull();
          expect(failed, 'reference failures').toEqual([]);
          const starter = await services.execution.executeCode(q.starterCode[language], language, q.testCases, options);
          expect(starter.passedTests, 'the starter passes everything').toBeLessThan(starter.totalTests);
        });
      }
    });
  }
});
