import { describe, expect, it } from 'vitest';
import { analyzePromql } from './promql.ts';

describe('analyzePromql (Prometheus\' lezer grammar)', () => {
  it("reads document 001's PodCrashLooping: the counter, rate over 15m, compared > 0", () => {
    const a = analyzePromql('rate(kube_pod_container_status_restarts_total[15m]) > 0');
    expect(a.error).toBeUndefined();
    expect(a.selectors).toEqual([{ metric: 'kube_pod_container_status_restarts_total', matchers: [], text: 'kube_pod_container_status_restarts_total', rangeSeconds: 900, fn: 'rate' }]);
    expect(a.comparisons).toMatchObject([{ op: '>', threshold: 0, selectors: [{ metric: 'kube_pod_container_status_restarts_total' }] }]);
  });

  it('reads label matchers, divisions and a number on the left', () => {
    const a = analyzePromql('sum(rate(http_requests_total{status=~"5..", job!="x"}[5m]))\n/\nsum(rate(http_requests_total[5m])) > 0.05');
    expect(a.selectors.map((s) => [s.metric, s.matchers, s.fn])).toEqual([
      ['http_requests_total', [{ label: 'status', op: '=~', value: '5..' }, { label: 'job', op: '!=', value: 'x' }], 'rate'],
      ['http_requests_total', [], 'rate'],
    ]);
    expect(a.divisions).toHaveLength(1);
    expect(a.comparisons[0]).toMatchObject({ op: '>', threshold: 0.05 });
    const b = analyzePromql('1 <= increase({__name__="foo", a="b"}[1h])');
    expect(b.comparisons[0]).toMatchObject({ op: '>=', threshold: 1, selectors: [{ metric: 'foo', matchers: [{ label: 'a', op: '=', value: 'b' }], fn: 'increase', rangeSeconds: 3600 }] });
  });

  it('says where an expression does not parse', () => {
    expect(analyzePromql('up{job="x"} ==').error).toMatch(/does not parse at character/);
  });
});
