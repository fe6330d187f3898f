/**
 * Execution-load suite (document 000's execution model) on the docker provider: executions submitted at
 * a constant arrival rate (k6, loadtests/execution-load.js, `ci` load profile), every one polled until it
 * settles; the Redis queue sampled every second. Asserts the documented API p95 (< 200 ms, documents
 * 003/004) for submit and status, the queue under the backlog alert (100, document 000) and the success
 * rate; reports end-to-end p50/p95/p99 and throughput; then finds the saturation point on this machine.
 *
 * Reuses a running docker environment (default name from prodlike.yaml) or brings one up and removes it
 * afterwards. Skips, saying why, when Docker, k6 or the images are missing.
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.ts';
import { findTarget, loadTargets, selectProfile, type SelectedProfile } from '../src/config/load-targets.ts';
import { formatDuration } from '../src/core/duration.ts';
import { EventBus } from '../src/core/events.ts';
import { PACKAGE_ROOT } from '../src/core/paths.ts';
import { attachEnvironment, type LoadEnvironment } from '../src/load/environment.ts';
import { findK6 } from '../src/load/k6.ts';
import { QueueSampler } from '../src/load/queue-sampler.ts';
import { formatValue } from '../src/load/results.ts';
import { queueTargets, runLoad, type LoadRunResult } from '../src/load/runner.ts';
import { runSaturationSearch, type SaturationResult } from '../src/load/saturation.ts';
import { resolveScript, resolveShape } from '../src/load/scripts.ts';
import { createProvider, topologyImages } from '../src/providers/create-provider.ts';
import { EnvironmentStore } from '../src/providers/environment-state.ts';
import type { Provider } from '../src/providers/provider.ts';
import { createRunDirectory, type RunDirectory } from '../src/report/run-directory.ts';
import { resolveImageSource } from '../src/setup/image-source.ts';

const loaded = await loadConfig({ cwd: PACKAGE_ROOT, overrides: { provider: 'docker' } });
const targetsFile = await loadTargets(join(loaded.baseDir, loaded.config.targets.file));
const perfTargets = selectProfile(targetsFile, 'performance');
const execution = selectProfile(targetsFile, 'execution');
const TARGETS: SelectedProfile[] = [perfTargets, execution];
const API_P95_MS = findTarget(perfTargets, 'api.p95')!.maxValue!;
const QUEUE_LIMIT = queueTargets([execution])[0]!.limit;
const ERROR_RATE_MAX = findTarget(execution, 'alert.error-rate')!.maxValue! / 100;

/** Why the suite cannot run here, or undefined. */
async function missingPrerequisite(): Promise<string | undefined> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch {
    return 'the Docker engine does not answer (run `npx prodlike setup`)';
  }
  try {
    await findK6();
  } catch (error) {
    return `k6 is not installed (${(error as Error).message} Run \`npx prodlike setup\`)`;
  }
  const state = await new EnvironmentStore(loaded.baseDir, loaded.config.name).readState();
  if (state && state.provider !== 'docker') return `environment "${loaded.config.name}" is a ${state.provider} environment; this suite runs on the docker provider`;
  const source = state?.imageSource ?? (await resolveImageSource(loaded.config.imageSource)).source;
  const missing: string[] = [];
  for (const image of new Set(Object.values(await topologyImages(source)))) {
    await docker.getImage(image).inspect().catch(() => missing.push(image));
  }
  return missing.length ? `images not built: ${missing.join(', ')} (run \`npx prodlike setup\`)` : undefined;
}

const skipReason = await missingPrerequisite();
/** Numbers go to the test report (annotation) and to stderr, so a plain `vitest run` shows them too. */
async function say(annotate: (message: string) => Promise<unknown>, text: string): Promise<void> {
  process.stderr.write(`${text}\n`);
  await annotate(text);
}
const machine = () => `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} CPUs`;

