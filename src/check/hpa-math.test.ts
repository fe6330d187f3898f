import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fastestScaleUp, formatTimeline, type HpaSpecForScaling } from './hpa-math.ts';
import type { HpaScalingPolicy } from './model.ts';

const percent = (value: number, periodSeconds = 60): HpaScalingPolicy => ({ type: 'Percent', value, periodSeconds });
const pods = (value: number, periodSeconds = 60): HpaScalingPolicy => ({ type: 'Pods', value, periodSeconds });

/** Document 001's backend HPA: 2..10, scale-up +100% or +2 pods per 60 s, selectPolicy Max, 60 s stabilization. */
const DOC_001: HpaSpecForScaling = {
  minReplicas: 2,
  maxReplicas: 10,
  behavior: { scaleUp: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [percent(100), pods(2)] } },
};

const withScaleUp = (scaleUp: NonNullable<NonNullable<HpaSpecForScaling['behavior']>['scaleUp']>, maxReplicas = 10): HpaSpecForScaling => ({ minReplicas: 2, maxReplicas, behavior: { scaleUp } });

describe('fastestScaleUp', () => {
  const cases: Array<{ name: string; spec: HpaSpecForScaling; from: number; to: number; demand?: number; seconds: number; timeline: string }> = [
    {
      name: "document 001's behavior, 2 -> 10: first step once the 60 s window forgets the pre-load samples (45 s with a 15 s sync), then one step per 60 s period",
      spec: DOC_001, from: 2, to: 10, seconds: 165, timeline: '45 s 2→4, 105 s 4→8, 165 s 8→10',
    },
    {
      name: 'Pods-only policy (+2 per 60 s): linear',
      spec: withScaleUp({ stabilizationWindowSeconds: 60, policies: [pods(2)] }), from: 2, to: 10, seconds: 225, timeline: '45 s 2→4, 105 s 4→6, 165 s 6→8, 225 s 8→10',
    },
    {
      name: 'Percent-only policy (+50% per 60 s): rounds up each step',
      spec: withScaleUp({ stabilizationWindowSeconds: 60, policies: [percent(50)] }), from: 2, to: 10, seconds: 225, timeline: '45 s 2→3, 105 s 3→5, 165 s 5→8, 225 s 8→10',
    },
    {
      name: 'stabilization 0: the first step at the first sync',
      spec: withScaleUp({ stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [percent(100), pods(2)] }), from: 2, to: 10, seconds: 120, timeline: '0 s 2→4, 60 s 4→8, 120 s 8→10',
    },
    {
      name: 'selectPolicy Min: the smaller allowance (+2) wins once doubling gives more',
      spec: withScaleUp({ stabilizationWindowSeconds: 60, selectPolicy: 'Min', policies: [percent(100), pods(2)] }), from: 2, to: 10, seconds: 225, timeline: '45 s 2→4, 105 s 4→6, 165 s 6→8, 225 s 8→10',
    },
    {
      name: 'behavior without scaleUp: API defaults (+4 pods or +100% per 15 s, no window)',
      spec: { minReplicas: 2, maxReplicas: 10, behavior: {} }, from: 2, to: 10, seconds: 15, timeline: '0 s 2→6, 15 s 6→10',
    },
    {
      name: 'no behavior at all: legacy controller rule, max(2 × current, 4) per sync',
      spec: { minReplicas: 2, maxReplicas: 10 }, from: 2, to: 10, seconds: 30, timeline: '0 s 2→4, 15 s 4→8, 30 s 8→10',
    },
    {
      name: 'a window that is not a multiple of the sync period (50 s): first sync at or after 50 - 15 s',
      spec: withScaleUp({ stabilizationWindowSeconds: 50, policies: [percent(100)] }), from: 2, to: 4, seconds: 45, timeline: '45 s 2→4',
    },
    {
      name: 'demand below maxReplicas: stops at the demand',
      spec: DOC_001, from: 2, to: 6, demand: 6, seconds: 105, timeline: '45 s 2→4, 105 s 4→6',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = fastestScaleUp({ spec: c.spec, from: c.from, to: c.to, demand: c.demand ?? Infinity });
      expect(r.reached).toBe(true);
      expect(r.seconds).toBe(c.seconds);
      expect(formatTimeline(r.steps)).toBe(c.timeline);
    });
  }

  it('document 001 misses document 003\'s "scale within 2 minutes" (165 s > 120 s), the first step alone takes 45 s', () => {
    const r = fastestScaleUp({ spec: DOC_001, from: 2, to: 10, demand: Infinity });
    expect(r.seconds).toBeGreaterThan(120);
    expect(r.firstStepSeconds).toBe(45);
    expect(r.steps.map((s) => s.limitedBy)).toEqual(['policy', 'policy', 'maxReplicas']);
  });

  describe('tolerance 0.1 boundary (ratio = demand / current)', () => {
    const spec = { minReplicas: 2, maxReplicas: 20, behavior: DOC_001.behavior! };
    it('ratio exactly 1.1 is within the tolerance (1 - 0.1 <= ratio <= 1 + 0.1, as the 1.34 controller): never scales', () => {
      const r = fastestScaleUp({ spec, from: 10, to: 11, demand: 11 });
      expect(r.reached).toBe(false);
      expect(r.seconds).toBe(Infinity);
      expect(r.reason).toMatch(/within the 0.1 tolerance/);
    });
    it('ratio 1.15 is outside: scales (past the target, to ceil(demand))', () => {
      const r = fastestScaleUp({ spec, from: 10, to: 11, demand: 11.5 });
      expect(r.reached).toBe(true);
      expect(formatTimeline(r.steps)).toBe('45 s 10→12');
    });
    it('a behavior.scaleUp.tolerance of 0.05 lets ratio 1.08 scale', () => {
      const r = fastestScaleUp({ spec: { ...spec, behavior: { scaleUp: { ...spec.behavior.scaleUp, tolerance: 0.05 } } }, from: 10, to: 11, demand: 10.8 });
      expect(r.reached).toBe(true);
      expect(r.rules.tolerance).toBe(0.05);
    });
    it('the last step can stall inside the tolerance: a load needing 10.95 pods never gets the 11th', () => {
      expect(fastestScaleUp({ spec, from: 10, to: 11, demand: 10.95 }).reached).toBe(false);
      expect(fastestScaleUp({ spec, from: 10, to: 11, demand: 11.05 }).reached).toBe(true);
    });
  });

  it('never reaches above maxReplicas, or with scale-up Disabled', () => {
    expect(fastestScaleUp({ spec: DOC_001, from: 2, to: 11 })).toMatchObject({ reached: false, reason: 'maxReplicas is 10, below 11' });
    expect(fastestScaleUp({ spec: withScaleUp({ selectPolicy: 'Disabled', policies: [pods(4)] }), from: 2, to: 10 })).toMatchObject({ reached: false, reason: expect.stringMatching(/Disabled/) });
  });

  it('is already there when from >= to (and starts from minReplicas)', () => {
    expect(fastestScaleUp({ spec: DOC_001, from: 10, to: 10 }).seconds).toBe(0);
    expect(fastestScaleUp({ spec: DOC_001, from: 1, to: 4, demand: Infinity }).steps[0]).toMatchObject({ from: 2, to: 4 });
  });

  it('properties: steps increase, respect maxReplicas and the policies; the window delays the first step', () => {
    const policy = fc.record({ type: fc.constantFrom<'Pods' | 'Percent'>('Pods', 'Percent'), value: fc.integer({ min: 1, max: 200 }), periodSeconds: fc.integer({ min: 1, max: 300 }) });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 600 }),
        fc.constantFrom<'Max' | 'Min'>('Max', 'Min'),
        fc.array(policy, { minLength: 1, maxLength: 3 }),
        (min, extra, window, selectPolicy, policies) => {
          const max = min + extra;
          const r = fastestScaleUp({ spec: { minReplicas: min, maxReplicas: max, behavior: { scaleUp: { stabilizationWindowSeconds: window, selectPolicy, policies } } }, from: min, to: max, demand: Infinity, horizonSeconds: 7200 });
          let last = min;
          let lastT = -1;
          for (const s of r.steps) {
            expect(s.from).toBe(last);
            expect(s.to).toBeGreaterThan(s.from);
            expect(s.to).toBeLessThanOrEqual(max);
            expect(s.atSeconds).toBeGreaterThan(lastT);
            expect(s.atSeconds % 15).toBe(0);
            last = s.to;
            lastT = s.atSeconds;
          }
          if (r.steps.length > 0) expect(r.firstStepSeconds).toBeGreaterThanOrEqual(Math.max(0, window - 15));
          if (r.reached) expect(last).toBe(max);
        },
      ),
      { numRuns: 200 },
    );
  });
});
