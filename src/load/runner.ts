import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { SelectedProfile } from '../config/load-targets.ts';
import { parseDuration } from '../core/duration.ts';
import { ProdlikeError, TargetMissedError } from '../core/errors.ts';
import { outcome as stepOutcome, type EventBus } from '../core/events.ts';
import { run } from '../core/exec.ts';
import { classifyK6Exit, findK6, k6ApiPortTaken, type K6Outcome } from './k6.ts';
import { queueGrowth, type QueueGrowth, type QueueReport, type QueueSampler } from './queue-sampler.ts';
import { failedRows, formatValue, measuresFromSummary, resultRows, type LoadMeasures, type QueueCheck, type ResultRow } from './results.ts';
import { LATENCY_EXEMPT_ENDPOINTS, shapeEnv, tailSeconds, type LoadProfileName, type LoadShape, type ResolvedScript } from './scripts.ts';
import { crossedThresholds, parseK6Summary, type K6Summary } from './summary.ts';
import { referenceOf, thresholdsFromProfiles, type ThresholdPlan } from './thresholds.ts';

export interface LoadRunOptions {
  script: ResolvedScript;
  loadProfile: LoadProfileName | 'custom';
  shape: LoadShape;
  /** Target profiles whose targets become thresholds (several allowed: performance + execution). */
  targets: SelectedProfile[];
  /** Entry point, e.g. http://127.0.0.1:18080. */
  baseUrl: string;
  /** Directory for k6's summary, log, thresholds, queue samples and the result (created by the caller). */
  outDir: string;
  bus: EventBus;
  signal?: AbortSignal | undefined;
  /** Started and stopped around the k6 run when the script drives the queue; the caller connects/closes it. */
  queue?: QueueSampler | undefined;
  /** Why there is no queue sampler (reported in the table). */
  queueSkipped?: string | undefined;
  /** k6 binary (default: findK6()). */
  k6?: string | undefined;
  /** Step id/title for the progress events (default `load:<script>`). */
  stepId?: string | undefined;
  title?: string | undefined;
  /** File name prefix inside outDir (saturation steps share one directory). */
  filePrefix?: string | undefined;
}

export interface LoadRunResult {
  script: string;
  loadProfile: string;
  shape: LoadShape;
  baseUrl: string;
  targets: string[];
  startedAt: string;
  k6: { binary: string; exitCode: number; outcome: K6Outcome['kind']; durationMs: number; args: string[] };
  plan: ThresholdPlan;
  measures: LoadMeasures;
  queue?: (QueueReport & { growth?: QueueGrowth | undefined }) | undefined;
  rows: ResultRow[];
  passed: boolean;
  /** Set when a target was missed (k6 exit 99, or the queue over its limit): exit 1. */
  error?: TargetMissedError | undefined;
  files: { summary: string; summaryExport: string; log: string; thresholds: string; queue?: string | undefined; result: string };
}

/** Queue-length targets of the selected profiles (document 000: ExecutionQueueBacklog > 100 for 10 m). */
export function queueTargets(targets: SelectedProfile[]): QueueCheck['targets'] {
  const out: QueueCheck['targets'] = [];
  for (const sel of targets) {
    for (const t of sel.profile.targets) {
      if (t.metric !== 'queue-length' || t.maxValue === undefined) continue;
      out.push({ targetId: t.id, limit: t.maxValue, doc: t.source.doc, for: t.for, source: referenceOf(t) });
    }
  }
  return out;
}

/** The thresholds a script gets from the selected target profiles at a given shape. */
export function planFor(script: ResolvedScript, shape: LoadShape, targets: SelectedProfile[]): ThresholdPlan {
  const latencyExempt = Object.fromEntries(script.endpoints.filter((e) => e in LATENCY_EXEMPT_ENDPOINTS).map((e) => [e, LATENCY_EXEMPT_ENDPOINTS[e]!]));
  return thresholdsFromProfiles(
    targets.map((t) => ({ name: t.name, profile: t.profile, file: t.file })),
    { endpoints: script.endpoints, latencyExempt, metrics: script.metrics, offeredRps: shape.rate === undefined ? undefined : shape.rate * script.requestsPerIteration },
  );
}

/** How many times k6 runs again on a new REST API port when another process took the one chosen (issue #14). */
const API_PORT_ATTEMPTS = 3;

