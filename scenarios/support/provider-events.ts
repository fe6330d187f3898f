import Docker from 'dockerode';
import type { TimelineEvent } from '../../src/measure/timeline.ts';
import { recordDockerEvents } from '../../src/providers/docker/docker-events.ts';
import type { ScenarioEnvironment } from './scenario-env.ts';

export interface ProviderEventWatch {
  /** Stops watching; returns the provider's timeline entries (container died/started/ready…), sorted. */
  stop(): Promise<TimelineEvent[]>;
}

/**
 * Provider timeline events for a scenario: on docker, the engine's event stream for this environment's
 * containers (src/providers/docker/docker-events.ts). Usage:
 *   const watch = await watchProviderEvents(env);  …fault, recovery…  timeline.merge(await watch.stop());
 * On kind this returns no events for now (the Kubernetes watch belongs to the kind provider).
 */
export async function watchProviderEvents(env: Pick<ScenarioEnvironment, 'providerName' | 'config'>): Promise<ProviderEventWatch> {
  if (env.providerName !== 'docker') return { stop: async () => [] };
  const recorder = await recordDockerEvents(new Docker(), env.config.name);
  return { stop: () => recorder.stop() };
}
