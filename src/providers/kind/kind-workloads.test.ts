import { describe, expect, it } from 'vitest';
import type { Kubectl } from '../../kube/kubectl.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { waitReady, type WorkloadLister } from './kind-workloads.ts';

const deployment = (ready: number, namespace = 'app'): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace, generation: 1 },
  spec: { replicas: 2 }, status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: ready },
}) as unknown as KubeObject;
const pod = (waiting?: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'api-1', namespace: 'app' },
  status: { containerStatuses: [{ name: 'api', restartCount: 0, state: waiting ? { waiting: { reason: waiting, message: 'no such image' } } : { running: {} } }] },
}) as unknown as KubeObject;

const kubectl = (calls: string[] = []) => ({
  kubeconfig: '/tmp/kubeconfig',
  kubeConfig: () => { throw new Error('not used with a lister'); },
  run: async (args: string[]) => {
    calls.push(args.join(' '));
    return { exitCode: 0, stdout: args.includes('logs') ? 'boom' : 'Warning Failed pull', stderr: '', durationMs: 1 };
  },
}) as unknown as Kubectl;

describe('waitReady', () => {
  it('returns once every waited object is ready, reading the namespaces the objects are in', async () => {
    const seen: string[][] = [];
    let polls = 0;
    const list: WorkloadLister = async (namespaces) => {
      seen.push([...namespaces]);
      return [deployment(++polls >= 3 ? 2 : 1), pod()];
    };
    const progress: string[] = [];
    await waitReady(kubectl(), [deployment(0), { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'other' } } as KubeObject], { progress: (m) => progress.push(m), timeoutMs: 5000, list, intervalMs: 1 });
    expect(polls).toBe(3);
    expect(seen[0]).toEqual(['app']);
    expect(progress[0]).toBe('waiting for deployment/api');
    expect(progress.at(-1)).toBe('all ready');
  });

  it('ends at once with the events and logs of a pod that will not become ready', async () => {
    const calls: string[] = [];
    const list: WorkloadLister = async () => [deployment(0), pod('ErrImagePull')];
    const error = await waitReady(kubectl(calls), [deployment(0)], { progress: () => undefined, timeoutMs: 60_000, list, intervalMs: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'READINESS_TIMEOUT', message: expect.stringMatching(/pod app\/api-1 will not become ready: ErrImagePull[\s\S]*Warning Failed pull[\s\S]*boom/) });
    expect(calls.some((c) => c.includes('get events'))).toBe(true);
  });

  it('ends with PROVIDER_FAILED when the API keeps failing', async () => {
    let polls = 0;
    const list: WorkloadLister = async () => {
      polls++;
      throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
    };
    const error = await waitReady(kubectl(), [deployment(0)], { progress: () => undefined, timeoutMs: 60_000, list, intervalMs: 1, failingMs: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PROVIDER_FAILED', message: expect.stringContaining('ECONNREFUSED') });
    expect(polls).toBe(15);
  });

  it('times out with READINESS_TIMEOUT when the objects never become ready', async () => {
    const list: WorkloadLister = async () => [deployment(1)];
    await expect(waitReady(kubectl(), [deployment(0)], { progress: () => undefined, timeoutMs: 30, list, intervalMs: 1 })).rejects.toMatchObject({ code: 'READINESS_TIMEOUT' });
  });
});