/**
 * A 127.0.0.1 port free now, for k6's REST API. Another process can take it before k6 binds it: runLoad
 * then runs k6 again on a new one (k6ApiPortTaken).
 */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface LiveMetric {
  id: string;
  attributes: { sample: Record<string, number> };
}

/**
 * Runs one k6 script against the environment: thresholds from the target profiles, summary through
 * handleSummary JSON, the Redis queue sampled every second, live progress from k6's REST API
 * (127.0.0.1 only). Returns the result (with `error` set when a target was missed); throws a
 * harness error when k6 could not run the test.
 */
export async function runLoad(options: LoadRunOptions): Promise<LoadRunResult> {
  const { script, shape, bus } = options;
  const k6 = options.k6 ?? (await findK6());
  const plan = planFor(script, shape, options.targets);
  const files = runFiles(options.outDir, options.filePrefix ?? '', Boolean(options.queue));
  await writeFile(files.thresholds, `${JSON.stringify({ thresholds: plan.thresholds, mappings: plan.mappings, unmapped: plan.unmapped, reported: plan.reported }, null, 2)}\n`);
  if (existsSync(files.summary)) await rm(files.summary);

  const durationMs = parseDuration(shape.duration);
  const tailMs = tailSeconds(script, shape) * 1000;
  const argsOn = (apiPort: number) => ['run', '--no-color', '--quiet', '--no-usage-report', '--address', `127.0.0.1:${apiPort}`, '--summary-export', files.summaryExport, script.path];
  const env = { ...shapeEnv(shape), BASE_URL: options.baseUrl, SUMMARY_PATH: files.summary, THRESHOLDS: JSON.stringify(plan.thresholds), K6_NO_USAGE_REPORT: 'true' };
  const stepId = options.stepId ?? `load:${script.name}`;
  const title = options.title ?? `k6 ${script.name} (${options.loadProfile}: ${shape.rate !== undefined ? `${shape.rate}/s` : `${shape.vus} VUs`} for ${shape.duration})`;
  const startedAt = new Date();
  const log: string[] = [];

  return bus.step(stepId, title, async (progress) => {
    let queueReport: QueueReport | undefined;
    if (options.queue) await options.queue.start();
    let ran: K6Run;
    try {
      ran = await runK6OnFreeApiPort({ k6, argsOn, env, durationMs, tailMs, log, progress, script, shape, queue: options.queue, signal: options.signal });
      if (options.queue) queueReport = await options.queue.stop();
    } finally {
      if (options.queue) await options.queue.stop().catch(() => undefined);
      await writeFile(files.log, `${log.join('\n')}\n`).catch(() => undefined);
    }
    const { k6Run, args, arrivalsEnd } = ran;

    const { outcome, summary } = await readRunOutcome(script, k6Run.exitCode, log, files);

    const measures = measuresFromSummary(summary, script.endpoints);
    let queue: LoadRunResult['queue'];
    if (queueReport) {
      // Growth over the second half of the arrival window: the part where a queue fed too fast keeps rising.
      const growth = queueGrowth(queueReport.samples, { from: arrivalsEnd - durationMs / 2, to: arrivalsEnd });
      queue = { ...queueReport, growth };
      if (files.queue) await writeFile(files.queue, `${JSON.stringify(queue, null, 2)}\n`);
    }
    const { rows, failures, error } = assessLoad({
      script, summary, plan, measures, targets: options.targets, queue, queueSkipped: options.queueSkipped, outcome: outcome.kind,
      queueMissHint: 'k6 thresholds held; the queue measured from Redis did not. See queue-samples.json in the run directory.',
    });
    const result: LoadRunResult = {
      script: script.name,
      loadProfile: options.loadProfile,
      shape,
      baseUrl: options.baseUrl,
      targets: options.targets.map((t) => t.name),
      startedAt: startedAt.toISOString(),
      k6: { binary: k6, exitCode: k6Run.exitCode, outcome: outcome.kind, durationMs: k6Run.durationMs, args },
      plan,
      measures,
      queue,
      rows,
      passed: error === undefined,
      error,
      files,
    };
    await writeLoadResult(files.result, result);
    return stepOutcome(error ? 'warn' : 'ok', result, stepDetail(script, measures, queue, failures));
  });
}

interface K6Run {
  k6Run: Awaited<ReturnType<typeof run>>;
  args: string[];
  /** When the arrival window of the run that counted ends (epoch ms). */
  arrivalsEnd: number;
}

