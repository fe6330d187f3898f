import Docker from 'dockerode';
import { configSchema, type ProdlikeConfig, type ProviderName } from '../../src/config/schema.ts';
import { loadConfig, resolveFrom, type LoadedConfig } from '../../src/config/load-config.ts';
import { findTarget, loadTargets, selectProfile, type SelectedProfile } from '../../src/config/load-targets.ts';
import type { Target } from '../../src/config/targets-schema.ts';
import { EventBus } from '../../src/core/events.ts';
import { PACKAGE_ROOT } from '../../src/core/paths.ts';
import { evaluateTarget, type Verdict } from '../../src/measure/verdict.ts';
import { createProvider, topologyImages } from '../../src/providers/create-provider.ts';
import { EnvironmentStore } from '../../src/providers/environment-state.ts';
import type { EnvironmentSecrets } from '../../src/providers/docker/topology.ts';
import type { Provider } from '../../src/providers/provider.ts';
import { RunRecorder } from '../../src/report/run-recorder.ts';

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
 */
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
  target(id: string): Target;
  verdict(id: string, measurement: Parameters<typeof evaluateTarget>[1]): Verdict;
  teardown(): Promise<void>;
}

/** Why the suite cannot run here, or undefined when it can. */
export async function scenarioSkipReason(provider: ProviderName = (process.env.PRODLIKE_PROVIDER as ProviderName | undefined) ?? 'docker'): Promise<string | undefined> {
  const docker = new Docker();
  if (!(await docker.ping().then(() => true, () => false))) return 'no Docker engine (run `npx prodlike setup`)';
  const images = await topologyImages('offline');
  const missing: string[] = [];
  for (const image of Object.values(images)) if (!(await docker.getImage(image).inspect().catch(() => undefined))) missing.push(image);
  if (missing.length) return `images missing: ${missing.join(', ')} (run \`npx prodlike setup\`)`;
  if (provider === 'kind') {
    const { loadImageCatalog } = await import('../../src/setup/image-catalog.ts');
    const node = (await loadImageCatalog()).kindNode.offline;
    if (!(await docker.getImage(node).inspect().catch(() => undefined))) return `kind node image ${node} missing (run \`npx prodlike setup --kind\`)`;
  }
  return undefined;
}

export async function startScenarioEnvironment(suite: string): Promise<ScenarioEnvironment> {
  const providerName = (process.env.PRODLIKE_PROVIDER as ProviderName | undefined) ?? 'docker';
  const base = await loadConfig({ cwd: PACKAGE_ROOT, ...(process.env.PRODLIKE_CONFIG ? { file: process.env.PRODLIKE_CONFIG } : {}) });
  const name = process.env.PRODLIKE_SCENARIO_ENV ?? 'scenarios';
  const config = configSchema.parse({
    ...structuredClone(base.config),
    name,
    provider: providerName,
    imageSource: base.config.imageSource,
    ports: { entry: Number(process.env.PRODLIKE_SCENARIO_PORT ?? base.config.ports.entry + 100) },
    ...(process.env.PRODLIKE_PROFILE ? { targets: { ...base.config.targets, profile: process.env.PRODLIKE_PROFILE } } : {}),
  });
  const loaded: LoadedConfig = { ...base, config };
  const bus = new EventBus();
  const provider = await createProvider({ loaded, bus }, providerName);
  const created = await provider.create();
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
  const target = (id: string): Target => {
    const t = findTarget(profile, id);
    if (!t) throw new Error(`profile ${profile.name} has no target ${id}`);
    return t;
  };
  return {
    provider, providerName, config, loaded, secrets, profile, recorder, bus,
    entry: created.status.entry ?? `http://127.0.0.1:${config.ports.entry}`,
    created: created.outcome !== 'unchanged',
    target,
    verdict: (id, measurement) => {
      const t = findTarget(profile, id);
      if (!t) return evaluateTarget({ id, metric: 'rto', component: '?', kind: 'report', unit: 'ms', source: { doc: '000', section: '?' } } as never, { skipped: `profile ${profile.name} has no target ${id}` });
      return evaluateTarget(t, measurement, { file: targetsFile });
    },
    async teardown() {
      const files = await recorder.finish();
      process.stdout.write(`report: ${files.html}\n`);
      if (process.env.PRODLIKE_KEEP_ENV !== '1') await provider.destroy();
    },
  };
}
