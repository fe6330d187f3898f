import pg from 'pg';
import { createClient } from 'redis';
import type { Endpoint } from '../provider.ts';
import { DATABASE, type EnvironmentSecrets, type ServiceRole } from './topology.ts';

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
 * 127.0.0.1 port: what a client sees, polled fast, with no process spawned inside the container.
 */
export function readinessProbe(role: ServiceRole, endpoint: Endpoint, secrets: EnvironmentSecrets): () => Promise<boolean> {
  const base = `http://${endpoint.host}:${endpoint.port}`;
  const http = (path: string) => async () => {
    const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status === 200;
  };
  switch (role) {
    case 'postgres':
      return async () => {
        const client = new pg.Client({ host: endpoint.host, port: endpoint.port, user: DATABASE.user, database: DATABASE.name, password: secrets.postgresPassword, connectionTimeoutMillis: 2000 });
        client.on('error', () => undefined);
        try {
          await client.connect();
          await client.query('select 1');
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      };
    case 'redis':
      return async () => {
        const client = createClient({ socket: { host: endpoint.host, port: endpoint.port, connectTimeout: 2000, reconnectStrategy: false }, password: secrets.redisPassword, disableOfflineQueue: true });
        client.on('error', () => undefined);
        try {
          await client.connect();
          return (await client.ping()) === 'PONG';
        } finally {
          await client.disconnect().catch(() => undefined);
        }
      };
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
