import Docker from 'dockerode';
import { configSchema, type ProdlikeConfig, type ProdlikeConfigInput, type ProviderName } from '../../src/config/schema.ts';
import { loadConfig, resolveFrom, type LoadedConfig } from '../../src/config/load-config.ts';
import { findTarget, loadTargets, selectProfile, type SelectedProfile } from '../../src/config/load-targets.ts';
import type { Target } from '../../src/config/targets-schema.ts';
import { EventBus } from '../../src/core/events.ts';
import { ProdlikeError } from '../../src/core/errors.ts';
import { dockerEngineMissing, firstMissing, imagesMissing, missingImages } from '../../src/core/prerequisites.ts';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import { evaluateTarget, reportWithoutTarget, type Verdict } from '../../src/measure/verdict.ts';
import { createProvider, topologyImages } from '../../src/providers/create-provider.ts';
import { EnvironmentStore } from '../../src/providers/environment-state.ts';
import type { EnvironmentSecrets } from '../../src/providers/docker/topology.ts';
import { brokenParts } from '../../src/providers/environment-health.ts';
import { canReset, type Provider } from '../../src/providers/provider.ts';
import { waitFor } from '../../src/core/wait.ts';
import { formatDuration } from '../../src/core/duration.ts';
import { RunRecorder } from '../../src/report/run-recorder.ts';
import { FaultJournal } from '../../src/safety/fault-journal.ts';
import { withFaultRegistry, type FaultContext } from '../../src/safety/faults.ts';
import { ALLOW_FOREIGN_FLAG, guardProvider } from '../../src/safety/ownership.ts';
import { RollbackRegistry } from '../../src/safety/rollbacks.ts';

/**
 * What every scenario suite needs: a real environment (created for the suite, or reused when healthy),
 * its secrets, the selected target profile, and a run recorder for the report. Nothing here is a mock.
 *
 * Environment variables (set by `prodlike run`, or by hand):
 *   PRODLIKE_PROVIDER   docker | kind (default docker: the fast loop; kind where its node image exists)
 *   PRODLIKE_SCENARIO_ENV  environment name (default `scenarios`, so a developer's own env is untouched)
 *   PRODLIKE_PROFILE    target profile (default: the config's)
 *   PRODLIKE_RUNS_DIR   where run folders go (default runs/)
 *   PRODLIKE_KEEP_ENV=1 keep the environment after the suite
 *   PRODLIKE_SHARED_ENV=1  one environment for a whole run of suites (the `scenarios-kind` project): a suite
 *                       finds it (created by the first one), resets it to the freshly deployed state
 *                       (`provider.reset`: no new cluster), and leaves it up; a suite that leaves it
 *                       unhealthy fails itself. The project's global teardown removes it
 *                       (scenarios/support/shared-env-teardown.ts).
 *   PRODLIKE_ALLOW_FOREIGN_TARGET=1  the ownership override (`prodlike run --i-know-this-is-not-a-prodlike-cluster`):
 *                       guard refusals become warnings, and every scenario of the report says so
 *
 * Faults other than crashes (pause, partition, scale, stop, node stop) go through `env.faults(scenario)` and
 * the helpers of src/safety/faults.ts — and `env.provider` routes direct calls (`scale(s, 0)`, `pause`…)
 * the same way: each undo is registered in a rollback registry and journalled in
 * `.prodlike/<env>/faults.json` before the fault is applied. SIGINT/SIGTERM (Ctrl-C on `prodlike run`, which signals the suite's whole process group) or the
 * test runner going away stops new faults, runs every pending undo and exits 130; `prodlike run` replays
 * the journal afterwards in case this process could not.
 */
/** Configuration keys a suite sets over the project's (scenarioConfig). */
export type ConfigOverrides = Partial<Omit<ProdlikeConfigInput, 'topology'>> & { topology?: ProdlikeConfigInput['topology'] };

