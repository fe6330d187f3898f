import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../core/events.ts';
import { guardCreatable, guardKubeTarget, guardNamespaces } from './namespace-ownership.ts';

const ctx = { env: 'demo' };
const own = { 'io.prodlike.managed': 'true', 'io.prodlike.env': 'demo' };
const labels: Record<string, Record<string, string> | undefined> = {
  'pl-demo-data': own,
  decoy: { team: 'payments' },
  'pl-other-data': { 'io.prodlike.managed': 'true', 'io.prodlike.env': 'other' },
  halfway: { 'io.prodlike.env': 'demo' },
};
const read = async (name: string) => labels[name];

describe('namespace ownership (provider: cluster)', () => {
  it('lets a call through only for namespaces labelled for this environment', async () => {
    await expect(guardNamespaces(ctx, 'kill postgres', ['pl-demo-data'], read)).resolves.toBeUndefined();
    await expect(guardNamespaces(ctx, 'kill postgres', ['decoy'], read)).rejects.toMatchObject({ code: 'OWNERSHIP_REFUSED', message: expect.stringContaining('namespace decoy does not carry io.prodlike.managed=true') });
    await expect(guardNamespaces(ctx, 'scale x', ['pl-other-data'], read)).rejects.toThrow(/belongs to environment "other"/);
    await expect(guardNamespaces(ctx, 'scale x', ['halfway'], read)).rejects.toThrow(/io.prodlike.managed=true/);
    await expect(guardNamespaces(ctx, 'exec', ['missing'], read)).rejects.toThrow(/namespace missing does not exist/);
    // One foreign namespace among owned ones refuses the whole call.
    await expect(guardNamespaces(ctx, 'down', ['pl-demo-data', 'decoy'], read)).rejects.toThrow(/decoy/);
  });

  it('with the override, a refusal becomes a recorded warning', async () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on((e) => { if (e.kind === 'log') seen.push(e.message); });
    await guardNamespaces({ ...ctx, bus, allowForeignTarget: true }, 'kill postgres', ['decoy'], read);
    expect(seen.join('\n')).toMatch(/ownership override .*kill postgres on namespace decoy/);
  });

  it('up never overwrites an existing object that is not this environment\'s; absent or own ones are fine', async () => {
    const byKind = async (_kind: string, name: string) => labels[name];
    await expect(guardCreatable(ctx, 'deploy', [{ kind: 'Namespace', name: 'pl-demo-data' }, { kind: 'Namespace', name: 'new-one' }], byKind)).resolves.toBeUndefined();
    await expect(guardCreatable(ctx, 'deploy', [{ kind: 'IngressClass', name: 'decoy' }], byKind)).rejects.toThrow(/IngressClass decoy exists and does not carry/);
  });

  it('the kube context must be defined in the named kubeconfig', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ns-own-'));
    const file = join(dir, 'kubeconfig');
    await writeFile(file, 'current-context: other\ncontexts: [{ name: ext, context: { cluster: ext } }]\nclusters: [{ name: ext, cluster: { server: "https://127.0.0.1:6443" } }]\n');
    await expect(guardKubeTarget(ctx, 'up', { kubeconfig: file, context: 'ext' })).resolves.toBe('https://127.0.0.1:6443');
    await expect(guardKubeTarget(ctx, 'up', { kubeconfig: file, context: 'nope' })).rejects.toThrow(/"nope" is not defined/);
    await expect(guardKubeTarget(ctx, 'up', { kubeconfig: join(dir, 'absent'), context: 'ext' })).rejects.toThrow(/does not exist/);
  });
});
