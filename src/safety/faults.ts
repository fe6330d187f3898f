import { AsyncLocalStorage } from 'node:async_hooks';
import type { WorkloadRole } from '../config/schema.ts';
import { ProdlikeError } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';
import { canPause, canPauseTarget, type PauseTarget, type Provider, type SupportsLifecycle, type SupportsNodes, type SupportsPartition, type SupportsPause, type SupportsPauseTarget, type SupportsScale } from '../providers/provider.ts';
import { applyUndo, type FaultJournal, type UndoSpec } from './fault-journal.ts';
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
  /** The on-disk journal (`.prodlike/<env>/faults.json`): the undo survives this process. */
  journal?: FaultJournal | undefined;
  /** Aborted on Ctrl-C/SIGTERM: no new fault is injected once the rollbacks have started. */
  signal?: AbortSignal | undefined;
  /**
   * Ownership check run before anything else (even before reading the current replica count), so a
   * foreign target is refused before it is contacted. See `guardProvider` in src/safety/ownership.ts.
   */
  guard?: ((operation: string, service?: WorkloadRole) => Promise<void>) | undefined;
}

interface Injection {
  fault: string;
  target: string;
  undoDescription: string;
  apply: () => Promise<unknown>;
  undo: () => Promise<unknown>;
  /** The same undo in serializable form, for the journal. */
  spec: UndoSpec;
  timeoutMs?: number;
}

/** Set while a fault helper applies or undoes a fault: the provider wrapper below passes such calls through. */
const faultScope = new AsyncLocalStorage<true>();

export async function inject(ctx: FaultContext, i: Injection): Promise<RollbackHandle> {
  ctx.signal?.throwIfAborted();
  let applied: Promise<unknown> = Promise.resolve();
  const journalId = await ctx.journal?.add({ scenario: ctx.scenario, description: i.undoDescription, undo: i.spec });
  const forget = async () => {
    if (journalId !== undefined) await ctx.journal?.remove(journalId);
  };
  const handle = ctx.registry.register(i.undoDescription, async () => {
    await applied.catch(() => undefined);
    await faultScope.run(true, i.undo);
    await forget();
    ctx.bus?.emit({ kind: 'fault.healed', scenario: ctx.scenario, fault: i.fault, target: i.target });
  }, i.timeoutMs === undefined ? {} : { timeoutMs: i.timeoutMs });
  ctx.signal?.throwIfAborted(); // registered and journalled: an interrupt from here on heals it
  applied = faultScope.run(true, i.apply);
  await applied;
  ctx.bus?.emit({ kind: 'fault.injected', scenario: ctx.scenario, fault: i.fault, target: i.target });
  return {
    description: handle.description,
    run: () => handle.run(),
    release: () => {
      handle.release();
      void forget().catch(() => undefined);
    },
    [Symbol.asyncDispose]: () => handle.run(),
  };
}

/**
 * The pause of one replica as an injection. A provider that resolves what it freezes first (kind: node +
 * container ids) journals exactly that, so the undo resumes those containers even from another process
 * and whichever pod is `replica` by then; otherwise (docker) the undo is `unpause` of the replica.
 */
async function pauseInjection(provider: Provider & SupportsPause, service: WorkloadRole, replica: number): Promise<Injection> {
  const base = { fault: 'pause', target: `${service}[${replica}]`, undoDescription: `unpause ${service}[${replica}]` };
  if (canPauseTarget(provider)) {
    const target = await provider.pauseTarget(service, { replica });
    const spec: UndoSpec = { op: 'resumeContainers', target };
    return { ...base, spec, apply: () => provider.pauseContainers(target), undo: () => applyUndo(provider, spec) };
  }
  const spec: UndoSpec = { op: 'unpause', service, replica };
  return { ...base, spec, apply: () => provider.pause(service, { replica }), undo: () => applyUndo(provider, spec) };
}

export async function pauseService(provider: Provider & SupportsPause, ctx: FaultContext, service: WorkloadRole, options: { replica?: number } = {}): Promise<RollbackHandle> {
  const replica = options.replica ?? 0;
  await ctx.guard?.(`pause ${service}`, service);
  return inject(ctx, await pauseInjection(provider, service, replica));
}

