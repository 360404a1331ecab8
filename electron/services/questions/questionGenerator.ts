import Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { ExecutionResult } from '../../../shared/execution/testCases';
import { QuestionBodySchema, QuestionDraftSchema, type Difficulty, type QuestionDraft } from '../../../shared/questions/question';
import { QUESTION_LANGUAGES, type QuestionLanguage } from '../../../shared/questions/questionLanguages';
import { describeIssues } from '../../../shared/validation';
import { currentApiKey, type ApiKeySource } from '../ai/apiKeyHolder';

/** What the generator asks the model for. */
export interface QuestionRequest {
  difficulty: Difficulty;
  language: QuestionLanguage;
  /** Titles the candidate has had: the model is asked for something else. */
  avoidTitles: readonly string[];
  /** Why the previous proposal was refused (its schema errors or failing cases), for the one retry. */
  feedback: string | null;
}

/** A model that proposes questions through a tool whose input schema is the question's. */
export interface QuestionModel {
  /** Whether it can be asked at all (a key is set), and why not. */
  readonly available: { ok: true } | { ok: false; reason: string };
  /** The tool's raw input (validated by the caller) and the tokens the request used. */
  propose(request: QuestionRequest): Promise<{ input: unknown; tokensUsed: number }>;
}

/** Runs a question's reference solution against its own cases (executeCode, in the sandbox). */
export type RunReference = (code: string, language: QuestionLanguage, draft: QuestionDraft) => Promise<ExecutionResult>;

/** What one generation ended with: an accepted draft, or why generation gave up (the caller then takes a bank question). */
export type GenerationOutcome =
  | { accepted: true; draft: QuestionDraft; tokensUsed: number; attempts: number }
  | { accepted: false; reason: string; tokensUsed: number; attempts: number };

/** Attempts before falling back to the bank: the first, and one retry with the failures fed back. */
export const GENERATION_ATTEMPTS = 2;

/**
 * Generates a question with a model and accepts it only once its reference solution passes
 * its own cases in every language, in the sandbox. A proposal that fails the schema or its
 * cases gets one retry with the failures fed back; then the caller falls back to the bank.
 * Never throws for what the model answered: that is an outcome.
 */
export async function generateVerifiedQuestion(model: QuestionModel, runReference: RunReference, request: Omit<QuestionRequest, 'feedback'>): Promise<GenerationOutcome> {
  let feedback: string | null = null;
  let tokensUsed = 0;
  for (let attempt = 1; attempt <= GENERATION_ATTEMPTS; attempt++) {
    let input: unknown;
    try {
      const proposal = await model.propose({ ...request, feedback });
      tokensUsed += proposal.tokensUsed;
      input = proposal.input;
    } catch (error) {
      // The model server failed or refused: no retry can fix that within this request.
      return { accepted: false, reason: error instanceof Error ? error.message : String(error), tokensUsed, attempts: attempt };
    }
    const parsed = QuestionDraftSchema.safeParse(input);
    if (!parsed.success) {
      feedback = `Your question did not match the schema: ${describeIssues(parsed.error)
        .slice(0, 10)
        .map((issue) => `${issue.path}: ${issue.message}`)
        .join('; ')}.`;
      continue;
    }
    const draft = { ...parsed.data, difficulty: request.difficulty };
    const failures = await referenceFailures(draft, runReference);
    if (failures.length === 0) return { accepted: true, draft, tokensUsed, attempts: attempt };
    feedback = `Your reference solution failed its own test cases in the sandbox: ${failures.slice(0, 8).join('; ')}. Fix the solution or the expected values.`;
  }
  return { accepted: false, reason: feedback ?? 'no acceptable question', tokensUsed, attempts: GENERATION_ATTEMPTS };
}

async function referenceFailures(draft: QuestionDraft, runReference: RunReference): Promise<string[]> {
  const failures: string[] = [];
  for (const language of QUESTION_LANGUAGES) {
    const result = await runReference(draft.referenceSolution[language], language, draft);
    if (result.compileError) failures.push(`${language} does not compile: ${result.compileError.message}`);
    for (const testCase of result.results) {
      if (!testCase.passed) failures.push(`${language} ${testCase.name}: ${testCase.error ?? `returned ${testCase.actual}, expected ${testCase.expected}`}`);
    }
  }
  return failures;
}