/**
 * Runs k6 with its REST API on a free loopback port (live progress reads it) and runs it again on another
 * port when another process took that one before k6 bound it (k6 exit 106, nothing run yet): `log` then
 * starts again with a note of why.
 */
async function runK6OnFreeApiPort(o: {
  k6: string; argsOn: (apiPort: number) => string[]; env: Record<string, string>; durationMs: number; tailMs: number; log: string[];
  progress: (message: string) => void; script: ResolvedScript; shape: LoadRunOptions['shape']; queue: LoadRunOptions['queue']; signal: AbortSignal | undefined;
}): Promise<K6Run> {
  for (let attempt = 1; ; attempt++) {
    const apiPort = await freePort();
    const args = o.argsOn(apiPort);
    const k6Started = Date.now();
    const live = startLiveProgress({ port: apiPort, script: o.script, shape: o.shape, queue: o.queue, progress: o.progress, startedAt: k6Started, durationMs: o.durationMs });
    let k6Run;
    try {
      k6Run = await run(o.k6, args, {
        env: o.env,
        timeoutMs: o.durationMs + o.tailMs + 180_000,
        allowFailure: true,
        onLine: (line) => o.log.push(line),
        missingHint: 'Run `npx prodlike setup` (builds k6) or put k6 on PATH.',
        ...(o.signal ? { signal: o.signal } : {}),
      });
    } finally {
      live.stop();
    }
    if (attempt >= API_PORT_ATTEMPTS || o.signal?.aborted || !k6ApiPortTaken(k6Run.exitCode, o.log, apiPort)) return { k6Run, args, arrivalsEnd: k6Started + o.durationMs };
    o.log.splice(0, o.log.length, `prodlike: k6's REST API port 127.0.0.1:${apiPort} was taken by another process (k6 exit 106); k6 runs again on another port (attempt ${attempt + 1} of ${API_PORT_ATTEMPTS}).`);
    o.progress(`k6's REST API port ${apiPort} was taken; starting k6 again on another port`);
  }
}

/**
 * How k6 ended and its summary: a harness error (k6 could not run the test) or no summary file throws,
 * quoting k6's own errors (`level=error msg=…`), else its last lines.
 */
async function readRunOutcome(script: ResolvedScript, exitCode: number, log: string[], files: LoadRunResult['files']): Promise<{ outcome: K6Outcome; summary: K6Summary }> {
  const errors = log.filter((l) => /level=(error|fatal)/.test(l));
  const logTail = (errors.length ? errors.slice(-5) : log.filter((l) => l.trim()).slice(-8)).join('\n');
  let summary: K6Summary | undefined;
  if (existsSync(files.summary)) summary = parseK6Summary(await readFile(files.summary, 'utf8'), files.summary);
  const outcome = classifyK6Exit(exitCode, { script: script.name, logTail, logFile: files.log });
  if (outcome.kind === 'harness-error') throw outcome.error;
  if (!summary) {
    throw new ProdlikeError('COMMAND_FAILED', `k6 exited ${exitCode} but wrote no summary at ${files.summary}.`, {
      hint: `The script must export handleSummary (loadtests/lib/harness.js writeSummary). k6 output: ${files.log}.`,
    });
  }
  return { outcome, summary };
}

/** The files of one run in the run directory (`prefix` for a step of a saturation search). */
function runFiles(outDir: string, prefix: string, withQueue: boolean): LoadRunResult['files'] {
  return {
    summary: join(outDir, `${prefix}k6-summary.json`),
    summaryExport: join(outDir, `${prefix}k6-summary-export.json`),
    log: join(outDir, `${prefix}k6.log`),
    thresholds: join(outDir, `${prefix}thresholds.json`),
    result: join(outDir, `${prefix}result.json`),
    ...(withQueue ? { queue: join(outDir, `${prefix}queue-samples.json`) } : {}),
  };
}

/** The step's one-line outcome: p95 per endpoint, success rate, queue peak, missed targets. */
function stepDetail(script: ResolvedScript, measures: LoadMeasures, queue: LoadRunResult['queue'], failures: string[]): string {
  const p95 = script.endpoints.map((e) => [e, measures.p95ByEndpoint[e]] as const).filter(([, v]) => v !== undefined).map(([e, v]) => `${e} p95 ${formatValue(v, 'ms')}`);
  return [
    ...p95,
    ...(measures.executions ? [`success ${formatValue((measures.executions.successRate ?? 0) * 100, '%')}`] : []),
    ...(queue ? [`queue peak ${queue.peak ?? '-'}`] : []),
    ...(failures.length ? [`missed: ${failures.length} target(s)`] : []),
  ].join(', ');
}

