import { describe, expect, it } from 'vitest';
import { documentedDisruptionRule, pdbMaxUnavailableZeroRule, pdbMinAvailableRule } from './rules/disruption.ts';
import { probeTimingRule, readyBudget } from './rules/probes.ts';
import { singleReplicaRule } from './rules/redundancy.ts';
import { profile, runRule, SRC, testProfile, workload } from './test-helpers.ts';
import type { Container } from './model.ts';

const hpa = (name: string, min: number, max = 10) => `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: ${name}-hpa, namespace: app-backend }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: ${name} }
  minReplicas: ${min}
  maxReplicas: ${max}
  metrics:
    - type: Resource
      resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } }
`;
const pdb = (name: string, app: string, bound: string) => `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: ${name}, namespace: app-backend }
spec:
  ${bound}
  selector: { matchLabels: { app: ${app} } }
`;

describe('pdb-min-available-blocks-eviction', () => {
  it('fails when minAvailable equals the HPA minReplicas (document 001 backend: 2 and 2), citing both documented entries', async () => {
    const f = runRule(pdbMinAvailableRule, workload({ name: 'backend', replicas: 3 }) + hpa('backend', 2) + pdb('backend-pdb', 'backend', 'minAvailable: 2'), await profile('onprem'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ ruleId: 'pdb-min-available-blocks-eviction', severity: 'error', details: { requiredPods: 2, podsAtMinimumScale: 2 } });
    expect(f[0]!.message).toMatch(/minAvailable 2 .*minReplicas 2.*2 − 2 = 0 pods may be evicted/);
    expect(f[0]!.targets.map((t) => t.reference)).toEqual([
      'doc 001 (On-Premise (In-Cluster) Architecture) §High Availability › 3. Pod Disruption Budgets',
      'doc 001 (On-Premise (In-Cluster) Architecture) §Scalability Strategy › 1. Horizontal Pod Autoscaling › Backend HPA',
    ]);
    expect(f[0]!.objects.map((o) => o.kind)).toEqual(['PodDisruptionBudget', 'HorizontalPodAutoscaler', 'Deployment']);
  });

  it('fails for a percentage that rounds up to every pod, and without an HPA on the replica count', async () => {
    const sel = testProfile({});
    expect(runRule(pdbMinAvailableRule, workload({ name: 'api', replicas: 3 }) + pdb('api-pdb', 'api', 'minAvailable: "70%"'), sel)).toHaveLength(1);
    expect(runRule(pdbMinAvailableRule, workload({ name: 'api', replicas: 3 }) + pdb('api-pdb', 'api', 'minAvailable: 3'), sel)).toHaveLength(1);
  });

  it('passes when one pod can be evicted at minimum scale', async () => {
    const sel = await profile('onprem');
    expect(runRule(pdbMinAvailableRule, workload({ name: 'backend', replicas: 3 }) + hpa('backend', 3) + pdb('backend-pdb', 'backend', 'minAvailable: 2'), sel)).toEqual([]);
    expect(runRule(pdbMinAvailableRule, workload({ name: 'backend', replicas: 3 }) + hpa('backend', 2) + pdb('backend-pdb', 'backend', 'minAvailable: 1'), sel)).toEqual([]);
    expect(runRule(pdbMinAvailableRule, workload({ name: 'api', replicas: 3 }) + pdb('api-pdb', 'api', 'minAvailable: "50%"'), sel)).toEqual([]);
  });
});

describe('pdb-max-unavailable-zero', () => {
  it("fails on document 001's PostgreSQL: maxUnavailable 0 on a single-replica StatefulSet, with the consequence and the document", async () => {
    const f = runRule(pdbMaxUnavailableZeroRule, workload({ kind: 'StatefulSet', name: 'postgres' }) + pdb('postgres-pdb', 'postgres', 'maxUnavailable: 0'), await profile('onprem'));
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('error');
    expect(f[0]!.message).toMatch(/StatefulSet app-backend\/postgres \(1 replica\).*drain.*never finishes/);
    expect(f[0]!.targets[0]).toMatchObject({ type: 'disruptionBudget', component: 'postgres', value: 'maxUnavailable 0', source: { doc: '001', quote: 'maxUnavailable: 0  # Never evict PostgreSQL' } });
  });

  it('fails on "0%" too, and passes with maxUnavailable 1', async () => {
    const sel = testProfile({});
    expect(runRule(pdbMaxUnavailableZeroRule, workload({ name: 'web', replicas: 3 }) + pdb('web-pdb', 'web', 'maxUnavailable: "0%"'), sel)).toHaveLength(1);
    expect(runRule(pdbMaxUnavailableZeroRule, workload({ kind: 'StatefulSet', name: 'postgres' }) + pdb('postgres-pdb', 'postgres', 'maxUnavailable: 1'), sel)).toEqual([]);
  });
});