/** The tool the model must answer with. */
export const SUBMIT_QUESTION_TOOL = 'submit_question';

const TOOL_INPUT_SCHEMA = z.toJSONSchema(QuestionBodySchema) as Anthropic.Tool.InputSchema;

/** Where the Claude-backed model finds the API. */
export interface ClaudeQuestionModelOptions {
  /** A source (ApiKeyHolder) is read at each request, so a key saved in settings applies without a restart. */
  apiKey: string | null | ApiKeySource;
  baseURL?: string;
  model: string;
  maxRetries?: number;
  /** Tests hand in a client on a loopback server. */
  client?: Anthropic;
}

/** Proposes questions with Claude, through a tool whose input schema is the question's (structured output). */
export class ClaudeQuestionModel implements QuestionModel {
  private builtClient: Anthropic | null = null;
  private clientKey: string | null = null;

  constructor(private readonly options: ClaudeQuestionModelOptions) {}

  /** The client for the key in use now (rebuilt when it changes); null without a key. */
  private get client(): Anthropic | null {
    if (this.options.client) return this.options.client;
    const apiKey = currentApiKey(this.options.apiKey);
    if (apiKey === null) return null;
    if (apiKey !== this.clientKey || !this.builtClient) {
      this.builtClient = new Anthropic({ apiKey, maxRetries: this.options.maxRetries ?? 2, ...(this.options.baseURL ? { baseURL: this.options.baseURL } : {}) });
      this.clientKey = apiKey;
    }
    return this.builtClient;
  }

  get available(): { ok: true } | { ok: false; reason: string } {
    return this.client ? { ok: true } : { ok: false, reason: 'no ANTHROPIC_API_KEY is set on this computer' };
  }

  async propose(request: QuestionRequest): Promise<{ input: unknown; tokensUsed: number }> {
    const client = this.client;
    if (!client) throw new AppError('AI_UNAVAILABLE', 'Questions cannot be generated: no ANTHROPIC_API_KEY is set on this computer.');
    let response: Anthropic.Message;
    try {
      response = await client.messages.create({
        model: this.options.model,
        max_tokens: 8_000,
        system: GENERATION_SYSTEM_PROMPT,
        messages: [{ role: 'user', content: generationPrompt(request) }],
        tools: [{ name: SUBMIT_QUESTION_TOOL, description: 'Submit the interview question.', input_schema: TOOL_INPUT_SCHEMA }],
        tool_choice: { type: 'tool', name: SUBMIT_QUESTION_TOOL },
      });
    } catch (error) {
      const status = (error as { status?: number }).status;
      throw new AppError(status === undefined ? 'AI_UNAVAILABLE' : 'AI_FAILED', `The model server did not generate a question: ${error instanceof Error ? error.message : String(error)}`, {
        status,
      });
    }
    const tokensUsed = response.usage.input_tokens + response.usage.output_tokens;
    const tool = response.content.find((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use' && block.name === SUBMIT_QUESTION_TOOL);
    // Answered in prose instead of with the tool: as unusable as a schema failure, so the caller retries.
    return { input: tool ? tool.input : null, tokensUsed };
  }
}

const GENERATION_SYSTEM_PROMPT = [
  'You write original coding-interview questions for InterviewLM, a proctored interview app.',
  'Each question is a single function to implement, solvable in 45 minutes, with a clear statement in Markdown.',
  'You answer only by calling the submit_question tool.',
  'Provide starter code (a signature with a placeholder body that fails the tests) and a correct, efficient reference solution in JavaScript, TypeScript and Python.',
  'The entry function has the same name in JavaScript and TypeScript (camelCase); give entryPython (snake_case) when Python\'s name differs.',
  'Give at least 5 visible and 5 hidden test cases; input is the argument list, expected the return value, both plain JSON.',
  'When several answers would be valid, define a unique one in the statement (e.g. sorted ascending), so results can be compared exactly.',
].join('\n');

function generationPrompt(request: QuestionRequest): string {
  const lines = [
    `Write a ${request.difficulty} question. The candidate will answer in ${request.language}.`,
    request.avoidTitles.length > 0 ? `Do not repeat these questions: ${request.avoidTitles.map((title) => JSON.stringify(title)).join(', ')}.` : '',
    request.feedback ? `Your previous answer was refused. ${request.feedback}` : '',
  ];
  return lines.filter(Boolean).join('\n');
}