describe.skipIf(skipReason !== undefined)(`execution-load on the docker provider${skipReason ? ` — skipped: ${skipReason}` : ''}`, () => {
  const bus = new EventBus();
  bus.on((e) => {
    if (e.kind === 'step.end') process.stderr.write(`  ${e.status === 'ok' ? '✔' : e.status === 'failed' ? '✖' : '•'} ${e.id} (${formatDuration(e.durationMs)})${e.detail ? ` — ${e.detail}` : ''}\n`);
  });
  const script = resolveScript('execution-load');
  let provider: Provider;
  let startedHere = false;
  let environment: LoadEnvironment;
  let sampler: QueueSampler | undefined;
  let dir: RunDirectory;
  const report: { machine: string[]; ci?: unknown; saturation?: unknown } = { machine: [] };

  beforeAll(async () => {
    provider = await createProvider({ loaded, bus }, 'docker');
    const before = await provider.status();
    if (!(before.exists && before.healthy)) {
      await provider.create();
      startedHere = !before.exists;
    }
    environment = await attachEnvironment(loaded, bus);
    if (environment.redis) {
      sampler = new QueueSampler(environment.redis, { limit: QUEUE_LIMIT });
      await sampler.connect();
    }
    dir = await createRunDirectory({ root: join(PACKAGE_ROOT, 'runs'), id: 'execution-load' });
  });

  afterAll(async () => {
    await sampler?.close();
    if (dir) await writeFile(join(dir.path, 'execution-load-suite.json'), `${JSON.stringify(report, null, 2)}\n`);
    if (startedHere) await provider.destroy();
  });

  it(`ci profile: submit and status p95 < ${API_P95_MS} ms, queue peak <= ${QUEUE_LIMIT}, executions succeed (in-process workers)`, async ({ annotate }) => {
    const shape = resolveShape(script, 'ci');
    report.machine.push(`before ci: ${machine()}`);
    const result: LoadRunResult = await runLoad({
      script, loadProfile: 'ci', shape, targets: TARGETS, baseUrl: environment.baseUrl, outDir: dir.path, bus, queue: sampler, queueSkipped: environment.redisSkipped,
    });
    report.machine.push(`after ci: ${machine()}`);
    const m = result.measures;
    const e = m.executions!;
    report.ci = { shape, measures: m, queue: result.queue ? { ...result.queue, samples: undefined } : undefined, rows: result.rows, files: result.files };
    await say(annotate, [
      `ci (${shape.rate}/s for ${shape.duration}, ${machine()}):`,
      `submit p95 ${formatValue(m.p95ByEndpoint.submit, 'ms')}, status p95 ${formatValue(m.p95ByEndpoint.status, 'ms')}, HTTP errors ${formatValue((m.httpErrorRate ?? 0) * 100, '%')}`,
      `queue peak ${result.queue?.peak ?? '-'} (limit ${QUEUE_LIMIT}), success ${formatValue((e.successRate ?? 0) * 100, '%')} (${e.completed}/${e.submitted} completed, ${e.failed} failed, ${e.unsettled} unsettled)`,
      `end-to-end p50/p95/p99 ${formatValue(e.endToEndMs.p50, 'ms')} / ${formatValue(e.endToEndMs.p95, 'ms')} / ${formatValue(e.endToEndMs.p99, 'ms')}, queue wait p95 ${formatValue(e.queueWaitMs.p95, 'ms')}`,
      `throughput ${formatValue(e.throughputPerMinute, '/min')} executions; results in ${dir.path}`,
    ].join('\n'));

    expect(result.k6.outcome, `k6 exit ${result.k6.exitCode}; failed rows: ${result.rows.filter((r) => r.verdict === 'fail').map((r) => `${r.metric} ${r.measured}`).join('; ')}`).toBe('ok');
    expect(m.p95ByEndpoint.submit, `submit p95 (ms) vs api.p95 ${API_P95_MS} ms (doc 003)`).toBeLessThan(API_P95_MS);
    expect(m.p95ByEndpoint.status, `status p95 (ms) vs api.p95 ${API_P95_MS} ms (doc 003)`).toBeLessThan(API_P95_MS);
    expect(result.queue, `queue sampler: ${environment.redisSkipped ?? 'no report'}`).toBeDefined();
    expect(result.queue!.answered, 'queue samples answered (one per second)').toBeGreaterThanOrEqual(30);
    expect(result.queue!.peak, `queue peak vs ExecutionQueueBacklog > ${QUEUE_LIMIT} (doc 000)`).toBeLessThanOrEqual(QUEUE_LIMIT);
    expect(e.successRate, `execution success rate vs 1 - error-rate alert ${ERROR_RATE_MAX * 100}% (doc 000)`).toBeGreaterThan(1 - ERROR_RATE_MAX);
    expect(m.httpErrorRate ?? 0, 'HTTP error rate').toBeLessThan(ERROR_RATE_MAX);
    expect(e.completed, 'completed executions').toBeGreaterThan(0);
    expect(e.endToEndMs.p99, 'end-to-end p99 measured').toBeDefined();
    expect(result.passed).toBe(true);
  });

  it('saturation: steps the arrival rate up until a target breaks (at most ~3 min) and reports the highest rate that held', async ({ annotate }) => {
    const started = performance.now();
    report.machine.push(`before saturation: ${machine()}`);
    const result: SaturationResult = await runSaturationSearch({
      script, targets: TARGETS, baseUrl: environment.baseUrl, outDir: join(dir.path, 'saturation'), bus, queue: sampler, queueSkipped: environment.redisSkipped, maxTotalMs: 180_000,
    });
    report.machine.push(`after saturation: ${machine()}`);
    report.saturation = result;
    await writeFile(join(dir.path, 'saturation.json'), `${JSON.stringify(result, null, 2)}\n`);
    await say(annotate, [
      `saturation (${machine()}): highest sustained rate ${result.highestPassingRate ?? 'none'} executions/s${result.lowestFailingRate !== null ? `, ${result.lowestFailingRate}/s broke a target` : ''} (${result.stoppedBecause}, ${formatDuration(result.elapsedMs)})`,
      ...result.steps.map((s) => `  ${s.rate}/s: ${s.passed ? 'held' : `broke — ${s.broken.join('; ')}`} (submit p95 ${formatValue(s.submitP95Ms, 'ms')}, status p95 ${formatValue(s.statusP95Ms, 'ms')}, queue peak ${s.queuePeak ?? '-'}, e2e p95 ${formatValue(s.endToEndP95Ms, 'ms')}, load ${s.loadAverage?.toFixed(1)})`),
    ].join('\n'));

    expect(result.steps.length).toBeGreaterThan(0);
    // Bounded: the budget (3 min) plus at most one step that was started inside it.
    const longest = Math.max(...result.steps.map((s) => s.durationMs));
    expect(performance.now() - started).toBeLessThan(180_000 + longest + 30_000);
    for (const s of result.steps) expect(s.passed || s.broken.length > 0, `step ${s.rate}/s says what broke`).toBe(true);
    if (result.highestPassingRate !== null && result.lowestFailingRate !== null) expect(result.highestPassingRate).toBeLessThan(result.lowestFailingRate);
  });

  it.skip('Job mode (one Kubernetes Job per execution, with Job start latency): kind only — the docker provider runs in-process workers', () => {});
});
