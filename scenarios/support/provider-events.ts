import Docker from 'dockerode';
import { KubeBackupWatch } from '../../src/backup/kube-events.ts';
import type { TimelineEvent } from '../../src/measure/timeline.ts';
import { recordDockerEvents } from '../../src/providers/docker/docker-events.ts';
import { KindProvider } from '../../src/providers/kind/kind-provider.ts';
import type { ScenarioEnvironment } from './scenario-env.ts';

export interface ProviderEventWatch {
  /** Stops watching; returns the provider's timeline entries (container died/started/ready…), sorted. */
  stop(): Promise<TimelineEvent[]>;
}

/** The workloads whose pods a kind scenario's timeline follows (all in app-backend, document 001's namespace). */
export const KIND_TIMELINE_SELECTOR = 'app in (backend,worker,postgres,redis,minio)';

/**
 * Provider timeline events for a scenario. Usage:
 *   const watch = await watchProviderEvents(env);  …fault, recovery…  timeline.merge(await watch.stop());
 * - docker: the engine's event stream for this environment's containers (src/providers/docker/docker-events.ts).
 * - kind: Kubernetes API watches of app-backend's pods (deleted/terminating, scheduled on a node, Ready) and
 *   Jobs (src/backup/kube-events.ts), times taken when the watch event arrives, API timestamps in the detail.
 *   Watch errors are reported as timeline notes rather than failing the scenario they describe.
 */
export async function watchProviderEvents(env: Pick<ScenarioEnvironment, 'providerName' | 'config' | 'provider'>): Promise<ProviderEventWatch> {
  if (env.providerName === 'docker') {
    const recorder = await recordDockerEvents(new Docker(), env.config.name);
    return { stop: () => recorder.stop() };
  }
  if (env.provider instanceof KindProvider) {
    const watch = new KubeBackupWatch({ kubectl: env.provider.kubectl, namespace: 'app-backend', podSelector: KIND_TIMELINE_SELECTOR });
    const failed = await watch.start().then(() => undefined, (error: unknown) => (error instanceof Error ? error.message : String(error)));
    if (failed !== undefined) {
      watch.stop();
      // The timeline is evidence, not the measurement: the scenario goes on and its timeline says why it is thinner.
      const at = Date.now();
      return { stop: async () => [{ at, type: 'note', source: 'provider', subject: 'kubernetes watch', detail: `could not watch app-backend: ${failed.split('\n')[0]}` }] };
    }
    return {
      stop: async () => {
        const events = watch.stop();
        const notes: TimelineEvent[] = watch.errors.map((error) => ({ at: Date.now(), type: 'note', source: 'provider', subject: 'kubernetes watch', detail: error }));
        return [...events, ...notes];
      },
    };
  }
  return { stop: async () => [] };
}
