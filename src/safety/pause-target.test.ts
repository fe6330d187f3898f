import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkloadRole } from '../config/schema.ts';
import type { PauseTarget, Provider } from '../providers/provider.ts';
import { FaultJournal, replayFaultJournal } from './fault-journal.ts';
import { pauseService, withFaultRegistry } from './faults.ts';
import { OwnershipRefusedError } from './ownership.ts';
import { RollbackRegistry } from './rollbacks.ts';

const ID = 'b369a627170f9e7fa076d21cdf15bbf982532ee632ee33e34baf744820c778c2';

/** A kind-like provider: pauses by target (node + container ids), a set of frozen ids, pods that can be replaced. */
function kindLike() {
  const calls: string[] = [];
  const frozen = new Set<string>();
  const live = new Set<string>([ID]);
  let current: PauseTarget = { pod: 'redis-abc', node: 'prodlike-x-worker', containers: [ID] };
  const provider = {
    name: 'kind' as const,
    calls, frozen, live,
    replace: (next: PauseTarget) => { current = next; next.containers.forEach((c) => live.add(c)); },
    pauseTarget: async (s: WorkloadRole, o: { replica?: number } = {}) => { calls.push(`target ${s}[${o.replica ?? 0}]`); return current; },
    pauseContainers: async (t: PauseTarget) => { calls.push(`pause ${t.node} ${t.containers.join(',')}`); t.containers.forEach((c) => frozen.add(c)); },
    resumeContainers: async (t: PauseTarget) => {
      calls.push(`resume ${t.node} ${t.containers.join(',')}`);
      const out = { resumed: [] as string[], running: [] as string[], gone: [] as string[] };
      for (const c of t.containers) {
        if (!live.has(c)) out.gone.push(c);
        else if (frozen.delete(c)) out.resumed.push(c);
        else out.running.push(c);
      }
      return out;
    },
    pause: async (s: WorkloadRole, o: { replica?: number } = {}) => provider.pauseContainers(await provider.pauseTarget(s, o)),
    unpause: async (s: WorkloadRole) => { calls.push(`unpause ${s}`); current.containers.forEach((c) => frozen.delete(c)); },
    create: async () => { throw new Error('no'); }, status: async () => { throw new Error('no'); }, destroy: async () => ({ removed: [] }), logs: async () => '',
  };
  return provider;
}

describe('pause by target (kind): the journal holds what to resume', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'prodlike-pause-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('journals node + container ids before the pause; another process resumes exactly those', async () => {
    const provider = kindLike();
    const journal = new FaultJournal(dir);
    let journalledBeforeApply = false;
    const apply = provider.pauseContainers;
    provider.pauseContainers = async (t) => { journalledBeforeApply = (await journal.pending()).length === 1; await apply(t); };
    await pauseService(provider, { registry: new RollbackRegistry(), scenario: 'dead', journal }, 'redis');
    expect(journalledBeforeApply).toBe(true);
    const [entry] = await journal.pending();
    expect(entry?.description).toBe('unpause redis[0]');
    expect(entry?.undo).toEqual({ op: 'resumeContainers', target: { pod: 'redis-abc', node: 'prodlike-x-worker', containers: [ID] } });
    expect(JSON.parse(JSON.stringify(entry?.undo))).toEqual(entry?.undo); // serializable as is
    expect(provider.frozen.has(ID)).toBe(true);
    // The scenario process died; meanwhile the pod got a new name (replica 0 is another pod now).
    provider.replace({ pod: 'redis-def', node: 'prodlike-x-worker2', containers: ['f'.repeat(64)] });
    provider.calls.length = 0;
    const outcomes = await replayFaultJournal(new FaultJournal(dir), async () => provider);
    expect(outcomes.map((o) => [o.description, o.status])).toEqual([['unpause redis[0]', 'ok']]);
    expect(provider.calls).toEqual([`resume prodlike-x-worker ${ID}`]); // the journalled container, not the current pod
    expect(provider.frozen.size).toBe(0);
    expect(await journal.pending()).toEqual([]);
  });

  it('a container gone by the time of the undo (replaced by the kubelet) is a no-op, not a failure', async () => {
    const provider = kindLike();
    const journal = new FaultJournal(dir);
    const registry = new RollbackRegistry();
    await pauseService(provider, { registry, scenario: 's', journal }, 'redis');
    provider.live.delete(ID);
    const report = await registry.runAll('end');
    expect(report.ok, JSON.stringify(report)).toBe(true);
    expect(await journal.pending()).toEqual([]);
    // And running the undo twice (registry, then a replay) changes nothing.
    expect(await replayFaultJournal(journal, async () => provider)).toEqual([]);
  });

  it('a direct pause through the wrapped provider journals the target too; unpause retires it', async () => {
    const provider = kindLike();
    const registry = new RollbackRegistry();
    const journal = new FaultJournal(dir);
    const p = withFaultRegistry(provider, { registry, scenario: 'direct', journal });
    await p.pause('redis');
    expect((await journal.pending()).map((e) => e.undo.op)).toEqual(['resumeContainers']);
    expect(registry.pending).toEqual(['unpause redis[0]']);
    await p.unpause('redis');
    expect(registry.pending).toEqual([]);
    await expect.poll(async () => (await journal.pending()).length).toBe(0);
    // pauseContainers called directly is a fault as well, healed by resumeContainers with the same target.
    const target = await provider.pauseTarget('redis');
    await p.pauseContainers(target);
    expect(registry.pending).toEqual(['resume pod redis-abc']);
    await p.resumeContainers(target);
    expect(registry.pending).toEqual([]);
    expect(provider.frozen.size).toBe(0);
  });

  it('the guard runs before the target is even resolved', async () => {
    const provider = kindLike();
    const guard = async (operation: string) => { throw new OwnershipRefusedError(operation, 'kube context "kind-decoy"', 'is not kind-prodlike-x'); };
    const journal = new FaultJournal(dir);
    await expect(pauseService(provider, { registry: new RollbackRegistry(), scenario: 's', journal, guard }, 'redis')).rejects.toBeInstanceOf(OwnershipRefusedError);
    await expect(withFaultRegistry(provider, { registry: new RollbackRegistry(), scenario: 's', journal, guard }).pause('redis')).rejects.toBeInstanceOf(OwnershipRefusedError);
    expect(provider.calls).toEqual([]);
    expect(await journal.pending()).toEqual([]);
  });
});

void ((p: ReturnType<typeof kindLike>) => p satisfies Partial<Provider>);
