import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../config/load-config.ts';
import type { ProviderName } from '../config/schema.ts';
import { UsageError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { createRunDirectory, listRuns } from '../report/run-directory.ts';
import { readRunResults, writeRunReport } from '../report/report-writer.ts';
import { RESULTS_SCHEMA_VERSION, type RunResults } from '../report/run-results.ts';
import { PACKAGE_VERSION } from '../core/paths.ts';
import { cpus } from 'node:os';

export const SUITES = ['failover', 'backup-restore', 'hpa', 'execution-load'] as const;

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
  // The suites run in their own process group: Ctrl-C/SIGTERM is forwarded to the whole group, so the
  // test worker (which holds the rollbacks of its faults) gets it too, not only the runner, and we wait
  // until every process of the group is gone (the worker exits once it has healed its faults).
  const vitestExit = await new Promise<number>((resolve) => {
    const child = spawn('npx', ['vitest', 'run', '--project', 'scenarios', ...files], { cwd: PACKAGE_ROOT, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    const stop = () => signalGroup(child.pid, 'SIGINT');
    options.signal.addEventListener('abort', stop, { once: true });
    child.on('exit', (code) => {
      options.signal.removeEventListener('abort', stop);
      void waitForGroup(child.pid, options.signal.aborted ? 90_000 : 10_000).then(() => resolve(code ?? 1));
    });
  });
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
  if (vitestExit !== 0 && scenarios.every((s) => s.status !== 'error') && !scenarios.some((s) => s.verdicts.some((v) => v.verdict === 'fail'))) {
    results.scenarios.push({ id: 'harness', title: 'Suite runner', status: 'error', reason: `vitest exited ${vitestExit} without a missed target recorded: a suite failed to run (see its output above)`, startedAt, endedAt: Date.now(), verdicts: [], timeline: [], intervals: [], probes: [], sentinels: [], series: [], notes: [] });
  }
  await writeRunReport(parent.path, results);
  return { dir: parent.path, results, vitestExit };
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
