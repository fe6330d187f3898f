import { describe, expect, it } from 'vitest';
import type { NodeObject as NodeLike, PodObject as PodLike } from '../kube/objects.ts';
import { capacityCeiling, podLimits, podRequests } from './hpa-capacity.ts';

const node = (name: string, cpu: string, memory: string, taint?: string): NodeLike => ({
  metadata: { name },
  spec: taint ? { taints: [{ key: taint, effect: 'NoSchedule' }] } : {},
  status: { allocatable: { cpu, memory }, conditions: [{ type: 'Ready', status: 'True' }] },
});
const pod = (name: string, nodeName: string, cpu: string, memory: string, phase = 'Running'): PodLike => ({
  metadata: { name },
  spec: { nodeName, containers: [{ resources: { requests: { cpu, memory }, limits: { cpu: '400m', memory: '2Gi' } } }] },
  status: { phase },
});
const perPod = { requests: { cpu: 100, memory: 512 * 2 ** 20 }, limits: { cpu: 400, memory: 2 * 2 ** 30 } };

describe('capacityCeiling', () => {
  it('pod requests count the largest init container against the containers sum', () => {
    expect(podRequests({ metadata: { name: 'p' }, spec: { containers: [{ resources: { requests: { cpu: '100m', memory: '1Gi' } } }, { resources: { requests: { cpu: '50m' } } }], initContainers: [{ resources: { requests: { cpu: '500m' } } }] } })).toEqual({ cpu: 500, memory: 2 ** 30 });
    expect(podLimits(pod('p', 'n', '1', '1Gi'))).toEqual({ cpu: 400, memory: 2 * 2 ** 30 });
  });

  it('fits maxReplicas when the nodes have room; the tainted control plane and finished pods do not count', () => {
    const r = capacityCeiling({
      nodes: [node('cp', '2', '24Gi', 'node-role.kubernetes.io/control-plane'), node('w1', '2', '24Gi'), node('w2', '2', '24Gi')],
      pods: [pod('a', 'w1', '1500m', '1Gi'), pod('done', 'w2', '2', '1Gi', 'Succeeded')],
      perPod, current: 2, maxReplicas: 10,
    });
    expect(r.nodes.map((n) => n.fits)).toEqual([0, 5, 20]);
    expect(r.ceiling).toBe(10);
    expect(r.limitedBy).toBe('maxReplicas');
    expect(r.summary).toContain('fits maxReplicas 10');
  });

  it('nodes cap the ceiling by CPU or memory, whichever is scarcer', () => {
    const r = capacityCeiling({ nodes: [node('w1', '1', '2Gi')], pods: [], perPod, current: 2, maxReplicas: 10 });
    expect(r.nodeRoom).toBe(4); // memory: 2Gi / 512Mi
    expect(r.ceiling).toBe(6);
    expect(r.limitedBy).toBe('nodes');
    expect(r.summary).toContain('cannot fit maxReplicas 10');
  });

  it('a ResourceQuota on limits.cpu caps it below the nodes (the kind overlay at HPA max)', () => {
    const r = capacityCeiling({
      nodes: [node('w1', '2', '24Gi'), node('w2', '2', '24Gi')], pods: [], perPod, current: 3, maxReplicas: 10,
      quotas: [{ metadata: { name: 'app-backend-quota' }, status: { hard: { 'limits.cpu': '4', 'requests.cpu': '2', persistentvolumeclaims: '5' }, used: { 'limits.cpu': '2200m', 'requests.cpu': '700m', persistentvolumeclaims: '3' } } }],
    });
    expect(r.quotaRoom).toBe(4);
    expect(r.ceiling).toBe(7);
    expect(r.limitedBy).toBe('quota');
    expect(r.quotaLimitedBy).toContain('limits.cpu: used 2200m of 4');
  });
});
