/**
 * Distributed load suite (issue #22; kind only): `prodlike load read-heavy --parallelism 2` through the k6 operator —
 * the add-on installed on first use (or found ready), a TestRun of two runners sharing a small constant arrival rate,
 * both runners' raw samples read back and merged, the documented targets judged once on the merged samples.
 * Checked here: both runners ran their share; each runner's log holds every request its own summary counts (no
 * rotated log); the merged count is the sum; the merged p95 and error rate equal a recomputation from the raw files
 * the run wrote (runner-<i>.jsonl), by k6's percentile rule; the verdict rows come from the merged summary. Whether
 * the targets are met is the measurement's business, not the test's (a loaded CI host misses them): the rows are
 * printed. Nothing in the environment is changed but the load namespace (`reset: false`).
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFrom } from '../src/config/load-config.ts';
import { loadTargets, selectProfile } from '../src/config/load-targets.ts';
import { inClusterEntry } from '../src/load/k6-job.ts';
import { distributedContext, runDistributedLoad } from '../src/load/distributed-load.ts';
import { k6Percentile, type RawSample } from '../src/load/raw-metrics-merge.ts';
import { formatValue, resultTable } from '../src/load/results.ts';
import { resolveScript, resolveShape } from '../src/load/scripts.ts';
import { loadImageCatalog } from '../src/setup/image-catalog.ts';
import { imagePresent } from '../src/providers/kind/kind-images.ts';
import { scenarioSkipReason, startScenarioEnvironment, type ScenarioEnvironment } from './support/scenario-env.ts';

const log = (message: string) => process.stdout.write(`[distributed-load ${new Date().toISOString().slice(11, 23)}] ${message}\n`);

async function missingPrerequisite(): Promise<string | undefined> {
  if ((process.env.PRODLIKE_PROVIDER ?? 'docker') !== 'kind') return 'the k6 operator is a kind add-on: run with PRODLIKE_PROVIDER=kind';
  const operator = (await loadImageCatalog()).images['k6-operator']?.offline;
  if (!operator || !(await imagePresent(operator))) return `${operator ?? 'the k6-operator image'} is not built (npx prodlike setup: fixtures/images/k6-operator/build.sh)`;
  return scenarioSkipReason('kind', { k6: 'image' });
}
const skip = await missingPrerequisite();

describe.skipIf(Boolean(skip))(`distributed load${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let env: ScenarioEnvironment;
  beforeAll(async () => {
    env = await startScenarioEnvironment('distributed-load', { reset: false });
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('read-heavy with 2 runners: raw samples merged, judged once, equal to a recomputation from the raw files', async () => {
    const started = performance.now();
    const script = resolveScript('read-heavy');
    const shape = resolveShape(script, 'smoke', { rate: 20, duration: '10s' });
    const outDir = await mkdtemp(join(tmpdir(), 'prodlike-distributed-'));
    // read-heavy's own targets (document 003: p95 per request name, error rate), as `prodlike load` picks them.
    const perfTargets = selectProfile(await loadTargets(resolveFrom(env.loaded, env.config.targets.file)), 'performance', env.config.targets.file);
    const result = await runDistributedLoad({
      ...(await distributedContext(env.provider, env.loaded.baseDir, env.config.name)),
      envName: env.config.name, script, loadProfile: 'smoke', shape, targets: [perfTargets], parallelism: 2,
      baseUrl: inClusterEntry(env.config), outDir, bus: env.bus, signal: env.signal,
    });
    const elapsed = (performance.now() - started) / 1000;
    for (const r of result.runners) log(`runner ${r.index} on ${r.node}: ${r.numbers.requests} requests, p95 ${formatValue(r.numbers.p95Ms, 'ms')}, own summary ${r.ownCount}`);
    log(`merged: ${result.merged.requests} requests (${formatValue(result.merged.ratePerSecond, 'req/s')}), p95 ${formatValue(result.merged.p95Ms, 'ms')}, error rate ${formatValue((result.merged.errorRate ?? 0) * 100, '%')}; ${elapsed.toFixed(1)} s in all`);
    for (const cells of resultTable(result.rows).cells) log(cells.join(' | '));

    expect(result.runners.map((r) => r.index)).toEqual([1, 2]);
    for (const r of result.runners) {
      expect(r.exitCode).toBe(0);
      expect(r.numbers.requests).toBeGreaterThan(0);
      expect(r.ownCount).toBe(r.numbers.requests);
    }
    expect(result.merged.requests).toBe(result.runners.reduce((n, r) => n + r.numbers.requests, 0));

    const raw: RawSample[] = (await Promise.all(result.runners.map(async (r) => (await readFile(r.file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as RawSample)))).flat();
    const durations = raw.filter((s) => s.metric === 'http_req_duration').map((s) => s.value).sort((a, b) => a - b);
    const failed = raw.filter((s) => s.metric === 'http_req_failed');
    expect(durations.length).toBe(result.merged.requests);
    expect(result.merged.p95Ms).toBeCloseTo(k6Percentile(durations, 0.95), 9);
    expect(result.merged.errorRate).toBeCloseTo(failed.filter((s) => s.value !== 0).length / failed.length, 12);
    const get = raw.filter((s) => s.metric === 'http_req_duration' && s.tags.name === 'get').map((s) => s.value).sort((a, b) => a - b);
    expect(result.measures.p95ByEndpoint.get).toBeCloseTo(k6Percentile(get, 0.95), 9);
    expect(result.rows.some((r) => r.metric === 'get p95' && (r.verdict === 'pass' || r.verdict === 'fail'))).toBe(true);
  });
});
