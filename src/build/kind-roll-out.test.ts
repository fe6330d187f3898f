import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.ts';
import type { Kubectl } from '../kube/kubectl.ts';
import type { BuiltImage } from './image-build.ts';
import { devTag, rollOutOnKind, runsImage, type NodeImages } from './kind-roll-out.ts';

const ID = 'sha256:0123456789abcdef0123';
const image = (status: BuiltImage['status'], name = 'prodlike.local/app:0.1.0'): BuiltImage => ({ image: name, status, id: ID, inputs: 'x', redirects: [], durationMs: 1, roles: ['backend', 'worker'] });

function fakeCluster(containerImage = 'prodlike.local/app:0.1.0', strategy?: object) {
  const calls: string[] = [];
  const deployment = { kind: 'Deployment', spec: { ...(strategy ? { strategy } : {}), template: { spec: { initContainers: [{ name: 'migrate', image: 'busybox' }], containers: [{ name: 'app', image: containerImage }, { name: 'sidecar', image: 'nginx:1' }] } } } };
  const target = {
    cluster: 'prodlike-dev',
    kubectl: {
      run: async (args: string[]) => { calls.push(`kubectl ${args.join(' ')}`); return { exitCode: 0, stdout: '', stderr: '', durationMs: 1 }; },
      json: async (args: string[]) => { calls.push(`kubectl ${args.join(' ')}`); return deployment; },
    } as unknown as Kubectl,
  };
  const images: NodeImages = {
    nodes: async () => ['w1', 'w2'],
    tag: async (s, t) => { calls.push(`tag ${s} ${t}`); },
    load: async (names, nodes) => { calls.push(`load ${names.join(' ')} -> ${nodes.join(',')}`); },
    forget: async (name, keep) => { calls.push(`forget ${name} but ${keep}`); },
  };
  return { calls, target, images };
}

describe('devTag / runsImage', () => {
  it('gives every build its own tag from the image ID, replacing an earlier dev suffix', () => {
    expect(devTag('prodlike.local/app:0.1.0', ID)).toBe('prodlike.local/app:0.1.0-dev.0123456789ab');
    expect(devTag('localhost:5000/team/api', ID)).toBe('localhost:5000/team/api:latest-dev.0123456789ab');
    expect(devTag('prodlike.local/app:0.1.0-dev.aaaaaaaaaaaa', ID)).toBe('prodlike.local/app:0.1.0-dev.0123456789ab');
  });
  it('knows a container runs the built image under its configured tag or a dev tag of it', () => {
    expect(runsImage('prodlike.local/app:0.1.0', 'prodlike.local/app:0.1.0')).toBe(true);
    expect(runsImage('prodlike.local/app:0.1.0-dev.0123456789ab', 'prodlike.local/app:0.1.0')).toBe(true);
    expect(runsImage('docker.io/library/api:latest-dev.0123456789ab', 'api')).toBe(true);
    expect(runsImage('prodlike.local/app:0.2.0', 'prodlike.local/app:0.1.0')).toBe(false);
    expect(runsImage('prodlike.local/application:0.1.0', 'prodlike.local/app')).toBe(false);
  });
});

