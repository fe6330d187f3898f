import { formatMargin, formatQuantity } from './format.ts';
import type { RunResults } from './run-results.ts';

/** Metrics compared between runs; all are "lower is better". */
export const COMPARED_METRICS = ['rto', 'rpo', 'latency-p95', 'restore-time', 'execution-time-p95'] as const;

export type ChangeKind = 'regression' | 'improvement' | 'unchanged' | 'new' | 'removed';

export interface MetricChange {
  scenario: string;
  /** A target id, or `probe:<name>.p95` for probe latency. */
  key: string;
  metric: string;
  unit: string;
  before: number | null;
  after: number | null;
  delta: number | null;
  deltaPercent: number | null;
  verdictBefore?: string;
  verdictAfter?: string;
  kind: ChangeKind;
  why: string;
}

export interface RunComparison {
  before: { runId: string; dataOrigin: string };
  after: { runId: string; dataOrigin: string };
  changes: MetricChange[];
  regressions: MetricChange[];
  improvements: MetricChange[];
}

export interface CompareOptions {
  /** A change smaller than this share of the old value is noise. Default 10 %. */
  relativeTolerance?: number;
  /**
   * …or smaller than this absolute amount. Defaults: 250 ms for RTO/RPO/restore time (the probe's
   * calibrated accuracy), 5 ms for latency percentiles.
   */
  absoluteToleranceMs?: { recovery?: number; latency?: number };
}

/**
 * Regressions in RTO/RPO/p95 between two runs (`a` before, `b` after): measured values matched by scenario
 * and target id (plus each probe's p95 latency), a regression when the value grew beyond both tolerances or
 * a verdict went from pass to fail.
 */
export function compareRuns(a: RunResults, b: RunResults, options: CompareOptions = {}): RunComparison {
  const rel = options.relativeTolerance ?? 0.1;
  const absRecovery = options.absoluteToleranceMs?.recovery ?? 250;
  const absLatency = options.absoluteToleranceMs?.latency ?? 5;
  const before = collect(a);
  const after = collect(b);
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changes: MetricChange[] = keys.map((k) => {
    const x = before.get(k);
    const y = after.get(k);
    const ref = (y ?? x)!;
    const base = { scenario: ref.scenario, key: ref.key, metric: ref.metric, unit: ref.unit, ...(x?.verdict ? { verdictBefore: x.verdict } : {}), ...(y?.verdict ? { verdictAfter: y.verdict } : {}) };
    if (!x) return { ...base, before: null, after: y!.value, delta: null, deltaPercent: null, kind: 'new', why: 'only in the later run' };
    if (!y) return { ...base, before: x.value, after: null, delta: null, deltaPercent: null, kind: 'removed', why: 'only in the earlier run' };
    const abs = /latency|p95/.test(ref.metric) ? absLatency : absRecovery;
    const delta = x.value !== null && y.value !== null ? y.value - x.value : null;
    const deltaPercent = delta !== null && x.value ? (100 * delta) / x.value : null;
    const beyond = delta !== null && Math.abs(delta) > abs && (x.value === 0 || Math.abs(delta) > rel * Math.abs(x.value!));
    let kind: ChangeKind = 'unchanged';
    let why = delta === null ? 'not measured in one of the runs' : 'within tolerance';
    if (x.verdict === 'pass' && y.verdict === 'fail') {
      kind = 'regression';
      why = 'verdict went from pass to fail';
    } else if (x.verdict === 'fail' && y.verdict === 'pass') {
      kind = 'improvement';
      why = 'verdict went from fail to pass';
    } else if (beyond && delta! > 0) {
      kind = 'regression';
      why = `grew by more than ${Math.round(rel * 100)}% and ${abs} ms`;
    } else if (beyond && delta! < 0) {
      kind = 'improvement';
      why = `shrank by more than ${Math.round(rel * 100)}% and ${abs} ms`;
    }
    return { ...base, before: x.value, after: y.value, delta, deltaPercent, kind, why };
  });
  return {
    before: { runId: a.runId, dataOrigin: a.dataOrigin },
    after: { runId: b.runId, dataOrigin: b.dataOrigin },
    changes,
    regressions: changes.filter((c) => c.kind === 'regression'),
    improvements: changes.filter((c) => c.kind === 'improvement'),
  };
}

interface Point {
  scenario: string;
  key: string;
  metric: string;
  unit: string;
  value: number | null;
  verdict?: string;
}

function collect(run: RunResults): Map<string, Point> {
  const out = new Map<string, Point>();
  for (const s of run.scenarios) {
    for (const v of s.verdicts) {
      if (!(COMPARED_METRICS as readonly string[]).includes(v.metric)) continue;
      out.set(`${s.id}\u0000${v.targetId}`, { scenario: s.id, key: v.targetId, metric: v.metric, unit: v.unit, value: v.measured, verdict: v.verdict });
    }
    for (const p of s.probes) {
      const key = `probe:${p.summary.name}.p95`;
      out.set(`${s.id}\u0000${key}`, { scenario: s.id, key, metric: 'probe-latency-p95', unit: 'ms', value: p.summary.latency.p95 });
    }
  }
  return out;
}

/** Text for `prodlike report --compare A B`. */
export function renderComparison(c: RunComparison): string {
  const lines = [`Comparing ${c.before.runId} → ${c.after.runId}`];
  if (c.before.dataOrigin === 'synthetic' || c.after.dataOrigin === 'synthetic') lines.push('(at least one run holds SYNTHETIC data)');
  const show = c.changes.filter((x) => x.kind !== 'unchanged');
  if (show.length === 0) lines.push('No changes beyond tolerance in RTO/RPO/p95.');
  for (const x of show) {
    const delta = x.delta === null ? '' : ` (${formatMargin(x.delta, x.unit)}${x.deltaPercent === null ? '' : `, ${x.deltaPercent >= 0 ? '+' : ''}${x.deltaPercent.toFixed(0)}%`})`;
    lines.push(`${x.kind.toUpperCase().padEnd(11)} ${x.scenario} · ${x.key}: ${formatQuantity(x.before, x.unit)} → ${formatQuantity(x.after, x.unit)}${delta} — ${x.why}`);
  }
  lines.push(`${c.regressions.length} regression(s), ${c.improvements.length} improvement(s).`);
  return lines.join('\n');
}
