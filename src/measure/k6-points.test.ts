import { describe, expect, it } from 'vitest';
import { latencySeries, latencyWindows, p95Between, parseK6JsonLines, percentile } from './k6-points.ts';

const t0 = Date.parse('2026-01-01T00:00:00Z');
const point = (metric: string, ms: number, value: number, name = 'work') => JSON.stringify({ type: 'Point', metric, data: { time: new Date(t0 + ms).toISOString(), value, tags: { name } } });

describe('k6 JSON points', () => {
  it('keeps only duration and failed points, skips metric lines and a cut last line', () => {
    const text = [
      JSON.stringify({ type: 'Metric', metric: 'http_req_duration', data: {} }),
      point('http_req_duration', 1000, 120),
      point('http_req_failed', 1000, 0),
      point('http_req_waiting', 1000, 100),
      point('http_req_duration', 500, 80),
      '{"type":"Point","metric":"http_req_dur',
    ].join('\n');
    const p = parseK6JsonLines(text);
    expect(p.duration).toEqual([{ at: t0 + 500, value: 80 }, { at: t0 + 1000, value: 120 }]);
    expect(p.failed).toHaveLength(1);
    expect(parseK6JsonLines(point('http_req_duration', 0, 1, 'other'), { name: 'work' }).duration).toEqual([]);
  });

  it('percentile interpolates like k6', () => {
    expect(percentile([], 95)).toBeUndefined();
    expect(percentile([10], 95)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 95)).toBeCloseTo(10.5);
  });

  it('windows p95, rate and failures; p95 between two times', () => {
    const lines: string[] = [];
    for (let i = 0; i < 10; i++) lines.push(point('http_req_duration', i * 1000, 100), point('http_req_failed', i * 1000, 0));
    for (let i = 0; i < 10; i++) lines.push(point('http_req_duration', 10_000 + i * 1000, 1000), point('http_req_failed', 10_000 + i * 1000, i < 5 ? 1 : 0));
    const p = parseK6JsonLines(lines.join('\n'));
    const w = latencyWindows(p, 10_000);
    expect(w.map((x) => [x.count, x.p95, x.failedRate])).toEqual([[10, 100, 0], [10, 1000, 0.5]]);
    expect(p95Between(p, t0, t0 + 10_000)).toEqual({ p95: 100, count: 10 });
    const s = latencySeries(w, 10_000);
    expect(s[0]!.points).toEqual([{ at: t0 + 5000, value: 100 }, { at: t0 + 15_000, value: 1000 }]);
    expect(s[1]!.points[0]!.value).toBe(1);
    expect(s[2]!.points[1]!.value).toBe(50);
  });
});
