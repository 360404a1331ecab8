import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests against real cloud services need their credentials: `npm run test:integration`.
    exclude: ['test/integration/**', '**/node_modules/**'],
    environment: 'node',
    // Crash and lock tests spawn child processes and open real SQLite files.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
