import { describe, expect, it } from 'vitest';
import { manifests } from './test-helpers.ts';
import { cidrCovers, evaluateConnection, type PodEndpoint } from './network.ts';
import { networkPolicyRule } from './rules/network.ts';
import { profile, runRule, workload } from './test-helpers.ts';

const ns = (name: string, labels: Record<string, string> = {}) => `---
apiVersion: v1
kind: Namespace
metadata:
  name: ${name}
  labels: { ${Object.entries(labels).map(([k, v]) => `${k}: ${v}`).join(', ')} }
`;
const policy = (name: string, spec: string, namespace = 'app-backend') => `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: ${name}, namespace: ${namespace} }
spec:
${spec}`;
const DENY_ALL = policy('default-deny-all', '  podSelector: {}\n  policyTypes: [Ingress, Egress]\n');
const DNS_ALL = policy('allow-dns', `  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: kube-system } }, podSelector: { matchLabels: { k8s-app: kube-dns } } }]
      ports: [{ protocol: UDP, port: 53 }, { protocol: TCP, port: 53 }]
`);
const port = (p: number, name: string) => `          ports: [{ containerPort: ${p}, name: ${name} }]`;
const app = (name: string, p: number) => workload({ name, kind: name === 'postgres' ? 'StatefulSet' : 'Deployment', container: `        - name: ${name}
          image: example/${name}:1.0
${port(p, 'main')}` });
const BACKEND_AND_POSTGRES = ns('app-backend') + app('backend', 5000) + app('postgres', 5432);

const egressTo = (from: string, to: string, p: number | string) => policy(`${from}-to-${to}`, `  podSelector: { matchLabels: { app: ${from} } }
  policyTypes: [Egress]
  egress:
    - to: [{ podSelector: { matchLabels: { app: ${to} } } }]
      ports: [{ protocol: TCP, port: ${p} }]
`);
const ingressFrom = (to: string, from: string, p: number | string) => policy(`${to}-from-${from}`, `  podSelector: { matchLabels: { app: ${to} } }
  policyTypes: [Ingress]
  ingress:
    - from: [{ podSelector: { matchLabels: { app: ${from} } } }]
      ports: [{ protocol: TCP, port: ${p} }]
`);