describe('rollOutOnKind', () => {
  it('tags the build, loads both tags into the worker nodes once, sets the new tag on the containers that ran the image and waits on each workload', async () => {
    const { calls, target, images } = fakeCluster();
    const config = configSchema.parse({ topology: { worker: { namespace: 'jobs' } } });
    const rolled = await rollOutOnKind(target, config, [image('built')], { timeoutMs: 60_000, images });
    const tag = 'prodlike.local/app:0.1.0-dev.0123456789ab';
    expect(calls.slice(0, 2)).toEqual([`tag prodlike.local/app:0.1.0 ${tag}`, `load ${tag} prodlike.local/app:0.1.0 -> w1,w2`]);
    // The two workloads roll out in parallel: each one's calls in order.
    const of = (ns: string) => calls.filter((c) => c.includes(` -n ${ns}`));
    expect(of('app-backend')).toEqual([
      'kubectl get deployment/backend -n app-backend -o json',
      `kubectl set image deployment/backend -n app-backend app=${tag}`,
      'kubectl rollout status deployment/backend -n app-backend --timeout=60s',
    ]);
    expect(of('jobs')).toEqual([
      'kubectl get deployment/worker -n jobs -o json',
      `kubectl set image deployment/worker -n jobs app=${tag}`,
      'kubectl rollout status deployment/worker -n jobs --timeout=60s',
    ]);
    expect(rolled.map((r) => [r.role, r.image])).toEqual([['backend', tag], ['worker', tag]]);
    expect(rolled[1]!.loadMs).toBe(0);
    expect(calls.at(-1)).toBe(`forget prodlike.local/app:0.1.0 but ${tag}`);
  });

  it('--surge: maxSurge 100% for the roll-out only, the manifests\' value restored after it (deleted when they had none)', async () => {
    const tag = 'prodlike.local/app:0.1.0-dev.0123456789ab';
    const set = (ns: string, w: string) => `kubectl set image deployment/${w} -n ${ns} app=${tag}`;
    const patch = (ns: string, w: string, v: unknown) => `kubectl patch deployment/${w} -n ${ns} --type merge -p ${JSON.stringify({ spec: { strategy: { rollingUpdate: { maxSurge: v } } } })}`;
    const withValue = fakeCluster('prodlike.local/app:0.1.0', { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } });
    await rollOutOnKind(withValue.target, configSchema.parse({ topology: { worker: { enabled: false } } }), [image('built')], { timeoutMs: 60_000, images: withValue.images, surge: true });
    expect(withValue.calls.filter((c) => c.includes(' -n app-backend') && !c.includes(' get '))).toEqual([
      patch('app-backend', 'backend', '100%'), set('app-backend', 'backend'), 'kubectl rollout status deployment/backend -n app-backend --timeout=60s', patch('app-backend', 'backend', 1),
    ]);
    const without = fakeCluster();
    await rollOutOnKind(without.target, configSchema.parse({ topology: { worker: { enabled: false } } }), [image('built')], { images: without.images, surge: true });
    expect(without.calls.filter((c) => c.includes(' patch '))).toEqual([patch('app-backend', 'backend', '100%'), patch('app-backend', 'backend', null)]);
    const recreate = fakeCluster('prodlike.local/app:0.1.0', { type: 'Recreate' });
    await rollOutOnKind(recreate.target, configSchema.parse({ topology: { worker: { enabled: false } } }), [image('built')], { images: recreate.images, surge: true });
    expect(recreate.calls.filter((c) => c.includes(' patch '))).toEqual([]);
  });

  it('touches nothing for images that were up to date, and skips disabled roles', async () => {
    const { calls, target, images } = fakeCluster();
    const config = configSchema.parse({ topology: { worker: { enabled: false } } });
    expect(await rollOutOnKind(target, config, [image('cached')], { images })).toEqual([]);
    expect(calls).toEqual([]);
    await rollOutOnKind(target, config, [image('cached', 'prodlike.local/frontend:0.1.0'), image('built')], { images });
    expect(calls.filter((c) => c.startsWith('kubectl set'))).toEqual(['kubectl set image deployment/backend -n app-backend app=prodlike.local/app:0.1.0-dev.0123456789ab']);
  });

  it('refuses a role whose workload does not run the built image, saying which image it runs', async () => {
    const { target, images } = fakeCluster('team/api:1.2');
    const config = configSchema.parse({});
    await expect(rollOutOnKind(target, config, [image('built')], { images })).rejects.toThrow(/deployment\/backend \(role backend\) runs team\/api:1\.2, nginx:1, not the built prodlike\.local\/app:0\.1\.0/);
  });
});