export async function partitionService(provider: Provider & SupportsPartition, ctx: FaultContext, service: WorkloadRole): Promise<RollbackHandle> {
  await ctx.guard?.(`partition ${service}`, service);
  const spec: UndoSpec = { op: 'heal', service };
  return inject(ctx, {
    fault: 'partition', target: service, undoDescription: `heal partition of ${service}`, spec,
    apply: () => provider.partition(service),
    undo: () => applyUndo(provider, spec),
  });
}

/** Scales `service` to `count`; the undo restores the replica count it had before. */
export async function scaleService(provider: Provider & SupportsScale, ctx: FaultContext, service: WorkloadRole, count: number): Promise<RollbackHandle> {
  await ctx.guard?.(`scale ${service} to ${count}`, service);
  const before = await provider.replicas(service);
  const spec: UndoSpec = { op: 'scale', service, count: before };
  return inject(ctx, {
    fault: `scale ${before}->${count}`, target: service, undoDescription: `restore ${service} to ${before} replicas`, timeoutMs: 5 * 60_000, spec,
    apply: () => provider.scale(service, count),
    undo: () => applyUndo(provider, spec),
  });
}

/** Stops a replica (graceful); the undo starts it again. */
export async function stopService(provider: Provider & SupportsLifecycle, ctx: FaultContext, service: WorkloadRole, options: { replica?: number } = {}): Promise<RollbackHandle> {
  const replica = options.replica ?? 0;
  await ctx.guard?.(`stop ${service}`, service);
  const spec: UndoSpec = { op: 'start', service, replica };
  return inject(ctx, {
    fault: 'stop', target: `${service}[${replica}]`, undoDescription: `start ${service}[${replica}]`, timeoutMs: 2 * 60_000, spec,
    apply: () => provider.stop(service, { replica }),
    undo: () => applyUndo(provider, spec),
  });
}

/** Stops a worker node (kind: its node container); the undo starts it again and waits until it is Ready. */
export async function stopNode(provider: Provider & SupportsNodes, ctx: FaultContext, node: string, options: { waitNotReady?: boolean; timeoutMs?: number } = {}): Promise<RollbackHandle & { notReadyAfterMs?: number | undefined }> {
  await ctx.guard?.(`stop node ${node}`);
  const spec: UndoSpec = { op: 'startNode', node };
  let notReadyAfterMs: number | undefined;
  const handle = await inject(ctx, {
    fault: 'node stop', target: node, undoDescription: `start node ${node}`, timeoutMs: 10 * 60_000, spec,
    apply: async () => {
      notReadyAfterMs = (await provider.stopNode(node, options)).notReadyAfterMs;
    },
    undo: () => applyUndo(provider, spec),
  });
  return { ...handle, notReadyAfterMs };
}

/**
 * The provider a scenario gets (scenario-env): the same object, except that a fault applied by calling the
 * provider directly — `scale(service, 0)`, `pause`, `partition`, `stop`, `stopNode` — goes through the
 * registry and the journal as if the scenario had used the helpers above, and the matching heal call
 * (`scale` back to the count before, `unpause`, `heal`, `start`, `startNode`) retires that undo. So no
 * scenario can leave a fault behind on Ctrl-C by forgetting the helpers. Calls made by the helpers
 * themselves pass straight through.
 */
