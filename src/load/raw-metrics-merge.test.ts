import { describe, expect, it } from 'vitest';
import { headlineNumbers, k6Percentile, mergedSummary, parseK6JsonLines, parseMetricKey, trendStats, type RawSample } from './raw-metrics-merge.ts';

const T0 = Date.parse('2026-12-04T20:00:00Z');

/** k6 `--out json` lines for one request: http_reqs, http_req_duration and http_req_failed. */
function requestLines(runner: number, i: number, ms: number, failed: boolean, name = 'get'): string[] {
  const time = new Date(T0 + i * 1000).toISOString();
  const tags = JSON.stringify({ name, status: failed ? '500' : '200', instance_id: String(runner) });
  return [
    `{"metric":"http_reqs","type":"Point","data":{"time":"${time}","value":1,"tags":${tags}}}`,
    `{"metric":"http_req_duration","type":"Point","data":{"time":"${time}","value":${ms},"tags":${tags}}}`,
    `{"metric":"http_req_failed","type":"Point","data":{"time":"${time}","value":${failed ? 1 : 0},"tags":${tags}}}`,
  ];
}
const METRIC_LINES = [
  '{"type":"Metric","data":{"name":"http_reqs","type":"counter","contains":"default","thresholds":[],"submetrics":null},"metric":"http_reqs"}',
  '{"type":"Metric","data":{"name":"http_req_duration","type":"trend","contains":"time","thresholds":[],"submetrics":null},"metric":"http_req_duration"}',
  '{"type":"Metric","data":{"name":"http_req_failed","type":"rate","contains":"default","thresholds":[],"submetrics":null},"metric":"http_req_failed"}',
];

/** The hand-computable case: runner 0 took 10, 20, 30, 40 ms (the last failed), runner 1 50..100 ms (the last failed). */
function twoRunners(): { a: string; b: string } {
  const a = [...METRIC_LINES, ...[10, 20, 30, 40].flatMap((ms, i) => requestLines(0, i, ms, i === 3)), 'summary: 4 requests (0.8/s), p95 38.5 ms'];
  const b = [...METRIC_LINES, ...[50, 60, 70, 80, 90, 100].flatMap((ms, i) => requestLines(1, i, ms, i === 5))];
  return { a: a.join('\n'), b: b.join('\n') };
}

describe('k6Percentile (k6 TrendSink.P)', () => {
  it('interpolates between the two ranks around pct × (n − 1)', () => {
    expect(k6Percentile([10, 20, 30, 40], 0.95)).toBeCloseTo(38.5, 10); // rank 2.85: 30 + 0.85 × 10
    expect(k6Percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((x) => x * 10), 0.95)).toBeCloseTo(95.5, 10); // rank 8.55
    expect(k6Percentile([7], 0.95)).toBe(7);
    expect(k6Percentile([], 0.95)).toBe(0);
    expect(trendStats([3, 1, 2]).med).toBe(2);
  });
});

describe('parseK6JsonLines', () => {
  it('keeps Points and metric types, sets other lines aside', () => {
    const parsed = parseK6JsonLines(twoRunners().a, (m) => m !== 'http_reqs');
    expect(parsed.types).toEqual({ http_reqs: 'counter', http_req_duration: 'trend', http_req_failed: 'rate' });
    expect(parsed.samples.filter((s) => s.metric === 'http_req_duration').map((s) => s.value)).toEqual([10, 20, 30, 40]);
    expect(parsed.samples.some((s) => s.metric === 'http_reqs')).toBe(false);
    expect(parsed.otherLines).toEqual(['summary: 4 requests (0.8/s), p95 38.5 ms']);
    expect(parsed.samples[0]!.tags).toEqual({ name: 'get', status: '200', instance_id: '0' });
  });

  it('parses metric keys with tags', () => {
    expect(parseMetricKey('http_req_duration{name:get,status:200}')).toEqual({ metric: 'http_req_duration', tags: { name: 'get', status: '200' } });
    expect(parseMetricKey('http_req_failed')).toEqual({ metric: 'http_req_failed', tags: {} });
  });
});

describe('mergedSummary: judged once on all runners\' samples', () => {
  const { a, b } = twoRunners();
  const pa = parseK6JsonLines(a);
  const pb = parseK6JsonLines(b);
  const samples: RawSample[] = [...pa.samples, ...pb.samples];

  it('the hand computation: merged p95 95.5 ms and 2/10 failed, where the runners alone say 38.5 and 97.5 ms', () => {
    expect(headlineNumbers(pa.samples).p95Ms).toBeCloseTo(38.5, 10);
    expect(headlineNumbers(pb.samples).p95Ms).toBeCloseTo(97.5, 10); // rank 4.75: 90 + 0.75 × 10
    const merged = headlineNumbers(samples);
    expect(merged.p95Ms).toBeCloseTo(95.5, 10);
    expect(merged.errorRate).toBeCloseTo(0.2, 10);
    expect(merged.requests).toBe(10);
    expect(merged.windowMs).toBe(5000); // first sample t0, last t0 + 5 s
    expect(merged.ratePerSecond).toBeCloseTo(2, 10);
  });

  it('p95 < 96 ms: runner 1 alone crosses it (its Job would exit 99), all the samples together hold it (k6-operator#115)', () => {
    const thresholds = { http_req_duration: ['p(95)<96', 'p(95)<90'], 'http_req_failed': ['rate<0.25'] };
    const alone = [pa, pb].map((p) => mergedSummary({ samples: p.samples, types: p.types, thresholds }));
    expect(alone.map((s) => s.metrics.http_req_duration!.thresholds!['p(95)<96']!.ok)).toEqual([true, false]);
    const summary = mergedSummary({ samples, types: { ...pa.types, ...pb.types }, thresholds });
    expect(summary.metrics.http_req_duration!.values['p(95)']).toBeCloseTo(95.5, 10);
    expect(summary.metrics.http_req_duration!.thresholds).toEqual({ 'p(95)<96': { ok: true }, 'p(95)<90': { ok: false } });
    expect(summary.metrics.http_req_failed!.values).toEqual({ rate: 0.2, passes: 2, fails: 8 });
    expect(summary.metrics.http_req_failed!.thresholds).toEqual({ 'rate<0.25': { ok: true } });
    expect(summary.metrics.http_reqs!.values).toEqual({ count: 10, rate: 2 });
  });

  it('submetrics select by tag and percentiles outside the summary stats are computed', () => {
    const extra = parseK6JsonLines([...METRIC_LINES, ...requestLines(2, 0, 500, false, 'list')].join('\n'));
    const summary = mergedSummary({ samples: [...samples, ...extra.samples], types: pa.types, thresholds: { 'http_req_duration{name:list}': ['p(97.5)<400'] }, keys: ['http_req_duration{name:get}'] });
    expect(summary.metrics['http_req_duration{name:list}']!.values.count).toBe(1);
    expect(summary.metrics['http_req_duration{name:list}']!.thresholds).toEqual({ 'p(97.5)<400': { ok: false } });
    expect(summary.metrics['http_req_duration{name:get}']!.values['p(95)']).toBeCloseTo(95.5, 10);
  });
});
