/**
 * An application shaped like document 000's Kubernetes configuration (written here, not copied):
 * backend-api in saasit-production creating one Job per execution in saasit-executions from a Job
 * template held in a ConfigMap, with RBAC only in its own namespace.
 */
import { describe, expect, it } from 'vitest';
import { checkManifests } from './check.ts';
import { hpaScaleUpRule } from './rules/autoscaling.ts';
import { pdbBothBoundsRule } from './rules/disruption.ts';
import { pullAlwaysRule, unpinnedImageRule } from './rules/images.ts';
import { probeMissingRule, probeTimingRule } from './rules/probes.ts';
import { rbacRule } from './rules/rbac.ts';
import { singleReplicaRule } from './rules/redundancy.ts';
import { CONFIG, manifests, profile, runRule, workload } from './test-helpers.ts';

const BACKEND = workload({
  name: 'backend-api',
  namespace: 'saasit-production',
  replicas: 5,
  container: `        - name: backend
          image: saasit/backend:2.3.1
          ports: [{ containerPort: 3001, name: http }]
          livenessProbe: { httpGet: { path: /health, port: 3001 }, initialDelaySeconds: 30, periodSeconds: 10 }
          readinessProbe: { httpGet: { path: /health, port: 3001 }, initialDelaySeconds: 10, periodSeconds: 5 }`,
  podExtra: '      serviceAccountName: backend-service-account\n',
});

const HPA = `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: backend-hpa, namespace: saasit-production }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: backend-api }
  minReplicas: 5
  maxReplicas: 50
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 60
      policies: [{ type: Percent, value: 100, periodSeconds: 60 }]
`;

const RBAC = `---
apiVersion: v1
kind: ServiceAccount
metadata: { name: backend-service-account, namespace: saasit-production }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: backend-role, namespace: saasit-production }
rules:
  - apiGroups: ["batch"]
    resources: ["jobs"]
    verbs: ["create", "get", "list", "watch", "delete"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: backend-rolebinding, namespace: saasit-production }
subjects: [{ kind: ServiceAccount, name: backend-service-account, namespace: saasit-production }]
roleRef: { kind: Role, name: backend-role, apiGroup: rbac.authorization.k8s.io }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: executor-service-account, namespace: saasit-executions }
`;

const TEMPLATE = `---
apiVersion: v1
kind: ConfigMap
metadata: { name: execution-job-template, namespace: saasit-executions }
data:
  template.yaml: |
    apiVersion: batch/v1
    kind: Job
    metadata:
      name: execution-{{EXECUTION_ID}}
      namespace: saasit-executions
    spec:
      activeDeadlineSeconds: {{MAX_RUNTIME}}
      template:
        spec:
          serviceAccountName: executor-service-account
          restartPolicy: OnFailure
          containers:
          - name: executor
            image: saasit/executor:latest
            imagePullPolicy: Always
            resources:
              requests: { memory: "{{MEMORY_REQUEST}}", cpu: "{{CPU_REQUEST}}" }
`;

/** What makes it work: a Role in the Jobs' namespace bound to the backend's service account. */
const LAUNCHER_ROLE = `---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: execution-launcher, namespace: saasit-executions }
rules:
  - { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch", "delete"] }
  - { apiGroups: [""], resources: ["configmaps"], resourceNames: ["execution-job-template"], verbs: ["get"] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: execution-launcher, namespace: saasit-executions }
subjects: [{ kind: ServiceAccount, name: backend-service-account, namespace: saasit-production }]
roleRef: { kind: Role, name: execution-launcher, apiGroup: rbac.authorization.k8s.io }
`;

const APP = BACKEND + HPA + RBAC + TEMPLATE;