export interface ScenarioEnvironment {
  provider: Provider;
  providerName: ProviderName;
  config: ProdlikeConfig;
  loaded: LoadedConfig;
  secrets: EnvironmentSecrets;
  profile: SelectedProfile;
  recorder: RunRecorder;
  bus: EventBus;
  entry: string;
  created: boolean;
  /** The ownership override is on (PRODLIKE_ALLOW_FOREIGN_TARGET=1). */
  allowForeignTarget: boolean;
  /** The suite's rollback registry; every pending undo runs on Ctrl-C/SIGTERM and at teardown. */
  rollbacks: RollbackRegistry;
  /** Aborted on Ctrl-C/SIGTERM. */
  signal: AbortSignal;
  /** The fault context for src/safety/faults.ts helpers (registry, journal, ownership guard, signal). */
  faults(scenario: string): FaultContext;
  target(id: string): Target;
  /** The verdict against the profile's target `id`; without one, the measured figure is kept as a report-only row. */
  verdict(id: string, measurement: Parameters<typeof evaluateTarget>[1]): Verdict;
  teardown(): Promise<void>;
}

/**
 * Why the suite cannot run here, or undefined when it can: a missing prerequisite is a skip with its
 * reason; an error while checking one fails (src/core/prerequisites.ts), and with CI=true a prerequisite
 * that `.ci/run` set up (PRODLIKE_CI_PREREQS) must be there — its absence fails instead of skipping.
 * `k6: 'host'` needs k6 on this host, `k6: 'image'` the k6 image (k6 as a Job in the cluster).
 */
export async function scenarioSkipReason(provider: ProviderName = (process.env.PRODLIKE_PROVIDER as ProviderName | undefined) ?? 'docker', options: { k6?: 'host' | 'image' } = {}): Promise<string | undefined> {
  const docker = new Docker();
  return firstMissing([
    ['docker', () => dockerEngineMissing(docker)],
    ['images', async () => imagesMissing(docker, Object.values(await topologyImages('offline')))],
    ...(provider === 'kind' ? [['kind-node', async () => {
      const { loadImageCatalog } = await import('../../src/setup/image-catalog.ts');
      const node = (await loadImageCatalog()).kindNode.offline;
      return (await missingImages(docker, [node])).length ? `kind node image ${node} missing (run \`npx prodlike setup --kind\`)` : undefined;
    }] as const] : []),
    ...(options.k6 === 'host' ? [['k6', async () => {
      const { findK6 } = await import('../../src/load/k6.ts');
      return findK6().then(() => undefined, (error: unknown) => `k6 is not installed on this host (${(error as Error).message} Run \`npx prodlike setup\`)`);
    }] as const] : []),
    ...(options.k6 === 'image' ? [['k6-image', async () => {
      const { k6Image } = await import('../../src/load/k6-job.ts');
      const image = await k6Image('offline');
      return (await missingImages(docker, [image])).length ? `k6 image ${image} missing (run \`npx prodlike setup\`)` : undefined;
    }] as const] : []),
  ]);
}

/**
 * The configuration a scenario environment runs with: the project's, under the scenario name, provider and port;
 * `overrides` (a suite's variant of the architecture, e.g. the PostgreSQL HA overlay) replace top-level keys, and
 * per role under `topology`.
 */
export async function scenarioConfig(overrides: ConfigOverrides = {}): Promise<{ loaded: LoadedConfig; providerName: ProviderName }> {
  const providerName = (process.env.PRODLIKE_PROVIDER as ProviderName | undefined) ?? 'docker';
  const base = await loadConfig({ cwd: PACKAGE_ROOT, ...(process.env.PRODLIKE_CONFIG ? { file: process.env.PRODLIKE_CONFIG } : {}) });
  const name = process.env.PRODLIKE_SCENARIO_ENV ?? 'scenarios';
  const config = configSchema.parse({
    ...structuredClone(base.config),
    ...structuredClone(overrides),
    topology: { ...structuredClone(base.config.topology), ...structuredClone(overrides.topology ?? {}) },
    name,
    provider: providerName,
    imageSource: base.config.imageSource,
    ports: { entry: Number(process.env.PRODLIKE_SCENARIO_PORT ?? base.config.ports.entry + 100) },
    ...(process.env.PRODLIKE_PROFILE ? { targets: { ...base.config.targets, profile: process.env.PRODLIKE_PROFILE } } : {}),
  });
  return { loaded: { ...base, config }, providerName };
}

/**
 * `reset: false`: a suite that changes nothing in the environment (it only sends traffic, e.g. the ingress suite)
 * takes a shared environment as the previous suite left it — healthy, its teardown checked that — instead of
 * paying for a reset.
 */
