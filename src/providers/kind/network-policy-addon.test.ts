import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../../config/schema.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { loadImageCatalog } from '../../setup/image-catalog.ts';
import { accessObjects } from './access-objects.ts';
import { MONITORING_NAMESPACE } from './monitoring-config.ts';
import { addonNetworkPolicies, daemonSetReady, NETWORK_POLICY_NAMESPACE, NETWORK_POLICY_QUEUE, networkPolicyObjects } from './network-policy-addon.ts';
import { isolatedForIngress, selectorMatches } from './policy-isolation.ts';

const get = (o: unknown, ...path: Array<string | number>): unknown => path.reduce<unknown>((x, k) => (x as Record<string | number, unknown> | undefined)?.[k], o);
const deployment = (namespace: string, labels: Record<string, string>): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: labels.app ?? 'x', namespace }, spec: { template: { metadata: { labels } } } });
const policy = (namespace: string, podSelector: object, policyTypes?: string[]): KubeObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace }, spec: { podSelector, ...(policyTypes ? { policyTypes } : {}) } });

describe('network-policy add-on', () => {
  it('is kube-network-policies as a privileged host-network DaemonSet on every node, reading only what it needs, on its own nfqueue', () => {
    const objects = networkPolicyObjects({ image: 'prodlike.local/kube-network-policies:v0.8.0-xtnfqueue' });
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      `Namespace/${NETWORK_POLICY_NAMESPACE}`, 'ServiceAccount/kube-network-policies', 'ClusterRole/prodlike-kube-network-policies',
      'ClusterRoleBinding/prodlike-kube-network-policies', 'DaemonSet/kube-network-policies',
    ]);
    // prodlike's labels, no environment label: `reset` keeps the add-on (it empties only namespaces labelled with the environment)
    for (const o of objects) expect(o.metadata.labels).toMatchObject({ 'io.prodlike.managed': 'true', 'app.kubernetes.io/managed-by': 'prodlike' });
    for (const o of objects) expect(o.metadata.labels?.['io.prodlike.env']).toBeUndefined();
    expect(get(objects[0], 'metadata', 'labels', 'pod-security.kubernetes.io/enforce')).toBe('privileged');
    expect(get(objects[2], 'rules')).toEqual([
      { apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['list', 'watch'] },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['list', 'watch'] },
    ]);
    const pod = get(objects[4], 'spec', 'template', 'spec') as Record<string, unknown>;
    expect(pod).toMatchObject({ hostNetwork: true, tolerations: [{ operator: 'Exists' }], serviceAccountName: 'kube-network-policies' });
    const container = get(pod, 'containers', 0) as { args: string[]; command: string[]; image: string; securityContext: object };
    expect(container.command).toEqual(['/bin/netpol']);
    expect(container.args).toContain(`--nfqueue-id=${NETWORK_POLICY_QUEUE}`);
    expect(container.args).toContain('--hostname-override=$(NODE_NAME)');
    expect(container.args.some((a) => a.startsWith('--fail-open'))).toBe(false); // fail-closed, as upstream's install.yaml
    expect(container.securityContext).toMatchObject({ privileged: true });
  });

  it('waits for the DaemonSet by its status: the current generation seen, every scheduled agent updated and ready', () => {
    const ds = (status: object, generation = 2) => ({ metadata: { generation }, status });
    expect(daemonSetReady(ds({ observedGeneration: 2, desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3 }))).toBe(true);
    expect(daemonSetReady(ds({ observedGeneration: 1, desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3 }))).toBe(false);
    expect(daemonSetReady(ds({ observedGeneration: 2, desiredNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3 }))).toBe(false);
    expect(daemonSetReady(ds({ observedGeneration: 2, desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 2 }))).toBe(false);
    expect(daemonSetReady(ds({ observedGeneration: 2, desiredNumberScheduled: 0, numberReady: 0, updatedNumberScheduled: 0 }))).toBe(false);
    expect(daemonSetReady(ds({}))).toBe(false);
  });

  it('has the catalogue\'s images: upstream online, the NFQUEUE-target build offline (the node image stage\'s tag)', async () => {
    const entry = (await loadImageCatalog()).kindAddons?.['kube-network-policies'];
    expect(entry).toEqual({ online: 'registry.k8s.io/networking/kube-network-policies:v0.8.0', offline: 'prodlike.local/kube-network-policies:v0.8.0-xtnfqueue', build: 'kind-node' });
    const script = await readFile(join(PACKAGE_ROOT, 'fixtures/images/kind-node/build-node-image.sh'), 'utf8');
    const version = /^KNP_VERSION=(\S+)/m.exec(script)?.[1];
    expect(`prodlike.local/kube-network-policies:${version}-xtnfqueue`).toBe(entry?.offline);
  });

  it('is on by default and turned off by networkPolicies.enforce: false', () => {
    expect(configSchema.parse({}).networkPolicies.enforce).toBe(true);
    expect(configSchema.parse({ networkPolicies: { enforce: false } }).networkPolicies.enforce).toBe(false);
    expect(() => configSchema.parse({ networkPolicies: { enforced: false } })).toThrow();
  });
});

