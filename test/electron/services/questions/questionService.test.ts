import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIpcHost } from '../../../../electron/ipc/handlers';
import { createInMemoryTransport } from '../../../../electron/ipc/inMemoryTransport';
import { createIpcClient } from '../../../../shared/ipc/client';
import { ipcContract } from '../../../../shared/ipc/contract';
import { publicQuestion } from '../../../../shared/questions/question';
import { rejectionOf, tempServices } from '../../../helpers/tempServices';

/*
 * The question service with no API key: every question comes from the bundled bank, as in
 * an on-site interview with no internet. Generation with Claude is tested against the
 * loopback Anthropic server in questionGeneration.test.ts.
 */

describe('QuestionService without a key: the bundled bank', () => {
  let now: number;
  let env: ReturnType<typeof tempServices>;
  beforeEach(() => {
    now = Date.UTC(2026, 10, 30, 9, 0);
    env = tempServices({}, { syncRunner: 'none', now: () => now, pickQuestion: () => 0 });
  });
  afterEach(() => env.cleanup());

  it("answers the seed's generateQuestion with a bank question at the adapted difficulty, saying why it was not generated", async () => {
    const result = await env.services.questions.generateQuestion({ candidateId: 'cand_123', difficulty: 'MEDIUM', language: 'typescript', previousPerformance: 0.85 });
    expect(result).toMatchObject({ adaptedDifficulty: 'HARD', tokensUsed: 0, fallbackReason: expect.stringMatching(/no ANTHROPIC_API_KEY/) });
    expect(result.question).toMatchObject({ difficulty: 'HARD', source: 'bank', language: 'typescript', status: 'PENDING', candidateId: 'cand_123' });
    expect(result.question.referenceSolution.typescript.length).toBeGreaterThan(0);
  });

  it('does not give a candidate the same bank question twice while others remain', async () => {
    const { questions } = env.services;
    const titles = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { question } = await questions.generateQuestion({ candidateId: 'cand_repeat', difficulty: 'EASY', language: 'python' });
      titles.add(question.title);
    }
    expect(titles.size).toBe(5);
  });

  it('walks the seed lifecycle: next question, start, complete with a score, performance in minutes', async () => {
    const { questions } = env.services;
    const next = await questions.getNextQuestion('cand_123', true);
    expect(next).toMatchObject({ status: 'PENDING', difficulty: 'MEDIUM' });
    // Until it is completed, the same question is next.
    expect((await questions.getNextQuestion('cand_123', true))!.id).toBe(next!.id);
    await questions.startQuestion(next!.id);
    now += 30 * 60_000;
    expect(await questions.completeQuestion(next!.id, 0.85)).toMatchObject({ status: 'COMPLETED', score: 0.85 });
    expect(await questions.calculatePerformance('cand_123')).toEqual({ completedQuestions: 1, totalQuestions: 1, averageScore: 0.85, timeSpent: 30 });
    // The next one adapts to the score: 0.85 after MEDIUM is HARD.
    const after = await questions.getNextQuestion('cand_123', true);
    expect(after).toMatchObject({ difficulty: 'HARD', status: 'PENDING' });
    expect(await questions.getNextQuestion('cand_nobody', false)).toBeNull();
    expect(await questions.calculatePerformance('cand_nobody')).toEqual({ completedQuestions: 0, totalQuestions: 0, averageScore: 0, timeSpent: 0 });
  });

  it('keeps the reference solution and hidden cases out of the public view', async () => {
    const { question } = await env.services.questions.generateQuestion({ candidateId: 'cand_pub', difficulty: 'EASY', language: 'javascript' });
    const view = publicQuestion(question);
    expect(view).not.toHaveProperty('referenceSolution');
    expect(view.examples.every((example) => !example.hidden)).toBe(true);
    expect(view.hiddenCaseCount).toBe(question.testCases.filter((testCase) => testCase.hidden).length);
    expect(JSON.stringify(view)).not.toContain(question.referenceSolution.python);
  });

  it('over the IPC contract: the page gets the question without its solution, runs the hidden cases as verdicts, and submits for a score', async () => {
    const host = createIpcHost(env.services, { name: 'InterviewLM', version: 'test' });
    const api = createIpcClient(ipcContract, createInMemoryTransport(host));
    try {
      const session = await api.sessions.createSession('cand_ipc_q');
      const question = await api.questions.next(session.id);
      expect(question).not.toHaveProperty('referenceSolution');
      expect(question.examples.length).toBeGreaterThanOrEqual(5);
      expect(question.hiddenCaseCount).toBeGreaterThanOrEqual(5);
      await api.questions.start(question.id);
      const full = env.services.questions.getQuestion(question.id);
      const starter = await api.questions.runTests(session.id, { questionId: question.id, code: question.starterCode.python, language: 'python' });
      expect(starter.passedTests).toBeLessThan(starter.totalTests);
      expect(starter.totalTests).toBe(question.examples.length + question.hiddenCaseCount);
      expect(starter.results.filter((result) => result.hidden).every((result) => result.actual === null && result.expected === null)).toBe(true);
      const submitted = await api.questions.submit(session.id, { questionId: question.id, code: full.referenceSolution.python, language: 'python' });
      expect(submitted.result.passedTests).toBe(submitted.result.totalTests);
      expect(submitted.question).toMatchObject({ status: 'COMPLETED', score: 1 });
      // Another candidate's session cannot run this question.
      const other = await api.sessions.createSession('cand_other');
      expect(await rejectionOf(api.questions.runTests(other.id, { questionId: question.id, code: '', language: 'python' }))).toMatchObject({ code: 'QUESTION_NOT_FOUND' });
    } finally {
      host.dispose();
      await env.services.execution.dispose();
    }
  });

  describe('refuses bad input with a typed error, writing nothing', () => {
    it('a score outside 0..1', async () => {
      const { question } = await env.services.questions.generateQuestion({ candidateId: 'cand_bad', difficulty: 'EASY', language: 'python' });
      for (const score of [-0.1, 1.01, Number.NaN]) {
        expect(await rejectionOf(env.services.questions.completeQuestion(question.id, score))).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/score/) });
      }
      expect(env.services.questions.getQuestion(question.id)).toMatchObject({ status: 'PENDING', score: null });
    });

    it('an unknown question id', async () => {
      for (const call of [() => env.services.questions.startQuestion('q-nope'), () => env.services.questions.completeQuestion('q-nope', 0.5)]) {
        expect(await rejectionOf(call())).toMatchObject({ code: 'QUESTION_NOT_FOUND', message: expect.stringContaining('q-nope') });
      }
    });

    it('a question completed twice', async () => {
      const { question } = await env.services.questions.generateQuestion({ candidateId: 'cand_twice', difficulty: 'EASY', language: 'python' });
      await env.services.questions.completeQuestion(question.id, 1);
      expect(await rejectionOf(env.services.questions.completeQuestion(question.id, 0))).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/already completed/) });
    });

    it('options that do not match the seed', async () => {
      const bad = [
        { candidateId: 'c', difficulty: 'IMPOSSIBLE', language: 'python' },
        { candidateId: 'c', difficulty: 'EASY', language: 'cobol' },
        { candidateId: 'c', difficulty: 'EASY', language: 'python', previousPerformance: 1.5 },
      ];
      for (const options of bad) {
        expect(await rejectionOf(env.services.questions.generateQuestion(options as never))).toMatchObject({ code: 'VALIDATION_FAILED' });
      }
      expect(await env.services.questions.calculatePerformance('c')).toMatchObject({ totalQuestions: 0 });
    });
  });
});
