/** Small helpers shared by the SVG charts (no chart library: the report must open offline). */
export type Scale = (value: number) => number;

export function linearScale(d0: number, d1: number, r0: number, r1: number): Scale {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

export function logScale(d0: number, d1: number, r0: number, r1: number): Scale {
  const l0 = Math.log10(d0);
  const l1 = Math.log10(d1);
  const span = l1 - l0 || 1;
  return (v) => r0 + ((Math.log10(Math.min(Math.max(v, d0), d1)) - l0) / span) * (r1 - r0);
}

const STEPS_S = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

/** Tick offsets (ms from t0) at a "nice" step giving at most `max` ticks. */
export function timeTicks(durationMs: number, max = 12): number[] {
  const step = (STEPS_S.find((s) => (durationMs / 1000) / s <= max) ?? STEPS_S.at(-1)!) * 1000;
  const ticks: number[] = [];
  for (let t = 0; t <= durationMs + 1e-6; t += step) ticks.push(t);
  return ticks;
}

/** `+1:30` / `+12s` / `+0.5s` label for a tick offset. */
export function offsetLabel(ms: number): string {
  const s = ms / 1000;
  if (s >= 60) {
    const m = Math.floor(s / 60);
    const rest = Math.round(s - m * 60);
    return `+${m}:${String(rest).padStart(2, '0')}`;
  }
  return `+${Number.isInteger(s) ? s : s.toFixed(1)}s`;
}

/** Integer-ish ticks for 0..max. */
export function valueTicks(max: number, count = 5): number[] {
  if (max <= 0) return [0];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export function round1(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
