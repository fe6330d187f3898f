import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.ts';
import { clusterName, registryHostsFiles, renderClusterConfig } from './cluster-config.ts';
import { secretNamespaces, secretObjects } from './kind-workloads.ts';
import { podProblem, readinessOf } from './readiness.ts';

describe('kind cluster config', () => {
  it('kind.registryMirrors: one hosts.toml per registry (mirrors in order, the registry last), mounted into every node with containerd\'s config_path', async () => {
    const files = registryHostsFiles({ 'docker.io': ['http://mirror:5000/'], 'quay.io': ['http://a:5000', 'https://b.corp'] });
    expect(files['docker.io']).toContain('server = "https://registry-1.docker.io"');
    expect(files['docker.io']).toContain('[host."http://mirror:5000"]\n  capabilities = ["pull", "resolve"]');
    expect(files['quay.io']!.indexOf('http://a:5000')).toBeLessThan(files['quay.io']!.indexOf('https://b.corp'));
    expect(files['quay.io']).toContain('server = "https://quay.io"');
    const config = configSchema.parse({ name: 'demo', kind: { workers: 1, registryMirrors: { 'docker.io': ['http://mirror:5000'] } } });
    const rendered = parse(await renderClusterConfig(config, { nodeImage: 'kindest/node:v1.34.0', ingressController: false, registryHostsDir: '/tmp/env/containerd-certs.d' }));
    expect(rendered.containerdConfigPatches).toEqual(['[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"']);
    for (const node of rendered.nodes) expect(node.extraMounts).toEqual([{ hostPath: '/tmp/env/containerd-certs.d', containerPath: '/etc/containerd/certs.d', readOnly: true }]);
    expect(() => configSchema.parse({ name: 'demo', kind: { registryMirrors: { 'docker.io': ['ftp://x'] } } })).toThrow(/http/);
    const plain = parse(await renderClusterConfig(configSchema.parse({ name: 'demo' }), { nodeImage: 'x', ingressController: false }));
    expect(plain.containerdConfigPatches).toBeUndefined();
  });

  it('names clusters after the environment and keeps everything on 127.0.0.1', async () => {
    expect(clusterName('prodlike')).toBe('prodlike');
    expect(clusterName('demo')).toBe('prodlike-demo');
    const config = configSchema.parse({ name: 'demo', ports: { entry: 19000 }, kind: { workers: 2 } });
    const rendered = parse(await renderClusterConfig(config, { nodeImage: 'prodlike.local/kind-node:v1.34.4', ingressController: false }));
    expect(rendered.name).toBe('prodlike-demo');
    expect(rendered.networking.apiServerAddress).toBe('127.0.0.1');
    expect(rendered.nodes.map((n: { role: string }) => n.role)).toEqual(['control-plane', 'worker', 'worker']);
    expect(rendered.nodes.every((n: { image: string }) => n.image === 'prodlike.local/kind-node:v1.34.4')).toBe(true);
    const mappings = rendered.nodes[0].extraPortMappings;
    expect(mappings).toEqual([
      { containerPort: 30080, hostPort: 19000, listenAddress: '127.0.0.1', protocol: 'TCP' },
      { containerPort: 30500, hostPort: 19001, listenAddress: '127.0.0.1', protocol: 'TCP' },
      { containerPort: 30432, hostPort: 19003, listenAddress: '127.0.0.1', protocol: 'TCP' },
      { containerPort: 30379, hostPort: 19004, listenAddress: '127.0.0.1', protocol: 'TCP' },
      { containerPort: 30900, hostPort: 19005, listenAddress: '127.0.0.1', protocol: 'TCP' },
      { containerPort: 30990, hostPort: 19007, listenAddress: '127.0.0.1', protocol: 'TCP' }, // Prometheus (monitoring add-on, on by default)
    ]);
  });
});

