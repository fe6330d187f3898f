import { defineConfig } from 'vitest/config';

// Three projects: `unit` (fast, no Docker), `integration` (real containers: images from `prodlike setup`),
// `scenarios` (suites against a running environment). `npm test` runs all three; suites whose
// prerequisites are absent skip with the reason.
export default defineConfig({
  test: {
    env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'kind/**/*.test.ts', 'fixtures/app/src/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', 'src/setup/smoke-checks.test.ts', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['src/**/*.int.test.ts', 'src/setup/smoke-checks.test.ts', 'fixtures/app/test/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'scenarios',
          include: ['scenarios/**/*.test.ts'],
          testTimeout: 30 * 60_000,
          hookTimeout: 30 * 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