describe('prodlike\'s own policies under enforcement', () => {
  const rendered = async () => {
    // The reference manifests' base: document 001's default-deny in app-backend, nothing in app-frontend.
    const text = await readFile(join(PACKAGE_ROOT, 'kind/manifests/base/network-policies.yaml'), 'utf8');
    const policies = text.split(/^---$/m).map((d) => parse(d) as KubeObject).filter(Boolean);
    return [...policies, deployment('app-backend', { app: 'backend', tier: 'api' }), deployment('app-backend', { app: 'postgres' }), deployment('app-backend', { app: 'redis' }), deployment('app-frontend', { app: 'frontend' })];
  };

  it('admit the monitoring add-on\'s exporters and Prometheus into the isolated data stores and backend, on their ports only, labelled as the environment\'s', async () => {
    const config = configSchema.parse({ name: 'np' });
    const policies = addonNetworkPolicies(config, await rendered());
    expect(policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['app-backend/prodlike-monitoring-postgres', 'app-backend/prodlike-monitoring-redis', 'app-backend/prodlike-monitoring-backend']);
    expect(policies[0]!.metadata.labels).toMatchObject({ 'io.prodlike.managed': 'true', 'io.prodlike.env': 'np' });
    expect(policies[0]!.spec).toEqual({
      podSelector: { matchLabels: { app: 'postgres' } }, policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': MONITORING_NAMESPACE } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prodlike-postgres-exporter' } } }], ports: [{ protocol: 'TCP', port: 5432 }] }],
    });
    expect(get(policies[2], 'spec', 'ingress', 0, 'from', 0, 'podSelector', 'matchLabels')).toEqual({ 'app.kubernetes.io/name': 'prometheus' });
    expect(addonNetworkPolicies(configSchema.parse({ monitoring: { enabled: false } }), await rendered())).toEqual([]);
  });

  it('host access adds its node-address policy only where the manifests isolate the role: never isolates the frontend itself', async () => {
    const objects = accessObjects(configSchema.parse({ name: 'np' }), await rendered());
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name);
    expect(policies).toEqual(['prodlike-access-backend', 'prodlike-access-postgres', 'prodlike-access-redis', 'prodlike-access-minio']);
    expect(objects.filter((o) => o.kind === 'Service')).toHaveLength(5);
  });

  it('isolation: a policy of the pods\' namespace selecting them with Ingress (policyTypes absent = Ingress); Egress-only or another namespace does not', () => {
    const pods = [deployment('a', { app: 'web', tier: 'front' })];
    expect(isolatedForIngress([...pods, policy('a', {})], 'a', { app: 'web' })).toBe(true);
    expect(isolatedForIngress([...pods, policy('a', { matchLabels: { tier: 'front' } })], 'a', { app: 'web' })).toBe(true);
    expect(isolatedForIngress([...pods, policy('a', { matchLabels: { tier: 'back' } })], 'a', { app: 'web' })).toBe(false);
    expect(isolatedForIngress([...pods, policy('a', {}, ['Egress'])], 'a', { app: 'web' })).toBe(false);
    expect(isolatedForIngress([...pods, policy('b', {})], 'a', { app: 'web' })).toBe(false);
    expect(isolatedForIngress([policy('a', { matchLabels: { app: 'web' } })], 'a', { app: 'web' })).toBe(true); // no workload rendered: the selector
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }, { key: 'x', operator: 'DoesNotExist' }] }, { tier: 'front' })).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, { tier: 'front' })).toBe(false);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, {})).toBe(false);
  });
});
