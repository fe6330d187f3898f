import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/core/paths.ts';
import { listRuns } from '../src/report/run-directory.ts';
import { readRunResults } from '../src/report/report-writer.ts';
import { scenarioSkipReason } from './support/scenario-env.ts';

/**
 * Scenarios need a contract, not our application (issue #16): the failover suite runs against a
 * configuration that declares only a health URL (`application.api: {}`). Scenarios about the application's
 * queued work must skip, recorded with the key to set; every other one must still give a verdict, its RPO
 * sentinels written by prodlike itself into the data stores (its own table, key prefix and object prefix),
 * and the verdict notes must say so. Docker only: it is the same code on kind.
 */
const skip = await scenarioSkipReason();

describe.skipIf(Boolean(skip))(`an application that declares only its health URL${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('runs the failover suite with application.api: {} — worker scenarios skip with the reason, the rest pass on prodlike\'s own sentinels', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-bare-'));
    try {
      const config = join(dir, 'prodlike.yaml');
      await writeFile(config, [
        '# an application with nothing but a health URL',
        'provider: docker',
        `manifests: ${join(PACKAGE_ROOT, 'kind/manifests/overlays/kind')}`,
        `targets: { file: ${join(PACKAGE_ROOT, 'fixtures/targets.yaml')}, profile: onprem }`,
        'application: { health: /api/health/ready, api: {} }',
        '',
      ].join('\n'));
      const runs = join(dir, 'runs');
      const child = await execa('npx', ['vitest', 'run', '--project', 'scenarios', 'scenarios/failover.test.ts'], {
        cwd: PACKAGE_ROOT,
        reject: false,
        timeout: 20 * 60_000,
        all: true,
        env: { PRODLIKE_CONFIG: config, PRODLIKE_SCENARIO_ENV: 'bare-docker', PRODLIKE_SCENARIO_PORT: '18720', PRODLIKE_RUNS_DIR: runs },
      });
      const [runDir] = await listRuns(runs);
      expect(runDir, child.all?.slice(-3000)).toBeDefined();
      const results = await readRunResults(runDir!);
      const byId = new Map(results.scenarios.map((x) => [x.id, x]));
      process.stdout.write(`\nfailover with application.api: {} on docker (vitest exit ${child.exitCode}):\n${results.scenarios.map((x) => `  ${x.id.padEnd(26)} ${x.status}${x.reason ? `: ${x.reason}` : ''}`).join('\n')}\n`);
      expect(child.exitCode, child.all?.slice(-3000)).toBe(0);
      for (const id of ['failover.worker-lost', 'failover.worker-crash']) {
        expect(byId.get(id)?.status, id).toBe('skipped');
        expect(byId.get(id)?.reason, id).toMatch(/declares no executions API.*application\.api\.executions/);
      }
      for (const id of ['failover.redis-hang', 'failover.backend-crash', 'failover.postgres-crash', 'failover.redis-crash', 'failover.minio-crash']) {
        expect(byId.get(id)?.status, id).toBe('completed');
      }
      const text = (id: string) => JSON.stringify(byId.get(id));
      expect(text('failover.backend-crash')).toMatch(/rows prodlike committed into its own table prodlike_sentinel/);
      expect(text('failover.minio-crash')).toMatch(/written and read back by prodlike under prodlike-sentinel\//);
      expect(text('failover.redis-crash')).toMatch(/no executions queued/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 25 * 60_000);
});
