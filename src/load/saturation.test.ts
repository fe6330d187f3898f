import { describe, expect, it } from 'vitest';
import { searchSaturation, type SaturationStep } from './saturation.ts';

/** A system that holds every target up to `capacity` executions/s; each step takes `stepMs` of a fake clock. */
function system(capacity: number, stepMs = 25_000) {
  let clock = 0;
  const tried: number[] = [];
  return {
    tried,
    now: () => clock,
    runStep: async (rate: number): Promise<SaturationStep> => {
      tried.push(rate);
      clock += stepMs;
      const passed = rate <= capacity;
      return { rate, passed, broken: passed ? [] : [`queue growing at ${rate}/s`], durationMs: stepMs };
    },
  };
}

describe('searchSaturation', () => {
  it('steps up until a target breaks, then narrows between the last pass and the first failure', async () => {
    const s = system(10);
    const r = await searchSaturation({ rates: [2, 4, 8, 16, 32], maxTotalMs: 10 * 60_000, runStep: s.runStep, now: s.now });
    expect(s.tried).toEqual([2, 4, 8, 16, 12, 10]);
    expect(r).toMatchObject({ highestPassingRate: 10, lowestFailingRate: 12, stoppedBecause: 'target-broke' });
  });

  it('without refinement reports the last passing step', async () => {
    const s = system(10);
    const r = await searchSaturation({ rates: [5, 10, 20, 40], maxTotalMs: 10 * 60_000, refineSteps: 0, runStep: s.runStep, now: s.now });
    expect(s.tried).toEqual([5, 10, 20]);
    expect(r.highestPassingRate).toBe(10);
    expect(r.lowestFailingRate).toBe(20);
  });

  it('stays inside the time budget: a step that would overrun it is not started', async () => {
    const s = system(1000, 40_000);
    const r = await searchSaturation({ rates: [2, 4, 8, 16, 32, 64], maxTotalMs: 180_000, runStep: s.runStep, now: s.now });
    expect(s.tried).toEqual([2, 4, 8, 16]);
    expect(r).toMatchObject({ highestPassingRate: 16, lowestFailingRate: null, stoppedBecause: 'time-budget' });
    expect(r.elapsedMs).toBeLessThanOrEqual(180_000);
  });

  it('reports null when even the lowest rate breaks a target, and rates-exhausted when none breaks', async () => {
    const weak = system(0.5);
    expect(await searchSaturation({ rates: [2, 4], maxTotalMs: 600_000, runStep: weak.runStep, now: weak.now })).toMatchObject({ highestPassingRate: null, lowestFailingRate: 1, stoppedBecause: 'target-broke' });
    expect(weak.tried).toEqual([2, 1]);
    const strong = system(100);
    expect(await searchSaturation({ rates: [4, 2, 2], maxTotalMs: 600_000, runStep: strong.runStep, now: strong.now })).toMatchObject({ highestPassingRate: 4, stoppedBecause: 'rates-exhausted' });
    expect(strong.tried).toEqual([2, 4]);
  });

  it('when the first rate breaks a target, steps down (halving) to find a rate that holds', async () => {
    const s = system(3);
    const r = await searchSaturation({ rates: [8, 16], maxTotalMs: 600_000, runStep: s.runStep, now: s.now });
    expect(s.tried).toEqual([8, 4, 2]);
    expect(r).toMatchObject({ highestPassingRate: 2, lowestFailingRate: 4 });
  });

  it('stops when aborted', async () => {
    const s = system(100);
    const controller = new AbortController();
    controller.abort(new Error('interrupted'));
    await expect(searchSaturation({ rates: [2], maxTotalMs: 600_000, runStep: s.runStep, now: s.now, signal: controller.signal })).rejects.toThrow('interrupted');
  });
});