export function withFaultRegistry<P extends Provider>(provider: P, ctx: FaultContext): P {
  const raw = provider as P & Partial<SupportsLifecycle & SupportsPartition & SupportsScale & SupportsNodes & SupportsPauseTarget>;
  const handles = new Map<string, { handle: RollbackHandle; fault: string; target: string; restoreTo?: number }>();
  const call = <T>(name: string, args: unknown[]): Promise<T> => (raw as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[name]!.apply(raw, args);
  const replicaOf = (options: unknown) => ((options as { replica?: number } | undefined)?.replica ?? 0);
  const containersKey = (target: PauseTarget) => `containers:${target.node}:${target.containers.join(',')}`;

  async function fault<T>(key: string, operation: string, service: WorkloadRole | undefined, injection: Omit<Injection, 'apply' | 'undo'>, apply: () => Promise<T>, restoreTo?: number): Promise<T> {
    await ctx.guard?.(operation, service);
    let result!: T;
    const handle = await inject(ctx, { ...injection, apply: async () => { result = await apply(); }, undo: () => applyUndo(raw, injection.spec) });
    handles.set(key, { handle, fault: injection.fault, target: injection.target, ...(restoreTo === undefined ? {} : { restoreTo }) });
    return result;
  }
  /** A heal call: made for real, then the undo it makes redundant is forgotten (kept if the call fails). */
  async function healed<T>(key: string, direct: () => Promise<T>): Promise<T> {
    const result = await faultScope.run(true, direct);
    const held = handles.get(key);
    if (held) {
      held.handle.release();
      handles.delete(key);
      ctx.bus?.emit({ kind: 'fault.healed', scenario: ctx.scenario, fault: held.fault, target: held.target });
    }
    return result;
  }

  const wrapped: Record<string, (...args: never[]) => Promise<unknown>> = {
    scale: async (service: WorkloadRole, count: number) => {
      const key = `scale:${service}`;
      const held = handles.get(key);
      if (held) return held.restoreTo === count ? healed(key, () => call('scale', [service, count])) : faultScope.run(true, () => call('scale', [service, count]));
      await ctx.guard?.(`scale ${service} to ${count}`, service);
      const before = await call<number>('replicas', [service]);
      if (before === count) return faultScope.run(true, () => call('scale', [service, count]));
      return fault(key, `scale ${service} to ${count}`, service, { fault: `scale ${before}->${count}`, target: service, undoDescription: `restore ${service} to ${before} replicas`, timeoutMs: 5 * 60_000, spec: { op: 'scale', service, count: before } }, () => call('scale', [service, count]), before);
    },
    pause: async (service: WorkloadRole, options?: { replica?: number }) => {
      const replica = replicaOf(options);
      await ctx.guard?.(`pause ${service}`, service);
      if (!canPause(raw)) throw new ProdlikeError('USAGE', `The ${raw.name} provider cannot pause a single workload.`);
      const injection = await pauseInjection(raw, service, replica);
      const handle = await inject(ctx, injection);
      handles.set(`pause:${service}:${replica}`, { handle, fault: injection.fault, target: injection.target });
    },
    unpause: async (service: WorkloadRole, options?: { replica?: number }) => healed(`pause:${service}:${replicaOf(options)}`, () => call('unpause', [service, options])),
    pauseContainers: async (target: PauseTarget) => fault(containersKey(target), `pause pod ${target.pod}`, undefined, { fault: 'pause', target: target.pod, undoDescription: `resume pod ${target.pod}`, spec: { op: 'resumeContainers', target } }, () => call('pauseContainers', [target])),
    resumeContainers: async (target: PauseTarget) => healed(containersKey(target), () => call('resumeContainers', [target])),
    stop: async (service: WorkloadRole, options?: { replica?: number }) => {
      const replica = replicaOf(options);
      return fault(`stop:${service}:${replica}`, `stop ${service}`, service, { fault: 'stop', target: `${service}[${replica}]`, undoDescription: `start ${service}[${replica}]`, timeoutMs: 2 * 60_000, spec: { op: 'start', service, replica } }, () => call('stop', [service, options]));
    },
    start: async (service: WorkloadRole, options?: { replica?: number }) => healed(`stop:${service}:${replicaOf(options)}`, () => call('start', [service, options])),
    partition: async (service: WorkloadRole) => fault(`partition:${service}`, `partition ${service}`, service, { fault: 'partition', target: service, undoDescription: `heal partition of ${service}`, spec: { op: 'heal', service } }, () => call('partition', [service])),
    heal: async (service: WorkloadRole) => healed(`partition:${service}`, () => call('heal', [service])),
    stopNode: async (node: string, options?: unknown) => fault(`node:${node}`, `stop node ${node}`, undefined, { fault: 'node stop', target: node, undoDescription: `start node ${node}`, timeoutMs: 10 * 60_000, spec: { op: 'startNode', node } }, () => call('stopNode', [node, options])),
    startNode: async (node: string, options?: unknown) => healed(`node:${node}`, () => call('startNode', [node, options])),
  };

  return new Proxy(raw, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target); // getters too (store, networkName) read private fields
      if (typeof value !== 'function') return value;
      const own = (value as (...a: unknown[]) => unknown).bind(target); // private fields need the real object
      const wrapper = typeof property === 'string' ? wrapped[property] : undefined;
      if (!wrapper) return own;
      return (...args: never[]) => (faultScope.getStore() ? own(...args) : wrapper(...args));
    },
  }) as P;
}
