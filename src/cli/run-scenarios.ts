import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { LoadedConfig } from '../config/load-config.ts';
import type { ProviderName } from '../config/schema.ts';
import { ERROR_CODES, EXIT_CODES, ProdlikeError, UsageError, type ErrorCode } from '../core/errors.ts';
import { PACKAGE_ROOT, PACKAGE_VERSION } from '../core/paths.ts';
import { evaluateTarget } from '../measure/verdict.ts';
import { createRunDirectory, listRuns } from '../report/run-directory.ts';
import { readRunResults, writeRunReport } from '../report/report-writer.ts';
import { RESULTS_SCHEMA_VERSION, type RunResults, type ScenarioResult } from '../report/run-results.ts';
import type { OutcomeError, VitestOutcomes } from './vitest-outcome-reporter.ts';

export const SUITES = ['failover', 'backup-restore', 'hpa', 'execution-load', 'ingress'] as const;

export interface RunScenariosOptions {
  loaded: LoadedConfig;
  suites: string[];
  provider: ProviderName;
  profile: string;
  signal: AbortSignal;
  /** Keep the environment after the run (default: true when it was up before). */
  keepEnvironment: boolean;
  /** The ownership override (`--i-know-this-is-not-a-prodlike-cluster`), passed to the suites and recorded. */
  allowForeignTarget?: boolean;
  /**
   * Before each suite (`prodlike run`: wait until the environment is healthy). Throwing before the first
   * suite ends the run with that error; before a later one, the remaining suites are not run and the
   * error is the run's harness error, next to what the earlier suites measured.
   */
  beforeSuite?: (suite: string) => Promise<void>;
}

/**
 * `prodlike run <suite…>`: the suites are vitest files under scenarios/; they run against the configured
 * environment, each writing its run folder under one parent folder, merged here into one report.
 */
export async function runScenarios(options: RunScenariosOptions): Promise<{ dir: string; results: RunResults; vitestExit: number }> {
  const files = options.suites.map((suite) => {
    if (!(SUITES as readonly string[]).includes(suite)) throw new UsageError(`Unknown suite "${suite}".`, { hint: `Suites: ${SUITES.join(', ')}.` });
    const file = join(PACKAGE_ROOT, 'scenarios', `${suite}.test.ts`);
    if (!existsSync(file)) throw new UsageError(`Suite "${suite}" is not built yet (no ${file}).`, { hint: 'See README.md, "What works today".' });
    return file;
  });
  // Not on an environment still recovering (a node-stop just before, pods restarting): the first suite
  // waits here, before anything is created; a later one after the suite before it.
  await options.beforeSuite?.(options.suites[0]!);
  const parent = await createRunDirectory({ root: join(options.loaded.baseDir, 'runs'), id: `run-${options.suites.join('+')}` });
  const startedAt = Date.now();
  const env = {
    ...process.env,
    PRODLIKE_PROVIDER: options.provider,
    PRODLIKE_PROFILE: options.profile,
    PRODLIKE_SCENARIO_ENV: options.loaded.config.name,
    PRODLIKE_SCENARIO_PORT: String(options.loaded.config.ports.entry),
    PRODLIKE_RUNS_DIR: parent.path,
    PRODLIKE_KEEP_ENV: options.keepEnvironment ? '1' : '0',
    PRODLIKE_ALLOW_FOREIGN_TARGET: options.allowForeignTarget ? '1' : '0',
    ...(options.loaded.file ? { PRODLIKE_CONFIG: options.loaded.file } : {}),
  };
  // One vitest per suite, one after the other (as fileParallelism: false ran them), so the environment is
  // checked between them.
  const runs: SuiteRun[] = [];
  let stopped: OutcomeError | undefined;
  for (const [i, suite] of options.suites.entries()) {
    if (options.signal.aborted) break;
    if (i > 0 && options.beforeSuite) {
      const error = await options.beforeSuite(suite).then(() => undefined, (e: unknown) => e);
      if (options.signal.aborted) break;
      if (error !== undefined) {
        // What ran is reported; what did not is a harness error of the run (exit 3 unless a target was missed).
        const e = error as { name?: string; message?: string; code?: unknown };
        stopped = { name: e.name ?? 'Error', message: `${e.message ?? String(error)} Not run: ${options.suites.slice(i).join(', ')}.`, ...(typeof e.code === 'string' ? { code: e.code } : {}) };
        break;
      }
    }
    const outcomesFile = join(parent.path, `vitest-outcomes-${i + 1}-${suite}.json`);
    const exit = await runVitest(files[i]!, { ...env, PRODLIKE_VITEST_OUTCOMES: outcomesFile }, options.signal);
    runs.push({ suite, exit, outcomes: await readFile(outcomesFile, 'utf8').then((text) => JSON.parse(text) as VitestOutcomes, () => undefined) });
  }
  const { vitestExit, outcomes } = mergeSuiteRuns(runs, stopped);
  const scenarios = [];
  for (const dir of await listRuns(parent.path)) {
    try {
      scenarios.push(...(await readRunResults(dir)).scenarios);
    } catch {
      // a suite that crashed before writing results: reported below as a harness error
    }
  }
  const results: RunResults = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: parent.runId,
    title: `prodlike run ${options.suites.join(' ')}`,
    dataOrigin: 'measured',
    startedAt,
    endedAt: Date.now(),
    provider: options.provider,
    profile: options.profile,
    environment: options.loaded.config.name,
    tool: { name: 'prodlike', version: PACKAGE_VERSION },
    host: { platform: `${process.platform}-${process.arch}`, node: process.versions.node, cpus: cpus().length },
    scenarios,
  };
  results.scenarios.push(...failureScenarios({ vitestExit, outcomes, startedAt, endedAt: Date.now() }));
  await writeRunReport(parent.path, results);
  return { dir: parent.path, results, vitestExit };
}