describe('pdb-differs-from-document', () => {
  it('reports a budget other than the documented one, and stays quiet when they agree', async () => {
    const sel = await profile('onprem');
    const base = workload({ name: 'frontend', namespace: 'app-frontend', replicas: 3 });
    const frontendPdb = (bound: string) => pdb('frontend-pdb', 'frontend', bound).replace('app-backend', 'app-frontend');
    expect(runRule(documentedDisruptionRule, base + frontendPdb('maxUnavailable: 2'), sel).filter((f) => f.message.includes('frontend'))).toHaveLength(1);
    expect(runRule(documentedDisruptionRule, base + frontendPdb('maxUnavailable: 1'), sel).filter((f) => f.message.includes('frontend'))).toEqual([]);
  });
});

const BACKEND_PROBES = `        - name: backend
          image: example/backend:1.0
          startupProbe: { httpGet: { path: /health/startup, port: 5000 }, periodSeconds: 5, failureThreshold: 30 }
          readinessProbe: { httpGet: { path: /health/ready, port: 5000 }, initialDelaySeconds: 10, periodSeconds: 5 }
          livenessProbe: { httpGet: { path: /health/live, port: 5000 }, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5 }`;

describe('probe-time-exceeds-rto', () => {
  it("fails on document 001's backend probes (startup budget 150 s + readiness 5 s) against the 2 min pod RTO", async () => {
    const f = runRule(probeTimingRule, workload({ name: 'backend', replicas: 3, container: BACKEND_PROBES }), await profile('onprem'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'warning', details: { restartToReadySeconds: 155, startBudgetSeconds: 150, startBudgetFrom: 'startupProbe', hangDetectionSeconds: 30, rtoSeconds: 120 } });
    expect(f[0]!.targets[0]).toMatchObject({ id: 'pods.rto', value: 'max 2m' });
  });

  it('passes when the probes give up within the RTO', async () => {
    const fast = BACKEND_PROBES.replace('failureThreshold: 30', 'failureThreshold: 20');
    expect(runRule(probeTimingRule, workload({ name: 'backend', replicas: 3, container: fast }), await profile('onprem'))).toEqual([]);
  });

  it('uses the liveness budget without a startup probe, and reports a start nothing bounds', () => {
    const c = (probes: Partial<Container>): Container => ({ name: 'c', command: [], args: [], env: [], ports: [], requests: {}, limits: {}, volumeMounts: [], sidecar: false, ...probes });
    const p = { initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
    expect(readyBudget(c({ liveness: p, readiness: { ...p, initialDelaySeconds: 10, periodSeconds: 5 } }), 30).restartToReady).toBe(65);
    expect(readyBudget(c({ readiness: p }), 30).restartToReady).toBe(Infinity);
    const sel = testProfile({ targets: [{ id: 'api.rto', metric: 'rto', component: 'backend', max: '1m', source: SRC }] });
    const f = runRule(probeTimingRule, workload({ name: 'backend', container: `        - name: backend
          image: example/backend:1.0
          readinessProbe: { httpGet: { path: /ready, port: 5000 } }` }), sel);
    expect(f[0]!.message).toMatch(/nothing bounds the time from a restart to Ready/);
  });
});

describe('single-replica-no-failover', () => {
  const rto0 = testProfile({ targets: [{ id: 'api.rto', metric: 'rto', component: 'backend', max: '0s', source: SRC }] });
  it('fails when a component promised without downtime (RTO 0) runs one replica', () => {
    const f = runRule(singleReplicaRule, workload({ name: 'backend', replicas: 1 }), rto0);
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('error');
  });
  it('passes with two replicas', () => {
    expect(runRule(singleReplicaRule, workload({ name: 'backend', replicas: 2 }), rto0)).toEqual([]);
  });
  it('warns on single replicas on the API path under an availability SLO (profile platform, document 004)', async () => {
    const f = runRule(singleReplicaRule, workload({ kind: 'StatefulSet', name: 'postgres' }) + workload({ name: 'backend', replicas: 3 }), await profile('platform'));
    expect(f.map((x) => [x.severity, x.objects[0]!.name])).toEqual([['warning', 'postgres']]);
    expect(runRule(singleReplicaRule, workload({ kind: 'StatefulSet', name: 'postgres' }), await profile('onprem'))).toEqual([]);
  });
});