describe('kind Secrets', () => {
  const secrets = { postgresPassword: 'p', redisPassword: 'r', minioAccessKey: 'a', minioSecretKey: 's' };
  const namespaces = (...names: string[]) => names.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));

  it('go to the backend\'s and the executions namespace, never the frontend\'s (document 001 defaults)', () => {
    const objects = namespaces('app-backend', 'app-frontend', 'saasit-executions', 'other');
    expect(secretNamespaces(objects, configSchema.parse({}))).toEqual(['app-backend', 'saasit-executions']);
    expect(secretObjects(objects, secrets, configSchema.parse({}))).toHaveLength(4);
  });

  it('follow the configured namespaces', () => {
    const config = configSchema.parse({ topology: { backend: { namespace: 'shop' }, worker: { namespace: 'shop' }, postgres: { namespace: 'data' }, redis: { namespace: 'data' }, minio: { namespace: 'data' }, frontend: { namespace: 'web' } }, executions: { namespace: 'jobs' } });
    expect(secretNamespaces(namespaces('shop', 'data', 'web', 'jobs', 'app-backend'), config)).toEqual(['shop', 'data', 'jobs']);
  });

  it('document 001\'s by default, with the environment\'s credentials and one random key', () => {
    const [backend, minio] = secretObjects(namespaces('app-backend'), secrets, configSchema.parse({})) as Array<{ metadata: { name: string; namespace: string }; stringData: Record<string, string> }>;
    expect(backend!.metadata).toMatchObject({ name: 'backend-secrets', namespace: 'app-backend' });
    expect(backend!.stringData).toMatchObject({ POSTGRES_PASSWORD: 'p', REDIS_PASSWORD: 'r' });
    expect(backend!.stringData.SECRET_KEY).toHaveLength(32);
    expect(backend!.stringData.JWT_SECRET_KEY).toBe(backend!.stringData.SECRET_KEY);
    expect(minio!.stringData).toEqual({ MINIO_ROOT_USER: 'a', MINIO_ROOT_PASSWORD: 's' });
  });

  it('another application\'s Secrets from the configuration: URLs built from the credentials', () => {
    const config = configSchema.parse({
      database: { name: 'saasit', user: 'app' },
      secrets: { 'database-secret': { url: 'postgres://${postgres.user}:${postgres.password}@postgres:5432/${postgres.database}' }, 'redis-secret': { url: 'redis://:${redis.password}@redis:6379' } },
    });
    const docs = secretObjects(namespaces('app-backend'), secrets, config) as Array<{ metadata: { name: string }; stringData: Record<string, string> }>;
    expect(docs.map((d) => [d.metadata.name, d.stringData])).toEqual([
      ['database-secret', { url: 'postgres://app:p@postgres:5432/saasit' }],
      ['redis-secret', { url: 'redis://:r@redis:6379' }],
    ]);
  });

  it('an unknown placeholder is a configuration error naming the ones there are', () => {
    const r = configSchema.safeParse({ secrets: { s: { url: 'postgres://${postgres.pasword}@x' } } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['secrets', 's', 'url'], message: expect.stringMatching(/unknown placeholder \$\{postgres\.pasword\}: use one of \$\{postgres\.password\}/) });
  });
});

describe('readiness per kind', () => {
  it('Deployment: all updated and available for the observed generation', () => {
    const d = (status: Record<string, unknown>, generation = 2) => readinessOf({ kind: 'Deployment', metadata: { name: 'backend', generation }, spec: { replicas: 3 }, status });
    expect(d({ observedGeneration: 2, updatedReplicas: 3, availableReplicas: 3, replicas: 3 }).ready).toBe(true);
    expect(d({ observedGeneration: 1, updatedReplicas: 3, availableReplicas: 3, replicas: 3 }).ready).toBe(false);
    expect(d({ observedGeneration: 2, updatedReplicas: 3, availableReplicas: 2, replicas: 3 }).ready).toBe(false);
    expect(d({ observedGeneration: 2, updatedReplicas: 3, availableReplicas: 3, replicas: 4 }).ready).toBe(false);
  });

  it('StatefulSet: ready replicas at the current revision', () => {
    const s = (status: Record<string, unknown>) => readinessOf({ kind: 'StatefulSet', metadata: { name: 'postgres', generation: 1 }, spec: { replicas: 1 }, status });
    expect(s({ observedGeneration: 1, readyReplicas: 1, currentRevision: 'a', updateRevision: 'a' }).ready).toBe(true);
    expect(s({ observedGeneration: 1, readyReplicas: 1, currentRevision: 'a', updateRevision: 'b' }).ready).toBe(false);
  });

  it('Job: Complete condition; PVC: Bound', () => {
    expect(readinessOf({ kind: 'Job', metadata: { name: 'j' }, status: { conditions: [{ type: 'Complete', status: 'True' }] } }).ready).toBe(true);
    expect(readinessOf({ kind: 'Job', metadata: { name: 'j' }, status: { conditions: [{ type: 'Failed', status: 'True' }] } })).toEqual({ ready: false, detail: 'failed' });
    expect(readinessOf({ kind: 'PersistentVolumeClaim', metadata: { name: 'p' }, status: { phase: 'Bound' } }).ready).toBe(true);
  });
});

describe('pod problems that do not fix themselves', () => {
  const pod = (status: object) => ({ metadata: { name: 'backend-1', namespace: 'app-backend' }, status });
  it('reports image pull errors at once', () => {
    const p = podProblem(pod({ containerStatuses: [{ name: 'backend', state: { waiting: { reason: 'ErrImageNeverPull', message: 'image "x:1" not present' } } }] }));
    expect(p).toMatchObject({ reason: 'ErrImageNeverPull', message: expect.stringContaining('x:1') });
    expect(podProblem(pod({ containerStatuses: [{ name: 'b', state: { waiting: { reason: 'ImagePullBackOff' } } }] }))?.reason).toBe('ImagePullBackOff');
  });
  it('reports a crash loop after three restarts, not before', () => {
    const crash = (restartCount: number) => podProblem(pod({ containerStatuses: [{ name: 'b', restartCount, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }));
    expect(crash(1)).toBeUndefined();
    expect(crash(3)?.reason).toBe('CrashLoopBackOff');
  });
  it('reports unschedulable pods after a grace period', () => {
    const now = Date.parse('2026-01-01T00:01:00Z');
    const p = (since: string) => podProblem(pod({ conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes: Insufficient cpu', lastTransitionTime: since }] }), now);
    expect(p('2026-01-01T00:00:50Z')).toBeUndefined();
    expect(p('2026-01-01T00:00:00Z')).toMatchObject({ reason: 'Unschedulable', message: expect.stringContaining('Insufficient cpu') });
  });
  it('is quiet for a pod that is just starting', () => {
    expect(podProblem(pod({ containerStatuses: [{ name: 'b', state: { waiting: { reason: 'ContainerCreating' } } }] }))).toBeUndefined();
  });
});
