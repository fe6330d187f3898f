import type { WorkloadRole } from '../config/schema.ts';
import type { EventBus } from '../core/events.ts';
import type { Provider, SupportsLifecycle, SupportsPartition, SupportsScale } from '../providers/provider.ts';
import type { RollbackHandle, RollbackRegistry } from './rollbacks.ts';

/**
 * Fault injection that cannot leak: each helper registers the undo in the registry *before* applying
 * the fault (an interrupt between the two still heals; the undo first waits for the fault call to
 * settle, so it never races it), emits `fault.injected`/`fault.healed`, and returns the handle the
 * scenario calls to heal on its normal path. Undo actions are idempotent.
 */
export interface FaultContext {
  registry: RollbackRegistry;
  /** Scenario name for the events. */
  scenario: string;
  bus?: EventBus | undefined;
}

interface Injection {
  fault: string;
  target: string;
  undoDescription: string;
  apply: () => Promise<unknown>;
  undo: () => Promise<unknown>;
  timeoutMs?: number;
}

export async function inject(ctx: FaultContext, i: Injection): Promise<RollbackHandle> {
  let applied: Promise<unknown> = Promise.resolve();
  const handle = ctx.registry.register(i.undoDescription, async () => {
    await applied.catch(() => undefined);
    await i.undo();
    ctx.bus?.emit({ kind: 'fault.healed', scenario: ctx.scenario, fault: i.fault, target: i.target });
  }, i.timeoutMs === undefined ? {} : { timeoutMs: i.timeoutMs });
  applied = i.apply();
  await applied;
  ctx.bus?.emit({ kind: 'fault.injected', scenario: ctx.scenario, fault: i.fault, target: i.target });
  return handle;
}

const unless = (pattern: RegExp) => (error: unknown) => {
  if (!(error instanceof Error && pattern.test(error.message))) throw error;
};

export async function pauseService(provider: Provider & SupportsLifecycle, ctx: FaultContext, service: WorkloadRole, options: { replica?: number } = {}): Promise<RollbackHandle> {
  const replica = options.replica ?? 0;
  return inject(ctx, {
    fault: 'pause', target: `${service}[${replica}]`, undoDescription: `unpause ${service}[${replica}]`,
    apply: () => provider.pause(service, { replica }),
    undo: () => provider.unpause(service, { replica }).catch(unless(/not paused/i)),
  });
}

export async function partitionService(provider: Provider & SupportsPartition, ctx: FaultContext, service: WorkloadRole): Promise<RollbackHandle> {
  return inject(ctx, {
    fault: 'partition', target: service, undoDescription: `heal partition of ${service}`,
    apply: () => provider.partition(service),
    undo: () => provider.heal(service),
  });
}

/** Scales `service` to `count`; the undo restores the replica count it had before. */
export async function scaleService(provider: Provider & SupportsScale, ctx: FaultContext, service: WorkloadRole, count: number): Promise<RollbackHandle> {
  const before = await provider.replicas(service);
  return inject(ctx, {
    fault: `scale ${before}->${count}`, target: service, undoDescription: `restore ${service} to ${before} replicas`, timeoutMs: 5 * 60_000,
    apply: () => provider.scale(service, count),
    undo: async () => {
      if ((await provider.replicas(service)) !== before) await provider.scale(service, before);
    },
  });
}

/** Stops a replica (graceful); the undo starts it again. */
export async function stopService(provider: Provider & SupportsLifecycle, ctx: FaultContext, service: WorkloadRole, options: { replica?: number } = {}): Promise<RollbackHandle> {
  const replica = options.replica ?? 0;
  return inject(ctx, {
    fault: 'stop', target: `${service}[${replica}]`, undoDescription: `start ${service}[${replica}]`, timeoutMs: 2 * 60_000,
    apply: () => provider.stop(service, { replica }),
    undo: () => provider.start(service, { replica }).catch(unless(/already started|already running|304/i)),
  });
}
