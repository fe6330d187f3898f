import { describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.ts';
import type { Kubectl } from '../kube/kubectl.ts';
import type { BuiltImage } from './image-build.ts';
import { rollOutOnKind } from './kind-roll-out.ts';

const image = (status: BuiltImage['status'], name = 'prodlike.local/app:0.1.0'): BuiltImage => ({ image: name, status, id: 'sha256:1', inputs: 'x', redirects: [], durationMs: 1, roles: ['backend', 'worker'] });

function fakeCluster() {
  const calls: string[] = [];
  const target = {
    kubectl: { run: async (args: string[]) => { calls.push(`kubectl ${args.join(' ')}`); return { exitCode: 0, stdout: '', stderr: '', durationMs: 1 }; } } as unknown as Kubectl,
    loadImage: async (name: string) => { calls.push(`load ${name}`); },
  };
  return { calls, target };
}

describe('rollOutOnKind', () => {
  it('loads a built image into the nodes, then restarts and waits on each role\'s workload', async () => {
    const { calls, target } = fakeCluster();
    const config = configSchema.parse({ topology: { worker: { namespace: 'jobs' } } });
    const rolled = await rollOutOnKind(target, config, [image('built')], { timeoutMs: 60_000 });
    expect(calls).toEqual([
      'load prodlike.local/app:0.1.0',
      'kubectl rollout restart deployment/backend -n app-backend',
      'kubectl rollout status deployment/backend -n app-backend --timeout=60s',
      'kubectl rollout restart deployment/worker -n jobs',
      'kubectl rollout status deployment/worker -n jobs --timeout=60s',
    ]);
    expect(rolled.map((r) => r.role)).toEqual(['backend', 'worker']);
  });

  it('touches nothing for an image that was up to date, and skips disabled roles', async () => {
    const { calls, target } = fakeCluster();
    const config = configSchema.parse({ topology: { worker: { enabled: false } } });
    await rollOutOnKind(target, config, [image('cached', 'prodlike.local/frontend:0.1.0'), image('built')]);
    expect(calls).toEqual(['load prodlike.local/app:0.1.0', 'kubectl rollout restart deployment/backend -n app-backend', 'kubectl rollout status deployment/backend -n app-backend --timeout=300s']);
  });
});
