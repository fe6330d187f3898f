import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkloadRole } from '../config/schema.ts';
import type { Provider } from '../providers/provider.ts';
import { FaultJournal, replayFaultJournal } from './fault-journal.ts';
import { pauseService, scaleService, stopNode, withFaultRegistry } from './faults.ts';
import { OwnershipRefusedError } from './ownership.ts';
import { RollbackRegistry } from './rollbacks.ts';

/** An in-memory provider recording every call: replicas, paused replicas, stopped nodes. */
function fakeProvider() {
  const calls: string[] = [];
  const replicas: Partial<Record<WorkloadRole, number>> = { worker: 2, backend: 3 };
  const paused = new Set<string>();
  const stoppedNodes = new Set<string>();
  const provider = {
    name: 'docker' as const,
    calls,
    replicas: async (s: WorkloadRole) => { calls.push(`replicas ${s}`); return replicas[s] ?? 0; },
    scale: async (s: WorkloadRole, n: number) => { calls.push(`scale ${s} ${n}`); replicas[s] = n; },
    pause: async (s: WorkloadRole) => { calls.push(`pause ${s}`); paused.add(s); },
    unpause: async (s: WorkloadRole) => {
      calls.push(`unpause ${s}`);
      if (!paused.delete(s)) throw new Error(`Container ${s} is not paused`);
    },
    stop: async () => undefined, start: async () => undefined, restart: async () => undefined,
    nodes: async () => ['w1', 'w2'].map((name) => ({ name, role: 'worker' as const, ready: !stoppedNodes.has(name) })),
    stopNode: async (name: string) => { calls.push(`stopNode ${name}`); stoppedNodes.add(name); return { node: name, at: Date.now(), notReadyAfterMs: 1 }; },
    startNode: async (name: string) => { calls.push(`startNode ${name}`); stoppedNodes.delete(name); return { node: name, readyAfterMs: 1 }; },
    create: async () => { throw new Error('no'); }, status: async () => { throw new Error('no'); }, destroy: async () => ({ removed: [] }), logs: async () => '',
  };
  return { provider, replicas, paused, stoppedNodes };
}

describe('fault journal', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'prodlike-journal-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('journals the undo before the fault is applied and forgets it once healed', async () => {
    const { provider, replicas } = fakeProvider();
    const journal = new FaultJournal(dir);
    const registry = new RollbackRegistry();
    let journalledBeforeApply = false;
    const scale = provider.scale;
    provider.scale = async (s, n) => {
      if (n === 0) journalledBeforeApply = (await journal.pending()).some((e) => e.description === 'restore worker to 2 replicas');
      await scale(s, n);
    };
    const handle = await scaleService(provider, { registry, scenario: 't', journal }, 'worker', 0);
    expect(journalledBeforeApply).toBe(true);
    expect(replicas.worker).toBe(0);
    expect((await journal.pending()).map((e) => e.undo)).toEqual([{ op: 'scale', service: 'worker', count: 2 }]);
    await handle.run();
    expect(replicas.worker).toBe(2);
    expect(await journal.pending()).toEqual([]);
    expect(existsSync(journal.file)).toBe(false);
  });

  it('replays what a dead scenario left behind, newest first, and empties the journal', async () => {
    const { provider, replicas, paused, stoppedNodes } = fakeProvider();
    const journal = new FaultJournal(dir);
    const registry = new RollbackRegistry(); // never run: the process "died"
    await scaleService(provider, { registry, scenario: 'dead', journal }, 'worker', 0);
    await pauseService(provider, { registry, scenario: 'dead', journal }, 'redis');
    await stopNode(provider, { registry, scenario: 'dead', journal }, 'w2');
    provider.calls.length = 0;
    const outcomes = await replayFaultJournal(new FaultJournal(dir), async () => provider);
    expect(outcomes.map((o) => [o.description, o.status])).toEqual([['start node w2', 'ok'], ['unpause redis[0]', 'ok'], ['restore worker to 2 replicas', 'ok']]);
    expect(provider.calls).toEqual(['startNode w2', 'unpause redis', 'replicas worker', 'scale worker 2']);
    expect([replicas.worker, paused.size, stoppedNodes.size]).toEqual([2, 0, 0]);
    expect(await journal.pending()).toEqual([]);
    // Idempotent: the in-process registry healing afterwards changes nothing and does not fail.
    const report = await registry.runAll('late');
    expect(report.ok, JSON.stringify(report)).toBe(true);
    expect(await replayFaultJournal(journal, async () => provider)).toEqual([]);
  });

  it('keeps an entry whose undo failed, and reports it', async () => {
    const { provider } = fakeProvider();
    const journal = new FaultJournal(dir);
    await scaleService(provider, { registry: new RollbackRegistry(), scenario: 's', journal }, 'worker', 0);
    provider.scale = async () => { throw new Error('engine gone'); };
    const outcomes = await replayFaultJournal(journal, async () => provider);
    expect(outcomes).toEqual([{ description: 'restore worker to 2 replicas', scenario: 's', status: 'failed', error: 'engine gone' }]);
    expect(await journal.pending()).toHaveLength(1);
  });

  it('the guard runs before anything reaches the target; a refusal injects and journals nothing', async () => {
    const { provider } = fakeProvider();
    const journal = new FaultJournal(dir);
    const guard = async (operation: string) => { throw new OwnershipRefusedError(operation, 'kube context "kind-decoy"', 'is not kind-prodlike-x'); };
    const error = await scaleService(provider, { registry: new RollbackRegistry(), scenario: 's', journal, guard }, 'worker', 0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OwnershipRefusedError);
    expect((error as OwnershipRefusedError).exitCode).toBe(3);
    expect(provider.calls).toEqual([]); // not even the replica count was read
    expect(await journal.pending()).toEqual([]);
  });

  it('after Ctrl-C no new fault is injected', async () => {
    const { provider } = fakeProvider();
    const abort = new AbortController();
    abort.abort(new Error('interrupted'));
    await expect(pauseService(provider, { registry: new RollbackRegistry(), scenario: 's', signal: abort.signal }, 'redis')).rejects.toThrow('interrupted');
    expect(provider.calls).toEqual([]);
  });

  it('a release() forgets the journal entry too', async () => {
    const { provider } = fakeProvider();
    const journal = new FaultJournal(dir);
    const handle = await pauseService(provider, { registry: new RollbackRegistry(), scenario: 's', journal }, 'redis');
    handle.release();
    await expect.poll(async () => (await journal.pending()).length).toBe(0);
  });
});

