import type { Series } from './series.ts';

/**
 * k6's JSON output (`k6 run --out json=<file>`: one JSON object per line) turned into time-bucketed
 * latency: p95 per window, request rate and failure rate, for the report's charts and for "p95 before,
 * during, after". Only `Point` lines of http_req_duration and http_req_failed are read.
 */

export interface K6Point {
  at: number;
  value: number;
}

export interface K6Points {
  duration: K6Point[];
  failed: K6Point[];
}

export function parseK6JsonLines(text: string, options: { name?: string } = {}): K6Points {
  const duration: K6Point[] = [];
  const failed: K6Point[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{"')) continue;
    let obj: { type?: string; metric?: string; data?: { time?: string; value?: number; tags?: Record<string, string> } };
    try {
      obj = JSON.parse(line) as typeof obj;
    } catch {
      continue; // a line cut by a killed k6
    }
    if (obj.type !== 'Point' || !obj.data?.time || typeof obj.data.value !== 'number') continue;
    if (options.name !== undefined && obj.data.tags?.name !== options.name) continue;
    const at = Date.parse(obj.data.time);
    if (!Number.isFinite(at)) continue;
    if (obj.metric === 'http_req_duration') duration.push({ at, value: obj.data.value });
    else if (obj.metric === 'http_req_failed') failed.push({ at, value: obj.data.value });
  }
  duration.sort((a, b) => a.at - b.at);
  failed.sort((a, b) => a.at - b.at);
  return { duration, failed };
}

/** Percentile with linear interpolation between closest ranks (as k6 computes its trends). */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export interface LatencyWindow {
  start: number;
  end: number;
  count: number;
  p95: number;
  failedRate: number;
}

/** Fixed windows from the first point; empty windows are left out. */
export function latencyWindows(points: K6Points, windowMs = 10_000): LatencyWindow[] {
  if (points.duration.length === 0) return [];
  const origin = points.duration[0]!.at;
  const buckets = new Map<number, { d: number[]; f: number[] }>();
  const bucket = (at: number) => {
    const k = Math.floor((at - origin) / windowMs);
    let b = buckets.get(k);
    if (!b) buckets.set(k, (b = { d: [], f: [] }));
    return b;
  };
  for (const p of points.duration) bucket(p.at).d.push(p.value);
  for (const p of points.failed) if (p.at >= origin) bucket(p.at).f.push(p.value);
  return [...buckets.entries()]
    .filter(([, b]) => b.d.length > 0)
    .sort(([a], [b]) => a - b)
    .map(([k, b]) => ({ start: origin + k * windowMs, end: origin + (k + 1) * windowMs, count: b.d.length, p95: percentile(b.d, 95)!, failedRate: b.f.length ? b.f.reduce((s, v) => s + v, 0) / b.f.length : 0 }));
}

/** p95 over every request whose point falls in [from, to). */
export function p95Between(points: K6Points, from: number, to: number): { p95: number | undefined; count: number } {
  const values = points.duration.filter((p) => p.at >= from && p.at < to).map((p) => p.value);
  return { p95: percentile(values, 95), count: values.length };
}

export function latencySeries(windows: readonly LatencyWindow[], windowMs: number): Series[] {
  const mid = (w: LatencyWindow) => w.start + windowMs / 2;
  return [
    { name: `k6 p95 latency per ${windowMs / 1000} s window`, unit: 'ms', shape: 'line', points: windows.map((w) => ({ at: mid(w), value: Math.round(w.p95 * 10) / 10 })) },
    { name: `k6 requests/s per ${windowMs / 1000} s window`, unit: 'req/s', shape: 'line', points: windows.map((w) => ({ at: mid(w), value: Math.round((w.count / (windowMs / 1000)) * 10) / 10 })) },
    { name: `k6 failed requests per ${windowMs / 1000} s window`, unit: '%', shape: 'line', points: windows.map((w) => ({ at: mid(w), value: Math.round(w.failedRate * 1000) / 10 })) },
  ];
}
