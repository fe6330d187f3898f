import { describe, expect, it } from 'vitest';
import { queueGrowth, summarizeQueue, type QueueSample } from './queue-sampler.ts';

const series = (values: (number | null)[], startAt = 0): QueueSample[] => values.map((length, i) => ({ at: startAt + i * 1000, length }));

describe('summarizeQueue', () => {
  it('peak, mean, last and the verdict against the backlog alert (fires above the limit)', () => {
    const r = summarizeQueue(series([0, 2, 7, null, 3]), { limit: 100 });
    expect(r).toMatchObject({ peak: 7, peakAt: 2000, last: 3, answered: 4, failed: 1, limit: 100, underLimit: true });
    expect(r.mean).toBe(3);
    expect(summarizeQueue(series([99, 100]), { limit: 100 }).underLimit).toBe(true);
    expect(summarizeQueue(series([101]), { limit: 100 }).underLimit).toBe(false);
  });

  it('no answered sample: no peak and no verdict', () => {
    const r = summarizeQueue(series([null, null]), { limit: 100 });
    expect(r.peak).toBeNull();
    expect(r.underLimit).toBeUndefined();
  });
});

describe('queueGrowth', () => {
  const window = { from: 0, to: 20_000 };

  it('a queue that keeps up is steady even when noisy', () => {
    const g = queueGrowth(series([0, 1, 0, 2, 0, 1, 1, 0, 2, 0, 1, 0, 0, 2, 1, 0, 1, 0, 2, 0, 1]), window);
    expect(g?.growing).toBe(false);
    expect(g!.projected).toBeLessThan(100);
  });

  it('a queue fed faster than it drains grows linearly: slope and 10-minute projection', () => {
    const g = queueGrowth(series(Array.from({ length: 21 }, (_, i) => 2 * i)), window);
    expect(g?.growing).toBe(true);
    expect(g!.slopePerSecond).toBeCloseTo(2, 5);
    expect(g!.projected).toBeCloseTo(40 + 2 * 600, 3);
  });

  it('only looks inside the window, and needs at least 4 samples', () => {
    const samples = [...series([0, 0, 0, 0, 0]), ...series([50, 60, 70], 30_000)];
    expect(queueGrowth(samples, { from: 0, to: 5_000 })?.growing).toBe(false);
    expect(queueGrowth(series([0, 5, 10]), window)).toBeUndefined();
  });

  it('a draining queue is not growing', () => {
    expect(queueGrowth(series([40, 35, 30, 25, 20, 15, 10, 5]), window)?.growing).toBe(false);
  });
});
