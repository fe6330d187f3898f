import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { checkOnce } from '../../probe/check.ts';
import { containerReadiness, isCredentialRejection } from './readiness.ts';

describe('isCredentialRejection', () => {
  it.each([
    ['PostgreSQL 28P01', Object.assign(new Error('password authentication failed for user "postgres"'), { code: '28P01' }), true],
    ['Redis WRONGPASS', new Error('WRONGPASS invalid username-password pair or user is disabled.'), true],
    ['Redis NOAUTH', new Error('NOAUTH Authentication required.'), true],
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), false],
    ['PostgreSQL starting up', Object.assign(new Error('the database system is starting up'), { code: '57P03' }), false],
    ['not an error', 'WRONGPASS', false],
  ])('%s → %s', (_name, error, expected) => {
    expect(isCredentialRejection(error)).toBe(expected);
  });
});

describe('containerReadiness', () => {
  const secrets = { postgresPassword: 'p', redisPassword: 'r', minioAccessKey: 'a', minioSecretKey: 's' };
  const container = (state: Partial<Docker.ContainerInspectInfo['State']>, restarts = 0, port?: number) =>
    ({
      inspect: async () => ({
        State: { Running: true, Paused: false, Status: 'running', ExitCode: 0, ...state },
        RestartCount: restarts,
        NetworkSettings: { Ports: port ? { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } : {} },
      }),
    }) as unknown as Docker.Container;
  const spec = { name: 'prodlike-dev-frontend-1', role: 'frontend' as const };

  it('fails while the container is not running, and says when it keeps exiting', async () => {
    expect((await checkOnce(containerReadiness(container({ Running: false, Status: 'exited' }), spec, secrets), 1000)).error).toBe('prodlike-dev-frontend-1 is not running (exited)');
    expect((await checkOnce(containerReadiness(container({ Running: false, ExitCode: 1 }, 4), spec, secrets), 1000)).error).toBe('prodlike-dev-frontend-1 keeps exiting (code 1, 4 restarts)');
  });

  it('without a published port, passes on Docker healthcheck healthy only', async () => {
    expect((await checkOnce(containerReadiness(container({}), spec, secrets), 1000)).ok).toBe(true);
    const starting = { Health: { Status: 'starting' } } as Partial<Docker.ContainerInspectInfo['State']>;
    expect((await checkOnce(containerReadiness(container(starting), spec, secrets), 1000)).error).toBe('prodlike-dev-frontend-1: Docker healthcheck starting');
  });

  it('with a published port, asks the service its documented probe (frontend: GET /health)', async () => {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(req.url === '/health' ? 200 : 404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      expect((await checkOnce(containerReadiness(container({}, 0, port), spec, secrets), 1000)).ok).toBe(true);
      expect(paths).toEqual(['/health']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
