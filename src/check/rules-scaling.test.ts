import { KIND_ALLOCATABLE } from './check.ts';
import { describe, expect, it } from 'vitest';
import { documentedAutoscalingRule, hpaRequestsRule, hpaScaleUpRule } from './rules/autoscaling.ts';
import { clusterCapacityRule, quotaRule } from './rules/capacity.ts';
import { profile, runRule, testProfile, workload } from './test-helpers.ts';

const DOC_001_BEHAVIOR = `  behavior:
    scaleUp:
      stabilizationWindowSeconds: 60
      policies:
        - { type: Percent, value: 100, periodSeconds: 60 }
        - { type: Pods, value: 2, periodSeconds: 60 }
      selectPolicy: Max
    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
        - { type: Pods, value: 1, periodSeconds: 120 }
      selectPolicy: Min
`;
const hpa = (opts: { min?: number; max?: number; behavior?: string; metrics?: string } = {}) => `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: backend-hpa, namespace: app-backend }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: backend }
  minReplicas: ${opts.min ?? 2}
  maxReplicas: ${opts.max ?? 10}
  metrics:
${opts.metrics ?? `    - type: Resource
      resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } }
    - type: Resource
      resource: { name: memory, target: { type: Utilization, averageUtilization: 80 } }`}
${opts.behavior ?? ''}`;

const backend = (resources = 'resources: { requests: { cpu: 500m, memory: 512Mi }, limits: { cpu: 2000m, memory: 2Gi } }', replicas = 3) => workload({
  name: 'backend',
  replicas,
  container: `        - name: backend
          image: example/backend:1.0
          ${resources}`,
});

