import { defineConfig } from 'vitest/config';

/** `npm run test:integration`: tests against the real cloud services, each skipped (saying why) without its credentials. */
export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    environment: 'node',
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
