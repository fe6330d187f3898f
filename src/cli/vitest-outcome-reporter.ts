import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule, TestSuite } from 'vitest/node';

/** An error as `prodlike run` needs it: the ProdlikeError code (when there is one) decides the exit code. */
export interface OutcomeError {
  name?: string;
  message: string;
  code?: string;
}

/** What the suites of `prodlike run` did, per file: written by this reporter, read by run-scenarios.ts. */
export interface VitestOutcomes {
  modules: Array<{
    file: string;
    /** The vitest project (`unit`, `scenarios`…): scripts/test.mjs prints per-project times from it. */
    project?: string;
    /** The project's `sequence.groupOrder`: groups run one after the other, so a file run by two projects is told apart by its start time. */
    groupOrder?: number;
    /** When the file started running (after collection: its beforeAll hooks are inside) and ended, epoch ms. */
    startedAt?: number;
    endedAt?: number;
    /** Errors outside any test: the file failed to load, a beforeAll/afterAll hook threw. */
    errors: Array<OutcomeError & { where: string }>;
    tests: Array<{ name: string; state: 'passed' | 'failed' | 'skipped' | 'pending'; errors: OutcomeError[] }>;
  }>;
  unhandled: OutcomeError[];
}

const toOutcomeError = (e: { name?: string; message?: string; code?: unknown }): OutcomeError => ({
  ...(e.name ? { name: e.name } : {}),
  message: (e.message ?? '').split('\n')[0]!.slice(0, 500),
  ...(typeof e.code === 'string' ? { code: e.code } : {}),
});

/**
 * A vitest reporter (`--reporter=<this file>`) writing, to $PRODLIKE_VITEST_OUTCOMES, which tests failed and
 * with which error — keeping the `code` of a ProdlikeError, which vitest's JSON reporter drops — and which
 * errors happened outside tests (file load, hooks). `prodlike run` maps them to exit 1 (a scenario ran and
 * a check failed) or 3 (a suite could not run).
 */
export default class VitestOutcomeReporter implements Reporter {
  /** Wall-clock start and end per module run (vitest's JSON report starts a file at its first test, leaving out a beforeAll that creates a cluster). */
  readonly #times = new Map<TestModule, { startedAt: number; endedAt?: number }>();

  onTestModuleStart(testModule: TestModule): void {
    this.#times.set(testModule, { startedAt: Date.now() });
  }

  onTestModuleEnd(testModule: TestModule): void {
    const t = this.#times.get(testModule);
    if (t) t.endedAt = Date.now();
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<{ name?: string; message?: string; code?: unknown }>): void {
    const out = process.env.PRODLIKE_VITEST_OUTCOMES;
    if (!out) return;
    const outcomes: VitestOutcomes = {
      modules: testModules.map((m) => {
        const suites: Array<TestModule | TestSuite> = [m, ...m.children.allSuites()];
        return {
          file: m.moduleId,
          project: m.project.name,
          groupOrder: m.project.config.sequence.groupOrder,
          ...this.#times.get(m),
          errors: suites.flatMap((s) => s.errors().map((e) => ({ ...toOutcomeError(e), where: s.type === 'module' ? 'file' : `suite "${s.name}"` }))),
          tests: [...m.children.allTests()].map((t) => {
            const r = t.result();
            return { name: t.fullName, state: r.state, errors: (r.errors ?? []).map(toOutcomeError) };
          }),
        };
      }),
      unhandled: unhandledErrors.map(toOutcomeError),
    };
    writeFileSync(out, `${JSON.stringify(outcomes, null, 2)}\n`);
  }
}
