import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { DifficultySchema, QuestionSchema, type Difficulty, type Question } from '../../../shared/questions/question';
import { describeIssues } from '../../../shared/validation';

/** What choosing needs of a bundled question, read from every file; the rest is validated when the question is given. */
const BankEntrySchema = z.object({ id: z.string().min(1), difficulty: DifficultySchema });

/** One bundled question as read from its file: its id and difficulty checked, the rest not yet. */
interface BankEntry {
  file: string;
  id: string;
  difficulty: Difficulty;
  json: unknown;
}

/**
 * The bundled questions (resources/questions/*.json, the seed's "problem seeds"): what
 * interviews use with no key or no network, and what generation falls back to. Read once, on
 * first use; each question is validated in full when it is first given (its hundreds of test
 * cases take ~2 ms a question to check: all 30 took ~70 ms on the candidate's first Start), and
 * one that does not match the schema is an error naming its file (the bank ships with the app,
 * so that is a build defect, caught by its test).
 */
export class QuestionBank {
  private entries: BankEntry[] | null = null;
  private readonly validated = new Map<string, Question>();

  constructor(private readonly dir: string) {}

  /** Every question, each validated. */
  all(): readonly Question[] {
    return this.read().map((entry) => this.question(entry));
  }

  byId(id: string): Question | undefined {
    const entry = this.read().find((candidate) => candidate.id === id);
    return entry && this.question(entry);
  }

  /**
   * A question of `difficulty` the candidate has not had (`exclude`: bank ids); when they
   * have had them all, the one they had longest ago (`exclude` is in the order they had them).
   * `pick` chooses among the candidates (random in the app, fixed in tests).
   */
  choose(difficulty: Difficulty, exclude: readonly string[], pick: (count: number) => number = (count) => Math.floor(Math.random() * count)): Question {
    const ofDifficulty = this.read().filter((entry) => entry.difficulty === difficulty);
    if (ofDifficulty.length === 0) throw new AppError('INTERNAL', `The bundled bank has no ${difficulty} question.`);
    const seen = new Set(exclude);
    const fresh = ofDifficulty.filter((entry) => !seen.has(entry.id));
    if (fresh.length > 0) return this.question(fresh[pick(fresh.length)]!);
    return this.question(ofDifficulty.find((entry) => entry.id === exclude.find((id) => ofDifficulty.some((other) => other.id === id)))!);
  }

  private read(): BankEntry[] {
    this.entries ??= readdirSync(this.dir)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((file) => {
        const json: unknown = JSON.parse(readFileSync(join(this.dir, file), 'utf8'));
        const entry = BankEntrySchema.safeParse(json);
        if (!entry.success) throw invalidQuestion(file, entry.error);
        return { file, ...entry.data, json };
      });
    return this.entries;
  }

  private question(entry: BankEntry): Question {
    const known = this.validated.get(entry.id);
    if (known) return known;
    const parsed = QuestionSchema.safeParse(entry.json);
    if (!parsed.success) throw invalidQuestion(entry.file, parsed.error);
    this.validated.set(entry.id, parsed.data);
    return parsed.data;
  }
}

function invalidQuestion(file: string, error: z.ZodError): AppError {
  const issue = describeIssues(error)[0]!;
  return new AppError('INTERNAL', `The bundled question ${file} is invalid (${issue.path}: ${issue.message}).`, { file });
}