/**
 * The verdict of a finished k6 run, host or in-cluster: the result rows (k6 thresholds and the Redis queue
 * measured beside it), the failing ones, and the TargetMissedError that names them (none when all held).
 */
export function assessLoad(input: {
  script: ResolvedScript; summary: K6Summary; plan: ThresholdPlan; measures: LoadMeasures; targets: SelectedProfile[];
  queue: LoadRunResult['queue']; queueSkipped?: string | undefined; outcome: K6Outcome['kind']; queueMissHint?: string;
}): { rows: ResultRow[]; failures: string[]; error: TargetMissedError | undefined } {
  const { script, summary, queue } = input;
  const qTargets = script.drivesQueue ? queueTargets(input.targets) : [];
  const queueCheck: QueueCheck | undefined = qTargets.length || queue
    ? { report: queue, growth: queue?.growth, targets: qTargets, ...(queue ? {} : { skipped: input.queueSkipped ?? 'no queue sampler for this environment' }) }
    : undefined;
  const rows = resultRows({ summary, plan: input.plan, queue: queueCheck, measures: input.measures });
  const failures = failedRows(rows);
  let error: TargetMissedError | undefined;
  if (input.outcome === 'target-missed') {
    // Re-classified with the failing rows, so the message says which targets and by how much.
    const detailed = classifyK6Exit(99, { script: script.name, crossed: failures.length ? failures : crossedThresholds(summary) });
    error = detailed.kind === 'target-missed' ? detailed.error : undefined;
  } else if (failures.length) {
    error = new TargetMissedError(`Load test ${script.name} missed targets: ${failures.join('; ')}.`, { ...(input.queueMissHint ? { hint: input.queueMissHint } : {}), details: { failures } });
  }
  return { rows, failures, error };
}

/** result.json of a load run (the queue's samples are in their own file). */
export async function writeLoadResult(file: string, result: LoadRunResult): Promise<void> {
  await writeFile(file, `${JSON.stringify({ ...result, error: result.error?.toJSON(), queue: result.queue ? { ...result.queue, samples: undefined } : undefined }, null, 2)}\n`);
}

/** Polls k6's REST API every 5 s for the live request rate and p95s, plus the queue sampler. */
function startLiveProgress(input: {
  port: number;
  script: ResolvedScript;
  shape: LoadShape;
  queue?: QueueSampler | undefined;
  progress: (message: string) => void;
  startedAt: number;
  durationMs: number;
}): { stop: () => void } {
  let last: { at: number; count: number } | undefined;
  const tick = async () => {
    const elapsed = Date.now() - input.startedAt;
    const parts = [`${Math.round(elapsed / 1000)}s/${Math.round(input.durationMs / 1000)}s`];
    try {
      const res = await fetch(`http://127.0.0.1:${input.port}/v1/metrics`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) {
        const body = (await res.json()) as { data: LiveMetric[] };
        const byId = new Map(body.data.map((m) => [m.id, m.attributes.sample]));
        const count = byId.get('http_reqs')?.count;
        if (count !== undefined) {
          const now = Date.now();
          if (last) parts.push(`${((count - last.count) / ((now - last.at) / 1000)).toFixed(1)} req/s`);
          last = { at: now, count };
        }
        const p95s = input.script.endpoints
          .map((e) => [e, byId.get(`http_req_duration{name:${e}}`)?.['p(95)']] as const)
          .filter((x): x is readonly [string, number] => x[1] !== undefined);
        if (p95s.length) parts.push(`p95 ${p95s.map(([e, v]) => `${e} ${formatValue(v, 'ms')}`).join(', ')}`);
        else if (byId.get('http_req_duration')?.['p(95)'] !== undefined) parts.push(`p95 ${formatValue(byId.get('http_req_duration')!['p(95)'], 'ms')}`);
        const completed = byId.get('executions_completed')?.count;
        if (completed !== undefined) parts.push(`${completed} completed`);
      }
    } catch {
      // k6 not listening yet, or finishing: progress is best effort
    }
    const q = input.queue?.current();
    if (q && q.last !== null) parts.push(`queue ${q.last} (peak ${q.peak})`);
    input.progress(parts.join(' · '));
  };
  const timer = setInterval(() => void tick(), 5_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
