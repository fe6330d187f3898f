import { InternalError } from '../core/errors.ts';
import { describe, expect, it } from 'vitest';
import { targetSchema } from '../config/targets-schema.ts';
import { evaluateTarget, held, missedTargets, reportWithoutTarget } from './verdict.ts';

const target = (input: Record<string, unknown>) =>
  targetSchema.parse({ id: 'redis.rto', metric: 'rto', component: 'redis', source: { doc: '001', section: 'High Availability › 5. Disaster Recovery Plan', quote: 'Redis | 1 minute | 5 minutes' }, ...input });

describe('evaluateTarget', () => {
  it('passes a max bound with a positive margin and fails it with a negative one', () => {
    const t = target({ max: '5m' });
    const pass = evaluateTarget(t, { value: 12_500, unit: 'ms' });
    expect(pass).toMatchObject({ targetId: 'redis.rto', measured: 12_500, unit: 'ms', limit: 300_000, comparator: '<=', margin: 287_500, verdict: 'pass' });
    expect(pass.source).toEqual({ doc: '001', section: 'High Availability › 5. Disaster Recovery Plan', quote: 'Redis | 1 minute | 5 minutes', label: 'doc 001 §High Availability › 5. Disaster Recovery Plan' });
    const fail = evaluateTarget(t, { value: 301_000 });
    expect(fail).toMatchObject({ verdict: 'fail', margin: -1000 });
    expect(missedTargets([pass, fail])).toEqual([fail]);
  });

  it('treats RPO 0 as met by exactly 0', () => {
    expect(evaluateTarget(target({ id: 'pods.rpo', metric: 'rpo', max: '0s' }), { value: 0 })).toMatchObject({ verdict: 'pass', margin: 0 });
    expect(evaluateTarget(target({ id: 'pods.rpo', metric: 'rpo', max: '0s' }), { value: 0.5 })).toMatchObject({ verdict: 'fail', margin: -0.5 });
  });

  it('uses measured − limit as the margin of a min bound', () => {
    const t = target({ id: 'api.availability', metric: 'availability', min: '99.9%' });
    expect(evaluateTarget(t, { value: 99.5 })).toMatchObject({ comparator: '>=', verdict: 'fail', unit: '%' });
    expect(evaluateTarget(t, { value: 99.5 }).margin).toBeCloseTo(-0.4);
  });

  it('always gives a reason for skipped verdicts', () => {
    const skipped = evaluateTarget(target({ max: '5m' }), { skipped: 'node loss needs Kubernetes; the docker provider has no nodes' });
    expect(skipped).toMatchObject({ verdict: 'skipped', measured: null, reason: 'node loss needs Kubernetes; the docker provider has no nodes' });
    expect(() => evaluateTarget(target({ max: '5m' }), { skipped: ' ' })).toThrow(/must say why/);
    const report = evaluateTarget(target({ kind: 'report' }), { value: 3 });
    expect(report.verdict).toBe('skipped');
    expect(report.reason).toMatch(/report-only/);
  });

  it('never passes a lower bound against a max: fail when already over, skipped otherwise', () => {
    const t = target({ max: '5m' });
    expect(evaluateTarget(t, { value: 400_000, lowerBound: true })).toMatchObject({ verdict: 'fail', lowerBound: true });
    const open = evaluateTarget(t, { value: 10_000, lowerBound: true });
    expect(open).toMatchObject({ verdict: 'skipped', lowerBound: true, margin: null });
    expect(open.reason).toMatch(/lower bound/);
  });

  it('refuses mismatched units and non-finite values (harness bugs, not verdicts)', () => {
    expect(() => evaluateTarget(target({ max: '5m' }), { value: 5, unit: 's' })).toThrow(/convert/);
    expect(() => evaluateTarget(target({ max: '5m' }), { value: Number.NaN })).toThrow(/finite/);
    for (const value of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const error = (() => { try { evaluateTarget(target({ max: '5m' }), { value }); } catch (e) { return e; } return undefined; })();
      expect(error).toBeInstanceOf(InternalError);
      expect((error as InternalError).message).toMatch(/not a finite number; a scenario must measure a finite value/);
    }
  });
});

describe('reportWithoutTarget', () => {
  it('keeps a figure the profile has no target for: report-only, measured, not judged', () => {
    const v = reportWithoutTarget('pods.rto', { value: 12_345, unit: 'ms', metric: 'rto', lowerBound: true, note: 'scale-back → first pickup' }, 'platform');
    expect(v).toMatchObject({
      targetId: 'pods.rto', metric: 'rto', unit: 'ms', targetKind: 'report', measured: 12_345, lowerBound: true,
      limit: null, comparator: null, margin: null, verdict: 'skipped',
      reason: 'profile platform has no target pods.rto: measured, not judged; scale-back → first pickup',
    });
    expect(v.source).toEqual({ doc: '', section: '', label: 'no target in profile platform' });
    expect(missedTargets([v])).toEqual([]);
    expect(held(v)).toBe(true);
  });

  it('reads rto/rpo (in ms, as the suites measure them) from the id, and says unknown otherwise (nothing is borrowed from another target)', () => {
    expect(reportWithoutTarget('redis.rpo', { value: 0 }, 'platform')).toMatchObject({ metric: 'rpo', unit: 'ms', component: 'unknown', measured: 0 });
    expect(reportWithoutTarget('executions.job-start', { value: 3 }, 'platform')).toMatchObject({ metric: 'unknown', unit: 'unknown', measured: 3 });
  });

  it('keeps a skip reason, and refuses what a scenario must not produce', () => {
    const skipped = reportWithoutTarget('redis.rpo', { skipped: 'no sentinel answered' }, 'platform');
    expect(skipped).toMatchObject({ measured: null, targetKind: 'report', reason: 'profile platform has no target redis.rpo; not measured: no sentinel answered' });
    expect(held(skipped)).toBe(false);
    expect(() => reportWithoutTarget('redis.rpo', { skipped: ' ' }, 'platform')).toThrow(/must say why/);
    expect(() => reportWithoutTarget('redis.rpo', { value: Number.NaN }, 'platform')).toThrow(InternalError);
  });
});

describe('held', () => {
  it('is a met target or a measured report-only figure; a miss or an undecided target is not', () => {
    const t = target({ max: '5m' });
    expect(held(evaluateTarget(t, { value: 1000 }))).toBe(true);
    expect(held(evaluateTarget(t, { value: 400_000 }))).toBe(false);
    expect(held(evaluateTarget(t, { value: 1000, lowerBound: true }))).toBe(false);
    expect(held(evaluateTarget(t, { skipped: 'no nodes' }))).toBe(false);
    expect(held(evaluateTarget(target({ kind: 'report' }), { value: 3 }))).toBe(true);
    expect(held(evaluateTarget(target({ kind: 'alert', max: '5m' }), { value: 400_000 }))).toBe(false);
  });
});
