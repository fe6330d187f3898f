import { resolveTopology, type ProdlikeConfig } from '../../src/config/schema.ts';
import { canWatchEvents, type ProviderEventWatch } from '../../src/providers/provider.ts';
import type { ScenarioEnvironment } from './scenario-env.ts';

export type { ProviderEventWatch } from '../../src/providers/provider.ts';

/** The roles whose pods a kind scenario's timeline follows: every enabled one but the frontend. */
const FOLLOWED = ['backend', 'worker', 'postgres', 'redis', 'minio'] as const;

/**
 * The pod watches a kind timeline needs, from the configuration (topology.<role>.namespace and selector):
 * one per namespace when the roles there are told apart by one label key (`app in (backend,worker,…)`),
 * otherwise one per role.
 */
export function timelineWatches(config: ProdlikeConfig): Array<{ namespace: string; podSelector: string }> {
  const roles = resolveTopology(config).filter((w) => w.enabled && (FOLLOWED as readonly string[]).includes(w.role));
  const out: Array<{ namespace: string; podSelector: string }> = [];
  for (const namespace of [...new Set(roles.map((w) => w.namespace))]) {
    const here = roles.filter((w) => w.namespace === namespace);
    const keys = new Set(here.flatMap((w) => Object.keys(w.selector)));
    const [key] = keys;
    if (keys.size === 1 && here.every((w) => Object.keys(w.selector).length === 1)) {
      out.push({ namespace, podSelector: `${key} in (${[...new Set(here.map((w) => w.selector[key!]))].join(',')})` });
    } else {
      for (const w of here) out.push({ namespace, podSelector: Object.entries(w.selector).map(([k, v]) => `${k}=${v}`).join(',') });
    }
  }
  return out;
}

/**
 * Provider timeline events for a scenario. Usage:
 *   const watch = await watchProviderEvents(env);  …fault, recovery…  timeline.merge(await watch.stop());
 * The provider's event watch (SupportsEventWatch, src/providers/provider.ts):
 * - docker: the engine's event stream for this environment's containers (src/providers/docker/docker-events.ts).
 * - kind: Kubernetes API watches of the followed roles' pods (deleted/terminating, scheduled on a node, Ready)
 *   and Jobs in their namespaces (src/measure/kube-events.ts), times taken when the watch event arrives, API
 *   timestamps in the detail. Watch errors are reported as timeline notes rather than failing the scenario.
 */
export async function watchProviderEvents(env: Pick<ScenarioEnvironment, 'providerName' | 'config' | 'provider'>): Promise<ProviderEventWatch> {
  const provider = env.provider;
  if (!canWatchEvents(provider)) return { stop: async () => [] };
  // docker follows all of the environment's containers: one watch, its options ignored.
  if (env.providerName === 'docker') return provider.watchEvents({});
  const watches = await Promise.all(timelineWatches(env.config).map((options) => provider.watchEvents(options).catch((error: unknown): ProviderEventWatch => {
    // The timeline is evidence, not the measurement: the scenario goes on and its timeline says why it is thinner.
    const failed = error instanceof Error ? error.message : String(error);
    const at = Date.now();
    return { stop: async () => [{ at, type: 'note', source: 'provider', subject: 'kubernetes watch', detail: `could not watch ${options.podSelector} in ${options.namespace}: ${failed.split('\n')[0]}` }] };
  })));
  return { stop: async () => (await Promise.all(watches.map((w) => w.stop()))).flat().sort((a, b) => a.at - b.at) };
}
