import type Docker from 'dockerode';
import { Check, type ProbeCheck } from '../../probe/index.ts';
import type { Endpoint, ServiceHealth } from '../provider.ts';
import { DATABASE, type EnvironmentSecrets, type ServiceRole } from './topology.ts';

/** Timeout of one readiness attempt (and the connect timeout of the PostgreSQL and Redis checks). */
export const READINESS_ATTEMPT_MS = 2000;

/**
 * True when a server answered and refused the credentials (PostgreSQL 28P01, Redis WRONGPASS/NOAUTH):
 * no amount of waiting fixes that, so readiness stops polling at once.
 */
export function isCredentialRejection(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if ((error as Error & { code?: unknown }).code === '28P01') return true;
  return /^(WRONGPASS|NOAUTH)\b|invalid username-password pair/i.test(error.message);
}

/**
 * Readiness as the documented probes define it, checked from the host through each replica's
 * 127.0.0.1 port: what a client sees, with no process spawned inside the container. PostgreSQL opens a
 * connection per attempt (a new client must get in), Redis answers PING, the rest answer 200.
 */
export function readinessCheck(role: ServiceRole, endpoint: Endpoint, secrets: EnvironmentSecrets, database: { name: string; user: string } = DATABASE): ProbeCheck {
  const { host, port } = endpoint;
  const http = (path: string) => Check.http(`http://${host}:${port}${path}`);
  switch (role) {
    case 'postgres':
      return Check.sql(
        { host, port, user: database.user, database: database.name, password: secrets.postgresPassword, connectionTimeoutMillis: READINESS_ATTEMPT_MS },
        { mode: 'per-attempt' },
      );
    case 'redis':
      return Check.redis(`redis://${host}:${port}`, { password: secrets.redisPassword, connectTimeoutMs: READINESS_ATTEMPT_MS });
    case 'minio':
      return http('/minio/health/ready');
    case 'backend':
    case 'worker':
      return http('/health/ready');
    case 'frontend':
      return http('/health');
    case 'ingress':
      return http('/healthz');
  }
}

/** The port a container publishes on 127.0.0.1, if any. */
export function loopbackPort(info: Docker.ContainerInspectInfo): number | undefined {
  const port = Object.values(info.NetworkSettings.Ports ?? {}).flatMap((b) => b ?? []).find((b) => b.HostIp === '127.0.0.1')?.HostPort;
  return port ? Number(port) : undefined;
}

/**
 * A container's readiness as one check: it runs (not restarting in a loop), then its service answers its
 * readiness check through the published port — or, where it publishes none, Docker's healthcheck passes.
 */
export function containerReadiness(container: Docker.Container, spec: { name: string; role: ServiceRole }, secrets: EnvironmentSecrets, database: { name: string; user: string } = DATABASE): ProbeCheck {
  let service: ProbeCheck | undefined;
  return {
    kind: 'container',
    target: spec.name,
    async run(signal) {
      const info = await container.inspect();
      if (!info.State.Running) {
        throw new Error(info.RestartCount > 3 ? `${spec.name} keeps exiting (code ${info.State.ExitCode}, ${info.RestartCount} restarts)` : `${spec.name} is not running (${info.State.Status})`);
      }
      if (!service) {
        const port = loopbackPort(info);
        if (port === undefined) {
          const health = healthOf(info);
          if (health === 'healthy') return;
          throw new Error(`${spec.name}: Docker healthcheck ${health}`);
        }
        service = readinessCheck(spec.role, { host: '127.0.0.1', port }, secrets, database);
      }
      await service.run(signal);
    },
    close: async () => service?.close?.(),
  };
}

/** Health as Docker reports it: running, paused, and the result of the image's own healthcheck. */
export function healthOf(info: Docker.ContainerInspectInfo | undefined): ServiceHealth {
  if (!info) return 'missing';
  if (info.State.Paused) return 'unhealthy';
  if (!info.State.Running) return 'stopped';
  const h = info.State.Health?.Status;
  if (!h || h === 'healthy') return 'healthy';
  return h === 'starting' ? 'starting' : 'unhealthy';
}
