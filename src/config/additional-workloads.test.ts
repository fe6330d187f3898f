import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ProdlikeError } from '../core/errors.ts';
import { loadConfig } from './load-config.ts';
import { configSchema, environmentNamespaces, parseWorkloadRef, resolveAdditional, resolveTopology, resolveWorkload, resolveWorkloads } from './schema.ts';

const replica = { name: 'replica', workload: 'statefulset/postgres-replica', service: 'postgres-replica', selector: { app: 'postgres-replica' } };

describe('topology.<role>.additional: several workloads per data-store role', () => {
  it('resolves them over their role, after every primary, addressed as <role>/<name>', () => {
    const config = configSchema.parse({ topology: { postgres: { namespace: 'data', additional: [replica, { name: 'analytics', namespace: 'reports', workload: 'statefulset/analytics-db', selector: { app: 'analytics-db' }, port: 5433 }] } } });
    expect(resolveTopology(config)).toHaveLength(6);
    expect(resolveAdditional(config)).toEqual([
      { role: 'postgres', ref: 'postgres/replica', instance: 'replica', enabled: true, replicas: 1, namespace: 'data', workload: 'statefulset/postgres-replica', service: 'postgres-replica', port: 5432, selector: { app: 'postgres-replica' }, accessSelector: {} },
      { role: 'postgres', ref: 'postgres/analytics', instance: 'analytics', enabled: true, replicas: 1, namespace: 'reports', workload: 'statefulset/analytics-db', service: '', port: 5433, selector: { app: 'analytics-db' }, accessSelector: {} },
    ]);
    expect(resolveWorkloads(config).map((w) => w.ref)).toEqual(['postgres', 'redis', 'minio', 'backend', 'worker', 'frontend', 'postgres/replica', 'postgres/analytics']);
    // The role itself still means its primary: credentials, probes, sentinels and backups stay its.
    expect(resolveWorkload(config, 'postgres')).toMatchObject({ ref: 'postgres', workload: 'statefulset/postgres', namespace: 'data' });
    expect(resolveWorkload(config, 'postgres/analytics')).toMatchObject({ namespace: 'reports', port: 5433 });
    expect(environmentNamespaces(config)).toContain('reports');
    expect(parseWorkloadRef(config, 'postgres/replica')).toBe('postgres/replica');
    expect(parseWorkloadRef(config, 'postgres/nope')).toBeUndefined();
  });

  it('names what is declared when a reference names nothing', () => {
    const config = configSchema.parse({ topology: { postgres: { additional: [replica] } } });
    const error = (() => { try { resolveWorkload(config, 'redis/cache'); } catch (e) { return e; } })();
    expect(error).toBeInstanceOf(ProdlikeError);
    expect((error as ProdlikeError).message).toBe('No workload redis/cache in the configuration.');
    expect((error as ProdlikeError).hint).toContain('declared: postgres/replica');
  });

  it('leaves out those of a disabled role', () => {
    const config = configSchema.parse({ topology: { postgres: { enabled: false, additional: [replica] } } });
    expect(resolveAdditional(config)).toEqual([]);
  });

  it('is only a data-store key, and rejects a duplicate name or the primary\'s selector, at file, line and key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-additional-'));
    await writeFile(join(dir, 'prodlike.yaml'), [
      'topology:',
      '  postgres:',
      '    additional:',
      '      - { name: replica, workload: statefulset/a, selector: { app: a } }',
      '      - { name: replica, workload: statefulset/b, selector: { app: postgres } }',
      '  backend:',
      '    additional: []',
      '',
    ].join('\n'));
    const error = await loadConfig({ cwd: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).message + String((error as ConfigError).hint ?? '');
    expect(text).toMatch(/topology\.backend.*additional|additional.*topology\.backend/s);
    expect(text).toContain('postgres/replica is named twice');
    expect(text).toContain('selects the same pods as the postgres role\'s primary (app=postgres)');
    expect(text).toMatch(/prodlike\.yaml:5/);
  });
});
