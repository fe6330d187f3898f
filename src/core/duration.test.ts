import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.ts';

describe('parseDuration', () => {
  it.each([
    ['200ms', 200],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['0', 0],
    ['0s', 0],
  ])('%s -> %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '2', 'm', '2 minutes', '2mx', '-1s', '1h 30m'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/not a duration/);
  });
});

describe('formatDuration', () => {
  it.each([
    [950, '950ms'],
    [1500, '1.50s'],
    [42_000, '42.0s'],
    [120_000, '2m'],
    [125_000, '2m5s'],
    [5_400_000, '1h30m'],
    [3_599_700, '1h'],
    [119_600, '2m'],
    [3_570_500, '59m31s'],
  ])('%d ms -> %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