/** One suite's vitest: its exit code and the outcomes its reporter left (none when it crashed). */
export interface SuiteRun {
  suite: string;
  exit: number;
  outcomes: VitestOutcomes | undefined;
}

/**
 * The suites' runs as one: modules and unhandled errors together, the first non-zero exit. A suite whose
 * vitest failed without leaving outcomes, and the reason the run stopped before the remaining suites
 * (`stopped`), are unhandled errors of the run, so they become its harness error.
 */
export function mergeSuiteRuns(runs: readonly SuiteRun[], stopped?: OutcomeError): { vitestExit: number; outcomes: VitestOutcomes } {
  const vitestExit = runs.find((r) => r.exit !== 0)?.exit ?? (stopped ? 1 : 0);
  const outcomes: VitestOutcomes = { modules: [], unhandled: [] };
  for (const r of runs) {
    if (r.outcomes) {
      outcomes.modules.push(...r.outcomes.modules);
      outcomes.unhandled.push(...r.outcomes.unhandled);
    } else if (r.exit !== 0) {
      outcomes.unhandled.push({ message: `the ${r.suite} suite's vitest exited ${r.exit} and left no outcomes: it failed to run (see its output above)` });
    }
  }
  if (stopped) outcomes.unhandled.push(stopped);
  return { vitestExit, outcomes };
}

/** The vitest CLI prodlike depends on (its package's `bin`), resolved from prodlike's own package. */
const VITEST_CLI = join(dirname(createRequire(join(PACKAGE_ROOT, 'package.json')).resolve('vitest/package.json')), 'vitest.mjs');

/**
 * One suite file's vitest, in its own process group: Ctrl-C/SIGTERM is forwarded to the whole group, so the
 * test worker (which holds the rollbacks of its faults) gets it too, not only the runner, and we wait
 * until every process of the group is gone (the worker exits once it has healed its faults).
 */
