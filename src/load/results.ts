import type { QueueGrowth, QueueReport } from './queue-sampler.ts';
import { checkResults, metricValue, parseExpression, sampleCount, thresholdHeld, type K6Summary } from './summary.ts';
import type { ThresholdMapping, ThresholdPlan } from './thresholds.ts';

/**
 * From a k6 summary (+ the queue samples) to the numbers prodlike reports and the rows of the result
 * table: metric · target (source document) · measured · verdict. Pure.
 */
export interface Percentiles {
  p50?: number | undefined;
  p95?: number | undefined;
  p99?: number | undefined;
  max?: number | undefined;
  count: number;
}

export interface ExecutionMeasures {
  submitted: number;
  completed: number;
  failed: number;
  /** Still QUEUED/RUNNING when the script stopped polling. */
  unsettled: number;
  /** Completed with the artifact recorded / all submit attempts (fraction). */
  successRate?: number | undefined;
  endToEndMs: Percentiles;
  queueWaitMs: Percentiles;
  runTimeMs: Percentiles;
  /** Executions completed per minute over the whole k6 run. */
  throughputPerMinute?: number | undefined;
}

export interface LoadMeasures {
  testRunDurationMs?: number | undefined;
  requests: number;
  requestRate?: number | undefined;
  /** Fraction of HTTP requests that failed (status >= 400 or no response). */
  httpErrorRate?: number | undefined;
  p95Ms?: number | undefined;
  /** p95 per request name (`submit`, `status`…), when the summary has the submetric. */
  p95ByEndpoint: Record<string, number | undefined>;
  iterations: number;
  /** Arrivals k6 could not start (no free VU): the offered rate was not delivered. */
  droppedIterations: number;
  checksFailed: number;
  checksPassed: number;
  executions?: ExecutionMeasures | undefined;
}

const percentiles = (s: K6Summary, key: string): Percentiles => ({
  p50: metricValue(s, key, 'med'),
  p95: metricValue(s, key, 'p(95)'),
  p99: metricValue(s, key, 'p(99)'),
  max: metricValue(s, key, 'max'),
  count: sampleCount(s, key),
});

export function measuresFromSummary(summary: K6Summary, endpoints: string[]): LoadMeasures {
  const checks = checkResults(summary);
  const count = (key: string) => metricValue(summary, key, 'count') ?? 0;
  const durationMs = summary.state?.testRunDurationMs;
  const measures: LoadMeasures = {
    testRunDurationMs: durationMs,
    requests: count('http_reqs'),
    requestRate: metricValue(summary, 'http_reqs', 'rate'),
    httpErrorRate: metricValue(summary, 'http_req_failed', 'rate'),
    p95Ms: metricValue(summary, 'http_req_duration', 'p(95)'),
    p95ByEndpoint: Object.fromEntries(endpoints.map((e) => [e, metricValue(summary, `http_req_duration{name:${e}}`, 'p(95)')])),
    iterations: count('iterations'),
    droppedIterations: count('dropped_iterations'),
    checksFailed: checks.reduce((n, c) => n + c.fails, 0),
    checksPassed: checks.reduce((n, c) => n + c.passes, 0),
  };
  if (summary.metrics.execution_success) {
    const completed = count('executions_completed');
    measures.executions = {
      submitted: count('executions_submitted'),
      completed,
      failed: count('executions_failed'),
      unsettled: count('executions_unsettled'),
      successRate: metricValue(summary, 'execution_success', 'rate'),
      endToEndMs: percentiles(summary, 'execution_e2e'),
      queueWaitMs: percentiles(summary, 'execution_queue_wait'),
      runTimeMs: percentiles(summary, 'execution_run_time'),
      throughputPerMinute: durationMs ? (completed / durationMs) * 60_000 : undefined,
    };
  }
  return measures;
}

export type RowVerdict = 'pass' | 'fail' | 'skipped' | 'info';

export interface ResultRow {
  metric: string;
  /** `< 200 ms (api.p95, doc 003)`; `-` for reported values without a bound. */
  target: string;
  measured: string;
  verdict: RowVerdict;
  value?: number | undefined;
  unit?: string | undefined;
  targetIds: string[];
  /** Footnotes under the table: `api.p95 (doc 003)` -> `doc 003 §section — "quote"`, and how a value was derived. */
  sources: { key: string; text: string }[];
  reason?: string | undefined;
  /** k6 metric key and expression, for the JSON result. */
  k6?: { key: string; expression: string } | undefined;
}

const OPS: Record<string, string> = { '<': '<', '<=': '≤', '>': '>', '>=': '≥' };

