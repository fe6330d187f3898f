import { loadavg } from 'node:os';
import { mkdir } from 'node:fs/promises';
import type { SelectedProfile } from '../config/load-targets.ts';
import { outcome, type EventBus } from '../core/events.ts';
import type { QueueSampler } from './queue-sampler.ts';
import { failedRows, formatValue } from './results.ts';
import { queueTargets, runLoad, type LoadRunResult } from './runner.ts';
import type { ResolvedScript } from './scripts.ts';

/**
 * The saturation point: the arrival rate is stepped up (short steps) until a target breaks; the
 * highest rate that met every target is the answer, on this machine. Between the last passing and the
 * first failing rate, up to `refineSteps` midpoints narrow it down while the time budget allows.
 */
export interface SaturationStep {
  rate: number;
  passed: boolean;
  /** What broke, one line each (empty when passed). */
  broken: string[];
  durationMs: number;
  /** Epoch ms when the step ended. */
  endedAt?: number | undefined;
  submitP95Ms?: number | undefined;
  statusP95Ms?: number | undefined;
  httpErrorRate?: number | undefined;
  successRate?: number | undefined;
  queuePeak?: number | null | undefined;
  queueSlopePerSecond?: number | undefined;
  queueProjected10m?: number | undefined;
  endToEndP95Ms?: number | undefined;
  throughputPerMinute?: number | undefined;
  droppedIterations?: number | undefined;
  /** 1-minute load average when the step ended (the machine is shared). */
  loadAverage?: number | undefined;
  resultFile?: string | undefined;
}

export type SaturationStop = 'target-broke' | 'time-budget' | 'rates-exhausted';

export interface SaturationResult {
  steps: SaturationStep[];
  /** Highest rate (executions/s) that met every target; null when even the first rate broke one. */
  highestPassingRate: number | null;
  /** Lowest rate seen to break a target; null when none broke. */
  lowestFailingRate: number | null;
  stoppedBecause: SaturationStop;
  elapsedMs: number;
  budgetMs: number;
}

export interface SearchOptions {
  rates: number[];
  /** Total time budget; a step that would likely overrun it is not started. */
  maxTotalMs: number;
  /** Midpoint steps between the last pass and the first failure (default 2). */
  refineSteps?: number;
  runStep: (rate: number, index: number) => Promise<SaturationStep>;
  now?: () => number;
  signal?: AbortSignal | undefined;
}

/** The search itself, independent of k6 (unit-tested with scripted step results). */
export async function searchSaturation(options: SearchOptions): Promise<SaturationResult> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const steps: SaturationStep[] = [];
  let longest = 0;
  let lastPass: number | null = null;
  let firstFail: number | null = null;
  let stoppedBecause: SaturationStop = 'rates-exhausted';
  const fits = () => steps.length === 0 || now() - started + longest <= options.maxTotalMs;
  const step = async (rate: number) => {
    options.signal?.throwIfAborted();
    const s = await options.runStep(rate, steps.length);
    steps.push(s);
    longest = Math.max(longest, s.durationMs);
    if (s.passed) lastPass = lastPass === null ? rate : Math.max(lastPass, rate);
    else firstFail = firstFail === null ? rate : Math.min(firstFail, rate);
    return s.passed;
  };

  const rates = [...new Set(options.rates)].filter((r) => r > 0).sort((a, b) => a - b);
  for (const rate of rates) {
    if (!fits()) {
      stoppedBecause = 'time-budget';
      break;
    }
    if (!(await step(rate))) {
      stoppedBecause = 'target-broke';
      break;
    }
  }
  for (let i = 0; i < (options.refineSteps ?? 2) && stoppedBecause === 'target-broke'; i++) {
    if (firstFail === null) break;
    // Even the first rate broke a target: step down (halve) while at least 1/s, to find any rate that holds.
    const mid = lastPass === null ? Math.floor(firstFail / 2) : Math.round((lastPass + firstFail) / 2);
    if (lastPass === null) {
      if (mid < 1 || !fits()) break;
      await step(mid);
      continue;
    }
    if (mid <= lastPass || mid >= firstFail) break;
    if (!fits()) break;
    await step(mid);
  }
  return { steps, highestPassingRate: lastPass, lowestFailingRate: firstFail, stoppedBecause, elapsedMs: now() - started, budgetMs: options.maxTotalMs };
}

/** What broke in one step: failed thresholds, queue peak, a growing queue, undelivered arrivals. */
export function stepBreaks(result: LoadRunResult, queueLimit: number | undefined): string[] {
  const broken = failedRows(result.rows);
  const growth = result.queue?.growth;
  if (queueLimit !== undefined && growth?.growing && growth.projected > queueLimit) {
    broken.push(`queue growing ${growth.slopePerSecond.toFixed(2)}/s: about ${Math.round(growth.projected)} after 10 min at this rate (alert > ${queueLimit})`);
  }
  if (result.measures.droppedIterations > 0) broken.push(`k6 dropped ${result.measures.droppedIterations} arrivals (no free VU): the rate was not delivered`);
  return broken;
}

