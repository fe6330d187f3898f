import { formatDuration } from '../core/duration.ts';
import { ProdlikeError } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';
import { waitFor } from '../core/wait.ts';
import { serviceRef, type EnvironmentStatus, type Provider } from './provider.ts';

/**
 * What keeps an environment from being usable, in words, from one status. Default: what a reset cannot
 * repair — a node not Ready, a workload without any ready replica. `everyReplica`: also a workload with
 * fewer ready replicas than desired ("backend 1/2 ready"), which a scenario must not start on.
 */
export function brokenParts(status: EnvironmentStatus, options: { everyReplica?: boolean } = {}): string[] {
  if (!status.exists) return ['the environment is gone'];
  return [
    ...(status.cluster?.nodes ?? []).filter((n) => !n.ready).map((n) => `node ${n.name} NotReady`),
    ...status.services.filter((s) => s.desired > 0).flatMap((s) => {
      const ready = s.replicas.filter((r) => r.health === 'healthy').length;
      if (ready === 0) return [options.everyReplica ? `${serviceRef(s)} 0/${s.desired} ready` : `${serviceRef(s)} has no ready replica`];
      return options.everyReplica && ready < s.desired ? [`${serviceRef(s)} ${ready}/${s.desired} ready`] : [];
    }),
  ];
}

export interface HealthyWaitOptions {
  timeoutMs: number;
  /** Between status calls while something is not ready. Default 5 s. */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Where the wait shows: a step `env.healthy` (start, progress "backend 1/2 ready", end) — only when there is something to wait for. */
  bus?: EventBus;
  /** What the wait is for, at the end of the step's title ("before failover"). */
  purpose?: string;
}

/**
 * Waits until every workload of an existing environment reports all its replicas ready (and every node
 * Ready). One status call when it already is, or when there is no environment (whoever runs next creates
 * it). Returns what was not ready at first (empty when nothing was waited for). On timeout:
 * ENVIRONMENT_UNHEALTHY naming what is still not ready and what to do.
 */
export async function waitUntilHealthy(provider: Pick<Provider, 'status'>, env: string, options: HealthyWaitOptions): Promise<string[]> {
  const first = await provider.status();
  const initially = first.exists ? brokenParts(first, { everyReplica: true }) : [];
  if (initially.length === 0) return [];
  let notReady = initially;
  const wait = async (progress: (message: string) => void): Promise<string[]> => {
    try {
      await waitFor(async () => {
        const status = await provider.status();
        notReady = status.exists ? brokenParts(status, { everyReplica: true }) : [];
        if (notReady.length) progress(`${notReady.join(', ')}…`);
        return notReady.length === 0;
      }, { timeoutMs: options.timeoutMs, intervalMs: options.intervalMs ?? 5000, description: `environment "${env}" to be healthy`, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (error) {
      if (!(error instanceof ProdlikeError) || error.code !== 'READINESS_TIMEOUT') throw error;
      throw new ProdlikeError('ENVIRONMENT_UNHEALTHY', `Environment "${env}" is not healthy after ${formatDuration(options.timeoutMs)}: ${notReady.join(', ')}; not starting a suite on it.`, {
        hint: 'See what is wrong with `prodlike status` (and `prodlike logs <service>`); bring it back to the freshly deployed state with `prodlike reset`, or `prodlike down && prodlike up`; or wait longer with --ready-timeout.',
        cause: error,
        details: { env, notReady, timeoutMs: options.timeoutMs },
      });
    }
    return initially;
  };
  const title = `waiting for the environment "${env}" to be healthy${options.purpose ? ` ${options.purpose}` : ''}: ${initially.join(', ')}`;
  return options.bus ? options.bus.step('env.healthy', title, wait) : wait(() => undefined);
}
