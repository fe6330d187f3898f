import { describe, expect, it } from 'vitest';
import { compareRuns, renderComparison } from './compare-runs.ts';
import { syntheticRun } from './fixtures/synthetic-run.ts';

// Run data here is SYNTHETIC (src/report/fixtures/synthetic-run.ts) and labelled as such in every output.

describe('compareRuns', () => {
  it('finds regressions in RTO/RPO/p95 beyond tolerance and verdict flips', () => {
    const before = syntheticRun();
    const after = syntheticRun({ runId: '20250103T000000Z-synthetic', redisOutageMs: 5200, p95Scale: 3 });
    const c = compareRuns(before, after);
    const byKey = Object.fromEntries(c.changes.map((x) => [`${x.scenario}/${x.key}`, x]));
    expect(byKey['redis-kill/redis.rto']).toMatchObject({ kind: 'regression', before: 2402, after: 5202, delta: 2800 });
    expect(byKey['redis-kill/redis.rpo']).toMatchObject({ kind: 'unchanged' });
    expect(byKey['backend-kill/api.latency-p95']).toMatchObject({ kind: 'regression', before: 38, after: 114 });
    expect(byKey['postgres-restore/postgres.restore.rto']).toMatchObject({ kind: 'unchanged', delta: 0 });
    expect(c.regressions.length).toBeGreaterThanOrEqual(3);
    const text = renderComparison(c);
    expect(text).toContain('Comparing 20250102T030405Z-synthetic → 20250103T000000Z-synthetic');
    expect(text).toMatch(/REGRESSION\s+redis-kill · redis\.rto: 2\.40s → 5\.20s \(\+2\.80s, \+117%\)/);
    expect(compareRuns(before, before).regressions).toEqual([]);
  });
});
