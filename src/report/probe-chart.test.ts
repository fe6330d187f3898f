import { describe, expect, it } from 'vitest';
import type { ProbeAttempt } from '../measure/availability-probe.ts';
import { summarizeProbe } from '../measure/outage.ts';
import { groupLabel } from './chart-markers.ts';
import { busyTimelineRun } from './fixtures/busy-timeline.ts';
import { renderHtmlReport } from './html-report.ts';
import { layoutMarkers, renderProbeChart, type ChartMarker } from './probe-chart.ts';
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

  it('groups a busy timeline (30+ events within a few seconds) into labels that never overlap', () => {
    const x = linearScale(0, 45_000, 70, 1084);
    const markers: ChartMarker[] = [{ at: 8000, kind: 'fault', label: 'fault.injected worker-2 — docker stop' }];
    for (let i = 0; i < 36; i += 1) markers.push({ at: 8600 + i * 110, kind: 'event', label: `${['pod.deleted', 'pod.scheduled', 'container.started', 'pod.ready'][i % 4]} backend-${i}` });
    markers.push({ at: 40_000, kind: 'heal', label: 'fault.healed worker-2' });
    const { placed, rows } = layoutMarkers(markers, x);
    expect(rows).toBeLessThanOrEqual(6);
    expect(placed.filter((p) => p.kind !== 'event').map((p) => p.label)).toEqual(['fault.injected worker-2 — docker stop', 'fault.healed worker-2']);
    const groups = placed.filter((p) => p.members);
    expect(groups.reduce((n, g) => n + g.members!.length, 0) + placed.filter((p) => p.kind === 'event' && !p.members).length).toBe(36);
    for (const row of new Set(placed.map((p) => p.row))) {
      const inRow = placed.filter((p) => p.row === row).sort((a, b) => a.px - b.px);
      for (let i = 1; i < inRow.length; i += 1) expect(inRow[i]!.px, `row ${row}: "${inRow[i - 1]!.text}" overlaps "${inRow[i]!.text}"`).toBeGreaterThan(inRow[i - 1]!.px + inRow[i - 1]!.text.length * 6);
    }
  });

  it('names a group by its event types, most frequent first', () => {
    const m = (label: string): ChartMarker => ({ at: 0, kind: 'event', label });
    expect(groupLabel([m('pod.ready a'), m('pod.ready b'), m('pod.scheduled c')])).toBe('3 events: pod.ready ×2, pod.scheduled');
    expect(groupLabel([...Array.from({ length: 8 }, () => m('pod.ready x')), m('container.started y'), m('pod.deleted z'), m('node.stopped n'), m('endpoint.ready e')])).toMatch(/^12 events: pod\.ready ×8, .*\+\d types?$/);
  });

  it('renders the busy synthetic timeline with grouped labels and the full event list in the hover title', () => {
    const html = renderHtmlReport(busyTimelineRun());
    expect(html).toMatch(/<text [^>]*class="marker"[^>]*>\d+ events: /);
    expect(html).toContain('<g class="marker-group"><title>');
    // Slow answers: the threshold is drawn and stated.
    expect(html).toContain('answers slower than 1000 ms count as failures');
    expect(html).toContain('recovered = 2 s of uninterrupted successes');
    expect(html).not.toContain('NaN');
  });
});
