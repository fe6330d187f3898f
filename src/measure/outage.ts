import { createHistogram } from 'node:perf_hooks';
import type { ProbeAttempt, ProbeRecord } from './availability-probe.ts';

/**
 * Pure analysis of probe attempts. Conventions (they matter for the ±250 ms calibration):
 * - attempts are ordered by `startedAt` (the schedule), not by completion;
 * - an outage window opens at the `startedAt` of its first failed attempt and closes at the `endedAt` of
 *   the first successful attempt after it. For a target that refuses connections both are within one
 *   interval of the truth; for a target that hangs, the attempts started during the hang either time out
 *   (failures) or are answered when it resumes, so the first success *ends* when service resumed;
 * - an outage shorter than the per-attempt timeout shows up as latency, not as failures, unless
 *   `slowThresholdMs` classifies slow answers as failures;
 * - "recovered" means a *sustained* window of successes (`sustainedMs`, default 2 s, uninterrupted): a
 *   flapping recovery is not recovered at its first good answer. The RTO is still measured to the START of
 *   that window (the end of its first successful attempt), not to its end.
 */
export interface AnalysisOptions {
  /**
   * Answers slower than this count as failures (client-side SLA): they lower availability, open outage
   * windows and break a recovery window. Default: none (only errors and timeouts fail).
   */
  slowThresholdMs?: number;
  /**
   * How long successes must continue, uninterrupted, before a recovery counts (client-observed RTO): from
   * the answer of the window's first success to the answer of a later one. Default 2000 ms.
   */
  sustainedMs?: number;
  /** Minimum number of successes in that window as well (guards very sparse probes). Default 3. */
  sustainedSuccesses?: number;
}

/** Default of `AnalysisOptions.sustainedMs`. */
export const DEFAULT_SUSTAINED_MS = 2000;
/** Default of `AnalysisOptions.sustainedSuccesses`. */
export const DEFAULT_SUSTAINED_SUCCESSES = 3;

export interface OutageWindow {
  /** `startedAt` of the first failed attempt. */
  start: number;
  /** `endedAt` of the first success after it, or the last attempt's end when the probe stopped first. */
  end: number;
  durationMs: number;
  /** False when the probe stopped before any success: the duration is then a lower bound. */
  recovered: boolean;
  failedAttempts: number;
  /** Distinct error messages, most frequent first. */
  errors: Array<{ error: string; count: number }>;
}

export interface LatencyStats {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  min: number | null;
  max: number | null;
  mean: number | null;
}

export interface RtoMeasurement {
  faultAt: number;
  /** False when no attempt failed after the fault: the client saw no outage (RTO 0). */
  outageObserved: boolean;
  /** First failed attempt ending after the fault. */
  firstFailureAt: number | null;
  /** End of the first success after that failure (not necessarily sustained). */
  firstSuccessAt: number | null;
  /**
   * End of the first attempt of the sustained recovery window: the first success after which every attempt
   * succeeded for `sustainedMs` (and at least `sustainedSuccesses` times). The RTO is measured to here.
   */
  sustainedSuccessAt: number | null;
  /** sustainedSuccessAt − faultAt; 0 when no outage was observed; a lower bound when not recovered. */
  rtoMs: number;
  /** True when the probe stopped before a sustained window completed: `rtoMs` is only "at least". */
  lowerBound: boolean;
  /** The window that defines "recovered", ms (the option used). */
  sustainedMs: number;
  /** Successes in the recovery window up to the attempt that completed it (the configured minimum when not recovered). */
  sustainedSuccesses: number;
  /** Runs of successes after the first failure that broke down before lasting `sustainedMs` (a flapping recovery). */
  falseRecoveries: number;
}

export interface ProbeSummary {
  name: string;
  kind: string;
  target: string;
  intervalMs: number;
  timeoutMs: number;
  startedAt: number;
  stoppedAt: number;
  attempts: number;
  successes: number;
  errorCount: number;
  skippedTicks: number;
  availabilityPercent: number | null;
  /** Answers slower than this counted as failures (the option used), or undefined. */
  slowThresholdMs?: number;
  /** Answers (ok from the target) that were failures only because they were slower than `slowThresholdMs`. */
  slowAnswers: number;
  /** Latency of every answered attempt (including answers slower than the threshold), ms. */
  latency: LatencyStats;
  outages: OutageWindow[];
  totalOutageMs: number;
  longestOutageMs: number;
  /** Present when a fault time was given. */
  rto?: RtoMeasurement;
}

export function sortAttempts(attempts: readonly ProbeAttempt[]): ProbeAttempt[] {
  return [...attempts].sort((a, b) => a.startedAt - b.startedAt);
}

export function isSuccess(attempt: ProbeAttempt, options: AnalysisOptions = {}): boolean {
  return attempt.ok && (options.slowThresholdMs === undefined || attempt.latencyMs <= options.slowThresholdMs);
}