function runVitest(file: string, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<number> {
  const reporter = join(PACKAGE_ROOT, 'src', 'cli', 'vitest-outcome-reporter.ts');
  return new Promise<number>((resolve) => {
    // vitest's own CLI on this Node, not through npx: one process less between us and the suite (npm exec
    // resolves the binary, reads npm's config and cache on every start) and nothing of npm's to wait on.
    const child = spawn(process.execPath, [VITEST_CLI, 'run', '--project', 'scenarios', '--reporter=default', `--reporter=${reporter}`, file], { cwd: PACKAGE_ROOT, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    const stop = () => signalGroup(child.pid, 'SIGINT');
    signal.addEventListener('abort', stop, { once: true });
    child.on('exit', (code) => {
      signal.removeEventListener('abort', stop);
      void waitForGroup(child.pid, signal.aborted ? 90_000 : 10_000).then(() => resolve(code ?? 1));
    });
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals | 0): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Waits until no process of the group is left (rollbacks in the worker take a moment), then SIGKILLs it. */
async function waitForGroup(pid: number | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (signalGroup(pid, 0)) {
    if (Date.now() > deadline) {
      signalGroup(pid, 'SIGKILL');
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A failed test or a failure outside tests, with what decides its exit code. */
export interface SuiteFailure {
  file: string;
  /** The test's full name, or where outside tests (`file`, `suite "…"`, `run`). */
  where: string;
  error: OutcomeError;
}

/**
 * Sorts what failed in a `prodlike run` into the two answers it can give:
 *   missed (exit 1): a check failed in a scenario that ran — an assertion (a product bug or a missed target)
 *     or a ProdlikeError whose code maps to exit 1 (src/core/errors.ts);
 *   couldNotRun (exit 3): the file did not load, a beforeAll/afterAll hook failed, an unhandled error, or a
 *     test stopped on a ProdlikeError with another exit code (environment, usage, internal) or on an error
 *     that is neither an assertion nor a ProdlikeError (nothing says the product is at fault).
 */
export function classifyFailures(outcomes: VitestOutcomes): { missed: SuiteFailure[]; couldNotRun: SuiteFailure[] } {
  const missed: SuiteFailure[] = [];
  const couldNotRun: SuiteFailure[] = [];
  for (const m of outcomes.modules) {
    const file = relative(PACKAGE_ROOT, m.file);
    for (const e of m.errors) couldNotRun.push({ file, where: e.where, error: e });
    for (const t of m.tests) {
      if (t.state !== 'failed') continue;
      const error = t.errors[0] ?? { message: 'failed without an error' };
      (failureExit(error) === EXIT_CODES.targetMissed ? missed : couldNotRun).push({ file, where: t.name, error });
    }
  }
  for (const e of outcomes.unhandled) couldNotRun.push({ file: '', where: 'run', error: e });
  return { missed, couldNotRun };
}

function failureExit(error: OutcomeError): number {
  if (error.code && (ERROR_CODES as readonly string[]).includes(error.code)) return new ProdlikeError(error.code as ErrorCode, error.message).exitCode;
  return error.name === 'AssertionError' ? EXIT_CODES.targetMissed : EXIT_CODES.environment;
}

const describeFailure = (f: SuiteFailure) => `${f.file ? `${f.file}: ` : ''}${f.where}: ${f.error.name ?? 'Error'}${f.error.code ? ` ${f.error.code}` : ''}: ${f.error.message}`;

/**
 * What the run's results must add so the exit code tells the truth: a failed check in a scenario that ran
 * becomes a failed `slo` verdict (at most 0 failed checks, measured 1 per failed test: exit 1); a suite that
 * could not run becomes a `harness` scenario with status `error` (exit 3 unless something was missed).
 * vitest failing without leaving its outcomes (it crashed) is a harness error too.
 */
export function failureScenarios(input: { vitestExit: number; outcomes: VitestOutcomes | undefined; startedAt: number; endedAt: number }): ScenarioResult[] {
  const { vitestExit, outcomes, startedAt, endedAt } = input;
  const empty = { startedAt, endedAt, timeline: [], intervals: [], probes: [], sentinels: [], series: [], notes: [] };
  if (!outcomes) {
    return vitestExit === 0 ? [] : [{ id: 'harness', title: 'Suite runner', status: 'error', reason: `vitest exited ${vitestExit} and left no outcomes: a suite failed to run (see its output above)`, verdicts: [], ...empty }];
  }
  const { missed, couldNotRun } = classifyFailures(outcomes);
  const added: ScenarioResult[] = [];
  if (missed.length) {
    added.push({
      id: 'checks', title: 'Scenario checks (assertions of scenarios that ran)', status: 'completed', verdicts: missed.map((f) => evaluateTarget(
        { id: `check: ${f.where}`, metric: 'failed-checks', component: f.file, kind: 'slo', unit: 'count', maxValue: 0, source: { doc: 'prodlike', section: f.file } },
        { value: 1, note: describeFailure(f) },
        { sourceLabel: `the scenario's own checks (${f.file})` },
      )), ...empty,
    });
  }
  if (couldNotRun.length) {
    added.push({ id: 'harness', title: 'Suite runner', status: 'error', reason: `could not run: ${couldNotRun.map(describeFailure).join('; ')}`, verdicts: [], ...empty });
  } else if (vitestExit !== 0 && !missed.length) {
    added.push({ id: 'harness', title: 'Suite runner', status: 'error', reason: `vitest exited ${vitestExit} with no failed test recorded (see its output above)`, verdicts: [], ...empty });
  }
  return added;
}
