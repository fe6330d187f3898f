import { stringify } from 'yaml';
import type { ProdlikeConfig } from '../../config/schema.ts';
import { buildTopology, ingressConfig, type ContainerSpec, type EnvironmentSecrets, type TopologyImages } from './topology.ts';

/**
 * compose/docker-compose.yaml, rendered from the same topology the docker provider runs, so the two
 * cannot drift (a unit test compares the committed file with this output). Secrets and images are
 * compose variables: `prodlike status --show-secrets` prints values for a running environment, or
 * set your own.
 */
export const COMPOSE_VARIABLES: EnvironmentSecrets = {
  postgresPassword: '${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}',
  redisPassword: '${REDIS_PASSWORD:?set REDIS_PASSWORD}',
  minioAccessKey: '${MINIO_ROOT_USER:?set MINIO_ROOT_USER}',
  minioSecretKey: '${MINIO_ROOT_PASSWORD:?set MINIO_ROOT_PASSWORD}',
};

const IMAGE_VARIABLES: Record<keyof TopologyImages, string> = {
  postgres: 'POSTGRES_IMAGE', redis: 'REDIS_IMAGE', minio: 'MINIO_IMAGE', nginx: 'NGINX_IMAGE', app: 'APP_IMAGE', frontend: 'FRONTEND_IMAGE',
};

const seconds = (ms: number) => `${ms / 1000}s`;

export function renderCompose(config: ProdlikeConfig, images: TopologyImages): string {
  const composeImages = Object.fromEntries(
    Object.entries(images).map(([k, v]) => [k, `\${${IMAGE_VARIABLES[k as keyof TopologyImages]}:-${v}}`]),
  ) as unknown as TopologyImages;
  const specs = buildTopology({ config, images: composeImages, secrets: COMPOSE_VARIABLES });
  const services: Record<string, unknown> = {};
  const volumes: Record<string, object> = {};
  for (const role of [...new Set(specs.map((s) => s.role))]) {
    const replicas = specs.filter((s) => s.role === role);
    const spec = replicas[0] as ContainerSpec;
    if (spec.volumes.length) volumes[`${role}-data`] = {};
    services[role] = {
      image: spec.image,
      ...(spec.command ? { command: spec.command } : {}),
      ...(Object.keys(spec.env).length ? { environment: Object.fromEntries(Object.entries(spec.env).filter(([k]) => k !== 'WORKER_ID')) } : {}),
      networks: { default: { aliases: spec.aliases } },
      ...(spec.healthcheck ? {
        healthcheck: {
          // `$VAR` in a health check is the container's shell variable: `$$` stops compose interpolating it.
          test: spec.healthcheck.test.map((part) => part.replace(/\$([A-Za-z_])/g, '$$$$$1')),
          interval: seconds(spec.healthcheck.intervalMs),
          timeout: seconds(spec.healthcheck.timeoutMs),
          retries: spec.healthcheck.retries,
          start_period: seconds(spec.healthcheck.startPeriodMs),
        },
      } : {}),
      ...(spec.publish.length ? { ports: spec.publish.map((p) => `127.0.0.1:${p.hostPort || ''}:${p.containerPort}`) } : {}),
      ...(spec.volumes.length ? { volumes: spec.volumes.map((v) => `${role}-data:${v.target}`) } : {}),
      ...(spec.files.length ? { volumes: spec.files.map((f) => `./ingress.conf:${f.path}:ro`) } : {}),
      ...(spec.shmSizeBytes ? { shm_size: `${spec.shmSizeBytes / 2 ** 20}m` } : {}),
      restart: spec.restart,
      stop_grace_period: `${spec.stopTimeoutSeconds}s`,
      ...(replicas.length > 1 ? { deploy: { replicas: replicas.length } } : {}),
      labels: { 'io.prodlike.managed': 'true', 'io.prodlike.env': 'compose', 'io.prodlike.role': role },
    };
  }
  const header = [
    '# GENERATED from src/providers/docker/topology.ts by `npm run compose:generate`: do not edit by hand.',
    "# The docker provider's topology (document 001's on-prem architecture) for plain `docker compose`.",
    '# A unit test fails when this file and the provider drift apart.',
    '# Usage: set POSTGRES_PASSWORD, REDIS_PASSWORD, MINIO_ROOT_USER, MINIO_ROOT_PASSWORD (any values), then',
    '#   docker compose -f compose/docker-compose.yaml up -d --wait',
    '# Images default to the offline tags built by `npx prodlike setup`; override with *_IMAGE variables',
    '# (e.g. POSTGRES_IMAGE=postgres:15-alpine). The app images are always built locally by setup.',
    `# The bucket (${config.objectStore.bucket}) is created by \`prodlike up\`; with plain compose, create it with mc.`,
    '',
  ].join('\n');
  return header + stringify({ name: `prodlike-${config.name}`, services, volumes }, { lineWidth: 0 });
}

export function renderIngressConfig(config: ProdlikeConfig): string {
  return ingressConfig(config);
}
