import { parseExpression, type K6Metric, type K6Summary } from './summary.ts';

/**
 * The runners of a distributed k6 run judge their thresholds each on their own share of the samples (the k6
 * operator's known gap, grafana/k6-operator#115): four runners each under p95 200 ms do not make a p95 under
 * 200 ms. So prodlike reads every runner's raw samples (k6 `--out json`), merges them and computes the summary
 * ONE k6 process would have produced for all of them — percentiles with k6's own interpolation
 * (lib/metrics TrendSink.P) — with every threshold evaluated once on the merged values. Pure: no I/O.
 */

export interface RawSample {
  metric: string;
  /** Epoch milliseconds. */
  time: number;
  value: number;
  tags: Record<string, string>;
}

export type MetricType = K6Metric['type'];

export interface ParsedRawOutput {
  samples: RawSample[];
  /** Metric types from k6's `"type":"Metric"` lines. */
  types: Record<string, MetricType>;
  /** Lines that were not k6 JSON output (the runner's log lines, handleSummary's stdout). */
  otherLines: string[];
}

/** k6's `--out json` lines (any other line is kept aside): Points of the metrics `keep` accepts, and every Metric's type. */
export function parseK6JsonLines(text: string, keep: (metric: string) => boolean = () => true): ParsedRawOutput {
  const samples: RawSample[] = [];
  const types: Record<string, MetricType> = {};
  const otherLines: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{"')) {
      if (trimmed) otherLines.push(trimmed);
      continue;
    }
    let parsed: { type?: string; metric?: string; data?: { type?: string; time?: string; value?: number; tags?: Record<string, string> | null } };
    try {
      parsed = JSON.parse(trimmed) as typeof parsed;
    } catch {
      otherLines.push(trimmed);
      continue;
    }
    if (parsed.type === 'Metric' && parsed.metric && parsed.data?.type) types[parsed.metric] = parsed.data.type as MetricType;
    else if (parsed.type === 'Point' && parsed.metric && keep(parsed.metric) && typeof parsed.data?.value === 'number' && parsed.data.time) {
      samples.push({ metric: parsed.metric, time: Date.parse(parsed.data.time), value: parsed.data.value, tags: parsed.data.tags ?? {} });
    } else if (parsed.type !== 'Point' && parsed.type !== 'Metric') otherLines.push(trimmed);
  }
  return { samples, types, otherLines };
}

