import { describe, expect, it } from 'vitest';
import type { ProbeAttempt } from '../measure/availability-probe.ts';
import { buildScenarioResult } from './scenario-result.ts';

// SYNTHETIC attempts: two probes watching the same fault at t=1000.
const attempts = (failFrom: number, failTo: number): ProbeAttempt[] =>
  Array.from({ length: 60 }, (_, i) => {
    const t = i * 100;
    const ok = t < failFrom || t >= failTo;
    return { startedAt: t, endedAt: t + 1, ok, latencyMs: 1, ...(ok ? {} : { error: 'refused' }) };
  });
const record = (name: string, a: ProbeAttempt[]) => ({ name, kind: 'http', target: name, intervalMs: 100, timeoutMs: 1000, startedAt: 0, stoppedAt: 6000, attempts: a, skippedTicks: 0 });

describe('buildScenarioResult', () => {
  it('summarizes probes, adds their timeline events and derives intervals per probe', () => {
    const s = buildScenarioResult({
      id: 's',
      title: 'S',
      startedAt: 0,
      endedAt: 6000,
      timeline: [{ at: 1000, type: 'fault.injected', source: 'harness', subject: 'db' }],
      probes: [
        { record: record('api', attempts(1000, 2500)), faultAt: 1000, analysis: { sustainedSuccesses: 2 } },
        { record: record('db', attempts(1100, 3000)), faultAt: 1000, analysis: { sustainedSuccesses: 2 } },
      ],
    });
    expect(s.probes.map((p) => p.summary.rto?.rtoMs)).toEqual([1501, 2001]);
    expect(s.timeline.filter((e) => e.source === 'probe')).toHaveLength(6);
    const byName = Object.fromEntries(s.intervals.map((i) => [i.name, i.durationMs]));
    expect(byName['fault → sustained success seen by api (client-observed RTO)']).toBe(1501);
    expect(byName['fault → sustained success seen by db (client-observed RTO)']).toBe(2001);
    expect(byName['fault → first failure seen by db']).toBe(100);
  });

  it('requires a reason for errored and skipped scenarios', () => {
    expect(() => buildScenarioResult({ id: 'x', title: 'X', status: 'error', startedAt: 0, endedAt: 0 })).toThrow(/needs a reason/);
    expect(buildScenarioResult({ id: 'x', title: 'X', status: 'skipped', reason: 'needs kind', startedAt: 0, endedAt: 0 })).toMatchObject({ status: 'skipped', reason: 'needs kind', verdicts: [] });
  });
});
