import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { configSchema, resolveAdditional, resolveWorkload } from '../../config/schema.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { mapConfig, mapObjects, namespaceMap } from './namespace-map.ts';

const config = configSchema.parse({ name: 'demo', provider: 'cluster', cluster: { context: 'ext', namespaces: { 'app-backend': 'pl-demo-data' } } });
const objects = (yaml: string) => parseAllDocuments(yaml).map((d) => d.toJS() as KubeObject);

describe('namespace map (provider: cluster)', () => {
  it('maps by cluster.namespaces, else the prefix pl-<env>-, and the configuration follows', () => {
    const map = namespaceMap(config);
    expect(map.of('app-backend')).toBe('pl-demo-data');
    expect(map.of('app-frontend')).toBe('pl-demo-app-frontend');
    const mapped = mapConfig(config, map);
    expect(resolveWorkload(mapped, 'postgres').namespace).toBe('pl-demo-data');
    expect(resolveWorkload(mapped, 'frontend').namespace).toBe('pl-demo-app-frontend');
    expect(mapped.executions.namespace).toBe('pl-demo-saasit-executions');
    expect(namespaceMap(configSchema.parse({ name: 'xy', cluster: { context: 'c', namespacePrefix: 'team-' } })).of('data')).toBe('team-data');
  });

  it('refuses two manifest namespaces mapped to one, and names longer than 63 characters', () => {
    const map = namespaceMap(configSchema.parse({ name: 'demo', cluster: { context: 'c', namespaces: { a: 'same', b: 'same' } } }));
    map.of('a');
    expect(() => map.of('b')).toThrow(/both map to same/);
    expect(() => namespaceMap(configSchema.parse({ name: 'demo', cluster: { context: 'c' } })).of('x'.repeat(60))).toThrow(/63/);
  });

  it('rewrites namespaces, Service DNS names, namespaceSelectors, RBAC subjects and env values; labels namespaces and cluster-scoped objects', () => {
    const out = mapObjects(objects(`
apiVersion: v1
kind: Namespace
metadata: { name: data, labels: { name: data, tier: db } }
---
apiVersion: v1
kind: Service
metadata: { name: pg, namespace: data }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: web }
spec:
  template:
    spec:
      containers:
        - name: api
          args: ["--db=postgres://u@pg.data.svc.cluster.local:5432/x", "pg.data:5432", "pg.database.example", "xpg.data"]
          env:
            - { name: DB_HOST, value: pg.data.svc }
            - { name: JOBS_NAMESPACE, value: data }
            - { name: OTHER, value: database }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow, namespace: data }
spec:
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: web } }
        - namespaceSelector: { matchLabels: { name: kube-system } }
        - namespaceSelector: { matchExpressions: [{ key: name, operator: In, values: [web, other] }] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: rb, namespace: data }
subjects: [{ kind: ServiceAccount, name: api, namespace: web }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: job-template, namespace: web }
data: { job.yaml: "apiVersion: batch/v1\\nkind: Job\\nmetadata:\\n  name: run-1\\n  namespace: data\\n  labels: { namespace: database }\\n" }
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: nginx }
`), namespaceMap(config), 'demo');
    const find = (kind: string, name: string) => out.find((o) => o.kind === kind && o.metadata.name === name)!;
    // `web` is used without a Namespace object: prodlike creates it, labelled.
    expect(find('Namespace', 'pl-demo-web').metadata.labels).toMatchObject({ 'io.prodlike.managed': 'true', 'io.prodlike.env': 'demo' });
    expect(find('Namespace', 'pl-demo-data').metadata.labels).toMatchObject({ name: 'pl-demo-data', tier: 'db', 'io.prodlike.managed': 'true', 'io.prodlike.env': 'demo' });
    expect(find('Service', 'pg').metadata.namespace).toBe('pl-demo-data');
    const api = find('Deployment', 'api') as unknown as { metadata: { namespace: string }; spec: { template: { spec: { containers: { args: string[]; env: { value: string }[] }[] } } } };
    expect(api.metadata.namespace).toBe('pl-demo-web');
    const c = api.spec.template.spec.containers[0]!;
    // Service DNS names follow the mapping; look-alikes (another domain, a longer name) do not change.
    expect(c.args).toEqual(['--db=postgres://u@pg.pl-demo-data.svc.cluster.local:5432/x', 'pg.pl-demo-data:5432', 'pg.database.example', 'xpg.data']);
    expect(c.env.map((e) => e.value)).toEqual(['pg.pl-demo-data.svc', 'pl-demo-data', 'database']);
    const np = JSON.stringify(find('NetworkPolicy', 'allow').spec);
    expect(np).toContain('"kubernetes.io/metadata.name":"pl-demo-web"');
    expect(np).toContain('"name":"kube-system"'); // not a manifest namespace: left alone
    expect(np).toContain('"values":["pl-demo-web","other"]');
    expect((find('RoleBinding', 'rb') as unknown as { subjects: { namespace: string }[] }).subjects[0]!.namespace).toBe('pl-demo-web');
    expect((find('ConfigMap', 'job-template') as unknown as { data: Record<string, string> }).data['job.yaml']).toContain('\n  namespace: pl-demo-data\n  labels: { namespace: database }');
    expect(find('IngressClass', 'nginx').metadata.labels).toMatchObject({ 'io.prodlike.env': 'demo' });
  });

  it('the reference manifests: every namespace mapped, no Service DNS name left pointing at a manifest namespace', () => {
    const base = join(PACKAGE_ROOT, 'kind', 'manifests', 'base');
    const rendered = readdirSync(base).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').flatMap((f) => objects(readFileSync(join(base, f), 'utf8'))).filter((o) => o && o.kind);
    const out = mapObjects(rendered, namespaceMap(config), 'demo');
    const text = JSON.stringify(out);
    for (const ns of ['app-backend', 'app-frontend', 'saasit-executions']) expect(text).not.toMatch(new RegExp(`-service\\.${ns}\\b`));
    expect(out.filter((o) => o.kind !== 'Namespace' && o.kind !== 'IngressClass').every((o) => o.metadata.namespace?.startsWith('pl-demo-'))).toBe(true);
    expect(out.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name).sort()).toEqual(['pl-demo-app-frontend', 'pl-demo-data', 'pl-demo-saasit-executions', 'pl-demo-shared']);
  });

  it('maps a data store\'s additional workloads that have their own namespace (topology.<role>.additional)', () => {
    const replica = { name: 'replica', workload: 'statefulset/postgres-replica', selector: { app: 'postgres-replica' } };
    const config = configSchema.parse({ provider: 'cluster', cluster: { context: 'x' }, topology: { postgres: { additional: [replica, { ...replica, name: 'other', namespace: 'reports', selector: { app: 'other' } }] } } });
    const mapped = mapConfig(config, namespaceMap(config));
    expect(resolveAdditional(mapped).map((w) => w.namespace)).toEqual(['pl-prodlike-app-backend', 'pl-prodlike-reports']);
  });
});
