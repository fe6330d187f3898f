import type { ApplicationApi, WorkloadRole } from './schema.ts';

/** What a role defaults to: its namespace, workload object, Service name, replica count and port. */
export interface RoleDefaults {
  namespace: string;
  workload: string;
  service: string;
  replicas: number;
  port: number;
  /** Path on `port` that answers 200 when a pod is ready (its readiness probe's), where known. */
  health?: string;
}

/**
 * The reference application's names — document 001's manifests (namespaces, workloads, Services), the
 * executions namespace of document 000 §6 and its artifacts bucket — as the defaults under what a
 * prodlike.yaml says. The one place in src/ that names them: every other module reads them from the
 * configuration (resolveTopology, `executions`, `objectStore`), and no-manifest-names.test.ts keeps it so.
 */
export const DOCUMENTED_DEFAULTS: {
  readonly topology: Readonly<Record<WorkloadRole, RoleDefaults>>;
  readonly executionsNamespace: string;
  readonly executionsSelector: Readonly<Record<string, string>>;
  readonly bucket: string;
  readonly application: { readonly health: string; readonly api: Readonly<Record<ApplicationApi, string>> };
  readonly database: { readonly name: string; readonly user: string };
  readonly backup: { readonly bucket: string; readonly postgresCronJob: string; readonly postgresPrefix: string };
  readonly secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
} = {
  topology: {
    postgres: { namespace: 'app-backend', workload: 'statefulset/postgres', service: 'postgres-service', replicas: 1, port: 5432 },
    redis: { namespace: 'app-backend', workload: 'deployment/redis', service: 'redis-service', replicas: 1, port: 6379 },
    minio: { namespace: 'app-backend', workload: 'statefulset/minio', service: 'minio-service', replicas: 1, port: 9000 },
    backend: { namespace: 'app-backend', workload: 'deployment/backend', service: 'backend-service', replicas: 3, port: 5000, health: '/health/ready' },
    worker: { namespace: 'app-backend', workload: 'deployment/worker', service: 'worker', replicas: 1, port: 0 },
    frontend: { namespace: 'app-frontend', workload: 'deployment/frontend', service: 'frontend-service', replicas: 3, port: 80 },
  },
  // document 000 §6: the worker runs one Kubernetes Job per execution there.
  executionsNamespace: 'saasit-executions',
  // document 000 §6's Job template labels its Jobs and pods app: saasit-executor.
  executionsSelector: { app: 'saasit-executor' },
  // document 000 §S3 Bucket Setup.
  bucket: 'saasit-artifacts',
  // The reference application's own API (fixtures/app): its readiness URL at the entry and the endpoints
  // some scenarios use to show what a fault did to the application's work.
  application: {
    health: '/api/health/ready',
    api: { records: '/api/records', executions: '/api/executions', files: '/api/files', work: '/api/work' },
  },
  // document 001's PostgreSQL StatefulSet (POSTGRES_DB, POSTGRES_USER).
  database: { name: 'ai_saas_db', user: 'postgres' },
  // document 000 §Database Backup Strategy (S3_BUCKET="saasit-backups", key postgres/…) and document 001's
  // backup CronJob (kind/manifests/base/postgres-backup.yaml).
  backup: { bucket: 'saasit-backups', postgresCronJob: 'postgres-backup', postgresPrefix: 'postgres/' },
  // The Secrets document 001's manifests read (secretKeyRef), filled with the environment's credentials.
  secrets: {
    'backend-secrets': { POSTGRES_PASSWORD: '${postgres.password}', REDIS_PASSWORD: '${redis.password}', SECRET_KEY: '${random}', JWT_SECRET_KEY: '${random}' },
    'minio-secret': { MINIO_ROOT_USER: '${minio.accessKey}', MINIO_ROOT_PASSWORD: '${minio.secretKey}' },
  },
};
