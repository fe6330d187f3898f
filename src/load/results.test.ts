import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTargets, selectProfile } from '../config/load-targets.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { summarizeQueue } from './queue-sampler.ts';
import { failedRows, formatValue, measuresFromSummary, resultRows, resultTable } from './results.ts';
import { checkResults, crossedThresholds, metricValue, parseExpression, parseK6Summary, sampleCount, thresholdHeld } from './summary.ts';
import { thresholdsFromProfiles } from './thresholds.ts';

/** Shaped like k6 v1.8 handleSummary data of execution-load (trimmed). */
const SUMMARY = {
  state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: 60_000 },
  root_group: {
    name: '', path: '', id: 'x', groups: [],
    checks: [
      { name: 'submit: 202 Accepted with an id', path: '::submit', id: 'a', passes: 180, fails: 0 },
      { name: 'artifact recorded with the submitted size', path: '::artifact', id: 'b', passes: 178, fails: 2 },
    ],
  },
  metrics: {
    http_reqs: { type: 'counter', contains: 'default', values: { count: 900, rate: 15 } },
    http_req_failed: { type: 'rate', contains: 'default', values: { rate: 0.002, passes: 2, fails: 898 }, thresholds: { 'rate<0.05': { ok: true } } },
    http_req_duration: { type: 'trend', contains: 'time', values: { avg: 40, min: 2, med: 20, max: 900, 'p(90)': 150, 'p(95)': 210, 'p(99)': 400, count: 900 }, thresholds: { 'p(95)<500': { ok: true } } },
    'http_req_duration{name:submit}': { type: 'trend', contains: 'time', values: { avg: 60, min: 5, med: 40, max: 900, 'p(90)': 200, 'p(95)': 245.4, 'p(99)': 500, count: 180 }, thresholds: { 'p(95)<200': { ok: false } } },
    'http_req_duration{name:status}': { type: 'trend', contains: 'time', values: { avg: 20, min: 2, med: 10, max: 300, 'p(90)': 50, 'p(95)': 80, 'p(99)': 150, count: 720 }, thresholds: { 'p(95)<200': { ok: true } } },
    execution_success: { type: 'rate', contains: 'default', values: { rate: 178 / 180, passes: 178, fails: 2 }, thresholds: { 'rate>0.95': { ok: true } } },
    execution_e2e: { type: 'trend', contains: 'time', values: { avg: 300, min: 80, med: 250, max: 2000, 'p(90)': 600, 'p(95)': 800, 'p(99)': 1500, count: 178 } },
    execution_queue_wait: { type: 'trend', contains: 'time', values: { avg: 50, min: 1, med: 10, max: 900, 'p(90)': 200, 'p(95)': 300, 'p(99)': 700, count: 180 } },
    executions_submitted: { type: 'counter', contains: 'default', values: { count: 180, rate: 3 } },
    executions_completed: { type: 'counter', contains: 'default', values: { count: 178, rate: 2.97 } },
    executions_unsettled: { type: 'counter', contains: 'default', values: { count: 2, rate: 0.03 } },
    iterations: { type: 'counter', contains: 'default', values: { count: 180, rate: 3 } },
  },
};

const file = await loadTargets(join(PACKAGE_ROOT, 'fixtures', 'targets.yaml'));
const profiles = ['performance', 'execution'].map((n) => {
  const s = selectProfile(file, n);
  return { name: s.name, profile: s.profile, file: s.file };
});

describe('k6 summary parsing', () => {
  const summary = parseK6Summary(JSON.stringify(SUMMARY));

  it('reads values, threshold results, checks and crossed thresholds', () => {
    expect(metricValue(summary, 'http_req_duration{name:submit}', 'p(95)')).toBe(245.4);
    expect(metricValue(summary, 'execution_e2e', 'p(50)')).toBe(250);
    expect(metricValue(summary, 'missing', 'p(95)')).toBeUndefined();
    expect(sampleCount(summary, 'execution_success')).toBe(180);
    expect(thresholdHeld(summary, 'http_req_duration{name:submit}', 'p(95)<200')).toBe(false);
    expect(thresholdHeld(summary, 'http_req_duration{name:submit}', 'p(99)<1')).toBeUndefined();
    expect(crossedThresholds(summary)).toEqual(['http_req_duration{name:submit} p(95)<200']);
    expect(checkResults(summary)).toEqual([
      { name: 'submit: 202 Accepted with an id', passes: 180, fails: 0 },
      { name: 'artifact recorded with the submitted size', passes: 178, fails: 2 },
    ]);
  });

  it('parses threshold expressions', () => {
    expect(parseExpression('p(95)<200')).toEqual({ stat: 'p(95)', op: '<', value: 200 });
    expect(parseExpression('rate>=0.999')).toEqual({ stat: 'rate', op: '>=', value: 0.999 });
    expect(parseExpression('p(99.9) <= 1500')).toEqual({ stat: 'p(99.9)', op: '<=', value: 1500 });
    expect(parseExpression('count<10')).toEqual({ stat: 'count', op: '<', value: 10 });
    expect(parseExpression('nonsense')).toBeUndefined();
  });

  it('rejects what is not a handleSummary document, saying why', () => {
    expect(() => parseK6Summary('not json')).toThrow(/not JSON/);
    expect(() => parseK6Summary('{"metrics": {"x": {"type": "histogram", "values": {}}}}')).toThrow(/handleSummary/);
  });
});

