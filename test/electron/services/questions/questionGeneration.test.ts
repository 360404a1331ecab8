import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configForDataDir } from '../../../../electron/services/config';
import { createServices, type Services } from '../../../../electron/services/container';
import { SUBMIT_QUESTION_TOOL } from '../../../../electron/services/questions/questionGenerator';
import type { Question } from '../../../../shared/questions/question';
import { startAnthropicLoopbackServer, type AnthropicLoopbackServer } from '../../../helpers/anthropicLoopbackServer';
import { makeTempDir } from '../../../helpers/tempServices';

/*
 * Generation through the real SDK against the loopback Anthropic server, which answers with
 * the tool call a model would make; every accepted question has had its reference solution
 * run against its own cases by the real local sandboxes.
 */

const BANK = join(import.meta.dirname, '../../../../resources/questions');
/** A correct question to answer with: one of the bank's, as a model would propose it (no id). */
function proposalFrom(bankId: string): Record<string, unknown> {
  const { id: _id, ...body } = JSON.parse(readFileSync(join(BANK, `${bankId}.json`), 'utf8')) as Question;
  return { ...body, title: `Generated: ${body.title}` };
}
const bankIds = () =>
  readdirSync(BANK)
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.replace(/\.json$/, ''));

describe('generateQuestion with Claude (loopback)', () => {
  let server: AnthropicLoopbackServer;
  let temp: ReturnType<typeof makeTempDir>;
  let services: Services;
  let proposal: Record<string, unknown>;

  beforeAll(async () => {
    server = await startAnthropicLoopbackServer({ apiKey: 'sk-ant-test' });
  });
  afterAll(async () => server.close());
  beforeEach(() => {
    server.reset();
    temp = makeTempDir();
    const base = configForDataDir(temp.dir);
    services = createServices({ ...base, ai: { apiKey: 'sk-ant-test', baseURL: server.url, model: 'claude-sonnet-4-6' } }, { syncRunner: 'none', pickQuestion: () => 0 });
    const medium = bankIds().map((id) => JSON.parse(readFileSync(join(BANK, `${id}.json`), 'utf8')) as Question).find((q) => q.difficulty === 'MEDIUM')!;
    proposal = proposalFrom(medium.id);
  });
  afterEach(async () => {
    await services.execution.dispose();
    services.dispose();
    temp.cleanup();
  });

  const toolAnswer = (input: Record<string, unknown>) => ({ kind: 'tool_use' as const, name: SUBMIT_QUESTION_TOOL, input });

  it('accepts a proposal whose reference solution passes its own cases in every language, and stores it', async () => {
    server.enqueue(toolAnswer(proposal));
    const result = await services.questions.generateQuestion({ candidateId: 'cand_gen', difficulty: 'MEDIUM', language: 'python', previousPerformance: 0.6 });
    expect(result).toMatchObject({ adaptedDifficulty: 'MEDIUM', fallbackReason: null });
    expect(result.tokensUsed).toBeGreaterThan(0);
    expect(result.question).toMatchObject({ source: 'generated', title: proposal.title, difficulty: 'MEDIUM', id: expect.stringMatching(/^gen-/) });
    // The request asked for the tool, with the question's schema as its input schema.
    const request = server.requests.at(-1)!.body as { tool_choice: unknown; tools: { name: string; input_schema: { properties: Record<string, unknown> } }[] };
    expect(request.tool_choice).toEqual({ type: 'tool', name: SUBMIT_QUESTION_TOOL });
    expect(Object.keys(request.tools[0]!.input_schema.properties)).toEqual(expect.arrayContaining(['referenceSolution', 'testCases', 'entry']));
    expect(services.questions.getQuestion(result.question.id).referenceSolution).toEqual(proposal.referenceSolution);
  });

  it('retries once with the schema errors fed back, then accepts', async () => {
    const { testCases: _cases, ...missingCases } = proposal;
    server.enqueue(toolAnswer(missingCases), toolAnswer(proposal));
    const result = await services.questions.generateQuestion({ candidateId: 'cand_gen', difficulty: 'MEDIUM', language: 'typescript' });
    expect(result.question.source).toBe('generated');
    const retry = server.requests.at(-1)!.body!.messages!.at(-1)!.content as string;
    expect(retry).toMatch(/did not match the schema: testCases/);
  });

  it('retries with the failing cases fed back when the reference fails its own tests, then falls back to the bank', async () => {
    const wrong = { ...proposal, testCases: (proposal.testCases as { expected: unknown }[]).map((testCase, index) => (index === 0 ? { ...testCase, expected: 'definitely wrong' } : testCase)) };
    server.enqueue(toolAnswer(wrong), toolAnswer(wrong));
    const result = await services.questions.generateQuestion({ candidateId: 'cand_gen', difficulty: 'MEDIUM', language: 'javascript' });
    expect(result.question.source).toBe('bank');
    expect(result.fallbackReason).toMatch(/after 2 attempt\(s\).*failed its own test cases.*javascript/);
    expect(server.requests.at(-1)!.body!.messages!.at(-1)!.content).toMatch(/failed its own test cases/);
    expect(result.tokensUsed).toBeGreaterThan(0);
  });

  it('falls back to the bank on answers that are not the tool, or break the schema twice, never half-saving a question', async () => {
    const notJson = { ...proposal, testCases: [{ name: 'x', input: [1] }] };
    for (const answers of [
      [{ kind: 'text' as const, text: 'Here is a question: ...' }, { kind: 'text' as const, text: 'Sorry.' }],
      [toolAnswer(notJson), toolAnswer({ title: 'x' })],
    ]) {
      server.enqueue(...answers);
      const before = (await services.questions.calculatePerformance('cand_bad')).totalQuestions;
      const result = await services.questions.generateQuestion({ candidateId: 'cand_bad', difficulty: 'EASY', language: 'python' });
      expect(result.question).toMatchObject({ source: 'bank', difficulty: 'EASY' });
      expect(result.fallbackReason).toMatch(/No generated question passed/);
      expect((await services.questions.calculatePerformance('cand_bad')).totalQuestions).toBe(before + 1);
    }
  });

  it('falls back to the bank when the server refuses the key, saying so', async () => {
    server.failFirst(1, { status: 401, message: 'invalid x-api-key' });
    const result = await services.questions.generateQuestion({ candidateId: 'cand_gen', difficulty: 'HARD', language: 'python' });
    expect(result.question.source).toBe('bank');
    expect(result.fallbackReason).toMatch(/401|invalid x-api-key/);
  });
});
