import type { Series } from './run-results.ts';
import { escapeXml as esc } from './escape.ts';
import { formatOffset } from './format.ts';
import { layoutMarkers, markerBand, renderMarkers, type ChartMarker } from './chart-markers.ts';
import { linearScale, offsetLabel, round1 as r, timeTicks, valueTicks } from './svg-scale.ts';

export interface SeriesChartInput {
  series: Series;
  t0: number;
  t1: number;
  markers?: readonly ChartMarker[];
  width?: number;
}

/** A numeric series (replica count, queue length…) as an inline SVG step or line chart on the scenario's time axis. */
export function renderSeriesChart(input: SeriesChartInput): string {
  const W = input.width ?? 1100;
  const t0 = input.t0;
  const t1 = Math.max(input.t1, t0 + 1);
  const layout = layoutMarkers(input.markers ?? [], linearScale(t0, t1, 70, W - 16));
  const m = { left: 70, right: 16, top: markerBand(layout.rows), bottom: 34 };
  const plotH = 110;
  const H = m.top + plotH + m.bottom;
  const points = [...input.series.points].sort((a, b) => a.at - b.at);
  const maxV = points.reduce((m, p) => Math.max(m, p.value), 1);
  const ticks = valueTicks(input.series.unit === 'count' ? Math.ceil(maxV) : maxV, 4);
  const top = Math.max(ticks.at(-1) ?? maxV, maxV);
  const x = linearScale(t0, t1, m.left, W - m.right);
  const y = linearScale(0, top, m.top + plotH, m.top);
  const parts: string[] = [`<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${plotH}" fill="#fafafa" stroke="#ddd"/>`];
  for (const v of ticks) {
    parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${r(y(v))}" y2="${r(y(v))}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${m.left - 6}" y="${r(y(v) + 4)}" text-anchor="end" class="tick">${v}</text>`);
  }
  parts.push(`<text x="14" y="${m.top + plotH / 2}" transform="rotate(-90 14 ${m.top + plotH / 2})" text-anchor="middle" class="axis">${esc(input.series.name)}</text>`);
  if (points.length > 0) {
    let d = `M${r(x(points[0]!.at))} ${r(y(points[0]!.value))}`;
    for (let i = 1; i < points.length; i += 1) {
      const p = points[i]!;
      d += input.series.shape === 'step' ? `H${r(x(p.at))}V${r(y(p.value))}` : `L${r(x(p.at))} ${r(y(p.value))}`;
    }
    if (input.series.shape === 'step') d += `H${r(x(Math.min(t1, Math.max(points.at(-1)!.at, t1))))}`;
    parts.push(`<path d="${d}" fill="none" stroke="#1565c0" stroke-width="2"/>`);
    for (const p of points) parts.push(`<circle cx="${r(x(p.at))}" cy="${r(y(p.value))}" r="2.5" fill="#1565c0"><title>${esc(`${input.series.name} = ${p.value} at ${formatOffset(p.at, t0)}`)}</title></circle>`);
  }
  const axisY = m.top + plotH;
  for (const off of timeTicks(t1 - t0)) {
    const px = x(t0 + off);
    parts.push(`<line x1="${r(px)}" x2="${r(px)}" y1="${axisY}" y2="${axisY + 5}" stroke="#999"/><text x="${r(px)}" y="${axisY + 17}" text-anchor="middle" class="tick">${offsetLabel(off)}</text>`);
  }
  parts.push(renderMarkers(layout, m.top, axisY, t0));
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(input.series.name)} over time" data-t0="${t0}" data-t1="${t1}" data-x0="${m.left}" data-x1="${W - m.right}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}