/** The first failed attempt that ended after `at` (an attempt in flight when the fault hit counts). */
export function firstFailureAfter(attempts: readonly ProbeAttempt[], at: number, options: AnalysisOptions = {}): ProbeAttempt | undefined {
  return sortAttempts(attempts).find((a) => a.endedAt > at && !isSuccess(a, options));
}

/** The first successful attempt started after `failure` (in schedule order). */
export function firstSuccessAfter(attempts: readonly ProbeAttempt[], failure: ProbeAttempt, options: AnalysisOptions = {}): ProbeAttempt | undefined {
  return sortAttempts(attempts).find((a) => a.startedAt > failure.startedAt && isSuccess(a, options));
}

export function outageWindows(attempts: readonly ProbeAttempt[], options: AnalysisOptions = {}): OutageWindow[] {
  const sorted = sortAttempts(attempts);
  const windows: OutageWindow[] = [];
  // An open window ends at the EARLIEST answer of a success started after it opened (attempts overlap: a
  // later-started attempt may be answered first). A failure that started before that answer had been in
  // flight during the outage (stuck in it, timing out after the recovery): it belongs to the outage and does
  // not extend it. Only a failure that starts after the recovering answer opens a new window.
  let open: { start: number; failed: ProbeAttempt[]; end?: number } | undefined;
  for (const attempt of sorted) {
    if (open?.end !== undefined && attempt.startedAt >= open.end) {
      windows.push(closeWindow(open.start, open.end, true, open.failed));
      open = undefined;
    }
    if (!isSuccess(attempt, options)) {
      if (open) open.failed.push(attempt);
      else open = { start: attempt.startedAt, failed: [attempt] };
    } else if (open) {
      open.end = Math.min(open.end ?? Number.POSITIVE_INFINITY, Math.max(attempt.endedAt, open.start));
    }
  }
  if (open) {
    if (open.end !== undefined) windows.push(closeWindow(open.start, open.end, true, open.failed));
    else windows.push(closeWindow(open.start, maxOf(sorted.map((a) => a.endedAt)), false, open.failed));
  }
  return windows;
}

