import type { ProdlikeConfig, WorkloadRole } from '../../config/schema.ts';
import { resolveTopology, resolveWorkload } from '../../config/schema.ts';
import { DOCUMENTED_DEFAULTS } from '../../config/defaults.ts';

/**
 * The documented on-prem topology (document 001) as plain containers: one pure function, used by the
 * docker provider and checked against compose/docker-compose.yaml by a test so the two cannot drift.
 */
export type ServiceRole = WorkloadRole | 'ingress';

export interface HealthcheckSpec {
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

export interface ContainerSpec {
  role: ServiceRole;
  replica: number;
  name: string;
  image: string;
  command?: string[];
  env: Record<string, string>;
  /** DNS names on the environment network: the role's configured Service name. */
  aliases: string[];
  healthcheck?: HealthcheckSpec;
  /** Published on 127.0.0.1 only; hostPort 0 = a free port chosen by Docker. */
  publish: { containerPort: number; hostPort: number }[];
  volumes: { name: string; target: string }[];
  /** Mirrors Kubernetes: a crashed container comes back (`unless-stopped`). */
  restart: 'unless-stopped';
  shmSizeBytes?: number;
  stopTimeoutSeconds: number;
  /** Files written into the container before it starts (config that would be a ConfigMap). */
  files: { path: string; content: string }[];
}

export interface TopologyImages {
  postgres: string;
  redis: string;
  minio: string;
  nginx: string;
  app: string;
  frontend: string;
}

export interface EnvironmentSecrets {
  postgresPassword: string;
  redisPassword: string;
  minioAccessKey: string;
  minioSecretKey: string;
}

/** Document 001's database and user (the configuration's `database:` defaults); topologies and scenarios read `config.database`. */
export const DATABASE = DOCUMENTED_DEFAULTS.database;

/** document 001 "PostgreSQL Configuration (via ConfigMap)", passed as `-c key=value` like the official image allows. */
export const POSTGRES_CONF: Record<string, string> = {
  max_connections: '100',
  shared_buffers: '512MB',
  effective_cache_size: '2GB',
  maintenance_work_mem: '256MB',
  checkpoint_completion_target: '0.9',
  wal_buffers: '16MB',
  default_statistics_target: '100',
  random_page_cost: '1.1',
  effective_io_concurrency: '200',
  work_mem: '5242kB',
  min_wal_size: '1GB',
  max_wal_size: '4GB',
  max_worker_processes: '4',
  max_parallel_workers_per_gather: '2',
  max_parallel_workers: '4',
};

/** document 001 Redis Deployment command flags. */
export const REDIS_FLAGS = ['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory', '2gb', '--maxmemory-policy', 'allkeys-lru'];

export function resourcePrefix(envName: string): string {
  return `prodlike-${envName}`;
}

/** The ingress: document 001's Ingress routes `/api` to the backend role's Service and port, `/` to the frontend role's. */
export function ingressConfig(config: ProdlikeConfig): string {
  const backend = resolveWorkload(config, 'backend');
  const frontend = resolveWorkload(config, 'frontend');
  return `# prodlike ingress (docker provider): document 001's Ingress as nginx. Names are resolved per request
# through Docker's DNS, so replicas added or killed are followed within a second, like Service endpoints.
server {
    listen 80;
    resolver 127.0.0.11 valid=1s ipv6=off;
    client_max_body_size 10m;
    proxy_connect_timeout 2s;
    proxy_next_upstream error timeout http_502 http_503;
    proxy_next_upstream_tries 3;
    location = /healthz { access_log off; default_type text/plain; return 200 "ok\\n"; }
    location /api {
        set $backend ${backend.service};
        proxy_pass http://$backend:${backend.port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
    location / {
        set $frontend ${frontend.service};
        proxy_pass http://$frontend:${frontend.port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
    }
}
`;
}

// Docker's own health checks feed `prodlike status` (5 s, document 001's readiness periodSeconds).
// `up` and the scenarios gate readiness with host-side probes on the published ports (250 ms polling),
// so a relaxed interval costs no start-up time and keeps `node -e` checks from eating the CPU.
const healthcheck = (test: string[], over: Partial<HealthcheckSpec> = {}): HealthcheckSpec => ({
  test,
  intervalMs: 5000,
  timeoutMs: 3000,
  retries: 3,
  startPeriodMs: 30_000,
  ...over,
});

export interface TopologyInput {
  config: ProdlikeConfig;
  images: TopologyImages;
  secrets: EnvironmentSecrets;
  /** Override replica counts (scale). */
  replicas?: Partial<Record<WorkloadRole, number>>;
}

export function buildTopology(input: TopologyInput): ContainerSpec[] {
  const { config, images, secrets } = input;
  const prefix = resourcePrefix(config.name);
  const workloads = resolveTopology(config).filter((w) => w.enabled);
  const service = (role: WorkloadRole) => workloads.find((w) => w.role === role);
  const count = (role: WorkloadRole) => input.replicas?.[role] ?? service(role)?.replicas ?? 0;
  const specs: ContainerSpec[] = [];
  // A role's Service name, enabled or not (the app's environment names every one): its DNS alias on the network.
  const alias = (role: WorkloadRole): string => resolveWorkload(config, role).service;

  const appEnv: Record<string, string> = {
    DATABASE_HOST: alias('postgres'),
    DATABASE_PORT: '5432',
    DATABASE_NAME: config.database.name,
    DATABASE_USER: config.database.user,
    POSTGRES_PASSWORD: secrets.postgresPassword,
    REDIS_HOST: alias('redis'),
    REDIS_PORT: '6379',
    REDIS_PASSWORD: secrets.redisPassword,
    STORAGE_TYPE: 's3',
    UPLOAD_FOLDER: '/app/uploaded_files',
    S3_ENDPOINT: alias('minio'),
    S3_PORT: '9000',
    S3_BUCKET: config.objectStore.bucket,
    S3_ACCESS_KEY: secrets.minioAccessKey,
    S3_SECRET_KEY: secrets.minioSecretKey,
    S3_USE_SSL: 'false',
  };

  const add = (role: ServiceRole, build: (replica: number) => Omit<ContainerSpec, 'role' | 'replica' | 'name' | 'restart' | 'files' | 'publish' | 'volumes' | 'stopTimeoutSeconds'> & Partial<ContainerSpec>, replicas: number) => {
    for (let replica = 0; replica < replicas; replica++) {
      specs.push({ role, replica, name: `${prefix}-${role}-${replica}`, restart: 'unless-stopped', files: [], publish: [], volumes: [], stopTimeoutSeconds: 30, ...build(replica) });
    }
  };

  addDataServices({ add, specs, images, secrets, alias, prefix, database: config.database, has: (role) => Boolean(service(role)) });
  add('backend', () => ({
    image: images.app,
    command: ['node', 'dist/backend.js'],
    env: { ...appEnv, PORT: '5000' },
    aliases: [alias('backend')],
    // document 001's readiness probe: GET /health/ready on 5000.
    healthcheck: healthcheck(['CMD', 'node', '-e', "fetch('http://127.0.0.1:5000/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]),
    publish: [{ containerPort: 5000, hostPort: 0 }],
    stopTimeoutSeconds: 30,
  }), count('backend'));
  add('worker', (replica) => ({
    image: images.app,
    command: ['node', 'dist/worker.js'],
    env: { ...appEnv, EXECUTION_MODE: 'local', WORKER_ID: `${prefix}-worker-${replica}` },
    aliases: [alias('worker')],
    healthcheck: healthcheck(['CMD', 'node', '-e', "fetch('http://127.0.0.1:5001/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]),
    publish: [{ containerPort: 5001, hostPort: 0 }],
    stopTimeoutSeconds: 30,
  }), count('worker'));
  add('frontend', () => ({
    image: images.frontend,
    env: {},
    aliases: [alias('frontend')],
    healthcheck: healthcheck(['CMD', 'curl', '-fsS', '-o', '/dev/null', 'http://127.0.0.1/health']),
    publish: [{ containerPort: 80, hostPort: 0 }],
    stopTimeoutSeconds: 10,
  }), count('frontend'));
  add('ingress', () => ({
    image: images.nginx,
    env: {},
    aliases: ['ingress-nginx-controller'],
    healthcheck: healthcheck(['CMD', 'curl', '-fsS', '-o', '/dev/null', 'http://127.0.0.1/healthz']),
    publish: [{ containerPort: 80, hostPort: config.ports.entry }],
    files: [{ path: '/etc/nginx/conf.d/default.conf', content: ingressConfig(config) }],
    stopTimeoutSeconds: 5,
  }), 1);
  return specs;
}

type AddService = (role: ServiceRole, build: (replica: number) => Omit<ContainerSpec, 'role' | 'replica' | 'name' | 'restart' | 'files' | 'publish' | 'volumes' | 'stopTimeoutSeconds'> & Partial<ContainerSpec>, replicas: number) => void;

/** PostgreSQL, Redis and MinIO, each when the topology enables it: one replica, a data volume, a published port. */
function addDataServices(t: { add: AddService; specs: ContainerSpec[]; images: TopologyImages; secrets: EnvironmentSecrets; alias: (role: WorkloadRole) => string; prefix: string; database: { name: string; user: string }; has: (role: WorkloadRole) => boolean }): void {
  const { add, specs, images, secrets, alias, prefix, database } = t;
  if (t.has('postgres')) {
    add('postgres', () => ({
      image: images.postgres,
      command: ['postgres', ...Object.entries(POSTGRES_CONF).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
      env: { POSTGRES_DB: database.name, POSTGRES_USER: database.user, POSTGRES_PASSWORD: secrets.postgresPassword, PGDATA: '/var/lib/postgresql/data/pgdata' },
      aliases: [alias('postgres')],
      healthcheck: healthcheck(['CMD', 'pg_isready', '-U', database.user, '-d', database.name], { startPeriodMs: 60_000 }),
      publish: [{ containerPort: 5432, hostPort: 0 }],
      volumes: [{ name: `${prefix}-postgres-data`, target: '/var/lib/postgresql/data' }],
      shmSizeBytes: 256 * 2 ** 20,
      stopTimeoutSeconds: 30,
    }), 1);
  }
  if (t.has('redis')) {
    add('redis', () => ({
      image: images.redis,
      command: ['redis-server', ...REDIS_FLAGS, '--requirepass', secrets.redisPassword],
      env: {},
      aliases: [alias('redis')],
      // The password comes from the environment (REDISCLI_AUTH), never from the command line of the check.
      healthcheck: healthcheck(['CMD-SHELL', 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG']),
      publish: [{ containerPort: 6379, hostPort: 0 }],
      volumes: [{ name: `${prefix}-redis-data`, target: '/data' }],
      stopTimeoutSeconds: 10,
    }), 1);
    const redis = specs.at(-1)!;
    redis.env.REDIS_PASSWORD = secrets.redisPassword;
  }
  if (t.has('minio')) {
    add('minio', () => ({
      image: images.minio,
      command: ['server', '/data', '--address', ':9000', '--console-address', ':9001'],
      env: { MINIO_ROOT_USER: secrets.minioAccessKey, MINIO_ROOT_PASSWORD: secrets.minioSecretKey },
      aliases: [alias('minio')],
      healthcheck: healthcheck(['CMD', 'mc', 'ready', 'local']),
      publish: [{ containerPort: 9000, hostPort: 0 }],
      volumes: [{ name: `${prefix}-minio-data`, target: '/data' }],
      stopTimeoutSeconds: 10,
    }), 1);
  }
}

/** Start order: stateful services first, then the app, then the entry point (readiness gates each). */
export const START_ORDER: ServiceRole[][] = [['postgres', 'redis', 'minio'], ['backend', 'worker', 'frontend'], ['ingress']];
