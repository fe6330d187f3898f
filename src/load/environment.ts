import type { LoadedConfig } from '../config/load-config.ts';
import { ProdlikeError } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';
import { createProvider } from '../providers/create-provider.ts';
import { EnvironmentStore } from '../providers/environment-state.ts';
import { canEndpoint, serviceRef, type EnvironmentStatus, type Provider } from '../providers/provider.ts';
import type { RedisTarget } from './queue-sampler.ts';

export interface LoadEnvironment {
  provider: Provider;
  status: EnvironmentStatus;
  /** Entry point (ingress), e.g. http://127.0.0.1:18080. */
  baseUrl: string;
  /** Redis on 127.0.0.1 with the environment's password, for the queue sampler. */
  redis?: RedisTarget | undefined;
  /** Why there is no Redis target. */
  redisSkipped?: string | undefined;
}

/**
 * The running environment a load test talks to: its entry point and Redis. Refuses an environment that
 * is not up or not healthy — numbers measured against a half-started system say nothing.
 */
export async function attachEnvironment(loaded: LoadedConfig, bus?: EventBus): Promise<LoadEnvironment> {
  const provider = await createProvider({ loaded, ...(bus ? { bus } : {}) });
  const status = await provider.status();
  const env = loaded.config.name;
  if (!status.exists || !status.entry) {
    throw new ProdlikeError('PROVIDER_FAILED', `Environment "${env}" (${provider.name}) is not up: there is nothing to load.`, {
      hint: 'Start it with `npx prodlike up --provider docker` (about 15-30 s), then run the load test again.',
    });
  }
  if (!status.healthy) {
    const bad = status.services.filter((s) => s.replicas.length !== s.desired || s.replicas.some((r) => r.health !== 'healthy')).map(serviceRef);
    throw new ProdlikeError('PROVIDER_FAILED', `Environment "${env}" is up but not healthy (${bad.join(', ')}): a load test now would measure a broken system.`, {
      hint: '`prodlike status` shows what is wrong; `prodlike up` repairs it.',
    });
  }
  let redis: RedisTarget | undefined;
  let redisSkipped: string | undefined;
  if (canEndpoint(provider)) {
    try {
      const endpoint = await provider.endpoint('redis');
      const secrets = await new EnvironmentStore(loaded.baseDir, env).secrets();
      redis = { host: endpoint.host, port: endpoint.port, password: secrets.redisPassword };
    } catch (error) {
      redisSkipped = `Redis is not reachable from the host: ${(error as Error).message}`;
    }
  } else {
    redisSkipped = `the ${provider.name} provider publishes no Redis endpoint to the host`;
  }
  return { provider, status, baseUrl: status.entry, redis, redisSkipped };
}