function closeWindow(start: number, end: number, recovered: boolean, failed: ProbeAttempt[]): OutageWindow {
  const counts = new Map<string, number>();
  for (const f of failed) {
    const key = f.error ?? (f.ok ? 'slower than threshold' : 'failed');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const errors = [...counts].map(([error, count]) => ({ error, count })).sort((a, b) => b.count - a.count);
  return { start, end, durationMs: end - start, recovered, failedAttempts: failed.length, errors };
}

export function totalOutageMs(windows: readonly OutageWindow[]): number {
  return windows.reduce((sum, w) => sum + w.durationMs, 0);
}

export function errorCount(attempts: readonly ProbeAttempt[], options: AnalysisOptions = {}): number {
  return attempts.filter((a) => !isSuccess(a, options)).length;
}

/** Share of successful attempts, in percent; null with no attempts. */
export function availabilityPercent(attempts: readonly ProbeAttempt[], options: AnalysisOptions = {}): number | null {
  if (attempts.length === 0) return null;
  return (100 * (attempts.length - errorCount(attempts, options))) / attempts.length;
}

/**
 * p50/p95/p99 of answered attempts (node:perf_hooks HDR histogram, µs resolution), in ms. Answers slower
 * than `slowThresholdMs` are included: they are failures for availability, but hiding them would make the
 * latency look better than what clients saw.
 */
export function latencyStats(attempts: readonly ProbeAttempt[]): LatencyStats {
  const ok = attempts.filter((a) => a.ok);
  if (ok.length === 0) return { count: 0, p50: null, p95: null, p99: null, min: null, max: null, mean: null };
  const histogram = createHistogram({ lowest: 1, highest: 3_600_000_000, figures: 3 });
  for (const a of ok) histogram.record(Math.max(1, Math.round(a.latencyMs * 1000)));
  const ms = (us: number) => us / 1000;
  return {
    count: ok.length,
    p50: ms(histogram.percentile(50)),
    p95: ms(histogram.percentile(95)),
    p99: ms(histogram.percentile(99)),
    min: ok.reduce((m, a) => Math.min(m, a.latencyMs), Number.POSITIVE_INFINITY),
    max: maxOf(ok.map((a) => a.latencyMs)),
    mean: ok.reduce((s, a) => s + a.latencyMs, 0) / ok.length,
  };
}

/**
 * Client-observed RTO: fault injected → start of the first *sustained* recovery after the first failure
 * seen after the fault. A recovery window opens at a success (schedule order) and is sustained once a
 * success in the same uninterrupted run answered `sustainedMs` after the window's first answer (and the
 * run has `sustainedSuccesses` successes); any failure (or slow answer, with `slowThresholdMs`) before that
 * discards the window (a false recovery: flapping) and the next success opens a new one. The RTO is measured
 * to the first answer of the sustained window. No failure after the fault → RTO 0 (`outageObserved:
 * false`). Probe stopped before a window was sustained → `lowerBound: true` and the RTO runs to the end of
 * the last attempt: "at least".
 */
export function clientObservedRto(attempts: readonly ProbeAttempt[], faultAt: number, options: AnalysisOptions = {}): RtoMeasurement {
  const minSuccesses = Math.max(1, options.sustainedSuccesses ?? DEFAULT_SUSTAINED_SUCCESSES);
  const sustainedMs = Math.max(0, options.sustainedMs ?? DEFAULT_SUSTAINED_MS);
  const sorted = sortAttempts(attempts);
  const failureIndex = sorted.findIndex((a) => a.endedAt > faultAt && !isSuccess(a, options));
  const base = { faultAt, sustainedMs };
  if (failureIndex < 0) {
    return { ...base, outageObserved: false, firstFailureAt: null, firstSuccessAt: null, sustainedSuccessAt: null, rtoMs: 0, lowerBound: false, sustainedSuccesses: 0, falseRecoveries: 0 };
  }
  const failure = sorted[failureIndex]!;
  let firstSuccessAt: number | null = null;
  // The recovery window: its earliest answer (attempts overlap, so a later-started success may answer first).
  let windowAt: number | undefined;
  let successes = 0;
  let falseRecoveries = 0;
  for (let i = failureIndex + 1; i < sorted.length; i += 1) {
    const attempt = sorted[i]!;
    if (!isSuccess(attempt, options)) {
      // A failure that started before the window's first answer was stuck in the outage: it does not break
      // the recovery. One that started after it does (a flapping recovery).
      if (windowAt !== undefined && attempt.startedAt < windowAt) continue;
      if (windowAt !== undefined) falseRecoveries += 1;
      windowAt = undefined;
      successes = 0;
      continue;
    }
    firstSuccessAt = Math.min(firstSuccessAt ?? Number.POSITIVE_INFINITY, attempt.endedAt);
    windowAt = Math.min(windowAt ?? Number.POSITIVE_INFINITY, attempt.endedAt);
    successes += 1;
    if (successes >= minSuccesses && attempt.endedAt - windowAt >= sustainedMs) {
      return {
        ...base,
        outageObserved: true,
        firstFailureAt: failure.startedAt,
        firstSuccessAt,
        sustainedSuccessAt: windowAt,
        rtoMs: Math.max(0, windowAt - faultAt),
        lowerBound: false,
        sustainedSuccesses: successes,
        falseRecoveries,
      };
    }
  }
  const lastEnd = maxOf(sorted.map((a) => a.endedAt));
  return {
    ...base,
    outageObserved: true,
    firstFailureAt: failure.startedAt,
    firstSuccessAt,
    sustainedSuccessAt: null,
    rtoMs: Math.max(0, lastEnd - faultAt),
    lowerBound: true,
    sustainedSuccesses: minSuccesses,
    falseRecoveries,
  };
}

/** One line for reports: what "recovered" and "failure" mean for this probe's numbers. */
export function describeAnalysis(summary: Pick<ProbeSummary, 'slowThresholdMs' | 'timeoutMs' | 'rto'>): string {
  const parts = [`a failure is an error, no answer within ${summary.timeoutMs} ms`];
  if (summary.slowThresholdMs !== undefined) parts.push(`or an answer slower than ${summary.slowThresholdMs} ms (answers slower than ${summary.slowThresholdMs} ms count as failures)`);
  const text = [parts.join(', ')];
  if (summary.rto?.sustainedMs !== undefined) {
    text.push(
      `recovered = ${summary.rto.sustainedMs / 1000} s of uninterrupted successes; the RTO is measured from the fault to the first success of that window (its start, not its end)`,
    );
  }
  return `${text.join('; ')}.`;
}

/** Everything a report needs from one probe record. */
export function summarizeProbe(record: ProbeRecord, options: AnalysisOptions & { faultAt?: number } = {}): ProbeSummary {
  const { attempts } = record;
  const outages = outageWindows(attempts, options);
  const errors = errorCount(attempts, options);
  return {
    name: record.name,
    kind: record.kind,
    target: record.target,
    intervalMs: record.intervalMs,
    timeoutMs: record.timeoutMs,
    startedAt: record.startedAt,
    stoppedAt: record.stoppedAt,
    attempts: attempts.length,
    successes: attempts.length - errors,
    errorCount: errors,
    skippedTicks: record.skippedTicks,
    availabilityPercent: availabilityPercent(attempts, options),
    ...(options.slowThresholdMs === undefined ? {} : { slowThresholdMs: options.slowThresholdMs }),
    slowAnswers: attempts.filter((a) => a.ok && !isSuccess(a, options)).length,
    latency: latencyStats(attempts),
    outages,
    totalOutageMs: totalOutageMs(outages),
    longestOutageMs: outages.reduce((m, w) => Math.max(m, w.durationMs), 0),
    ...(options.faultAt === undefined ? {} : { rto: clientObservedRto(attempts, options.faultAt, options) }),
  };
}

/** Math.max without spreading (spreading ~100k+ values overflows the call stack on long runs). */
function maxOf(values: readonly number[]): number {
  return values.reduce((m, v) => (v > m ? v : m), Number.NEGATIVE_INFINITY);
}