export function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  if (unit === 'ms') return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
  if (unit === '%') return `${value >= 99.95 && value < 100 ? value.toFixed(3) : value < 1 && value > 0 ? value.toFixed(2) : value.toFixed(1)} %`;
  if (unit === 'req/s' || unit === '/s') return `${value.toFixed(1)}/s`;
  if (unit === '/min') return `${value.toFixed(1)}/min`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** Value of a mapping's metric in the target's unit (rates of k6 are fractions; targets are %). */
function mappedValue(summary: K6Summary, m: ThresholdMapping): number | undefined {
  const parsed = parseExpression(m.expression);
  if (!parsed) return undefined;
  const raw = metricValue(summary, m.key, parsed.stat);
  if (raw === undefined) return undefined;
  return m.unit === '%' && parsed.stat === 'rate' ? raw * 100 : raw;
}

export interface QueueCheck {
  report?: QueueReport | undefined;
  growth?: QueueGrowth | undefined;
  /** Why there is no queue report (no Redis endpoint…). */
  skipped?: string | undefined;
  /** The queue-length targets of the selected profiles. */
  targets: { targetId: string; limit: number; source: string; doc: string; for?: string | undefined }[];
}

/** One row per generated threshold, merged across the profiles that asked for the same bound. */
function thresholdRows(summary: K6Summary, plan: ThresholdPlan, docOf: (source: string) => string): ResultRow[] {
  const rows: ResultRow[] = [];
  const groups = new Map<string, ThresholdMapping[]>();
  for (const m of plan.mappings) {
    const k = `${m.key} ${m.expression}`;
    groups.set(k, [...(groups.get(k) ?? []), m]);
  }
  for (const group of groups.values()) {
    const m = group[0]!;
    const held = thresholdHeld(summary, m.key, m.expression);
    const value = mappedValue(summary, m);
    const noSamples = sampleCount(summary, m.key) === 0;
    const ids = group.map((g) => `${g.targetId}, doc ${docOf(g.source)}`);
    const verdict: RowVerdict = noSamples ? 'skipped' : held === undefined ? 'skipped' : held ? 'pass' : 'fail';
    rows.push({
      metric: m.label,
      target: `${OPS[m.comparator]} ${formatValue(m.limit, m.unit)} (${[...new Set(ids)].join('; ')})`,
      measured: formatValue(value, m.unit),
      verdict,
      value,
      unit: m.unit,
      targetIds: [...new Set(group.map((g) => g.targetId))],
      sources: group.flatMap((g) => [
        { key: `${g.targetId} (doc ${docOf(g.source)})`, text: g.reference },
        ...(g.derivedFrom ? [{ key: `${m.label}`, text: `derived from ${g.derivedFrom}` }] : []),
        ...(g.note ? [{ key: 'alert thresholds', text: 'an alert fires only when its condition lasts its `for` (5m, 10m); a run checks the whole-run value' }] : []),
      ]),
      ...(noSamples ? { reason: `no samples of ${m.key}` } : held === undefined ? { reason: 'k6 did not evaluate this threshold' } : {}),
      k6: { key: m.key, expression: m.expression },
    });
  }
  return rows;
}

/** The queue-length peak per target and, when measured, the queue's trend during the arrivals. */
function queueRows(q: QueueCheck): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const t of q.targets) {
    const peak = q.report?.peak ?? undefined;
    const verdict: RowVerdict = peak === undefined || peak === null ? 'skipped' : peak <= t.limit ? 'pass' : 'fail';
    rows.push({
      metric: 'queue length peak (LLEN execution-queue)',
      target: `≤ ${t.limit} (${t.targetId}, doc ${t.doc}${t.for ? `; alert: > ${t.limit} for ${t.for}` : ''})`,
      measured: peak === undefined || peak === null ? '-' : `${peak}${q.report ? ` (${q.report.answered} samples)` : ''}`,
      verdict,
      value: peak ?? undefined,
      unit: 'count',
      targetIds: [t.targetId],
      sources: [{ key: `${t.targetId} (doc ${t.doc})`, text: t.source }],
      ...(verdict === 'skipped' ? { reason: q.skipped ?? 'no queue sample answered' } : {}),
    });
  }
  if (q.growth) {
    rows.push({
      metric: 'queue trend during arrivals',
      target: '-',
      measured: `${q.growth.slopePerSecond >= 0 ? '+' : ''}${q.growth.slopePerSecond.toFixed(2)}/s (${q.growth.growing ? `growing; ~${Math.round(q.growth.projected)} after 10 min` : 'steady'})`,
      verdict: 'info',
      value: q.growth.slopePerSecond,
      unit: '/s',
      targetIds: [],
      sources: [],
    });
  }
  return rows;
}

