import type { ProbeAttempt } from '../measure/availability-probe.ts';
import type { ProbeSummary } from '../measure/outage.ts';
import { layoutMarkers, markerBand, renderMarkers, type ChartMarker } from './chart-markers.ts';
import { escapeXml as esc } from './escape.ts';
import { formatOffset } from './format.ts';
import { linearScale, logScale, offsetLabel, round1 as r, timeTicks } from './svg-scale.ts';

export type { ChartMarker } from './chart-markers.ts';
export { layoutMarkers, markerBand, renderMarkers } from './chart-markers.ts';

export interface ProbeChartInput {
  summary: ProbeSummary;
  attempts: readonly ProbeAttempt[];
  /** The x domain: scenario start and end (epoch ms). */
  t0: number;
  t1: number;
  markers?: readonly ChartMarker[];
  width?: number;
}

const COLORS = { ok: '#2e7d32', fail: '#c62828', slow: '#ef6c00', outage: 'rgba(229,57,53,0.13)' };

/**
 * One probe as an inline SVG: latency of successful attempts over time (log scale), failures as red ticks
 * in their own lane, an availability strip, shaded outage windows and vertical fault/event markers.
 * Above ~2000 attempts, successes are drawn per pixel column as min–max segments.
 */
export function renderProbeChart(input: ProbeChartInput): string {
  const W = input.width ?? 1100;
  const t0 = input.t0;
  const t1 = Math.max(input.t1, t0 + 1);
  const xOnly = linearScale(t0, t1, 70, W - 16);
  const layout = layoutMarkers(input.markers ?? [], xOnly);
  const m = { left: 70, right: 16, top: markerBand(layout.rows) };
  const plotH = 170;
  const failY = m.top + plotH + 6;
  const failH = 16;
  const availY = failY + failH + 4;
  const availH = 9;
  const axisY = availY + availH;
  const H = axisY + 34;
  const x = linearScale(t0, t1, m.left, W - m.right);
  const { attempts, summary } = input;
  const ok = attempts.filter((a) => a.ok);
  // With a client-side threshold, an answer slower than it is a failure (outage.ts `isSuccess`).
  const slowMs = summary.slowThresholdMs;
  const good = (a: ProbeAttempt) => a.ok && (slowMs === undefined || a.latencyMs <= slowMs);
  const maxLatency = ok.reduce((m, a) => Math.max(m, a.latencyMs), Math.max(summary.timeoutMs, 1));
  const minLatency = ok.reduce((m, a) => Math.min(m, a.latencyMs), maxLatency);
  const yMin = 10 ** Math.floor(Math.log10(Math.max(minLatency, 0.01)));
  const yMax = 10 ** Math.ceil(Math.log10(maxLatency));
  const y = logScale(yMin, yMax, m.top + plotH, m.top);
  const parts: string[] = [];

  parts.push(`<rect x="${m.left}" y="${m.top}" width="${r(W - m.left - m.right)}" height="${plotH}" fill="#fafafa" stroke="#ddd"/>`);
  for (let v = yMin; v <= yMax * 1.0001; v *= 10) {
    parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${r(y(v))}" y2="${r(y(v))}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${m.left - 6}" y="${r(y(v) + 4)}" text-anchor="end" class="tick">${latencyLabel(v)}</text>`);
  }
  if (slowMs !== undefined && slowMs >= yMin && slowMs <= yMax) {
    parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${r(y(slowMs))}" y2="${r(y(slowMs))}" stroke="${COLORS.slow}" stroke-dasharray="6 3"><title>${esc(`answers slower than ${slowMs} ms count as failures`)}</title></line>`);
    parts.push(`<text x="${W - m.right - 4}" y="${r(y(slowMs) - 3)}" text-anchor="end" class="tick" fill="${COLORS.slow}">slower than ${esc(latencyLabel(slowMs))} = failure</text>`);
  }
  parts.push(`<text x="14" y="${m.top + plotH / 2}" transform="rotate(-90 14 ${m.top + plotH / 2})" text-anchor="middle" class="axis">latency (log)</text>`);
  parts.push(`<text x="${m.left - 6}" y="${failY + 12}" text-anchor="end" class="tick" fill="${COLORS.fail}">failed</text>`);
  parts.push(`<text x="${m.left - 6}" y="${availY + 8}" text-anchor="end" class="tick">avail.</text>`);

  // Outage windows (behind the points).
  for (const w of summary.outages) {
    const x0 = x(w.start);
    const x1 = Math.max(x(w.end), x0 + 1);
    const title = `outage ${(w.durationMs / 1000).toFixed(3)} s${w.recovered ? '' : ' (not recovered when the probe stopped)'}: ${formatOffset(w.start, t0)} → ${formatOffset(w.end, t0)}, ${w.failedAttempts} failed attempt(s); ${w.errors.map((e) => `${e.error} ×${e.count}`).join('; ')}`;
    parts.push(`<rect x="${r(x0)}" y="${m.top}" width="${r(x1 - x0)}" height="${availY + availH - m.top}" fill="${COLORS.outage}" stroke="rgba(198,40,40,0.35)" stroke-dasharray="2 2"><title>${esc(title)}</title></rect>`);
    if (x1 - x0 > 40) parts.push(`<text x="${r((x0 + x1) / 2)}" y="${m.top + 13}" text-anchor="middle" class="outage-label">${esc(`${(w.durationMs / 1000).toFixed(2)} s`)}</text>`);
  }

  // Successful attempts.
  if (ok.length <= 2000) {
    const dots = ok.map((a) => `M${r(x(a.startedAt))} ${r(y(a.latencyMs))}h0`).join('');
    parts.push(`<path d="${dots}" stroke="${COLORS.ok}" stroke-width="3" stroke-linecap="round" opacity="0.75"/>`);
  } else {
    const columns = new Map<number, { lo: number; hi: number }>();
    for (const a of ok) {
      const col = Math.round(x(a.startedAt));
      const c = columns.get(col);
      if (c) {
        c.lo = Math.min(c.lo, a.latencyMs);
        c.hi = Math.max(c.hi, a.latencyMs);
      } else columns.set(col, { lo: a.latencyMs, hi: a.latencyMs });
    }
    const d = [...columns].map(([col, c]) => `M${col} ${r(y(c.lo) + 1)}V${r(y(c.hi) - 1)}`).join('');
    parts.push(`<path d="${d}" stroke="${COLORS.ok}" stroke-width="1.5" opacity="0.8"/>`);
  }

  // Failures: one tick per pixel column, titled with the error.
  const failCols = new Map<number, ProbeAttempt[]>();
  for (const a of attempts) {
    if (good(a)) continue;
    const col = Math.round(x(a.startedAt));
    const list = failCols.get(col) ?? [];
    list.push(a);
    failCols.set(col, list);
  }
  for (const [col, list] of failCols) {
    const first = list[0]!;
    const slow = list.every((a) => a.ok);
    const why = first.ok ? `answered in ${first.latencyMs.toFixed(0)} ms, slower than ${slowMs ?? '?'} ms` : (first.error ?? 'failed');
    parts.push(`<line x1="${col}" x2="${col}" y1="${failY + 2}" y2="${failY + failH - 2}" stroke="${slow ? COLORS.slow : COLORS.fail}" stroke-width="1.6"><title>${esc(`${formatOffset(first.startedAt, t0)}: ${why}${list.length > 1 ? ` (+${list.length - 1} more)` : ''}`)}</title></line>`);
  }

  // Availability strip: share of successful attempts per bucket.
  const buckets = Math.max(1, Math.min(Math.floor((W - m.left - m.right) / 3), Math.floor((t1 - t0) / (2 * summary.intervalMs))));
  const per = (t1 - t0) / buckets;
  const counts = Array.from({ length: buckets }, () => ({ ok: 0, n: 0 }));
  for (const a of attempts) {
    const i = Math.min(buckets - 1, Math.max(0, Math.floor((a.startedAt - t0) / per)));
    counts[i]!.n += 1;
    if (good(a)) counts[i]!.ok += 1;
  }
  counts.forEach((c, i) => {
    if (c.n === 0) return;
    const share = c.ok / c.n;
    const color = share === 1 ? COLORS.ok : share === 0 ? COLORS.fail : '#f9a825';
    parts.push(`<rect x="${r(m.left + (i * (W - m.left - m.right)) / buckets)}" y="${availY}" width="${r((W - m.left - m.right) / buckets + 0.3)}" height="${availH}" fill="${color}"/>`);
  });

  // X axis.
  for (const off of timeTicks(t1 - t0)) {
    const px = x(t0 + off);
    parts.push(`<line x1="${r(px)}" x2="${r(px)}" y1="${axisY}" y2="${axisY + 5}" stroke="#999"/>`);
    parts.push(`<text x="${r(px)}" y="${axisY + 17}" text-anchor="middle" class="tick">${offsetLabel(off)}</text>`);
  }
  parts.push(`<text x="${W - m.right}" y="${axisY + 31}" text-anchor="end" class="axis">time since scenario start</text>`);

  parts.push(renderMarkers(layout, m.top, availY + availH, t0));

  const label = `Probe ${summary.name}: ${summary.target}`;
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(label)}" data-t0="${t0}" data-t1="${t1}" data-x0="${m.left}" data-x1="${W - m.right}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}

function latencyLabel(ms: number): string {
  if (ms >= 1000) return `${ms / 1000} s`;
  return `${ms >= 1 ? ms : ms.toPrecision(1)} ms`;
}

