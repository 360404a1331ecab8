import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../../../shared/errors';
import { QuestionSchema, type Difficulty, type Question } from '../../../shared/questions/question';
import { describeIssues } from '../../../shared/validation';

/**
 * The bundled questions (resources/questions/*.json, the seed's "problem seeds"): what
 * interviews use with no key or no network, and what generation falls back to. Loaded and
 * validated once, on first use; a file that does not match the schema is an error naming it
 * (the bank ships with the app, so that is a build defect, caught by its test).
 */
export class QuestionBank {
  private questions: Question[] | null = null;

  constructor(private readonly dir: string) {}

  all(): readonly Question[] {
    this.questions ??= readdirSync(this.dir)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => {
        const parsed = QuestionSchema.safeParse(JSON.parse(readFileSync(join(this.dir, name), 'utf8')));
        if (!parsed.success) {
          const issue = describeIssues(parsed.error)[0]!;
          throw new AppError('INTERNAL', `The bundled question ${name} is invalid (${issue.path}: ${issue.message}).`, { file: name });
        }
        return parsed.data;
      });
    return this.questions;
  }

  byId(id: string): Question | undefined {
    return this.all().find((question) => question.id === id);
  }

  /**
   * A question of `difficulty` the candidate has not had (`exclude`: bank ids); when they
   * have had them all, the one they had longest ago (`exclude` is in the order they had them).
   * `pick` chooses among the candidates (random in the app, fixed in tests).
   */
  choose(difficulty: Difficulty, exclude: readonly string[], pick: (count: number) => number = (count) => Math.floor(Math.random() * count)): Question {
    const ofDifficulty = this.all().filter((question) => question.difficulty === difficulty);
    if (ofDifficulty.length === 0) throw new AppError('INTERNAL', `The bundled bank has no ${difficulty} question.`);
    const seen = new Set(exclude);
    const fresh = ofDifficulty.filter((question) => !seen.has(question.id));
    if (fresh.length > 0) return fresh[pick(fresh.length)]!;
    return ofDifficulty.find((question) => question.id === exclude.find((id) => ofDifficulty.some((q) => q.id === id)))!;
  }
}
