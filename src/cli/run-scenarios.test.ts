import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProdlikeError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import type { RunResults } from '../report/run-results.ts';
import { runOutcome } from '../report/run-outcome.ts';
import { classifyFailures, failureScenarios, mergeSuiteRuns, runScenarios } from './run-scenarios.ts';
import type { VitestOutcomes } from './vitest-outcome-reporter.ts';

const file = join(PACKAGE_ROOT, 'scenarios', 'backup-restore.test.ts');
const outcomes = (modules: VitestOutcomes['modules'], unhandled: VitestOutcomes['unhandled'] = []): VitestOutcomes => ({ modules, unhandled });
const test = (name: string, state: 'passed' | 'failed' | 'skipped', errors: VitestOutcomes['modules'][number]['tests'][number]['errors'] = []) => ({ name, state, errors });
const exitOf = (vitestExit: number, o: VitestOutcomes | undefined, recorded: RunResults['scenarios'] = []) => {
  const scenarios = [...recorded, ...failureScenarios({ vitestExit, outcomes: o, startedAt: 1, endedAt: 2 })];
  return runOutcome({ schemaVersion: 1, runId: 'r', dataOrigin: 'measured', startedAt: 1, endedAt: 2, scenarios } as RunResults).exitCode;
};

describe('prodlike run: what failed decides the exit code', () => {
  it('an assertion that failed in a scenario that ran is a miss (exit 1), never "could not run"', () => {
    const o = outcomes([{ file, errors: [], tests: [test('backup-restore > files', 'failed', [{ name: 'AssertionError', message: 'expected 9 to be 10' }]), test('backup-restore > redis', 'passed')] }]);
    expect(classifyFailures(o).missed.map((f) => f.where)).toEqual(['backup-restore > files']);
    expect(exitOf(1, o)).toBe(1);
    const [checks] = failureScenarios({ vitestExit: 1, outcomes: o, startedAt: 1, endedAt: 2 });
    expect(checks).toMatchObject({ id: 'checks', status: 'completed' });
    expect(checks!.verdicts[0]).toMatchObject({ verdict: 'fail', targetKind: 'slo', measured: 1, limit: 0, component: 'scenarios/backup-restore.test.ts' });
    expect(checks!.verdicts[0]!.reason).toMatch(/AssertionError: expected 9 to be 10/);
  });

  it('a ProdlikeError whose code maps to exit 1 (TARGET_MISSED) is a miss; one with an environment code could not run', () => {
    const missed = outcomes([{ file, errors: [], tests: [test('t', 'failed', [{ name: 'ProdlikeError', message: 'missed', code: 'TARGET_MISSED' }])] }]);
    expect(exitOf(1, missed)).toBe(1);
    const env = outcomes([{ file, errors: [], tests: [test('t', 'failed', [{ name: 'ProdlikeError', message: 'app never ready', code: 'READINESS_TIMEOUT' }])] }]);
    expect(exitOf(1, env)).toBe(3);
    expect(failureScenarios({ vitestExit: 1, outcomes: env, startedAt: 1, endedAt: 2 })[0]!.reason).toMatch(/READINESS_TIMEOUT: app never ready/);
  });

  it('FAULT_NO_EFFECT and BASELINE_MISSING follow their exit code in src/core/errors.ts', async () => {
    const { ProdlikeError } = await import('../core/errors.ts');
    for (const code of ['FAULT_NO_EFFECT', 'BASELINE_MISSING'] as const) {
      const o = outcomes([{ file, errors: [], tests: [test('t', 'failed', [{ name: 'ProdlikeError', message: 'x', code }])] }]);
      expect(exitOf(1, o)).toBe(new ProdlikeError(code, 'x').exitCode);
    }
  });

  it('a failing beforeAll, a file that does not load, or an unhandled error: the suite could not run (exit 3)', () => {
    const hook = outcomes([{ file, errors: [{ name: 'ProdlikeError', message: 'no env', code: 'PROVIDER_FAILED', where: 'suite "backup-restore"' }], tests: [test('backup-restore > files', 'skipped')] }]);
    expect(exitOf(1, hook)).toBe(3);
    expect(classifyFailures(hook).couldNotRun[0]!.where).toBe('suite "backup-restore"');
    const load = outcomes([{ file, errors: [{ name: 'ProdlikeError', message: 'Prerequisite "images" is missing although CI set it up', code: 'PROVIDER_FAILED', where: 'file' }], tests: [] }]);
    expect(exitOf(1, load)).toBe(3);
    expect(exitOf(1, outcomes([], [{ name: 'Error', message: 'EPIPE' }]))).toBe(3);
  });

  it('an error that is neither an assertion nor a ProdlikeError does not claim a product failure (exit 3)', () => {
    expect(exitOf(1, outcomes([{ file, errors: [], tests: [test('t', 'failed', [{ name: 'TypeError', message: 'x is undefined' }])] }]))).toBe(3);
  });

  it('a miss and a suite that could not run in the same run: 1 wins, both are listed', () => {
    const o = outcomes([{ file, errors: [{ message: 'boom', where: 'suite "a"' }], tests: [test('b', 'failed', [{ name: 'AssertionError', message: 'no' }])] }]);
    const added = failureScenarios({ vitestExit: 1, outcomes: o, startedAt: 1, endedAt: 2 });
    expect(added.map((s) => s.id)).toEqual(['checks', 'harness']);
    expect(exitOf(1, o)).toBe(1);
  });

  it('a clean run adds nothing; vitest failing without outcomes (it crashed) is a harness error', () => {
    expect(failureScenarios({ vitestExit: 0, outcomes: outcomes([{ file, errors: [], tests: [test('t', 'passed')] }]), startedAt: 1, endedAt: 2 })).toEqual([]);
    expect(exitOf(0, outcomes([{ file, errors: [], tests: [test('t', 'passed')] }]))).toBe(0);
    expect(exitOf(1, undefined)).toBe(3);
    // vitest failed, nothing failed in the outcomes (e.g. a failing afterAll reported elsewhere): harness error.
    expect(exitOf(1, outcomes([{ file, errors: [], tests: [test('t', 'passed')] }]))).toBe(3);
  });
});

