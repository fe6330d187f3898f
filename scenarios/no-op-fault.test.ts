import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/core/paths.ts';
import { listRuns } from '../src/report/run-directory.ts';
import { readRunResults } from '../src/report/report-writer.ts';
import { scenarioSkipReason } from './support/scenario-env.ts';

/**
 * The failover suite must be unable to pass on a fault that did nothing (issue #14). This runs the whole
 * suite on its own environment with PRODLIKE_FAULT_INJECTOR=noop — every fault is logged and not applied —
 * and expects every scenario that got as far as its fault to fail, naming the effect it did not see
 * (FAULT_NO_EFFECT), and to be recorded as "could not measure" in results.json. The effect wait is capped
 * at 3 s (PRODLIKE_FAULT_EFFECT_MS; a fault that did nothing shows nothing however long one waits) so
 * the check costs about a minute.
 */
const skip = await scenarioSkipReason();
const provider = process.env.PRODLIKE_PROVIDER ?? 'docker';

describe.skipIf(Boolean(skip))(`a no-op fault fails every failover scenario${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('runs the failover suite with a no-op fault injector: each scenario fails with "no observable effect"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-noop-'));
    try {
      const report = join(dir, 'vitest.json');
      const runs = join(dir, 'runs');
      const project = provider === 'kind' ? 'scenarios-kind' : 'scenarios';
      const child = await execa('npx', ['vitest', 'run', '--project', project, 'scenarios/failover.test.ts', '--reporter=json', `--outputFile=${report}`], {
        cwd: PACKAGE_ROOT,
        reject: false,
        timeout: 20 * 60_000,
        all: true,
        env: {
          PRODLIKE_FAULT_INJECTOR: 'noop',
          PRODLIKE_FAULT_EFFECT_MS: '3000',
          PRODLIKE_SCENARIO_ENV: `noop-${provider}`,
          PRODLIKE_SCENARIO_PORT: provider === 'kind' ? '18380' : '18680',
          PRODLIKE_RUNS_DIR: runs,
        },
      });
      const json = JSON.parse(await readFile(report, 'utf8')) as { testResults: { assertionResults: { title: string; status: string; failureMessages: string[] }[] }[] };
      const tests = json.testResults.flatMap((f) => f.assertionResults);
      const rows = tests.map((t) => ({ title: t.title, status: t.status, why: t.failureMessages.join(' ').match(/Fault "[^"]+" had no observable effect within \d+ ms: expected [^.]+/)?.[0] ?? t.failureMessages.join(' ').split('\n')[0] ?? '' }));
      process.stdout.write(`\nno-op fault injector, failover suite on ${provider} (vitest exit ${child.exitCode}):\n${rows.map((r) => `  ${r.status.padEnd(7)} ${r.title.slice(0, 70)}\n          ${r.why}`).join('\n')}\n`);
      expect(child.exitCode, child.all?.slice(-3000)).not.toBe(0);
      const ran = rows.filter((r) => r.status !== 'skipped' && r.status !== 'pending');
      expect(ran.length, 'the suite ran scenarios').toBeGreaterThanOrEqual(provider === 'kind' ? 6 : 7);
      for (const r of ran) {
        expect(r.status, `${r.title} passed with a fault that did nothing`).toBe('failed');
        expect(r.why, `${r.title} failed for another reason than the missing effect`).toMatch(/had no observable effect within \d+ ms: expected /);
      }
      // The report says the same: each scenario could not measure, with the missing effect as the reason.
      const [runDir] = await listRuns(runs);
      const results = await readRunResults(runDir!);
      const errored = results.scenarios.filter((x) => x.status === 'error');
      expect(errored.length).toBe(ran.length);
      for (const x of errored) expect(x.reason).toMatch(/^FAULT_NO_EFFECT: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 25 * 60_000);
});
