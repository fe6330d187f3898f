import type { TestContext } from 'vitest';
import { buildScenarioResult } from '../../src/report/scenario-result.ts';
import type { ScenarioEnvironment } from './scenario-env.ts';

/** The scenario a skip is recorded for in results.json. */
export interface SkippedScenario {
  suite: string;
  id: string;
  title: string;
}

/**
 * What a scenario needs — a provider capability, a procedure, a declared endpoint — or a skip: the one place
 * scenarios skip for a missing capability. An undefined `capability` skips the test with `reason` and
 * records the scenario as skipped with it, so the report lists it with its reason; otherwise it is returned.
 */
export function requires<T>(test: TestContext, env: Pick<ScenarioEnvironment, 'recorder'>, scenario: SkippedScenario, capability: T | undefined, reason: string): T {
  if (capability !== undefined) return capability;
  env.recorder.addScenario(buildScenarioResult({ ...scenario, status: 'skipped', reason, startedAt: Date.now(), endedAt: Date.now() }));
  return test.skip(reason);
}