describe('withFaultRegistry: direct provider calls are faults too', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'prodlike-wrap-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('scale to 0 / pause / stopNode called directly register and journal their undo; Ctrl-C heals them all', async () => {
    const { provider, replicas, paused, stoppedNodes } = fakeProvider();
    const registry = new RollbackRegistry();
    const journal = new FaultJournal(dir);
    const p = withFaultRegistry(provider, { registry, scenario: 'direct', journal });
    await p.scale('worker', 0);
    await p.scale('backend', 0);
    await p.pause('redis');
    const stopped = await p.stopNode('w1');
    expect(stopped.node).toBe('w1'); // the real result comes back
    expect(registry.pending).toEqual(['restore worker to 2 replicas', 'restore backend to 3 replicas', 'unpause redis[0]', 'start node w1']);
    expect((await journal.pending()).map((e) => e.description)).toEqual(registry.pending);
    const report = await registry.runAll('interrupted');
    expect(report.ok).toBe(true);
    expect([replicas.worker, replicas.backend, paused.size, stoppedNodes.size]).toEqual([2, 3, 0, 0]);
    expect(await journal.pending()).toEqual([]);
  });

  it('the matching heal call retires the undo; other calls pass through untouched', async () => {
    const { provider, replicas } = fakeProvider();
    const registry = new RollbackRegistry();
    const journal = new FaultJournal(dir);
    const p = withFaultRegistry(provider, { registry, scenario: 'direct', journal });
    await p.scale('worker', 0);
    await p.scale('worker', 1); // still not back: the undo stays
    expect(registry.pending).toEqual(['restore worker to 2 replicas']);
    await p.scale('worker', 2); // back where it was
    await p.pause('redis');
    await p.unpause('redis');
    expect(registry.pending).toEqual([]);
    await expect.poll(async () => (await journal.pending()).length).toBe(0);
    await p.scale('backend', 3); // no change: no fault
    expect(registry.pending).toEqual([]);
    expect(replicas.worker).toBe(2);
    // The helpers given the wrapped provider register once, not twice.
    await scaleService(p, { registry, scenario: 'helper', journal }, 'worker', 0);
    expect(registry.pending).toEqual(['restore worker to 2 replicas']);
  });

  it('a guard refusal stops a direct call before it reaches the provider', async () => {
    const { provider } = fakeProvider();
    const guard = async (operation: string) => { throw new OwnershipRefusedError(operation, 'kube context "kind-decoy"', 'is not kind-prodlike-x'); };
    const p = withFaultRegistry(provider, { registry: new RollbackRegistry(), scenario: 'direct', journal: new FaultJournal(dir), guard });
    await expect(p.scale('worker', 0)).rejects.toBeInstanceOf(OwnershipRefusedError);
    await expect(p.pause('redis')).rejects.toBeInstanceOf(OwnershipRefusedError);
    expect(provider.calls).toEqual([]);
  });
});

// Type check only: the fake satisfies what the helpers need.
void ((p: ReturnType<typeof fakeProvider>['provider']) => p satisfies Partial<Provider>);
