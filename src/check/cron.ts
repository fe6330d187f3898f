/**
 * CronJob schedules: the longest interval between two consecutive runs, computed with cron-parser by
 * iterating the real run times over up to eight years or 2,000 runs (every leap-year and weekday/date combination a
 * standard schedule can express). Kubernetes CronJobs take five fields plus the descriptors of
 * robfig/cron (`@daily`, `@every 1h30m`…) and an optional `spec.timeZone` (default: the controller's
 * zone, UTC on every common distribution).
 */
import { CronExpressionParser } from 'cron-parser';

export interface CronInterval {
  /** Longest gap between consecutive runs, ms. */
  maxIntervalMs: number;
  /** Shortest gap, ms. */
  minIntervalMs: number;
  /** Runs inspected. */
  runs: number;
  /** The expression after expanding descriptors. */
  expression: string;
}

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const GO_DURATION = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
const GO_UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export class CronScheduleError extends Error {}

const START = Date.UTC(2025, 0, 1);
const HORIZON_MS = 8 * 366 * 86_400_000;
const MAX_RUNS = 2_000;

export function cronInterval(schedule: string, timeZone?: string): CronInterval {
  let text = schedule.trim();
  let tz = timeZone;
  const prefix = /^(?:CRON_TZ|TZ)=(\S+)\s+/.exec(text);
  if (prefix) {
    tz = prefix[1];
    text = text.slice(prefix[0].length);
  }
  const every = /^@every\s+(\S+)$/.exec(text);
  if (every) {
    const ms = goDuration(every[1]!);
    if (!ms) throw new CronScheduleError(`"${schedule}": @every needs a positive Go duration such as 1h30m`);
    return { maxIntervalMs: ms, minIntervalMs: ms, runs: Infinity, expression: text };
  }
  const expression = DESCRIPTORS[text] ?? text;
  if (expression.startsWith('@')) throw new CronScheduleError(`"${schedule}": unknown descriptor (Kubernetes accepts @yearly, @monthly, @weekly, @daily, @hourly, @every <duration>)`);
  const fields = expression.split(/\s+/);
  if (fields.length !== 5) throw new CronScheduleError(`"${schedule}": a CronJob schedule has 5 fields (minute hour day-of-month month day-of-week), not ${fields.length}`);
  let it;
  try {
    it = CronExpressionParser.parse(expression, { currentDate: new Date(START - 1), endDate: new Date(START + horizonFor(fields, tz)), ...(tz ? { tz } : {}) });
  } catch (error) {
    throw new CronScheduleError(`"${schedule}": ${(error as Error).message}`);
  }
  let prev: number | undefined;
  let max = 0;
  let min = Infinity;
  let runs = 0;
  while (runs < MAX_RUNS && it.hasNext()) {
    let t: number;
    try {
      t = it.next().getTime();
    } catch {
      break;
    }
    runs += 1;
    if (prev !== undefined) {
      max = Math.max(max, t - prev);
      min = Math.min(min, t - prev);
    }
    prev = t;
  }
  if (runs === 0) throw new CronScheduleError(`"${schedule}" never runs (no run in eight years)`);
  if (runs === 1) return { maxIntervalMs: Infinity, minIntervalMs: Infinity, runs, expression };
  return { maxIntervalMs: max, minIntervalMs: min, runs, expression };
}

/**
 * How far to iterate so that every distinct gap occurs at least once: a few days when only minutes and
 * hours are restricted, a few weeks when the day of week is, eight years (leap days) otherwise; a year
 * at least when a time zone with daylight saving time may stretch or shrink a day.
 */
function horizonFor(fields: string[], tz: string | undefined): number {
  const [, , dom, month, dow] = fields;
  const day = 86_400_000;
  const anyDay = dom === '*' || dom === '?';
  const anyMonth = month === '*' || month === '?';
  const anyDow = dow === '*' || dow === '?';
  let horizon = HORIZON_MS;
  if (anyDay && anyMonth && anyDow) horizon = 3 * day;
  else if (anyDay && anyMonth) horizon = 22 * day;
  return tz && tz !== 'UTC' && tz !== 'Etc/UTC' ? Math.max(horizon, 367 * day) : horizon;
}

function goDuration(text: string): number | undefined {
  GO_DURATION.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = GO_DURATION.exec(text); m; m = GO_DURATION.exec(text)) {
    total += Number(m[1]) * GO_UNIT_MS[m[2]!]!;
    consumed = GO_DURATION.lastIndex;
  }
  return consumed === text.length && total > 0 ? total : undefined;
}