describe('network-policy-blocks-dependency', () => {
  it('fails when default-deny blocks the documented backend -> postgres:5432 edge (egress and ingress explained)', async () => {
    const f = runRule(networkPolicyRule, BACKEND_AND_POSTGRES + DENY_ALL + DNS_ALL, await profile('onprem'));
    const edge = f.find((x) => x.details?.port === 5432);
    expect(edge).toMatchObject({ severity: 'error', details: { egressAllowed: false, ingressAllowed: false, reason: 'documented dependency backend -> postgres:5432' } });
    expect(edge!.message).toMatch(/egress of backend \(app-backend\) is isolated by default-deny-all/);
    expect(edge!.hint).toMatch(/egress rule on backend.*ingress rule on postgres/);
  });

  it('passes when egress and ingress rules open exactly that port', async () => {
    const f = runRule(networkPolicyRule, BACKEND_AND_POSTGRES + DENY_ALL + DNS_ALL + egressTo('backend', 'postgres', 5432) + ingressFrom('postgres', 'backend', 5432), await profile('onprem'));
    expect(f.filter((x) => x.details?.port === 5432)).toEqual([]);
  });

  it('resolves named ports on the destination pod, and rejects the wrong port', async () => {
    const sel = await profile('onprem');
    const named = runRule(networkPolicyRule, BACKEND_AND_POSTGRES + DENY_ALL + DNS_ALL + egressTo('backend', 'postgres', 'main') + ingressFrom('postgres', 'backend', 'main'), sel);
    expect(named.filter((x) => x.details?.port === 5432)).toEqual([]);
    const wrong = runRule(networkPolicyRule, BACKEND_AND_POSTGRES + DENY_ALL + DNS_ALL + egressTo('backend', 'postgres', 5433) + ingressFrom('postgres', 'backend', 5432), sel);
    expect(wrong.find((x) => x.details?.port === 5432)).toMatchObject({ details: { egressAllowed: false, ingressAllowed: true } });
  });

  it('fails DNS under default-deny without a DNS rule (UDP: error, TCP: warning)', async () => {
    const f = runRule(networkPolicyRule, ns('app-backend') + app('backend', 5000) + DENY_ALL, await profile('onprem'));
    const dns = f.filter((x) => x.details?.port === 53);
    expect(dns.map((x) => [x.details?.protocol, x.severity])).toEqual([['UDP', 'error'], ['TCP', 'warning']]);
  });

  it('reports one cause once: DNS cut by the same default-deny for many workloads is one finding per protocol, listing them', async () => {
    const many = ['a', 'b', 'c', 'd'].map((n) => app(n, 8080)).join('');
    const f = runRule(networkPolicyRule, ns('app-backend') + many + DENY_ALL, await profile('onprem'));
    expect(f.map((x) => [x.severity, x.details!.protocol])).toEqual([['error', 'UDP'], ['warning', 'TCP']]);
    expect(f[0]!.details!.sources).toEqual(['app-backend/a', 'app-backend/b', 'app-backend/c', 'app-backend/d']);
    expect(f[0]!.message).toMatch(/^4 workloads -> kube-dns \(kube-system\) port 53\/UDP are blocked by the same policies \(app-backend\/default-deny-all\)/);
  });

  it("document 001's DNS rule (namespaceSelector {} UDP 53) passes UDP but not TCP", async () => {
    const doc001Dns = policy('backend-dns', `  podSelector: { matchLabels: { app: backend } }
  policyTypes: [Egress]
  egress:
    - to: [{ namespaceSelector: {} }]
      ports: [{ protocol: UDP, port: 53 }]
`);
    const f = runRule(networkPolicyRule, ns('app-backend') + app('backend', 5000) + DENY_ALL + doc001Dns, await profile('onprem'));
    expect(f.filter((x) => x.details?.port === 53).map((x) => x.details?.protocol)).toEqual(['TCP']);
  });

  it("flags document 001's `namespaceSelector: {name: ingress-nginx}` (a label Kubernetes does not set) as a warning, and passes with kubernetes.io/metadata.name", async () => {
    const ingressRule = (label: string) => policy('backend-from-ingress', `  podSelector: { matchLabels: { app: backend } }
  policyTypes: [Ingress]
  ingress:
    - from: [{ namespaceSelector: { matchLabels: { ${label}: ingress-nginx } } }]
      ports: [{ protocol: TCP, port: 5000 }]
`);
    const sel = await profile('onprem');
    const bad = runRule(networkPolicyRule, ns('app-backend') + app('backend', 5000) + DENY_ALL + DNS_ALL + ingressRule('name'), sel);
    expect(bad.find((x) => x.details?.port === 5000)).toMatchObject({ severity: 'warning', details: { source: { name: 'ingress-nginx controller', external: true } } });
    expect(bad.find((x) => x.details?.port === 5000)!.message).toMatch(/not in the manifests: assumed in namespace ingress-nginx/);
    const good = runRule(networkPolicyRule, ns('app-backend') + app('backend', 5000) + DENY_ALL + DNS_ALL + ingressRule('kubernetes.io/metadata.name'), sel);
    expect(good.filter((x) => x.details?.port === 5000)).toEqual([]);
    const labelled = runRule(networkPolicyRule, ns('app-backend') + ns('ingress-nginx', { name: 'ingress-nginx' }) + app('backend', 5000) + DENY_ALL + DNS_ALL + ingressRule('name'), sel);
    expect(labelled.filter((x) => x.details?.port === 5000)).toEqual([]);
  });

  it('checks Services named in env and command, with their port', async () => {
    const svc = `---
apiVersion: v1
kind: Service
metadata: { name: minio-service, namespace: app-backend }
spec:
  selector: { app: minio }
  ports: [{ name: api, port: 9000, targetPort: 9000 }, { name: console, port: 9001, targetPort: 9001 }]
`;
    const job = `---
apiVersion: batch/v1
kind: CronJob
metadata: { name: uploader, namespace: app-backend }
spec:
  schedule: "0 2 * * *"
  jobTemplate:
    spec:
      template:
        metadata: { labels: { app: uploader } }
        spec:
          restartPolicy: OnFailure
          containers:
            - name: up
              image: example/mc:1.0
              command: ["/bin/sh", "-c", "mc alias set s http://minio-service.app-backend.svc.cluster.local:9000 a b"]
`;
    const minio = workload({ kind: 'StatefulSet', name: 'minio', container: `        - name: minio
          image: example/minio:1.0
          ports: [{ containerPort: 9000 }, { containerPort: 9001 }]` });
    const f = runRule(networkPolicyRule, ns('app-backend') + svc + minio + job + DENY_ALL + DNS_ALL + ingressFrom('minio', 'uploader', 9000), await profile('onprem'));
    const edge = f.find((x) => (x.details?.source as { name: string }).name === 'uploader' && x.details?.port === 9000);
    expect(edge).toMatchObject({ severity: 'error', details: { egressAllowed: false, ingressAllowed: true } });
    expect(edge!.details!.reason).toMatch(/command of up names minio-service:9000/);
  });

  it('has nothing to say without NetworkPolicies', async () => {
    expect(runRule(networkPolicyRule, BACKEND_AND_POSTGRES, await profile('onprem'))).toEqual([]);
  });
});

describe('evaluateConnection (NetworkPolicy semantics)', () => {
  const m = manifests(ns('a', { team: 'x' }) + ns('b') + policy('p', `  podSelector: { matchLabels: { app: db } }
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { team: x } }
          podSelector: { matchLabels: { app: web } }
`, 'b'));
  const ep = (namespace: string, app: string, nsLabels: Record<string, string> = {}): PodEndpoint => ({
    label: app, ref: { kind: 'Deployment', namespace, name: app }, namespace, labels: { app }, namespaceLabels: { 'kubernetes.io/metadata.name': namespace, ...nsLabels }, ports: [], external: false,
  });
  it('policyTypes defaults to Ingress only; namespaceSelector AND podSelector in one peer', () => {
    expect(m.networkPolicies[0]!.policyTypes).toEqual(['Ingress']);
    expect(evaluateConnection(m.networkPolicies, ep('a', 'web', { team: 'x' }), ep('b', 'db'), 5432, 'TCP').allowed).toBe(true);
    expect(evaluateConnection(m.networkPolicies, ep('a', 'api', { team: 'x' }), ep('b', 'db'), 5432, 'TCP').allowed).toBe(false);
    expect(evaluateConnection(m.networkPolicies, ep('c', 'web'), ep('b', 'db'), 5432, 'TCP').allowed).toBe(false);
    // pods not selected by any policy are not isolated
    expect(evaluateConnection(m.networkPolicies, ep('c', 'web'), ep('b', 'cache'), 6379, 'TCP').allowed).toBe(true);
  });
  it('ipBlock matches pod traffic only when it covers the whole pod network', () => {
    expect(cidrCovers('0.0.0.0/0', [], '10.244.0.0/16')).toBe(true);
    expect(cidrCovers('10.0.0.0/8', ['10.244.1.0/24'], '10.244.0.0/16')).toBe(false);
    expect(cidrCovers('172.16.0.0/12', [], '10.244.0.0/16')).toBe(false);
  });
});