/** The table rows: every generated threshold (merged across profiles), the queue, reported targets, then key numbers. */
export function resultRows(input: { summary: K6Summary; plan: ThresholdPlan; queue?: QueueCheck | undefined; measures: LoadMeasures; docOf?: (source: string) => string }): ResultRow[] {
  const { summary, plan, measures } = input;
  const docOf = input.docOf ?? ((s: string) => /^doc (\d{3})/.exec(s)?.[1] ?? s);
  const rows: ResultRow[] = [];

  rows.push(...thresholdRows(summary, plan, docOf));
  if (input.queue) rows.push(...queueRows(input.queue));

  for (const r of plan.reported) {
    const row = reportedRow(r.metric, measures);
    if (!row) continue;
    const source = { key: `${r.targetId} (doc ${docOf(r.source)})`, text: `${r.reference} (reported, no bound)` };
    // Already a row for this quantity (bounded by another profile): note the reporting target there.
    const existing = rows.find((x) => x.metric === row.metric && x.verdict !== 'info');
    if (existing) {
      existing.targetIds.push(r.targetId);
      existing.sources.push(source);
      continue;
    }
    rows.push({ ...row, target: `- (${r.targetId}, doc ${docOf(r.source)}: reported, no bound)`, verdict: 'info', targetIds: [r.targetId], sources: [source] });
  }

  const info = (metric: string, value: number | undefined, unit: string, measured?: string) =>
    rows.push({ metric, target: '-', measured: measured ?? formatValue(value, unit), verdict: 'info', value, unit, targetIds: [], sources: [] });
  const e = measures.executions;
  if (e) {
    info('execution end-to-end p50 / p95 / p99', e.endToEndMs.p95, 'ms', `${formatValue(e.endToEndMs.p50, 'ms')} / ${formatValue(e.endToEndMs.p95, 'ms')} / ${formatValue(e.endToEndMs.p99, 'ms')}`);
    info('queue wait p50 / p95 / p99', e.queueWaitMs.p95, 'ms', `${formatValue(e.queueWaitMs.p50, 'ms')} / ${formatValue(e.queueWaitMs.p95, 'ms')} / ${formatValue(e.queueWaitMs.p99, 'ms')}`);
    info('throughput (executions completed)', e.throughputPerMinute, '/min');
    info('executions submitted / completed / failed / unsettled', e.completed, 'count', `${e.submitted} / ${e.completed} / ${e.failed} / ${e.unsettled}`);
  }
  info('requests (rate)', measures.requestRate, 'req/s', `${measures.requests} (${formatValue(measures.requestRate, 'req/s')})`);
  if (measures.droppedIterations > 0) info('dropped arrivals (no free VU)', measures.droppedIterations, 'count');
  if (measures.checksFailed > 0) info('failed k6 checks', measures.checksFailed, 'count', `${measures.checksFailed} of ${measures.checksFailed + measures.checksPassed}`);
  return rows;
}

function reportedRow(metric: string, m: LoadMeasures): Omit<ResultRow, 'target' | 'verdict' | 'targetIds' | 'sources'> | undefined {
  switch (metric) {
    case 'latency-p95':
      return { metric: 'all requests p95', measured: formatValue(m.p95Ms, 'ms'), value: m.p95Ms, unit: 'ms' };
    case 'success-rate': {
      const v = m.executions?.successRate;
      return v === undefined ? undefined : { metric: 'execution success rate', measured: formatValue(v * 100, '%'), value: v * 100, unit: '%' };
    }
    case 'execution-time-p95': {
      const v = m.executions?.endToEndMs.p95;
      return v === undefined ? undefined : { metric: 'execution end-to-end p95', measured: formatValue(v, 'ms'), value: v, unit: 'ms' };
    }
    case 'error-rate':
      return { metric: 'HTTP error rate', measured: formatValue((m.httpErrorRate ?? 0) * 100, '%'), value: (m.httpErrorRate ?? 0) * 100, unit: '%' };
    default:
      return undefined;
  }
}

/** `submit p95 245 ms (< 200 ms)`: the failing rows in one line each. */
export function failedRows(rows: ResultRow[]): string[] {
  return rows.filter((r) => r.verdict === 'fail').map((r) => `${r.metric} ${r.measured} (target ${r.target})`);
}



const MARK: Record<RowVerdict, string> = { pass: '✔ pass', fail: '✖ FAIL', skipped: '○ skipped', info: '' };

/** Header and cells of the result table: metric · target (source doc) · measured · verdict. */
export function resultTable(rows: ResultRow[]): { headers: string[]; cells: string[][]; footnotes: string[] } {
  const cells = rows.map((r) => [r.metric, r.target, r.measured, r.verdict === 'skipped' && r.reason ? `${MARK.skipped}: ${r.reason}` : MARK[r.verdict]]);
  const seen = new Map<string, string>();
  for (const s of rows.flatMap((r) => r.sources)) if (!seen.has(s.key)) seen.set(s.key, s.text);
  const footnotes = [...seen].map(([k, v]) => `${k}: ${v}`);
  return { headers: ['metric', 'target (source doc)', 'measured', 'verdict'], cells, footnotes };
}
