import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Crash and lock tests spawn child processes and open real SQLite files.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
