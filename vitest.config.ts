import { defineConfig } from 'vitest/config';

// Four projects: `unit` (fast, no Docker), `integration` (real containers: images from `prodlike setup`),
// `scenarios` (suites against a docker environment) and `scenarios-kind` (the failover, HPA, backup/restore and execution-load suites on kind). `npm test` runs all four; suites whose
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
      {
        // The same suites on the kind provider, in a group of their own (sequence.groupOrder): vitest runs
        // `unit`, then this group, then the single-worker `integration` and `scenarios` files one at a time,
        // so two kind clusters never run at once on a small machine. Without the kind node image
        // (`npx prodlike setup --kind`) they skip with the reason.
        extends: true,
        test: {
          name: 'scenarios-kind',
          include: ['scenarios/failover.test.ts', 'scenarios/hpa.test.ts', 'scenarios/backup-restore.test.ts', 'scenarios/execution-load.test.ts'],
          env: { PRODLIKE_PROVIDER: 'kind', PRODLIKE_SCENARIO_ENV: 'scenarios-kind', PRODLIKE_SCENARIO_PORT: '18280' },
          testTimeout: 30 * 60_000,
          hookTimeout: 30 * 60_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