export function toStep(rate: number, result: LoadRunResult, durationMs: number, queueLimit: number | undefined): SaturationStep {
  const broken = stepBreaks(result, queueLimit);
  const e = result.measures.executions;
  return {
    rate,
    passed: broken.length === 0,
    broken,
    durationMs,
    endedAt: Date.now(),
    submitP95Ms: result.measures.p95ByEndpoint.submit,
    statusP95Ms: result.measures.p95ByEndpoint.status,
    httpErrorRate: result.measures.httpErrorRate,
    successRate: e?.successRate,
    queuePeak: result.queue?.peak,
    queueSlopePerSecond: result.queue?.growth?.slopePerSecond,
    queueProjected10m: result.queue?.growth?.projected,
    endToEndP95Ms: e?.endToEndMs.p95,
    throughputPerMinute: e?.throughputPerMinute,
    droppedIterations: result.measures.droppedIterations,
    loadAverage: loadavg()[0],
    resultFile: result.files.result,
  };
}

export interface SaturationRunOptions {
  script: ResolvedScript;
  targets: SelectedProfile[];
  baseUrl: string;
  outDir: string;
  bus: EventBus;
  queue?: QueueSampler | undefined;
  queueSkipped?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Arrival rates to try, executions/s (default 2, 4, 8, 16, 32, 64). */
  rates?: number[];
  /** Length of each step's arrival window (default 20s). */
  stepDuration?: string;
  /** Total budget (default 3 min). */
  maxTotalMs?: number;
  refineSteps?: number;
  k6?: string | undefined;
}

export const DEFAULT_SATURATION_RATES = [2, 4, 8, 16, 32, 64];

/** The search with execution-load steps against the environment. */
export async function runSaturationSearch(options: SaturationRunOptions): Promise<SaturationResult> {
  const { bus } = options;
  const queueLimit = queueTargets(options.targets)[0]?.limit;
  await mkdir(options.outDir, { recursive: true });
  return bus.step('load:saturation', `Saturation search (${options.script.name}, steps of ${options.stepDuration ?? '20s'})`, async (progress) => {
    const result = await searchSaturation({
      rates: options.rates ?? DEFAULT_SATURATION_RATES,
      maxTotalMs: options.maxTotalMs ?? 180_000,
      refineSteps: options.refineSteps ?? 2,
      signal: options.signal,
      runStep: async (rate, index) => {
        const started = performance.now();
        if (options.queue) {
          // Each step starts from an empty queue, so one step's backlog is not charged to the next.
          try {
            await options.queue.waitForEmpty({ timeoutMs: 90_000, signal: options.signal });
          } catch (error) {
            if (options.signal?.aborted) throw error;
            return { rate, passed: false, broken: [`the queue did not drain within 90 s before this step: ${(error as Error).message}`], durationMs: performance.now() - started };
          }
        }
        progress(`step ${index + 1}: ${rate} executions/s`);
        const run = await runLoad({
          script: options.script,
          loadProfile: 'custom',
          shape: {
            rate,
            duration: options.stepDuration ?? '20s',
            // Generous pre-allocation: VUs k6 must start mid-step can make it drop arrivals (a harness limit, not the system's).
            vus: Math.max(10, Math.ceil(rate * 4)),
            maxVus: Math.max(60, Math.ceil(rate * 15)),
            env: { MAX_POLLS: '40', POLL_INTERVAL_MS: '250' },
          },
          targets: options.targets,
          baseUrl: options.baseUrl,
          outDir: options.outDir,
          bus,
          signal: options.signal,
          queue: options.queue,
          queueSkipped: options.queueSkipped,
          k6: options.k6,
          stepId: `load:saturation:${rate}`,
          title: `${options.script.name} at ${rate}/s`,
          filePrefix: `step-${String(index + 1).padStart(2, '0')}-rate-${rate}-`,
        });
        const step = toStep(rate, run, performance.now() - started, queueLimit);
        // The k6 step above judged the run's targets; the search also judges whether the rate is sustainable.
        if (!step.passed && run.passed) bus.emit({ kind: 'log', level: 'warn', message: `${rate}/s is not sustained: ${step.broken.join('; ')}` });
        progress(`${rate}/s ${step.passed ? 'held' : 'broke'}: submit p95 ${formatValue(step.submitP95Ms, 'ms')}, status p95 ${formatValue(step.statusP95Ms, 'ms')}, queue peak ${step.queuePeak ?? '-'}${step.passed ? '' : ` — ${step.broken[0]}`}`);
        return step;
      },
    });
    const detail = result.highestPassingRate === null
      ? `even ${result.lowestFailingRate ?? '?'}/s broke a target`
      : `highest sustained rate ${result.highestPassingRate} executions/s (${result.stoppedBecause === 'target-broke' ? `${result.lowestFailingRate}/s broke a target` : result.stoppedBecause === 'time-budget' ? 'time budget reached before a target broke' : 'no tried rate broke a target'})`;
    return outcome(result.highestPassingRate === null ? 'warn' : 'ok', result, detail);
  });
}