export async function startScenarioEnvironment(suite: string, options: { reset?: boolean; config?: ConfigOverrides } = {}): Promise<ScenarioEnvironment> {
  const { loaded, providerName } = await scenarioConfig(options.config);
  const { config } = loaded;
  const bus = new EventBus();
  const allowForeignTarget = process.env.PRODLIKE_ALLOW_FOREIGN_TARGET === '1';
  const rawProvider = await createProvider({ loaded, bus, allowForeignTarget }, providerName);
  const rollbacks = new RollbackRegistry({ bus });
  const journal = FaultJournal.forEnvironment(loaded.baseDir, config.name);
  const abort = new AbortController();
  const guardCtx = { env: config.name, bus, allowForeignTarget };
  const faults = (scenario: string): FaultContext => ({
    registry: rollbacks, scenario, bus, journal, signal: abort.signal,
    guard: (operation, service) => guardProvider(guardCtx, rawProvider, operation, service),
  });
  // Faults applied by calling the provider directly (scale to 0, pause…) are registered and journalled too.
  const provider = withFaultRegistry(rawProvider, faults(suite));
  let creating: Promise<unknown> = Promise.resolve();
  let lastProblems: string[] = [];
  const recording: { current?: RunRecorder } = {};
  const interrupted = (why: string) => {
    if (abort.signal.aborted) return;
    // The test runner's main process may already be gone: its end of our stdout is closed (EPIPE must not
    // kill us half-way through the rollbacks). The bus still reaches the run's journal.ndjson.
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
    const say = (message: string) => {
      try {
        process.stdout.write(`${message}\n`);
      } catch {
        // stdout closed
      }
    };
    say(`\n[scenario] ${why}: rolling back ${rollbacks.pending.length} pending fault(s)${rollbacks.pending.length ? `: ${[...rollbacks.pending].reverse().join(', ')}` : ''}`);
    bus.emit({ kind: 'log', level: 'warn', source: 'safety.rollbacks', message: `${why}: stopping the suite and rolling back its faults` });
    abort.abort(new Error(`interrupted (${why})`));
    void creating.catch(() => undefined)
      .then(() => rollbacks.runAll(`interrupted (${why})`))
      .then((report) => say(`[scenario] rollbacks: ${report.outcomes.map((o) => `${o.description} ${o.status}`).join(', ') || 'none pending'}`))
      .then(() => recording.current?.finish()) // the scenarios finished before the interrupt stay in the report
      .catch(() => undefined)
      .finally(() => exitNow(130));
  };
  const onSigint = () => interrupted('SIGINT');
  const onSigterm = () => interrupted('SIGTERM');
  const onDisconnect = () => interrupted('the test runner went away');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  process.on('disconnect', onDisconnect);
  const unbind = () => {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    process.off('disconnect', onDisconnect);
  };
  // A scenario environment is disposable: data volumes left by an earlier one of the same name whose
  // credentials are gone (STALE_DATA: a killed run, a fresh clone on a host that kept its volumes) are
  // removed — through the provider's own label-checked destroy — and the environment is created anew.
  const shared = process.env.PRODLIKE_SHARED_ENV === '1';
  // A shared environment that exists is reset straight away, not repaired first by `create`: a suite whose
  // configuration differs from the previous suite's (the PostgreSQL HA variant's manifests) would otherwise apply
  // its manifests over the other's (an immutable field such as a Service's clusterIP fails that apply). A suite
  // with `reset: false` takes it as it is only when it is healthy under its own configuration.
  const existing = shared && canReset(provider) ? await rawProvider.status().catch(() => undefined) : undefined;
  const resetFirst = Boolean(existing?.exists && (options.reset !== false || !existing.healthy));
  const creation = resetFirst ? Promise.resolve(undefined) : provider.create({ signal: abort.signal }).catch(async (error: unknown) => {
    if (!(error instanceof ProdlikeError) || error.code !== 'STALE_DATA') throw error;
    bus.emit({ kind: 'log', level: 'warn', source: 'scenario.env', message: `${error.message} Removing them: scenario environments are disposable.` });
    process.stdout.write(`[${suite}] stale data of an earlier "${config.name}" environment: removing it (${error.message})\n`);
    await rawProvider.destroy();
    return provider.create({ signal: abort.signal });
  });
  creating = creation;
  let created = await creation;
  if (shared && canReset(provider) && (resetFirst || (created !== undefined && created.outcome !== 'created' && options.reset !== false))) {
    // A shared environment another suite used (or one an earlier run kept): back to the freshly deployed state.
    const resetStarted = performance.now();
    const reset = provider.reset({ signal: abort.signal });
    creating = reset;
    const result = await reset;
    created = { outcome: 'created', status: result.status };
    process.stdout.write(`[${suite}] environment "${config.name}" reset in ${formatDuration(performance.now() - resetStarted)} (removed ${result.removed.join(', ') || 'nothing'})\n`);
  }
  if (!created) throw new Error(`environment "${config.name}" was neither created nor reset`);
  const secrets = await new EnvironmentStore(loaded.baseDir, config.name).secrets();
  const targetsFile = await loadTargets(resolveFrom(loaded, config.targets.file));
  const profile = selectProfile(targetsFile, config.targets.profile);
  const recorder = await RunRecorder.start({
    ...(process.env.PRODLIKE_RUNS_DIR ? { root: process.env.PRODLIKE_RUNS_DIR } : {}),
    id: suite,
    bus,
    secrets: Object.values(secrets),
    title: `${suite} on ${providerName}`,
    provider: providerName,
    profile: profile.name,
    environment: config.name,
  });
  recording.current = recorder;
  if (allowForeignTarget) {
    // The override is part of the record: the journal gets the event, every scenario result a note.
    const note = `ownership override ${ALLOW_FOREIGN_FLAG} was used: refusals of the ownership guard were recorded as warnings instead of stopping the run`;
    bus.emit({ kind: 'log', level: 'warn', source: 'safety.ownership', message: note });
    const add = recorder.addScenario.bind(recorder);
    recorder.addScenario = (result) => add({ ...result, notes: [...(result.notes ?? []), note] });
  }
  const target = (id: string): Target => {
    const t = findTarget(profile, id);
    if (!t) throw new Error(`profile ${profile.name} has no target ${id}`);
    return t;
  };
  // provider: cluster deploys into its own namespaces: scenarios see the configuration it maps (topology, executions).
  const envConfig = (rawProvider as { config?: ProdlikeConfig }).config ?? config;
  return {
    provider, providerName, config: envConfig, loaded: { ...loaded, config: envConfig }, secrets, profile, recorder, bus,
    entry: created.status.entry ?? `http://127.0.0.1:${config.ports.entry}`,
    created: created.outcome !== 'unchanged',
    allowForeignTarget,
    rollbacks,
    signal: abort.signal,
    faults,
    target,
    verdict: (id, measurement) => {
      const t = findTarget(profile, id);
      // No such target in this profile: the figure is still recorded, report-only (never dropped, never judged).
      if (!t) return reportWithoutTarget(id, measurement, profile.name);
      return evaluateTarget(t, measurement, { file: targetsFile });
    },
    async teardown() {
      const rolled = await rollbacks.runAll('suite finished');
      unbind();
      const files = await recorder.finish();
      process.stdout.write(`report: ${files.html}\n`);
      let leftBroken: string | undefined;
      if (shared) {
        // The next suite resets it (replica counts an HPA raised, data, leftovers); what a reset cannot
        // repair — a node left down, a workload without any ready replica — fails this suite, not the next.
        leftBroken = await waitFor(async () => {
          const problems = brokenParts(await provider.status());
          return problems.length ? (lastProblems = problems, undefined) : true;
        }, { timeoutMs: 180_000, intervalMs: 5000, description: 'the shared environment to be usable again' }).then(() => undefined, () => `the suite left the shared environment "${config.name}" broken after 180 s: ${lastProblems.join(', ') || 'status unknown'}`);
      } else if (process.env.PRODLIKE_KEEP_ENV !== '1') await provider.destroy();
      if (leftBroken) throw new Error(`${leftBroken}. Every fault must be undone by the suite that made it (rollbacks: ${rolled.outcomes.map((o) => `${o.description} ${o.status}`).join(', ') || 'none'}).`);
      if (!rolled.ok) throw new Error(`rollbacks failed at the end of the suite: ${rolled.outcomes.filter((o) => o.status !== 'ok').map((o) => `${o.description}: ${o.error ?? o.status}`).join('; ')}`);
    },
  };
}

/**
 * Ends this process now. The test runner replaces `process.exit` inside tests with a function that throws
 * (to report stray exits), so after an interrupt, once the rollbacks ran, the suite's worker leaves through
 * Node's underlying exit; if that is unavailable, by SIGKILL.
 */
function exitNow(code: number): void {
  const really = (process as unknown as { reallyExit?: (code: number) => never }).reallyExit;
  if (typeof really === 'function') really.call(process, code);
  process.kill(process.pid, 'SIGKILL');
}
