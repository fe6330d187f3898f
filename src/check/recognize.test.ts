import { describe, expect, it } from 'vitest';
import { configSchema, resolveWorkloads } from '../config/schema.ts';
import { KIND_POD_CIDR } from './network.ts';
import { matchComponent, workloadsForTarget } from './components.ts';
import type { CheckContext } from './finding.ts';
import { parseManifestText } from './model.ts';
import { imageTokens, recognize } from './recognize.ts';
import { manifests, testProfile, workload } from './test-helpers.ts';

function ctxOf(yaml: string, components: Record<string, string[]> = {}, topology: Record<string, unknown> = {}): CheckContext {
  const config = configSchema.parse({ check: { components }, topology });
  return {
    manifests: manifests(yaml),
    selected: testProfile({}),
    topology: resolveWorkloads(config),
    options: { localCluster: false, podCidr: KIND_POD_CIDR },
    loadtests: [],
    componentMap: config.check.components ?? {},
  };
}

const withImage = (name: string, image: string, extra: Partial<Parameters<typeof workload>[0]> = {}) =>
  workload({ name, namespace: 'shop', container: `        - name: main\n          image: ${image}`, ...extra });

describe('recognize: what a workload is, from what it runs', () => {
  it('reads the image name in any registry or path', () => {
    expect(imageTokens('public.ecr.aws/docker/library/mysql:8.0')).toEqual(['mysql']);
    expect(imageTokens('index.docker.io/sourcegraph/postgresql-16:6.2@sha256:83ab')).toEqual(['postgresql', '16']);
    const m = manifests([
      withImage('db', 'postgres:15-alpine', { labels: { app: 'db' } }),
      withImage('pgsql', 'index.docker.io/sourcegraph/postgresql-16:6.2.1106@sha256:83bab9e6'),
      withImage('codeinsights-db', 'sourcegraph/postgresql-16-codeinsights:6.2.1106'),
      withImage('catalog-mysql', 'public.ecr.aws/docker/library/mysql:8.0'),
      withImage('cache', 'valkey/valkey:8'),
      withImage('blobs', 'quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z'),
      withImage('queue', 'rabbitmq:3-management'),
      withImage('web', 'example/web:1.0'),
    ].join(''));
    expect(m.workloads.map((w) => [w.name, recognize(w)?.name ?? null])).toEqual([
      ['db', 'postgres'], ['pgsql', 'postgres'], ['codeinsights-db', 'postgres'], ['catalog-mysql', 'mysql'],
      ['cache', 'redis'], ['blobs', 'object-store'], ['queue', 'rabbitmq'], ['web', null],
    ]);
    expect(recognize(m.workloads[0]!)).toMatchObject({ category: 'database', evidence: 'image postgres:15-alpine' });
  });

  it('does not take exporters, clients or backup jobs for the store', () => {
    const m = manifests(withImage('pg-exporter', 'quay.io/prometheuscommunity/postgres-exporter:v0.15') + withImage('mc', 'minio/mc:RELEASE.2025-08-13T08-35-41Z'));
    expect(m.workloads.map(recognize)).toEqual([undefined, undefined]);
  });

  it('falls back to the data directory, the container port, then well-known labels', () => {
    const byMount = workload({ name: 'a', namespace: 'x', container: '        - name: a\n          image: corp/db-image:1\n          volumeMounts: [{ name: d, mountPath: /var/lib/mysql }]' });
    const byPort = workload({ name: 'b', namespace: 'x', container: '        - name: b\n          image: corp/store:1\n          ports: [{ containerPort: 5432 }]' });
    const byLabel = workload({ name: 'c', namespace: 'x', labels: { 'app.kubernetes.io/name': 'redis' } });
    const m = manifests(byMount + byPort + byLabel);
    expect(m.workloads.map((w) => recognize(w)?.evidence)).toEqual(['data directory /var/lib/mysql (container a)', 'container port 5432 (container b)', 'label app.kubernetes.io/name=redis']);
  });
});

describe('components -> workloads', () => {
  it('maps several workloads to one data-store role (Sourcegraph: three PostgreSQL StatefulSets)', () => {
    const yaml = ['pgsql', 'codeintel-db', 'codeinsights-db'].map((n) => withImage(n, 'sourcegraph/postgresql-16:6.2', { kind: 'StatefulSet' })).join('');
    const match = matchComponent(ctxOf(yaml), 'postgres');
    expect(match.workloads.map((w) => w.name)).toEqual(['pgsql', 'codeintel-db', 'codeinsights-db']);
    expect(match.how.get(match.workloads[0]!)).toBe('postgres, recognised by image sourcegraph/postgresql-16:6.2');
  });

  it('names a role\'s additional workloads by their configuration, even with an image it does not know', () => {
    const yaml = withImage('pgsql', 'postgres:16', { kind: 'StatefulSet' }) + withImage('pgsql-replica', 'corp/standby:1', { kind: 'StatefulSet' });
    const match = matchComponent(ctxOf(yaml, {}, { postgres: { namespace: 'shop', workload: 'statefulset/pgsql', additional: [{ name: 'replica', workload: 'statefulset/pgsql-replica', selector: { app: 'pgsql-replica' } }] } }), 'postgres');
    expect(match.workloads.map((w) => w.name)).toEqual(['pgsql', 'pgsql-replica']);
    expect(match.how.get(match.workloads[1]!)).toBe('topology.postgres.additional replica (statefulset/pgsql-replica)');
  });

  it('recognises the voting app\'s PostgreSQL labelled app: db', () => {
    expect(matchComponent(ctxOf(withImage('db', 'postgres:15-alpine')), 'postgres').workloads.map((w) => w.name)).toEqual(['db']);
  });

  it('lets the configuration win: check.components names exactly the workloads', () => {
    const yaml = withImage('pgsql', 'postgres:16', { kind: 'StatefulSet' }) + withImage('legacy', 'postgres:9', { kind: 'StatefulSet' });
    const match = matchComponent(ctxOf(yaml, { postgres: ['shop/statefulset/pgsql'] }), 'database');
    expect(match.workloads.map((w) => w.name)).toEqual(['pgsql']);
    expect(match.how.get(match.workloads[0]!)).toBe('check.components in prodlike.yaml');
  });

  it('finds backend-api by name token, and applies RTO/scale-up targets to every application workload when nothing matches', () => {
    const ctx = ctxOf(withImage('backend-api', 'saasit/backend:1') + withImage('frontend', 'saasit/frontend:1'));
    expect(matchComponent(ctx, 'backend').workloads.map((w) => w.name)).toEqual(['backend-api']);
    const other = ctxOf(withImage('checkout', 'shop/checkout:1') + withImage('catalog', 'shop/catalog:1') + withImage('db', 'postgres:16'));
    const t = workloadsForTarget(other, { component: 'backend', metric: 'scale-up-time' });
    expect(t).toMatchObject({ fallback: true });
    expect(t.workloads.map((w) => w.name)).toEqual(['checkout', 'catalog']);
    expect(matchComponent(other, 'backend').workloads).toEqual([]);
  });
});

describe('reading manifests as they are found', () => {
  it('reads a mapping with a key given twice (the retail store\'s ConfigMap) with the last value and a note', () => {
    const notes: string[] = [];
    const objects = parseManifestText('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: carts }\ndata:\n  CREATE: "false"\n  CREATE: "true"\n', 'cm.yaml', notes);
    expect(objects[0]!.raw).toMatchObject({ data: { CREATE: 'true' } });
    expect(notes).toEqual([expect.stringMatching(/^cm\.yaml:6: a key is given twice/)]);
  });
});