describe('hpa-scale-up-slower-than-target', () => {
  it('fails document 001\'s HPA against document 003\'s "scale within 2 minutes" (fastest 165 s), with the timeline', async () => {
    const f = runRule(hpaScaleUpRule, backend() + hpa({ behavior: DOC_001_BEHAVIOR }), await profile('performance'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', details: { from: 2, to: 10, fastestSeconds: 165, targetSeconds: 120, firstStepSeconds: 45 } });
    expect(f[0]!.message).toMatch(/45 s 2→4, 105 s 4→8, 165 s 8→10/);
    expect(f[0]!.targets[0]).toMatchObject({ id: 'scale-up', source: { doc: '003', quote: 'Auto-scaling: Scale within 2 minutes' } });
  });

  it('passes when the behavior allows it (no stabilization window: 120 s)', async () => {
    const fast = DOC_001_BEHAVIOR.replace('stabilizationWindowSeconds: 60', 'stabilizationWindowSeconds: 0');
    expect(runRule(hpaScaleUpRule, backend() + hpa({ behavior: fast }), await profile('performance'))).toEqual([]);
  });

  it('has nothing to say without a scale-up-time target (profile onprem)', async () => {
    expect(runRule(hpaScaleUpRule, backend() + hpa({ behavior: DOC_001_BEHAVIOR }), await profile('onprem'))).toEqual([]);
  });

  it('warns when the component has no HPA at all', async () => {
    expect(runRule(hpaScaleUpRule, backend(), await profile('performance'))[0]).toMatchObject({ severity: 'warning' });
  });
});

describe('hpa-utilization-without-requests', () => {
  const sel = testProfile({});
  it('fails when a container has no request for the utilization metric', () => {
    const f = runRule(hpaRequestsRule, backend('resources: { requests: { memory: 512Mi } }') + hpa(), sel);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', details: { resource: 'cpu', container: 'backend' } });
  });

  it('passes with requests, or with limits only (the request defaults to the limit)', () => {
    expect(runRule(hpaRequestsRule, backend() + hpa(), sel)).toEqual([]);
    expect(runRule(hpaRequestsRule, backend('resources: { limits: { cpu: "1", memory: 1Gi } }') + hpa(), sel)).toEqual([]);
  });

  it('only notes it when a LimitRange supplies the default', () => {
    const lr = `---
apiVersion: v1
kind: LimitRange
metadata: { name: limits, namespace: app-backend }
spec:
  limits:
    - type: Container
      defaultRequest: { cpu: 250m, memory: 256Mi }
`;
    const f = runRule(hpaRequestsRule, lr + backend('resources: {}') + hpa(), sel);
    expect(f.map((x) => x.severity)).toEqual(['info', 'info']);
  });

  it('warns when the HPA targets a workload that is not there', () => {
    expect(runRule(hpaRequestsRule, hpa(), sel)[0]!.message).toMatch(/not in the manifests/);
  });
});

describe('hpa-differs-from-document', () => {
  it('reports document 000\'s 5..50 against manifests with 2..10, and nothing for document 001', async () => {
    const m = backend() + hpa({ behavior: DOC_001_BEHAVIOR });
    const f = runRule(documentedAutoscalingRule, m, await profile('execution'));
    expect(f.find((x) => x.objects[0]!.name === 'backend-hpa')!.message).toMatch(/minReplicas 2 \(documented 5\); maxReplicas 10 \(documented 50\)/);
    expect(runRule(documentedAutoscalingRule, m, await profile('onprem')).filter((x) => x.objects.some((o) => o.name === 'backend-hpa'))).toEqual([]);
  });
});

const QUOTA = (hard: string) => `---
apiVersion: v1
kind: ResourceQuota
metadata: { name: app-backend-quota, namespace: app-backend }
spec:
  hard:
${hard}`;

describe('capacity-exceeds-quota', () => {
  const sel = testProfile({});
  const quota = QUOTA('    requests.cpu: "10"\n    requests.memory: 20Gi\n    limits.cpu: "20"\n    limits.memory: 40Gi\n');
  const postgres = workload({ kind: 'StatefulSet', name: 'postgres', container: `        - name: postgres
          image: postgres:15-alpine
          resources: { requests: { cpu: "1", memory: 2Gi }, limits: { cpu: "2", memory: 4Gi } }` });

  it("fails when the HPA's maxReplicas × limits exceed the quota (document 001: 10 × 2 CPU + others > 20), naming the real cap", () => {
    const f = runRule(quotaRule, quota + postgres + backend() + hpa(), sel);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', details: { key: 'limits.cpu', atMaxReplicas: 22_000, caps: { backend: 9 } } });
    expect(f[0]!.message).toMatch(/caps backend at 9 replicas \(HorizontalPodAutoscaler maxReplicas 10\)/);
  });

  it('fails when even the declared replicas do not fit', () => {
    const f = runRule(quotaRule, QUOTA('    requests.cpu: "1"\n') + backend(), sel);
    expect(f[0]!.message).toMatch(/at the declared replicas is 1500m CPU > hard 1/);
  });

  it('fails when a constrained resource is missing and no LimitRange defaults it', () => {
    const f = runRule(quotaRule, QUOTA('    limits.memory: 40Gi\n') + backend('resources: { requests: { cpu: 100m } }'), sel);
    expect(f[0]!.message).toMatch(/leaves limits.memory of backend unset/);
  });

  it('passes when everything fits at maxReplicas', () => {
    expect(runRule(quotaRule, quota + postgres + backend() + hpa({ max: 9 }), sel)).toEqual([]);
  });
});

describe('capacity-exceeds-cluster', () => {
  const sel = testProfile({});
  const kind = { options: { allocatable: KIND_ALLOCATABLE } };
  it('fails when declared requests exceed the allocatable (kind default: 2 CPUs), warns when only HPA max does', () => {
    expect(runRule(clusterCapacityRule, backend(undefined, 5), sel, kind)[0]).toMatchObject({ severity: 'error', details: { resource: 'cpu', declared: 2500 } });
    const f = runRule(clusterCapacityRule, backend(undefined, 3) + hpa(), sel, kind);
    expect(f[0]).toMatchObject({ severity: 'warning', details: { resource: 'cpu', declared: 1500, atMaxReplicas: 5000 } });
  });

  it('passes on a bigger cluster', () => {
    expect(runRule(clusterCapacityRule, backend() + hpa(), sel, { options: { allocatable: { cpu: 8000, memory: 64 * 2 ** 30, source: 'test' } } })).toEqual([]);
  });

  it('checks memory too', () => {
    const big = backend('resources: { requests: { cpu: 10m, memory: 10Gi } }', 3);
    expect(runRule(clusterCapacityRule, big, sel, kind)[0]).toMatchObject({ details: { resource: 'memory' } });
  });

  it('is not evaluated when no cluster is described (a production application is not compared with this host)', () => {
    expect(runRule(clusterCapacityRule, backend(undefined, 50), sel)).toEqual([]);
  });

  it('says "the kind overlay" only when checking for the local cluster', () => {
    const local = runRule(clusterCapacityRule, backend(undefined, 5), sel, { options: { allocatable: KIND_ALLOCATABLE, localCluster: true } })[0]!;
    const real = runRule(clusterCapacityRule, backend(undefined, 5), sel, { options: { allocatable: { cpu: 2000, memory: 2 ** 34, source: 'check.allocatable' }, localCluster: false } })[0]!;
    expect(local.hint).toMatch(/kind overlay/);
    expect(real.hint).not.toMatch(/kind/);
  });
});
