import { describe, expect, it } from 'vitest';
import type { ProbeAttempt } from '../measure/availability-probe.ts';
import { summarizeProbe } from '../measure/outage.ts';
import { layoutMarkers, renderProbeChart } from './probe-chart.ts';
import { linearScale } from './svg-scale.ts';

// SYNTHETIC attempts, generated here.
function attempts(n: number, failFrom: number, failTo: number): ProbeAttempt[] {
  return Array.from({ length: n }, (_, i) => {
    const ok = i < failFrom || i >= failTo;
    return { startedAt: i * 100, endedAt: i * 100 + 2, ok, latencyMs: 2, ...(ok ? {} : { error: 'ECONNREFUSED' }) };
  });
}

describe('renderProbeChart', () => {
  it('draws points, failures, the outage window and markers as inline SVG', () => {
    const a = attempts(300, 100, 130);
    const summary = summarizeProbe({ name: 'p', kind: 'http', target: 'GET /', intervalMs: 100, timeoutMs: 1000, startedAt: 0, stoppedAt: 30_000, attempts: a, skippedTicks: 0 });
    const svg = renderProbeChart({ summary, attempts: a, t0: 0, t1: 30_000, markers: [{ at: 10_000, kind: 'fault', label: 'fault.injected api' }] });
    expect(svg).toMatch(/^<svg class="chart" viewBox="0 0 1100 \d+"/);
    expect(svg).toContain('<title>outage 3.002 s: +10.000 s → +13.002 s, 30 failed attempt(s); ECONNREFUSED ×30</title>');
    expect(svg).toContain('fault.injected api');
    expect(svg).not.toContain('NaN');
  });

  it('draws large records per pixel column instead of one mark per attempt', () => {
    const a = attempts(20_000, 5000, 5100);
    const summary = summarizeProbe({ name: 'p', kind: 'http', target: 'GET /', intervalMs: 100, timeoutMs: 1000, startedAt: 0, stoppedAt: 2_000_000, attempts: a, skippedTicks: 0 });
    const svg = renderProbeChart({ summary, attempts: a, t0: 0, t1: 2_000_000 });
    expect(svg.length).toBeLessThan(200_000);
    expect(svg).toMatch(/V[\d.]+M/);
  });

  it('puts overlapping marker labels on separate rows', () => {
    const x = linearScale(0, 10_000, 70, 1084);
    const { placed, rows } = layoutMarkers(
      [
        { at: 1000, kind: 'fault', label: 'fault.injected redis — docker kill' },
        { at: 1010, kind: 'event', label: 'container.died redis' },
        { at: 1300, kind: 'event', label: 'container.started redis' },
        { at: 9000, kind: 'heal', label: 'fault.healed' },
      ],
      x,
    );
    expect(rows).toBe(3);
    expect(placed.map((p) => p.row)).toEqual([0, 1, 2, 0]);
  });
});
