import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { DifficultySchema, QuestionLanguageSchema, QuestionSchema, type Difficulty, type Question } from '../../../shared/questions/question';
import { entryFor, type QuestionLanguage } from '../../../shared/questions/questionLanguages';
import { CandidateIdSchema } from '../../../shared/recording/session';
import { parseOrThrow } from '../../../shared/validation';
import type { SqliteDatabase } from '../db/sqlite';
import { adaptDifficulty, RECENT_SCORES } from './adaptiveDifficulty';
import type { QuestionBank } from './questionBank';
import { generateVerifiedQuestion, type QuestionModel, type RunReference } from './questionGenerator';

/** A question assigned to a candidate, as the service hands it out (full: main process only). */
export interface AssignedQuestion extends Question {
  candidateId: string;
  source: 'bank' | 'generated';
  language: QuestionLanguage;
  status: 'PENDING' | 'IN_PROGRESS' | 'COMPLETED';
  score: number | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

/** What `generateQuestion` resolves with: the seed's fields, and where the question came from and why. */
export interface GeneratedQuestion {
  question: AssignedQuestion;
  adaptedDifficulty: Difficulty;
  tokensUsed: number;
  /** Why a bank question was given instead of a generated one (no key, no network, a proposal that failed its tests); null when generated. */
  fallbackReason: string | null;
}

/** The seed's `calculatePerformance`. */
export interface CandidatePerformance {
  completedQuestions: number;
  totalQuestions: number;
  /** Mean score of completed questions, 0..1; 0 with none. */
  averageScore: number;
  /** Minutes between start and completion, summed over completed questions. */
  timeSpent: number;
}

const GenerateOptionsSchema = z.strictObject({
  candidateId: CandidateIdSchema,
  difficulty: DifficultySchema,
  language: QuestionLanguageSchema,
  previousPerformance: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').optional(),
});
export type GenerateOptions = z.input<typeof GenerateOptionsSchema>;

const QuestionIdSchema = z.string().min(1).max(100);
const ScoreSchema = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

interface QuestionRow {
  id: string;
  candidate_id: string;
  source: 'bank' | 'generated';
  bank_id: string | null;
  title: string;
  difficulty: Difficulty;
  language: QuestionLanguage;
  question_json: string;
  status: AssignedQuestion['status'];
  score: number | null;
  tokens_used: number;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
}

export interface QuestionServiceDeps {
  db: SqliteDatabase;
  bank: QuestionBank;
  model: QuestionModel;
  /** executeCode, for checking a generated question's reference solution in the sandbox. */
  runReference: RunReference;
  now?: () => number;
  /** Chooses among bank questions (random in the app). */
  pick?: (count: number) => number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The seed's Question Generation Service, on SQLite: questions are generated with Claude and
 * accepted only once verified in the sandbox, or taken from the bundled bank (always when
 * there is no key or no network), at a difficulty adapted to the candidate.
 */
export class QuestionService {
  private readonly now: () => number;