describe('result rows', () => {
  const summary = parseK6Summary(JSON.stringify(SUMMARY));
  const plan = thresholdsFromProfiles(profiles, { endpoints: ['submit', 'status'], metrics: ['execution_success', 'execution_e2e'], offeredRps: 9 });
  const measures = measuresFromSummary(summary, ['submit', 'status']);
  const queueTargets = [{ targetId: 'queue.backlog', limit: 100, doc: '000', for: '10m', source: 'doc 000 §Monitoring Alerts' }];

  it('derives the execution numbers', () => {
    expect(measures.p95ByEndpoint).toEqual({ submit: 245.4, status: 80 });
    expect(measures.executions).toMatchObject({ submitted: 180, completed: 178, failed: 0, unsettled: 2, throughputPerMinute: 178 });
    expect(measures.executions?.endToEndMs).toEqual({ p50: 250, p95: 800, p99: 1500, max: 2000, count: 178 });
    expect(measures.checksFailed).toBe(2);
  });

  it('one row per threshold (merged across profiles) with the k6 verdict, then the queue, then reported values', () => {
    const rows = resultRows({ summary, plan, measures, queue: { report: summarizeQueue([{ at: 0, length: 3 }, { at: 1000, length: 120 }, { at: 2000, length: null }], { limit: 100 }), targets: queueTargets } });
    const byMetric = (m: string) => rows.find((r) => r.metric === m);
    expect(byMetric('submit p95')).toMatchObject({ verdict: 'fail', measured: '245 ms', target: '< 200 ms (api.p95, doc 003)' });
    expect(byMetric('status p95')).toMatchObject({ verdict: 'pass', measured: '80 ms' });
    expect(byMetric('HTTP error rate')).toMatchObject({ verdict: 'pass', measured: '0.20 %', target: '< 5.0 % (alert.error-rate, doc 003; alert.error-rate, doc 000)' });
    expect(byMetric('execution success rate')).toMatchObject({ verdict: 'pass', targetIds: ['alert.error-rate', 'executions.success-rate'] });
    expect(byMetric('queue length peak (LLEN execution-queue)')).toMatchObject({ verdict: 'fail', value: 120, measured: '120 (2 samples)' });
    expect(byMetric('execution end-to-end p50 / p95 / p99')?.measured).toBe('250 ms / 800 ms / 1500 ms');
    expect(rows.filter((r) => r.metric === 'execution success rate')).toHaveLength(1);
    expect(failedRows(rows)).toEqual([
      'submit p95 245 ms (target < 200 ms (api.p95, doc 003))',
      'queue length peak (LLEN execution-queue) 120 (2 samples) (target ≤ 100 (queue.backlog, doc 000; alert: > 100 for 10m))',
    ]);
    const view = resultTable(rows);
    expect(view.headers).toEqual(['metric', 'target (source doc)', 'measured', 'verdict']);
    expect(view.footnotes.some((f) => f.startsWith('api.p95 (doc 003): doc 003 §Performance Targets'))).toBe(true);
  });

  it('a queue without samples is skipped with the reason, not passed', () => {
    const rows = resultRows({ summary, plan, measures, queue: { skipped: 'the kind provider publishes no Redis endpoint', targets: queueTargets } });
    expect(rows.find((r) => r.metric.startsWith('queue length'))).toMatchObject({ verdict: 'skipped', reason: 'the kind provider publishes no Redis endpoint' });
  });

  it('formats values in the target units', () => {
    expect(formatValue(12.345, 'ms')).toBe('12 ms');
    expect(formatValue(4.25, 'ms')).toBe('4.3 ms');
    expect(formatValue(12_500, 'ms')).toBe('12.5 s');
    expect(formatValue(99.96, '%')).toBe('99.960 %');
    expect(formatValue(1016.44, 'req/s')).toBe('1016.4/s');
    expect(formatValue(undefined, 'ms')).toBe('-');
  });
});
