/**
 * Recognises what a workload is — PostgreSQL, MySQL, Redis, an object store, a queue… — from what it
 * runs, not from what it is called: the image's name in any registry or path (`sourcegraph/postgresql-16`,
 * `public.ecr.aws/docker/library/mysql:8.0`), the data directory it mounts, the port it listens on, and
 * well-known labels (`app.kubernetes.io/name`, `app.kubernetes.io/component`, `component`, `app`).
 * Exporters, operators and clients of a store (postgres_exporter, minio/mc) are not the store.
 */
import { mainContainers, type Workload } from './model.ts';

export const STORE_CATEGORIES = ['database', 'cache', 'object-store', 'queue', 'search'] as const;
export type StoreCategory = (typeof STORE_CATEGORIES)[number];

export interface Engine {
  /** postgres, mysql, mongo, redis, object-store, rabbitmq… */
  name: string;
  category: StoreCategory;
}

export interface Recognition extends Engine {
  /** What gave it away: "image sourcegraph/postgresql-16", "mount /var/lib/mysql", "port 5432", "label app.kubernetes.io/name=redis". */
  evidence: string;
}

const ENGINES: Array<{ engine: Engine; tokens: string[]; ports: number[]; paths: RegExp[] }> = [
  { engine: { name: 'postgres', category: 'database' }, tokens: ['postgres', 'postgresql', 'postgis', 'timescaledb', 'pgvector', 'cnpg', 'spilo'], ports: [5432], paths: [/\/(postgres|postgresql|pgdata)(\/|$)/] },
  { engine: { name: 'mysql', category: 'database' }, tokens: ['mysql', 'mariadb', 'percona'], ports: [3306], paths: [/\/(mysql|mariadb)(\/|$)/] },
  { engine: { name: 'mongo', category: 'database' }, tokens: ['mongo', 'mongodb'], ports: [27017], paths: [/^\/data\/db$/, /\/mongodb(\/|$)/] },
  { engine: { name: 'cassandra', category: 'database' }, tokens: ['cassandra', 'scylla'], ports: [9042], paths: [/\/cassandra(\/|$)/] },
  { engine: { name: 'dynamodb', category: 'database' }, tokens: ['dynamodb'], ports: [], paths: [] },
  { engine: { name: 'clickhouse', category: 'database' }, tokens: ['clickhouse'], ports: [8123], paths: [/\/clickhouse(\/|$)/] },
  { engine: { name: 'etcd', category: 'database' }, tokens: ['etcd'], ports: [2379], paths: [] },
  { engine: { name: 'redis', category: 'cache' }, tokens: ['redis', 'valkey', 'keydb', 'dragonfly'], ports: [6379], paths: [/\/redis(\/|$)/] },
  { engine: { name: 'object-store', category: 'object-store' }, tokens: ['minio', 'seaweedfs', 'garage', 'blobstore', 'radosgw'], ports: [], paths: [/\/minio(\/|$)/] },
  { engine: { name: 'rabbitmq', category: 'queue' }, tokens: ['rabbitmq'], ports: [5672], paths: [/\/rabbitmq(\/|$)/] },
  { engine: { name: 'kafka', category: 'queue' }, tokens: ['kafka', 'redpanda'], ports: [9092], paths: [/\/kafka(\/|$)/] },
  { engine: { name: 'nats', category: 'queue' }, tokens: ['nats', 'jetstream'], ports: [4222], paths: [] },
  { engine: { name: 'elasticsearch', category: 'search' }, tokens: ['elasticsearch', 'opensearch'], ports: [9200], paths: [/\/(elasticsearch|opensearch)(\/|$)/] },
];

/** Image tokens that mean "works with a store" rather than "is a store". */
const NOT_A_STORE = new Set(['exporter', 'operator', 'client', 'cli', 'mc', 'backup', 'dump', 'migrator', 'migrate', 'migrations', 'proxy', 'pgbouncer', 'admin', 'ui', 'commander', 'insight', 'sentinel-exporter', 'init']);

const LABEL_KEYS = ['app.kubernetes.io/name', 'app.kubernetes.io/component', 'component', 'app', 'k8s-app'];

/** `public.ecr.aws/docker/library/mysql:8.0` -> ["mysql"]; `sourcegraph/postgresql-16-codeinsights` -> ["postgresql", "16", "codeinsights"]. */
export function imageTokens(image: string): string[] {
  const withoutDigest = image.split('@')[0]!;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  const repo = colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
  const base = repo.slice(repo.lastIndexOf('/') + 1).toLowerCase();
  return base.split(/[-_.]/).filter(Boolean);
}

function engineByTokens(tokens: string[]): Engine | undefined {
  if (tokens.some((t) => NOT_A_STORE.has(t))) return undefined;
  return ENGINES.find((e) => tokens.some((t) => e.tokens.includes(t)))?.engine;
}

/** The kinds whose pods run for good (a Job that runs pg_dump is not a database). */
const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Pod']);

/** What a workload is, when it is a data store; undefined for application workloads. */
export function recognize(w: Workload): Recognition | undefined {
  if (!LONG_RUNNING.has(w.kind)) return undefined;
  const containers = mainContainers(w.template);
  for (const c of containers) {
    if (!c.image) continue;
    const e = engineByTokens(imageTokens(c.image));
    if (e) return { ...e, evidence: `image ${c.image.split('@')[0]}` };
  }
  for (const c of containers) {
    if (c.image && imageTokens(c.image).some((t) => NOT_A_STORE.has(t))) continue;
    for (const m of c.volumeMounts) {
      const e = ENGINES.find((x) => x.paths.some((p) => p.test(m.mountPath)));
      if (e) return { ...e.engine, evidence: `data directory ${m.mountPath} (container ${c.name})` };
    }
  }
  for (const c of containers) {
    if (c.image && imageTokens(c.image).some((t) => NOT_A_STORE.has(t))) continue;
    for (const p of c.ports) {
      const e = ENGINES.find((x) => x.ports.includes(p.containerPort));
      if (e) return { ...e.engine, evidence: `container port ${p.containerPort} (container ${c.name})` };
    }
  }
  const labels = { ...w.labels, ...w.template.labels };
  for (const key of LABEL_KEYS) {
    const value = labels[key];
    if (!value) continue;
    const e = engineByTokens(value.toLowerCase().split(/[-_.]/));
    if (e) return { ...e, evidence: `label ${key}=${value}` };
  }
  return undefined;
}
