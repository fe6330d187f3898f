import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load-config.ts';
import { configSchema } from '../../config/schema.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { topologyImages } from '../create-provider.ts';
import { renderCompose, renderIngressConfig } from './compose.ts';
import { buildTopology, REDIS_FLAGS } from './topology.ts';

const secrets = { postgresPassword: 'pg-secret', redisPassword: 'redis-secret', minioAccessKey: 'minio-user', minioSecretKey: 'minio-secret' };

describe('docker topology (document 001 as containers)', async () => {
  const { config } = await loadConfig({ cwd: PACKAGE_ROOT });
  const images = await topologyImages('offline');
  const specs = buildTopology({ config, images, secrets });
  const byRole = (role: string) => specs.filter((s) => s.role === role);

  it('has the documented services with their documented names and replica counts', () => {
    expect(byRole('postgres').map((s) => s.aliases)).toEqual([['postgres-service']]);
    expect(byRole('redis').map((s) => s.aliases)).toEqual([['redis-service']]);
    expect(byRole('backend')).toHaveLength(3);
    expect(byRole('backend')[0]!.aliases).toEqual(['backend-service']);
    expect(byRole('frontend')).toHaveLength(3);
    expect(byRole('worker')).toHaveLength(1);
    expect(byRole('ingress')).toHaveLength(1);
  });

  it('runs Redis with document 001 flags and PostgreSQL with its postgresql.conf', () => {
    const redis = byRole('redis')[0]!;
    expect(redis.command).toEqual(['redis-server', ...REDIS_FLAGS, '--requirepass', 'redis-secret']);
    expect(REDIS_FLAGS.join(' ')).toBe('--appendonly yes --appendfsync everysec --maxmemory 2gb --maxmemory-policy allkeys-lru');
    const pg = byRole('postgres')[0]!;
    expect(pg.command).toContain('shared_buffers=512MB');
    expect(pg.command).toContain('max_connections=100');
    expect(pg.env).toMatchObject({ POSTGRES_DB: 'ai_saas_db', POSTGRES_USER: 'postgres', PGDATA: '/var/lib/postgresql/data/pgdata' });
  });

  it('publishes only on 127.0.0.1 (random ports) and the entry point on the configured port', () => {
    const published = specs.flatMap((s) => s.publish.map((p) => ({ role: s.role, ...p })));
    expect(published.find((p) => p.role === 'ingress')).toMatchObject({ containerPort: 80, hostPort: config.ports.entry });
    expect(published.filter((p) => p.role !== 'ingress').every((p) => p.hostPort === 0)).toBe(true);
  });

  it('restarts crashed containers like Kubernetes does and has a health check for every service', () => {
    for (const s of specs) {
      expect(s.restart).toBe('unless-stopped');
      expect(s.healthcheck?.test.length).toBeGreaterThan(1);
    }
  });

  it('never puts a secret in a health check command line', () => {
    for (const s of specs) expect(JSON.stringify(s.healthcheck)).not.toMatch(/secret/);
  });

  it('follows scale overrides', () => {
    expect(buildTopology({ config, images, secrets, replicas: { backend: 5 } }).filter((s) => s.role === 'backend')).toHaveLength(5);
  });

  it('routes like document 001 Ingress: /api -> backend-service:5000, / -> frontend-service:80', () => {
    const conf = renderIngressConfig(config);
    expect(conf).toMatch(/location \/api \{[^}]*backend-service[^}]*proxy_pass http:\/\/\$backend:5000/s);
    expect(conf).toMatch(/location \/ \{[^}]*frontend-service[^}]*proxy_pass http:\/\/\$frontend:80/s);
  });

  it('takes every name from the configuration: another application gets its own Services, bucket and ingress routes', () => {
    const other = configSchema.parse({
      topology: { postgres: { service: 'db' }, redis: { service: 'cache' }, minio: { service: 's3' }, backend: { service: 'api' }, frontend: { service: 'web' } },
      objectStore: { bucket: 'shop-files' },
    });
    const own = buildTopology({ config: other, images, secrets });
    const of = (role: string) => own.find((s) => s.role === role)!;
    expect(['postgres', 'redis', 'minio', 'backend', 'frontend'].map((r) => of(r).aliases[0])).toEqual(['db', 'cache', 's3', 'api', 'web']);
    expect(of('backend').env).toMatchObject({ DATABASE_HOST: 'db', REDIS_HOST: 'cache', S3_ENDPOINT: 's3', S3_BUCKET: 'shop-files' });
    const conf = renderIngressConfig(other);
    expect(conf).toMatch(/location \/api \{[^}]*set \$backend api;[^}]*proxy_pass http:\/\/\$backend:5000/s);
    expect(conf).toMatch(/location \/ \{[^}]*set \$frontend web;[^}]*proxy_pass http:\/\/\$frontend:80/s);
    expect(renderCompose(other, images)).toContain('# The bucket (shop-files) is created');
  });

  it('compose/docker-compose.yaml is exactly what the topology renders (run `npm run compose:generate`)', async () => {
    const committed = await readFile(join(PACKAGE_ROOT, 'compose', 'docker-compose.yaml'), 'utf8');
    expect(committed).toBe(renderCompose(config, images));
    expect(await readFile(join(PACKAGE_ROOT, 'compose', 'ingress.conf'), 'utf8')).toBe(renderIngressConfig(config));
  });
});
