import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QuestionBank } from '../../../../electron/services/questions/questionBank';
import { AppError } from '../../../../shared/errors';
import { makeTempDir } from '../../../helpers/tempServices';

const BUNDLED = join(import.meta.dirname, '../../../../resources/questions');
const VALID = 'q1-alternating-case-stretch.json';
const OTHER_VALID = 'q1-bracket-nesting-depth.json';

describe('QuestionBank', () => {
  let temp: ReturnType<typeof makeTempDir>;

  beforeEach(() => {
    temp = makeTempDir();
    copyFileSync(join(BUNDLED, VALID), join(temp.dir, VALID));
  });
  afterEach(() => temp.cleanup());

  /** A copy of a bundled EASY question, under another id, whose first test case lacks its expected value. */
  const writeBroken = (file: string) => {
    const question = JSON.parse(readFileSync(join(BUNDLED, OTHER_VALID), 'utf8')) as { id: string; difficulty: string; testCases: Record<string, unknown>[] };
    expect(question.difficulty).toBe('EASY');
    question.id = file.replace(/\.json$/, '');
    delete question.testCases[0]!.expected;
    writeFileSync(join(temp.dir, file), JSON.stringify(question));
  };

  it('gives a question validated in full, the same object each time', () => {
    const bank = new QuestionBank(temp.dir);
    const chosen = bank.choose('EASY', []);
    expect(chosen.id).toBe(VALID.replace(/\.json$/, ''));
    expect(chosen.testCases.length).toBeGreaterThanOrEqual(10);
    expect(bank.byId(chosen.id)).toBe(chosen);
  });

  it('validates only the question it gives: a broken file is an error naming it when it is chosen, not before', () => {
    writeBroken('q2-broken.json');
    const bank = new QuestionBank(temp.dir);
    // The files sort as [q1-alternating-case-stretch, q2-broken]: pick chooses by position.
    expect(bank.choose('EASY', [], () => 0).id).toBe('q1-alternating-case-stretch');
    let error: unknown;
    try {
      bank.choose('EASY', [], () => 1);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'INTERNAL', details: { file: 'q2-broken.json' } });
    expect((error as Error).message).toMatch(/q2-broken\.json is invalid \(testCases\.0\.expected/);
    expect(() => bank.all()).toThrow(/q2-broken\.json is invalid/);
  });

  it('names a file whose id or difficulty cannot be read, at first use', () => {
    writeFileSync(join(temp.dir, 'q3-nameless.json'), JSON.stringify({ title: 'No id' }));
    const bank = new QuestionBank(temp.dir);
    expect(() => bank.choose('EASY', [])).toThrow(/q3-nameless\.json is invalid \(id/);
  });

  it('gives the question had longest ago once the candidate has had every one of a difficulty', () => {
    copyFileSync(join(BUNDLED, OTHER_VALID), join(temp.dir, OTHER_VALID));
    const bank = new QuestionBank(temp.dir);
    expect(bank.choose('EASY', ['q1-bracket-nesting-depth', 'q1-alternating-case-stretch']).id).toBe('q1-bracket-nesting-depth');
  });
});
