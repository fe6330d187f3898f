import { describe, expect, it } from 'vitest';
import { cronInterval, CronScheduleError } from './cron.ts';

const H = 3_600_000;

describe('cronInterval (longest gap between consecutive CronJob runs)', () => {
  it.each([
    ['0 2 * * *', 24 * H],
    ['*/15 * * * *', 0.25 * H],
    ['0 */6 * * *', 6 * H],
    ['0 3 * * 1', 7 * 24 * H],
    ['30 1 * * 1-5', 72 * H], // Friday -> Monday
    ['0 0 1 * *', 31 * 24 * H],
    ['0 0,12 * * *', 12 * H],
    ['0 1,2 * * *', 23 * H], // uneven: 1h then 23h
    ['@daily', 24 * H],
    ['@hourly', H],
    ['@weekly', 7 * 24 * H],
    ['@every 90m', 1.5 * H],
    ['@every 1h30m', 1.5 * H],
  ])('%s -> longest interval %d ms', (schedule, expected) => {
    expect(cronInterval(schedule).maxIntervalMs).toBe(expected);
  });

  it('a daily run in a time zone with daylight saving time has a 25 h gap once a year', () => {
    expect(cronInterval('0 2 * * *', 'Europe/Paris').maxIntervalMs).toBe(25 * H);
    expect(cronInterval('CRON_TZ=Europe/Paris 0 2 * * *').maxIntervalMs).toBe(25 * H);
    expect(cronInterval('0 2 * * *', 'UTC').maxIntervalMs).toBe(24 * H);
  });

  it('a leap-day schedule runs every four years', () => {
    expect(cronInterval('0 0 29 2 *').maxIntervalMs).toBe((365 * 3 + 366) * 24 * H);
  });

  it('rejects what Kubernetes rejects, with the reason', () => {
    expect(() => cronInterval('0 0 2 * * *')).toThrow(/5 fields/);
    expect(() => cronInterval('@fortnightly')).toThrow(CronScheduleError);
    expect(() => cronInterval('61 * * * *')).toThrow(CronScheduleError);
    expect(() => cronInterval('0 0 30 2 *')).toThrow(CronScheduleError);
  });
});
