import { EXIT_CODES, type ExitCode } from '../core/errors.ts';
import { missedTargets, type Verdict } from '../measure/verdict.ts';
import type { RunResults } from './run-results.ts';

export interface RunOutcome {
  /** 0 all evaluated targets met; 1 an SLO target was missed; 3 a scenario could not run (and none missed). */
  exitCode: ExitCode;
  counts: { pass: number; fail: number; skipped: number; scenarioErrors: number; scenariosSkipped: number };
  missed: Array<{ scenario: string; verdict: Verdict }>;
  harnessErrors: Array<{ scenario: string; reason: string }>;
}

/**
 * The run's exit code, never mixing "target missed" (1) with "harness could not run" (3). When both happen,
 * 1 wins: a measured miss is a finding that must not be hidden behind an infrastructure error; the errors
 * are still listed in the report and the CLI table.
 */
export function runOutcome(results: RunResults): RunOutcome {
  const all = results.scenarios.flatMap((s) => s.verdicts.map((verdict) => ({ scenario: s.id, verdict })));
  const missed = results.scenarios.flatMap((s) => missedTargets(s.verdicts).map((verdict) => ({ scenario: s.id, verdict })));
  const harnessErrors = results.scenarios.filter((s) => s.status === 'error').map((s) => ({ scenario: s.id, reason: s.reason ?? 'no reason recorded' }));
  const counts = {
    pass: all.filter((v) => v.verdict.verdict === 'pass').length,
    fail: all.filter((v) => v.verdict.verdict === 'fail').length,
    skipped: all.filter((v) => v.verdict.verdict === 'skipped').length,
    scenarioErrors: harnessErrors.length,
    scenariosSkipped: results.scenarios.filter((s) => s.status === 'skipped').length,
  };
  const exitCode = missed.length > 0 ? EXIT_CODES.targetMissed : harnessErrors.length > 0 ? EXIT_CODES.environment : EXIT_CODES.ok;
  return { exitCode, counts, missed, harnessErrors };
}
