import type { Migration } from './index';

/**
 * Questions assigned to candidates (the seed's Question Generation Service): from the bundled
 * bank or generated, with their lifecycle and score. `question_json` is the whole question,
 * reference solution and hidden cases included: it never leaves the main process.
 */
export const migration0004Questions: Migration = {
  version: 4,
  name: '0004-questions',
  up(db) {
    db.exec(`
      CREATE TABLE questions (
        id TEXT PRIMARY KEY,
        candidate_id TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('bank', 'generated')),
        bank_id TEXT,
        title TEXT NOT NULL,
        difficulty TEXT NOT NULL CHECK (difficulty IN ('EASY', 'MEDIUM', 'HARD')),
        language TEXT NOT NULL,
        question_json TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'IN_PROGRESS', 'COMPLETED')),
        score REAL CHECK (score IS NULL OR (score >= 0 AND score <= 1)),
        tokens_used INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        completed_at INTEGER
      ) STRICT;
      CREATE INDEX questions_by_candidate ON questions (candidate_id, created_at);
    `);
  },
};
