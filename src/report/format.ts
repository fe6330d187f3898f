import { formatDuration } from '../core/duration.ts';

/** A measured value in its unit, for tables: `12.35s`, `99.950%`, `812.0 req/s`, `≥ 5m`. */
export function formatQuantity(value: number | null | undefined, unit: string, options: { lowerBound?: boolean } = {}): string {
  if (value === null || value === undefined) return '—';
  const prefix = options.lowerBound ? '≥ ' : '';
  return `${prefix}${formatByUnit(value, unit)}`;
}

/** A margin with its sign: `+4m48s`, `−1.20s`. */
export function formatMargin(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined) return '—';
  const sign = value < 0 ? '−' : '+';
  return `${sign}${formatByUnit(Math.abs(value), unit)}`;
}

function formatByUnit(value: number, unit: string): string {
  switch (unit) {
    case 'ms':
      return value !== 0 && Math.abs(value) < 1 ? `${value.toFixed(2)}ms` : formatDuration(value);
    case '%':
      return `${value.toFixed(3)}%`;
    case 'req/s':
      return `${value.toFixed(1)} req/s`;
    case 'count':
      return String(Math.round(value));
    default:
      return `${value} ${unit}`;
  }
}

/** `+12.345 s` relative to a start time. */
export function formatOffset(at: number, t0: number): string {
  const s = (at - t0) / 1000;
  return `${s < 0 ? '−' : '+'}${Math.abs(s).toFixed(3)} s`;
}

/** ISO time with milliseconds, UTC. */
export function formatInstant(at: number): string {
  return new Date(at).toISOString();
}
