import { canWatchEvents, type ProviderEventWatch } from '../../src/providers/provider.ts';
import type { ScenarioEnvironment } from './scenario-env.ts';

export type { ProviderEventWatch } from '../../src/providers/provider.ts';

/** The workloads whose pods a kind scenario's timeline follows (all in app-backend, document 001's namespace). */
export const KIND_TIMELINE_SELECTOR = 'app in (backend,worker,postgres,redis,minio)';

/**
 * Provider timeline events for a scenario. Usage:
 *   const watch = await watchProviderEvents(env);  …fault, recovery…  timeline.merge(await watch.stop());
 * The provider's event watch (SupportsEventWatch, src/providers/provider.ts):
 * - docker: the engine's event stream for this environment's containers (src/providers/docker/docker-events.ts).
 * - kind: Kubernetes API watches of app-backend's pods (deleted/terminating, scheduled on a node, Ready) and
 *   Jobs (src/measure/kube-events.ts), times taken when the watch event arrives, API timestamps in the detail.
 *   Watch errors are reported as timeline notes rather than failing the scenario they describe.
 */
export async function watchProviderEvents(env: Pick<ScenarioEnvironment, 'providerName' | 'config' | 'provider'>): Promise<ProviderEventWatch> {
  if (!canWatchEvents(env.provider)) return { stop: async () => [] };
  // kind follows these pods of app-backend; docker follows all of the environment's containers.
  return env.provider.watchEvents({ namespace: 'app-backend', podSelector: KIND_TIMELINE_SELECTOR }).catch((error: unknown): ProviderEventWatch => {
    if (env.providerName === 'docker') throw error;
    // The timeline is evidence, not the measurement: the scenario goes on and its timeline says why it is thinner.
    const failed = error instanceof Error ? error.message : String(error);
    const at = Date.now();
    return { stop: async () => [{ at, type: 'note', source: 'provider', subject: 'kubernetes watch', detail: `could not watch app-backend: ${failed.split('\n')[0]}` }] };
  });
}