  constructor(private readonly deps: QuestionServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * A new question for the candidate at the difficulty the adaptive rule gives, generated
   * and verified, or from the bank (saying why in `fallbackReason`).
   */
  async generateQuestion(options: GenerateOptions): Promise<GeneratedQuestion> {
    const { candidateId, difficulty, language, previousPerformance } = parseOrThrow(GenerateOptionsSchema, options, 'question options');
    const adaptedDifficulty = adaptDifficulty(difficulty, previousPerformance, this.recentScores(candidateId));
    const { model } = this.deps;
    if (!model.available.ok) {
      return { question: this.assignFromBank(candidateId, adaptedDifficulty, language), adaptedDifficulty, tokensUsed: 0, fallbackReason: `Generation is unavailable: ${model.available.reason}.` };
    }
    const outcome = await generateVerifiedQuestion(model, this.deps.runReference, { difficulty: adaptedDifficulty, language, avoidTitles: this.titlesOf(candidateId) });
    if (!outcome.accepted) {
      return {
        question: this.assignFromBank(candidateId, adaptedDifficulty, language),
        adaptedDifficulty,
        tokensUsed: outcome.tokensUsed,
        fallbackReason: `No generated question passed its own tests after ${outcome.attempts} attempt(s): ${outcome.reason}`,
      };
    }
    const question = QuestionSchema.parse({ ...outcome.draft, id: `gen-${randomUUID().replaceAll('-', '').slice(0, 20)}` });
    return { question: this.insert(candidateId, 'generated', null, question, language, outcome.tokensUsed), adaptedDifficulty, tokensUsed: outcome.tokensUsed, fallbackReason: null };
  }

  /**
   * The candidate's next question: the oldest one not completed; else, with `autoGenerate`,
   * a new one at the difficulty their scores call for (starting at MEDIUM, in their last
   * language, or TypeScript); else null.
   */
  async getNextQuestion(candidateId: string, autoGenerate = true): Promise<AssignedQuestion | null> {
    parseOrThrow(CandidateIdSchema, candidateId, 'candidate id');
    const open = this.deps.db
      .prepare<[string], QuestionRow>("SELECT * FROM questions WHERE candidate_id = ? AND status != 'COMPLETED' ORDER BY created_at, rowid LIMIT 1")
      .get(candidateId);
    if (open) return fromRow(open);
    if (!autoGenerate) return null;
    const last = this.deps.db.prepare<[string], QuestionRow>('SELECT * FROM questions WHERE candidate_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(candidateId);
    const { question } = await this.generateQuestion({ candidateId, difficulty: last?.difficulty ?? 'MEDIUM', language: last?.language ?? 'typescript' });
    return question;
  }

  /** Marks a question started (idempotent: the first start counts). */
  async startQuestion(id: string): Promise<AssignedQuestion> {
    const row = this.row(id);
    if (row.status === 'PENDING') this.deps.db.prepare("UPDATE questions SET status = 'IN_PROGRESS', started_at = ? WHERE id = ?").run(this.now(), row.id);
    return fromRow(this.row(id));
  }

  /** Completes a question with a score in 0..1 (VALIDATION_FAILED outside it); a question never started counts as started now. */
  async completeQuestion(id: string, score: number): Promise<AssignedQuestion> {
    const value = parseOrThrow(ScoreSchema, score, 'score');
    const row = this.row(id);
    if (row.status === 'COMPLETED') throw new AppError('VALIDATION_FAILED', `Question ${id} is already completed (score ${row.score}).`, { id });
    const now = this.now();
    this.deps.db.prepare("UPDATE questions SET status = 'COMPLETED', score = ?, completed_at = ?, started_at = coalesce(started_at, ?) WHERE id = ?").run(value, now, now, row.id);
    return fromRow(this.row(id));
  }

  /** The seed's performance summary of a candidate. */
  async calculatePerformance(candidateId: string): Promise<CandidatePerformance> {
    parseOrThrow(CandidateIdSchema, candidateId, 'candidate id');
    const totals = this.deps.db
      .prepare<[string], { total: number; completed: number; average: number | null; spent: number | null }>(
        `SELECT count(*) AS total, sum(status = 'COMPLETED') AS completed, avg(CASE WHEN status = 'COMPLETED' THEN score END) AS average,
           sum(CASE WHEN status = 'COMPLETED' THEN completed_at - started_at END) AS spent
         FROM questions WHERE candidate_id = ?`,
      )
      .get(candidateId)!;
    return { completedQuestions: totals.completed ?? 0, totalQuestions: totals.total, averageScore: totals.average ?? 0, timeSpent: (totals.spent ?? 0) / 60_000 };
  }

  /** One assigned question, in full (main process only). */
  getQuestion(id: string): AssignedQuestion {
    return fromRow(this.row(id));
  }

  /** executeCode's arguments for a question in a language: the entry and every case, hidden ones included. */
  runArguments(id: string, language: QuestionLanguage): { entry: string; testCases: Question['testCases'] } {
    const question = this.getQuestion(id);
    return { entry: entryFor(question, language), testCases: question.testCases };
  }

  private assignFromBank(candidateId: string, difficulty: Difficulty, language: QuestionLanguage): AssignedQuestion {
    const had = this.deps.db
      .prepare<[string], { bank_id: string }>("SELECT bank_id FROM questions WHERE candidate_id = ? AND source = 'bank' ORDER BY created_at, rowid")
      .all(candidateId)
      .map((row) => row.bank_id);
    const chosen = this.deps.bank.choose(difficulty, had, this.deps.pick);
    return this.insert(candidateId, 'bank', chosen.id, { ...chosen, id: `bank-${randomUUID().replaceAll('-', '').slice(0, 20)}` }, language, 0);
  }

  private insert(candidateId: string, source: 'bank' | 'generated', bankId: string | null, question: Question, language: QuestionLanguage, tokensUsed: number): AssignedQuestion {
    this.deps.db
      .prepare(
        `INSERT INTO questions (id, candidate_id, source, bank_id, title, difficulty, language, question_json, tokens_used, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(question.id, candidateId, source, bankId, question.title, question.difficulty, language, JSON.stringify(question), tokensUsed, this.now());
    return this.getQuestion(question.id);
  }

  private recentScores(candidateId: string): number[] {
    return this.deps.db
      .prepare<[string, number], { score: number }>("SELECT score FROM questions WHERE candidate_id = ? AND status = 'COMPLETED' ORDER BY completed_at DESC, rowid DESC LIMIT ?")
      .all(candidateId, RECENT_SCORES)
      .map((row) => row.score)
      .reverse();
  }

  private titlesOf(candidateId: string): string[] {
    return this.deps.db.prepare<[string], { title: string }>('SELECT title FROM questions WHERE candidate_id = ? ORDER BY created_at').all(candidateId).map((row) => row.title);
  }

  private row(id: string): QuestionRow {
    parseOrThrow(QuestionIdSchema, id, 'question id');
    const row = this.deps.db.prepare<[string], QuestionRow>('SELECT * FROM questions WHERE id = ?').get(id);
    if (!row) throw new AppError('QUESTION_NOT_FOUND', `No question with id ${JSON.stringify(id)}.`, { id });
    return row;
  }
}

function fromRow(row: QuestionRow): AssignedQuestion {
  const question = JSON.parse(row.question_json) as Question;
  return {
    ...question,
    candidateId: row.candidate_id,
    source: row.source,
    language: row.language,
    status: row.status,
    score: row.score,
    createdAt: iso(row.created_at)!,
    startedAt: iso(row.started_at),
    completedAt: iso(row.completed_at),
  };
}