/** `http_req_duration{name:get,status:200}` → the metric and the tags a sample must carry. */
export function parseMetricKey(key: string): { metric: string; tags: Record<string, string> } {
  const m = /^([^{]+)(?:\{(.*)\})?$/.exec(key.trim());
  if (!m) return { metric: key, tags: {} };
  const tags: Record<string, string> = {};
  for (const part of (m[2] ?? '').split(',').filter(Boolean)) {
    const at = part.indexOf(':');
    if (at > 0) tags[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return { metric: m[1]!.trim(), tags };
}

export function selectSamples(samples: readonly RawSample[], key: string): RawSample[] {
  const { metric, tags } = parseMetricKey(key);
  const wanted = Object.entries(tags);
  return samples.filter((s) => s.metric === metric && wanted.every(([k, v]) => s.tags[k] === v));
}

/**
 * k6's percentile (TrendSink.P): on the sorted values, rank pct × (n − 1), linear interpolation between the two
 * values around it; one value is itself, none is 0. `pct` in [0, 1].
 */
export function k6Percentile(sorted: readonly number[], pct: number): number {
  if (sorted.length === 0) return 0;
  if (sorted.length === 1) return sorted[0]!;
  const rank = pct * (sorted.length - 1);
  const lo = sorted[Math.floor(rank)]!;
  const hi = sorted[Math.ceil(rank)]!;
  return lo + (hi - lo) * (rank - Math.floor(rank));
}

/** The statistics a trend's summary carries (harness.js TREND_STATS), from raw values. */
export function trendStats(values: readonly number[]): Record<string, number> {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    avg: n ? sum / n : 0,
    min: n ? sorted[0]! : 0,
    med: k6Percentile(sorted, 0.5),
    max: n ? sorted[n - 1]! : 0,
    'p(90)': k6Percentile(sorted, 0.9),
    'p(95)': k6Percentile(sorted, 0.95),
    'p(99)': k6Percentile(sorted, 0.99),
    count: n,
  };
}

/** A trend's statistic named in a threshold (`p(97.5)` included). */
function trendStat(values: readonly number[], stat: string, precomputed: Record<string, number>): number | undefined {
  if (stat in precomputed) return precomputed[stat];
  const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
  return p ? k6Percentile([...values].sort((a, b) => a - b), Number(p[1]) / 100) : undefined;
}

/** Seconds between the first and the last sample (at least 1 ms): the window a merged rate is counted over. */
export function sampleWindowMs(samples: readonly RawSample[]): number {
  if (!samples.length) return 0;
  let first = Infinity;
  let last = -Infinity;
  for (const s of samples) {
    if (s.time < first) first = s.time;
    if (s.time > last) last = s.time;
  }
  return Math.max(1, last - first);
}

function holds(value: number, op: string, bound: number): boolean {
  switch (op) {
    case '<': return value < bound;
    case '<=': return value <= bound;
    case '>': return value > bound;
    case '>=': return value >= bound;
    case '==': return value === bound;
    default: return value !== bound;
  }
}

/** Values of one metric key over samples, in the summary's shape for its type. */
function metricValues(selected: readonly RawSample[], type: MetricType, windowMs: number): { values: Record<string, number>; raw: number[] } {
  const raw = selected.map((s) => s.value);
  if (type === 'trend') return { values: trendStats(raw), raw };
  if (type === 'rate') {
    const passes = raw.filter((v) => v !== 0).length;
    return { values: { rate: raw.length ? passes / raw.length : 0, passes, fails: raw.length - passes }, raw };
  }
  if (type === 'gauge') return { values: { value: raw.at(-1) ?? 0, min: Math.min(...raw), max: Math.max(...raw) }, raw };
  const count = raw.reduce((a, b) => a + b, 0);
  return { values: { count, rate: windowMs > 0 ? count / (windowMs / 1000) : 0 }, raw };
}

export interface MergeInput {
  samples: readonly RawSample[];
  types: Readonly<Record<string, MetricType>>;
  /** The thresholds (metric key → expressions) to evaluate once, on all samples. */
  thresholds: Readonly<Record<string, readonly string[]>>;
  /** Extra metric keys to summarise without a threshold (e.g. `http_req_duration{name:get}`). */
  keys?: readonly string[];
}

/**
 * The summary one k6 process would have written for all these samples (the handleSummary shape the rest of
 * prodlike reads: measuresFromSummary, resultRows), each threshold evaluated on the merged values. Counter rates
 * are per second over the window between the first and the last sample of all runners.
 */
export function mergedSummary(input: MergeInput): K6Summary {
  const windowMs = sampleWindowMs(input.samples.filter((s) => s.metric === 'http_reqs'));
  const keys = new Set([...Object.keys(input.types), ...Object.keys(input.thresholds), ...(input.keys ?? [])]);
  const metrics: K6Summary['metrics'] = {};
  for (const key of keys) {
    const { metric } = parseMetricKey(key);
    const type = input.types[metric];
    if (!type) continue;
    const selected = selectSamples(input.samples, key);
    const { values, raw } = metricValues(selected, type, windowMs || sampleWindowMs(input.samples));
    const expressions = input.thresholds[key] ?? [];
    const thresholds: Record<string, { ok: boolean }> = {};
    for (const expression of expressions) {
      const parsed = parseExpression(expression);
      if (!parsed) continue;
      const v = type === 'trend' ? trendStat(raw, parsed.stat, values) : values[parsed.stat];
      if (v !== undefined) thresholds[expression] = { ok: holds(v, parsed.op, parsed.value) };
    }
    metrics[key] = { type, values, ...(expressions.length ? { thresholds } : {}) };
  }
  return { metrics, state: { testRunDurationMs: windowMs } };
}

/** One runner's (or the merged) headline numbers: requests, rate, p95 of every request, failed-request rate. */
export interface RunnerNumbers {
  requests: number;
  ratePerSecond: number;
  p95Ms: number | undefined;
  errorRate: number | undefined;
  windowMs: number;
}

export function headlineNumbers(samples: readonly RawSample[]): RunnerNumbers {
  const reqs = samples.filter((s) => s.metric === 'http_reqs');
  const durations = samples.filter((s) => s.metric === 'http_req_duration').map((s) => s.value);
  const failed = samples.filter((s) => s.metric === 'http_req_failed').map((s) => s.value);
  const windowMs = sampleWindowMs(reqs);
  const requests = reqs.reduce((a, s) => a + s.value, 0);
  return {
    requests,
    ratePerSecond: windowMs > 0 ? requests / (windowMs / 1000) : 0,
    p95Ms: durations.length ? k6Percentile([...durations].sort((a, b) => a - b), 0.95) : undefined,
    errorRate: failed.length ? failed.filter((v) => v !== 0).length / failed.length : undefined,
    windowMs,
  };
}
