import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ProdlikeError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { loadConfig } from './load-config.ts';
import { configSchema, environmentNamespaces, resolveTopology, resolveWorkload } from './schema.ts';

async function withConfig(text: string) {
  const dir = await mkdtemp(join(tmpdir(), 'prodlike-config-'));
  await writeFile(join(dir, 'prodlike.yaml'), text);
  return dir;
}

describe('loadConfig', () => {
  it('loads the repository prodlike.yaml', async () => {
    const { config, file } = await loadConfig({ cwd: PACKAGE_ROOT });
    expect(file).toBe(join(PACKAGE_ROOT, 'prodlike.yaml'));
    expect(config.provider).toBe('kind');
    expect(config.targets.profile).toBe('onprem');
    expect(config.topology.backend?.replicas).toBe(3);
  });

  it('uses documented defaults when there is no file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prodlike-empty-'));
    const { config, file } = await loadConfig({ cwd: dir });
    expect(file).toBeUndefined();
    expect(config).toMatchObject({ name: 'prodlike', provider: 'kind', imageSource: 'auto', ports: { entry: 18080 } });
    const topo = resolveTopology(config);
    expect(topo.find((w) => w.role === 'postgres')).toMatchObject({ service: 'postgres-service', workload: 'statefulset/postgres', namespace: 'app-backend' });
    expect(topo.find((w) => w.role === 'backend')).toMatchObject({ replicas: 3, port: 5000 });
  });

  it('rejects a typo with file, line, key path, the allowed keys and a suggestion (exit 2)', async () => {
    const dir = await withConfig('provider: docker\ntopology:\n  backend:\n    replics: 3\n');
    const error = await loadConfig({ cwd: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('prodlike.yaml:4:5');
    expect(e.message).toContain('topology.backend.replics');
    expect(e.message).toContain('did you mean "replicas"');
    expect(e.message).toContain('allowed: enabled, replicas, namespace, workload, service, selector');
  });

  it('names the allowed values of an enum', async () => {
    const dir = await withConfig('provider: minikube\n');
    await expect(loadConfig({ cwd: dir })).rejects.toThrow(/prodlike\.yaml:1:11: provider: .*allowed: kind, docker/);
  });

  it('reports an unknown top-level key with the allowed keys', async () => {
    const dir = await withConfig('name: demo\nprovder: kind\n');
    await expect(loadConfig({ cwd: dir })).rejects.toThrow(/prodlike\.yaml:2:1: provder: unknown key "provder" \(did you mean "provider"\?\); allowed: name, provider/);
  });

  it('reports YAML syntax errors with their position', async () => {
    const dir = await withConfig('name: demo\ntopology: [unclosed\n');
    await expect(loadConfig({ cwd: dir })).rejects.toThrow(ConfigError);
  });

  it('rejects bad values: name pattern, port range, kubernetes version', async () => {
    const dir = await withConfig('name: Bad_Name\nports:\n  entry: 80\nkind:\n  kubernetesVersion: "1.34"\n');
    const e = (await loadConfig({ cwd: dir }).catch((x: unknown) => x)) as ConfigError;
    expect(e.message).toMatch(/:1:7: name:/);
    expect(e.message).toMatch(/:3:10: ports\.entry:/);
    expect(e.message).toMatch(/:5:22: kind\.kubernetesVersion: must look like v1\.34\.4/);
  });

  it('applies command-line overrides on top of the file', async () => {
    const dir = await withConfig('provider: kind\n');
    const { config } = await loadConfig({ cwd: dir, overrides: { provider: 'docker', profile: 'platform' } });
    expect(config.provider).toBe('docker');
    expect(config.targets.profile).toBe('platform');
  });

  it('says where to look when an explicit --config file is missing', async () => {
    const e = (await loadConfig({ file: '/nonexistent/prodlike.yaml' }).catch((x: unknown) => x)) as ProdlikeError;
    expect(e.code).toBe('CONFIG_NOT_FOUND');
    expect(e.exitCode).toBe(2);
  });
});

describe('names from the configuration', () => {
  it('defaults to document 001/000: executions namespace, artifacts bucket, the environment\'s namespaces', () => {
    const config = configSchema.parse({});
    expect(config.executions.namespace).toBe('saasit-executions');
    expect(config.objectStore.bucket).toBe('saasit-artifacts');
    expect(environmentNamespaces(config)).toEqual(['app-backend', 'app-frontend', 'saasit-executions']);
    expect(resolveWorkload(config, 'frontend')).toMatchObject({ service: 'frontend-service', namespace: 'app-frontend', port: 80 });
  });

  it('another application: its own namespaces, each once', () => {
    const config = configSchema.parse({ topology: { backend: { namespace: 'shop' }, frontend: { namespace: 'shop' } }, executions: { namespace: 'jobs' } });
    expect(environmentNamespaces(config)).toEqual(['app-backend', 'shop', 'jobs']);
    expect(resolveWorkload(config, 'backend').namespace).toBe('shop');
  });

  it('rejects an executions namespace or bucket that Kubernetes or S3 would', () => {
    expect(configSchema.safeParse({ executions: { namespace: 'Jobs_1' } }).success).toBe(false);
    expect(configSchema.safeParse({ executions: { namespace: 'x'.repeat(64) } }).success).toBe(false);
    expect(configSchema.safeParse({ objectStore: { bucket: 'ab' } }).success).toBe(false);
    expect(configSchema.safeParse({ objectStore: { bucket: 'Shop_Files' } }).success).toBe(false);
  });

  it('application: the reference app\'s health URL and API by default; `api: {}` declares none; paths must be paths', () => {
    const reference = configSchema.parse({});
    expect(reference.application).toEqual({ health: '/api/health/ready', api: { records: '/api/records', executions: '/api/executions', files: '/api/files', work: '/api/work' } });
    const other = configSchema.parse({ application: { health: '/healthz', api: {} } });
    expect(other.application).toEqual({ health: '/healthz', api: {} });
    expect(configSchema.parse({ application: { api: { work: '/burn' } } }).application.api).toEqual({ work: '/burn' });
    expect(configSchema.safeParse({ application: { health: 'healthz' } }).success).toBe(false);
    expect(configSchema.safeParse({ application: { api: { records: '/r?x=1' } } }).success).toBe(false);
    expect(configSchema.safeParse({ application: { api: { queue: '/q' } } }).success).toBe(false);
  });
});