describe('prodlike run: one vitest per suite, the environment checked before each', () => {
  const unhealthy = { name: 'ProdlikeError', code: 'ENVIRONMENT_UNHEALTHY', message: 'Environment "x" is not healthy after 5m: backend 1/2 ready; not starting a suite on it. Not run: backup-restore.' };
  const passed = { file, errors: [], tests: [test('t', 'passed' as const)] };

  it('merges the suites\' outcomes; a clean run of several suites adds nothing', () => {
    const merged = mergeSuiteRuns([{ suite: 'failover', exit: 0, outcomes: outcomes([passed]) }, { suite: 'backup-restore', exit: 0, outcomes: outcomes([passed]) }]);
    expect(merged).toEqual({ vitestExit: 0, outcomes: outcomes([passed, passed]) });
    expect(failureScenarios({ ...merged, startedAt: 1, endedAt: 2 })).toEqual([]);
  });

  it('an environment left unhealthy between suites: the rest is not run, a harness error with its code (exit 3)', () => {
    const merged = mergeSuiteRuns([{ suite: 'failover', exit: 0, outcomes: outcomes([passed]) }], unhealthy);
    const [harness] = failureScenarios({ ...merged, startedAt: 1, endedAt: 2 });
    expect(harness).toMatchObject({ id: 'harness', status: 'error' });
    expect(harness!.reason).toMatch(/ProdlikeError ENVIRONMENT_UNHEALTHY: .*backend 1\/2 ready.*Not run: backup-restore\./);
    expect(exitOf(merged.vitestExit, merged.outcomes)).toBe(3);
  });

  it('a target missed by the suite before still decides the exit (1), the stop is listed beside it', () => {
    const missed = outcomes([{ file, errors: [], tests: [test('failover > redis', 'failed', [{ name: 'AssertionError', message: 'expected skipped to be pass' }])] }]);
    const merged = mergeSuiteRuns([{ suite: 'failover', exit: 1, outcomes: missed }], unhealthy);
    expect(failureScenarios({ ...merged, startedAt: 1, endedAt: 2 }).map((x) => x.id)).toEqual(['checks', 'harness']);
    expect(exitOf(merged.vitestExit, merged.outcomes)).toBe(1);
  });

  it('a suite whose vitest crashed without outcomes is named in the harness error', () => {
    const merged = mergeSuiteRuns([{ suite: 'failover', exit: 0, outcomes: outcomes([passed]) }, { suite: 'hpa', exit: 1, outcomes: undefined }]);
    expect(merged.vitestExit).toBe(1);
    expect(failureScenarios({ ...merged, startedAt: 1, endedAt: 2 })[0]!.reason).toMatch(/the hpa suite's vitest exited 1 and left no outcomes/);
  });

  it('an unhealthy environment before the first suite ends the run with that error: no suite, no run folder', async () => {
    const baseDir = await mkdtemp(join(tmpdir(), 'prodlike-run-'));
    try {
      const error = new ProdlikeError('ENVIRONMENT_UNHEALTHY', 'not healthy');
      const seen: string[] = [];
      const run = runScenarios({
        loaded: { baseDir, config: { name: 'x', ports: { entry: 1 } } } as never, suites: ['failover', 'backup-restore'], provider: 'docker', profile: 'onprem',
        signal: new AbortController().signal, keepEnvironment: true, beforeSuite: async (suite) => { seen.push(suite); throw error; },
      });
      await expect(run).rejects.toBe(error);
      expect(seen).toEqual(['failover']);
      expect(existsSync(join(baseDir, 'runs'))).toBe(false);
    } finally {
      await rm(baseDir, { recursive: true, force: true });
    }
  });
});
