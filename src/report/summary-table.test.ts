import { describe, expect, it } from 'vitest';
import { reportWithoutTarget } from '../measure/verdict.ts';
import { syntheticRun } from './fixtures/synthetic-run.ts';
import { runOutcome } from './run-outcome.ts';
import { renderSummaryTable } from './summary-table.ts';

// Run data here is SYNTHETIC (src/report/fixtures/synthetic-run.ts) and labelled as such in every output.

describe('run outcome and CLI table', () => {
  it('exits 1 for a missed SLO target, 3 for a harness error alone, 0 otherwise', () => {
    const run = syntheticRun();
    expect(runOutcome(run)).toMatchObject({ exitCode: 1, counts: { pass: 5, fail: 1, skipped: 0, scenariosSkipped: 1, scenarioErrors: 0 } });
    const broken = syntheticRun();
    broken.scenarios[2]!.verdicts = broken.scenarios[2]!.verdicts.filter((v) => v.verdict !== 'fail');
    broken.scenarios.push({ ...broken.scenarios[3]!, id: 'minio-kill', status: 'error', reason: 'MinIO image missing: run prodlike setup' });
    expect(runOutcome(broken).exitCode).toBe(3);
    broken.scenarios.pop();
    expect(runOutcome(broken).exitCode).toBe(0);
  });

  it('renders scenario · target (source) · measured · margin · verdict with the synthetic label', () => {
    const table = renderSummaryTable(syntheticRun());
    const lines = table.split('\n');
    expect(lines[0]).toBe('SYNTHETIC DATA — not a measurement');
    expect(lines[1]).toMatch(/^scenario\s+target \(source\)\s+measured\s+margin\s+verdict$/);
    expect(table).toMatch(/redis-kill\s+redis\.rpo \(doc 001 §High Availability › 5\. Disaster Recovery Plan\)\s+800ms\s+\+59\.2s\s+PASS/);
    expect(table).toMatch(/platform\.rpo \(doc 004 §Overview › Design Goals\)\s+24h\s+−23h45m\s+FAIL/);
    expect(table).toContain('SKIPPED: node loss needs Kubernetes nodes');
    expect(lines.at(-1)).toBe('5 passed, 1 failed, 0 skipped, 1 scenario(s) skipped — exit 1');
  });

  it('shows a figure the profile has no target for with its measured value, as skipped, and keeps exit 0', () => {
    const run = syntheticRun();
    run.scenarios = run.scenarios.map((sc) => ({ ...sc, verdicts: sc.verdicts.filter((v) => v.verdict !== 'fail') }));
    run.scenarios[0]!.verdicts.push(reportWithoutTarget('pods.rto', { value: 42_000, unit: 'ms', metric: 'rto' }, 'platform'));
    const table = renderSummaryTable(run);
    expect(table).toMatch(/redis-kill\s+pods\.rto \(no target in profile platform\)\s+42\.0s\s+—\s+SKIPPED: profile platform has no target pods\.rto: measured, not judg/);
    expect(runOutcome(run)).toMatchObject({ exitCode: 0, counts: { skipped: 1 } });
  });
});
