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
 *   `slowThresholdMs` classifies slow answers as failures.
 */
export interface AnalysisOptions {
  /** Successful answers slower than this count as failures (client-side SLA). Default: none. */
  slowThresholdMs?: number;
  /** Consecutive successes that make a recovery "sustained" (client-observed RTO). Default 3. */
  sustainedSuccesses?: number;
}

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
  /** End of the first attempt of the first run of N consecutive successes after the failure. */
  sustainedSuccessAt: number | null;
  /** sustainedSuccessAt − faultAt; 0 when no outage was observed; a lower bound when not recovered. */
  rtoMs: number;
  /** True when the probe stopped before a sustained success: `rtoMs` is only "at least". */
  lowerBound: boolean;
  sustainedSuccesses: number;
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
  /** Latency of successful attempts, ms. */
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
  const failedOf: ProbeAttempt[][] = [];
  let open: { start: number; failed: ProbeAttempt[] } | undefined;
  for (const attempt of sorted) {
    if (!isSuccess(attempt, options)) {
      // Attempts overlap (one starts every interval, each may take up to its timeout): a failure that
      // started before the success that closed the last window had answered belongs to that outage.
      const last = windows.at(-1);
      if (!open && last && attempt.startedAt < last.end) {
        windows.pop();
        open = { start: last.start, failed: failedOf.pop() ?? [] };
      }
      open ??= { start: attempt.startedAt, failed: [] };
      open.failed.push(attempt);
    } else if (open) {
      windows.push(closeWindow(open.start, Math.max(attempt.endedAt, open.start), true, open.failed));
      failedOf.push(open.failed);
      open = undefined;
    }
  }
  if (open) {
    const end = maxOf(sorted.map((a) => a.endedAt));
    windows.push(closeWindow(open.start, end, false, open.failed));
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

/** p50/p95/p99 of successful attempts (node:perf_hooks HDR histogram, µs resolution), in ms. */
export function latencyStats(attempts: readonly ProbeAttempt[], options: AnalysisOptions = {}): LatencyStats {
  const ok = attempts.filter((a) => isSuccess(a, options));
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
 * Client-observed RTO: fault injected → first *sustained* success (N consecutive successful attempts in
 * schedule order, counted from the first failure after the fault). No failure after the fault → RTO 0
 * (`outageObserved: false`). Probe stopped before a sustained success → `lowerBound: true` and the RTO is
 * measured to the end of the last attempt: "at least".
 */
export function clientObservedRto(attempts: readonly ProbeAttempt[], faultAt: number, options: AnalysisOptions = {}): RtoMeasurement {
  const n = Math.max(1, options.sustainedSuccesses ?? 3);
  const sorted = sortAttempts(attempts);
  const failureIndex = sorted.findIndex((a) => a.endedAt > faultAt && !isSuccess(a, options));
  const base = { faultAt, sustainedSuccesses: n };
  if (failureIndex < 0) {
    return { ...base, outageObserved: false, firstFailureAt: null, firstSuccessAt: null, sustainedSuccessAt: null, rtoMs: 0, lowerBound: false };
  }
  const failure = sorted[failureIndex]!;
  let firstSuccessAt: number | null = null;
  let runStart = -1;
  for (let i = failureIndex + 1; i < sorted.length; i += 1) {
    const attempt = sorted[i]!;
    if (isSuccess(attempt, options)) {
      firstSuccessAt ??= attempt.endedAt;
      if (runStart < 0) runStart = i;
      if (i - runStart + 1 >= n) {
        const sustainedAt = sorted[runStart]!.endedAt;
        return { ...base, outageObserved: true, firstFailureAt: failure.startedAt, firstSuccessAt, sustainedSuccessAt: sustainedAt, rtoMs: Math.max(0, sustainedAt - faultAt), lowerBound: false };
      }
    } else {
      runStart = -1;
    }
  }
  const lastEnd = maxOf(sorted.map((a) => a.endedAt));
  return { ...base, outageObserved: true, firstFailureAt: failure.startedAt, firstSuccessAt, sustainedSuccessAt: null, rtoMs: Math.max(0, lastEnd - faultAt), lowerBound: true };
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
    latency: latencyStats(attempts, options),
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