describe('document 000-shaped application', () => {
  it('parses the Job template held in the ConfigMap (placeholders blanked)', () => {
    const m = manifests(APP);
    expect(m.templatedWorkloads).toHaveLength(1);
    expect(m.templatedWorkloads[0]).toMatchObject({ kind: 'Job', namespace: 'saasit-executions', heldIn: { configMap: { name: 'execution-job-template' }, key: 'template.yaml' } });
    expect(m.workloads.map((w) => w.name)).toEqual(['backend-api']);
  });

  it('rbac-missing-permission: Jobs created in another namespace than the Role grants', async () => {
    const f = runRule(rbacRule, APP, await profile('execution'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', details: { serviceAccount: 'saasit-production/backend-service-account', missing: ['create jobs in saasit-executions', 'get configmap execution-job-template in saasit-executions'] } });
    expect(f[0]!.hint).toMatch(/Role in saasit-executions/);
    expect(runRule(rbacRule, APP + LAUNCHER_ROLE, await profile('execution'))).toEqual([]);
  });

  it('rbac-missing-permission: the template\'s service account must exist in the Jobs\' namespace', async () => {
    const f = runRule(rbacRule, APP.replace('name: executor-service-account, namespace: saasit-executions', 'name: other-sa, namespace: saasit-executions') + LAUNCHER_ROLE, await profile('execution'));
    expect(f.map((x) => x.message)).toEqual([expect.stringMatching(/service account executor-service-account, which is not in namespace saasit-executions/)]);
  });

  it('image-unpinned and image-pull-always-local see the floating tag inside the ConfigMap template', async () => {
    const f = runRule(unpinnedImageRule, APP, await profile('execution'));
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toMatch(/"saasit\/executor:latest" uses the latest tag in Job template execution-\{\{EXECUTION_ID\}\}|Job template .* held in ConfigMap saasit-executions\/execution-job-template/);
    expect(f[0]!.objects).toEqual([expect.objectContaining({ kind: 'ConfigMap', name: 'execution-job-template' })]);
    expect(runRule(pullAlwaysRule, APP, await profile('execution'), { options: { localCluster: true } })).toHaveLength(1);
    expect(runRule(pullAlwaysRule, APP, await profile('execution'), { options: { localCluster: false } })).toEqual([]);
  });

  it('evaluates backend-api (not named backend) against the scale-up target', async () => {
    const f = runRule(hpaScaleUpRule, APP, await profile('performance'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', details: { from: 5, to: 50 } });
  });

  it('evaluates the probe budget of every workload an RTO applies to', async () => {
    const slow = BACKEND.replace('initialDelaySeconds: 30, periodSeconds: 10', 'initialDelaySeconds: 120, periodSeconds: 10');
    expect(runRule(probeTimingRule, slow, await profile('onprem'))[0]).toMatchObject({ details: { container: 'backend', restartToReadySeconds: 155 } });
  });
});

describe('pdb-both-bounds', () => {
  it('fails a PodDisruptionBudget with both minAvailable and maxUnavailable (the API server rejects it)', async () => {
    const pdb = `---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: { name: api-pdb, namespace: saasit-production }
spec:
  minAvailable: 2
  maxUnavailable: 1
  selector: { matchLabels: { app: backend-api } }
`;
    const f = runRule(pdbBothBoundsRule, BACKEND + pdb, await profile('onprem'));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', details: { minAvailable: 2, maxUnavailable: 1 } });
    expect(f[0]!.objects.map((o) => o.name)).toEqual(['api-pdb', 'backend-api']);
  });
});

describe('probe-missing', () => {
  it('warns for a main container with no probe at all, info when only a sidecar has none', async () => {
    const bare = workload({ name: 'worker', namespace: 'shop' });
    const sidecar = workload({ name: 'db', namespace: 'shop', container: `        - name: db
          image: postgres:16
          readinessProbe: { exec: { command: [pg_isready] } }
        - name: exporter
          image: quay.io/prometheuscommunity/postgres-exporter:v0.15` });
    const f = runRule(probeMissingRule, bare + sidecar, await profile('onprem'));
    expect(f.map((x) => [x.severity, x.details])).toEqual([
      ['warning', { containers: ['worker'], mainContainer: true }],
      ['info', { containers: ['exporter'], mainContainer: false }],
    ]);
  });
});

describe('single-replica-no-failover with an availability SLO', () => {
  it('reports every single-replica application workload in one finding (not only backend)', async () => {
    const yaml = ['cart', 'checkout', 'catalog'].map((n) => workload({ name: n, namespace: 'shop' })).join('') + workload({ name: 'web', namespace: 'shop', replicas: 3 });
    const f = runRule(singleReplicaRule, yaml, await profile('platform'));
    expect(f).toHaveLength(1);
    expect(f[0]!.details).toMatchObject({ workloads: ['shop/cart', 'shop/checkout', 'shop/catalog'] });
  });
});

describe('the whole rule set on the document 000 shape', () => {
  it('finds the RBAC, floating-tag and scale-up problems with the performance profile', async () => {
    const ids = checkManifests({ manifests: manifests(APP), selected: await profile('performance'), config: CONFIG }).map((f) => f.ruleId);
    expect(ids).toEqual(expect.arrayContaining(['rbac-missing-permission', 'image-unpinned', 'hpa-scale-up-slower-than-target']));
  });
});
