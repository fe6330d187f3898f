import { describe, expect, it } from 'vitest';
import { ProdlikeError } from '../core/errors.ts';
import { EventBus, type TimedEvent } from '../core/events.ts';
import { brokenParts, waitUntilHealthy } from './environment-health.ts';
import type { EnvironmentStatus, ServiceHealth } from './provider.ts';

const service = (role: 'backend' | 'worker', desired: number, health: ServiceHealth[]) => ({
  role, desired, replicas: health.map((h, i) => ({ id: `${role}-${i}`, name: `${role}-${i}`, health: h, state: h, restarts: 0 })),
});
const status = (services: EnvironmentStatus['services'], extra: Partial<EnvironmentStatus> = {}): EnvironmentStatus => ({ env: 'scratch', provider: 'docker', exists: true, healthy: false, services, ...extra });
const healthy = status([service('backend', 2, ['healthy', 'healthy']), service('worker', 1, ['healthy'])], { healthy: true });
const recovering = status([service('backend', 2, ['healthy', 'starting']), service('worker', 1, ['healthy'])]);

/** A provider whose status answers come from a script; the last one repeats. */
function fakeProvider(answers: EnvironmentStatus[]) {
  let calls = 0;
  return {
    get calls() { return calls; },
    status: async () => answers[Math.min(calls++, answers.length - 1)]!,
  };
}

function recordedBus() {
  const bus = new EventBus();
  const events: TimedEvent[] = [];
  bus.on((e) => events.push(e));
  return { bus, events };
}

describe('brokenParts', () => {
  it('by default names what a reset cannot repair: a node NotReady, a workload with no ready replica', () => {
    const s = status([service('backend', 2, ['healthy', 'starting']), service('worker', 1, ['unhealthy'])], {
      cluster: { nodes: [{ name: 'w1', role: 'worker', ready: false }], hpas: [], pvcs: [], notices: [] },
    });
    expect(brokenParts(s)).toEqual(['node w1 NotReady', 'worker has no ready replica']);
    expect(brokenParts(s, { everyReplica: true })).toEqual(['node w1 NotReady', 'backend 1/2 ready', 'worker 0/1 ready']);
    expect(brokenParts({ ...s, exists: false })).toEqual(['the environment is gone']);
  });

  it('names an additional data-store workload as <role>/<name>', () => {
    const replica = { role: 'postgres' as const, instance: 'replica', desired: 1, replicas: [{ id: 'r', name: 'postgres-replica-0', health: 'starting' as const, state: 'running', restarts: 1 }] };
    expect(brokenParts(status([replica]), { everyReplica: true })).toEqual(['postgres/replica 0/1 ready']);
  });

  it('ignores a workload scaled to 0 and finds nothing in a healthy environment', () => {
    expect(brokenParts(status([service('worker', 0, [])]), { everyReplica: true })).toEqual([]);
    expect(brokenParts(healthy, { everyReplica: true })).toEqual([]);
  });
});

describe('waitUntilHealthy', () => {
  it('does not wait on a healthy environment, nor on none: one status call, no progress', async () => {
    for (const answer of [healthy, { ...healthy, exists: false, services: [] }]) {
      const provider = fakeProvider([answer]);
      const { bus, events } = recordedBus();
      expect(await waitUntilHealthy(provider, 'scratch', { timeoutMs: 1000, bus })).toEqual([]);
      expect(provider.calls).toBe(1);
      expect(events).toEqual([]);
    }
  });

  it('waits while a workload is recovering, showing what is not ready, and returns what it waited for', async () => {
    const provider = fakeProvider([recovering, recovering, healthy]);
    const { bus, events } = recordedBus();
    expect(await waitUntilHealthy(provider, 'scratch', { timeoutMs: 10_000, intervalMs: 1, bus, purpose: 'before failover' })).toEqual(['backend 1/2 ready']);
    expect(provider.calls).toBe(3);
    expect(events.map((e) => e.kind)).toEqual(['step.start', 'step.progress', 'step.end']);
    expect(events[0]).toMatchObject({ id: 'env.healthy', title: 'waiting for the environment "scratch" to be healthy before failover: backend 1/2 ready' });
    expect(events[1]).toMatchObject({ message: 'backend 1/2 ready…' });
    expect(events[2]).toMatchObject({ status: 'ok' });
  });

  it('times out with ENVIRONMENT_UNHEALTHY (exit 3), naming what is not ready and what to do', async () => {
    const provider = fakeProvider([recovering, status([service('backend', 2, ['healthy', 'unhealthy']), service('worker', 1, ['starting'])])]);
    const { bus, events } = recordedBus();
    const error = await waitUntilHealthy(provider, 'scratch', { timeoutMs: 30, intervalMs: 5, bus }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProdlikeError);
    const e = error as ProdlikeError;
    expect(e.code).toBe('ENVIRONMENT_UNHEALTHY');
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/^Environment "scratch" is not healthy after \S+: backend 1\/2 ready, worker 0\/1 ready; not starting a suite on it\.$/);
    expect(e.hint).toMatch(/prodlike status/);
    expect(e.hint).toMatch(/prodlike reset/);
    expect(e.hint).toMatch(/prodlike down && prodlike up/);
    expect(e.details).toMatchObject({ env: 'scratch', notReady: ['backend 1/2 ready', 'worker 0/1 ready'] });
    expect(events.at(-1)).toMatchObject({ kind: 'step.end', status: 'failed' });
  });

  it('stops waiting when aborted (Ctrl-C), without turning it into a timeout', async () => {
    const abort = new AbortController();
    const provider = { status: async () => (abort.abort(new Error('interrupted')), recovering) };
    const error = await waitUntilHealthy(provider, 'scratch', { timeoutMs: 60_000, intervalMs: 1, signal: abort.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ProdlikeError);
  });
});
