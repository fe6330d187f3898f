import { escapeXml as esc } from './escape.ts';
import { formatOffset } from './format.ts';
import { round1 as r } from './svg-scale.ts';

export interface ChartMarker {
  at: number;
  label: string;
  kind: 'fault' | 'heal' | 'event' | 'recovery';
}

/** A label placed above the plot: one marker, or a group of nearby `event` markers shown as one label. */
export interface PlacedMarker extends ChartMarker {
  px: number;
  row: number;
  text: string;
  /** The markers behind a group label (length ≥ 2); absent for a single marker. */
  members?: ChartMarker[];
  /** Pixel position of each member of a group. */
  memberPx?: number[];
}

export const MARKER_COLORS = { fault: '#c62828', heal: '#1565c0', recovery: '#2e7d32', event: '#6d6d6d' } as const;

const LABEL_CHAR_PX = 6;
const LABEL_ROW_PX = 11;
const MAX_LABEL_ROWS = 6;
const MAX_LABEL_CHARS = 34;

/**
 * Places marker labels in rows above the plot so they never overlap. Faults, heals and recoveries keep a
 * label of their own; plain events closer together than a grouping distance share one label such as
 * `12 events: pod.ready ×8, +2 types` (every member keeps its line, the full list is in the hover title).
 * The distance starts at a few pixels and doubles until every label finds a free row (at most 6 rows),
 * so a busy kind timeline (a scale-up, a multi-pod recovery) becomes a few readable labels instead of a
 * block of overdrawn text.
 */
export function layoutMarkers(markers: readonly ChartMarker[], x: (v: number) => number): { placed: PlacedMarker[]; rows: number } {
  const sorted = [...markers].sort((a, b) => a.at - b.at);
  let last: { placed: PlacedMarker[]; rows: number } | undefined;
  for (let groupPx = 0; groupPx <= 4096; groupPx = groupPx === 0 ? 8 : groupPx * 2) {
    const attempt = place(group(sorted, x, groupPx), x);
    if (attempt.fits) return attempt;
    last = attempt;
  }
  return last ?? { placed: [], rows: 1 };
}

function group(sorted: readonly ChartMarker[], x: (v: number) => number, groupPx: number): ChartMarker[][] {
  const groups: ChartMarker[][] = [];
  let open: ChartMarker[] | undefined;
  for (const mk of sorted) {
    if (mk.kind !== 'event') {
      groups.push([mk]);
      continue;
    }
    const prev = open?.at(-1);
    if (open && prev && x(mk.at) - x(prev.at) <= groupPx && groups.at(-1) === open) open.push(mk);
    else {
      open = [mk];
      groups.push(open);
    }
  }
  return groups;
}

function place(groups: readonly ChartMarker[][], x: (v: number) => number): { placed: PlacedMarker[]; rows: number; fits: boolean } {
  const rowEnds: number[] = [];
  const placed: PlacedMarker[] = [];
  let fits = true;
  for (const members of groups) {
    const first = members[0]!;
    const px = x(first.at);
    const single = members.length === 1;
    const text = single ? shorten(first.label, MAX_LABEL_CHARS) : groupLabel(members);
    const width = text.length * LABEL_CHAR_PX + 8;
    const lastPx = x(members.at(-1)!.at);
    let row = rowEnds.findIndex((end) => end < px);
    if (row < 0) {
      if (rowEnds.length < MAX_LABEL_ROWS) row = rowEnds.length;
      else {
        fits = false;
        row = rowEnds.indexOf(Math.min(...rowEnds));
      }
    }
    rowEnds[row] = Math.max(px + width, lastPx + 4);
    placed.push(single ? { ...first, px, row, text } : { at: first.at, kind: 'event', label: groupTitle(members), px, row, text, members, memberPx: members.map((m) => x(m.at)) });
  }
  return { placed, rows: Math.max(1, rowEnds.length), fits };
}

/** `12 events: pod.ready ×8, +2 types` (counts by event type, the label's first word). */
export function groupLabel(members: readonly ChartMarker[]): string {
  const counts = new Map<string, number>();
  for (const m of members) {
    const type = m.label.split(' ')[0] ?? m.label;
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  const byCount = [...counts].sort((a, b) => b[1] - a[1]);
  const head = `${members.length} events: `;
  let text = head;
  for (let i = 0; i < byCount.length; i += 1) {
    const [type, n] = byCount[i]!;
    const part = `${i === 0 ? '' : ', '}${type}${n > 1 ? ` ×${n}` : ''}`;
    const rest = byCount.length - i - 1;
    const tail = rest > 0 ? `, +${rest} type${rest > 1 ? 's' : ''}` : '';
    if (i > 0 && (text + part + tail).length > MAX_LABEL_CHARS + 4) {
      return `${text}, +${byCount.length - i} type${byCount.length - i > 1 ? 's' : ''}`;
    }
    text += part;
  }
  return text;
}

function groupTitle(members: readonly ChartMarker[]): string {
  return `${members.length} events:\n${members.map((m) => m.label).join('\n')}`;
}

/** Height needed above the plot for `rows` label rows. */
export function markerBand(rows: number): number {
  return 8 + rows * LABEL_ROW_PX + 6;
}

/** Vertical markers, labels in their rows above the plot (`top`); the full text is in the hover title. */
export function renderMarkers(layout: { placed: readonly PlacedMarker[]; rows: number }, top: number, bottom: number, t0: number): string {
  const parts: string[] = [];
  for (const mk of layout.placed) {
    const color = MARKER_COLORS[mk.kind];
    const labelY = top - 6 - (layout.rows - 1 - mk.row) * LABEL_ROW_PX;
    if (mk.members) {
      const title = `${mk.members.length} events from ${formatOffset(mk.members[0]!.at, t0)} to ${formatOffset(mk.members.at(-1)!.at, t0)}:\n${mk.members.map((m) => `${formatOffset(m.at, t0)}  ${m.label}`).join('\n')}`;
      const xs = mk.memberPx ?? [mk.px];
      const x0 = mk.px;
      const x1 = Math.max(xs.at(-1) ?? x0, x0 + 1);
      const lines = xs.map((px) => `M${r(px)} ${r(labelY + 5)}V${bottom}`);
      parts.push(
        `<g class="marker-group"><title>${esc(title)}</title><rect x="${r(x0 - 1)}" y="${r(labelY + 2)}" width="${r(x1 - x0 + 2)}" height="3" fill="${color}" opacity="0.7"/><path d="${lines.join('')}" stroke="${color}" stroke-width="0.8" opacity="0.45"/><text x="${r(x0 + 3)}" y="${r(labelY)}" class="marker" fill="${color}">${esc(mk.text)}</text></g>`,
      );
      continue;
    }
    const dash = mk.kind === 'event' ? '2 3' : '5 3';
    parts.push(`<g><title>${esc(`${mk.label} at ${formatOffset(mk.at, t0)}`)}</title><line x1="${r(mk.px)}" x2="${r(mk.px)}" y1="${r(labelY + 2)}" y2="${bottom}" stroke="${color}" stroke-width="${mk.kind === 'fault' ? 1.8 : 1.2}" stroke-dasharray="${dash}"/>`);
    parts.push(`<text x="${r(mk.px + 3)}" y="${r(labelY)}" class="marker" fill="${color}">${esc(mk.text)}</text></g>`);
  }
  return parts.join('');
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
