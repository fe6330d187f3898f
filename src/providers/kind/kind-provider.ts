import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { ProdlikeConfig, WorkloadRole } from '../../config/schema.ts';
import { resolveTopology } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import type { EventBus } from '../../core/events.ts';
import { run } from '../../core/exec.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { waitFor } from '../../core/wait.ts';
import { guardKindTarget } from '../../safety/ownership.ts';
import { kustomizeImages, loadImageCatalog } from '../../setup/image-catalog.ts';
import { EnvironmentStore, newRunId, type EnvironmentState } from '../environment-state.ts';
import type {
  CreateResult, Endpoint, EnvironmentStatus, KillOptions, Provider, ReplicaStatus, ServiceStatus,
  SupportsEndpoints, SupportsExec, SupportsKill, SupportsScale,
} from '../provider.ts';
import { clusterName, renderClusterConfig } from './cluster-config.ts';
import { kind, Kubectl } from './kube-tools.ts';
import { podProblem, readinessOf, WAITED_KINDS, type KubeObject } from './readiness.ts';

export interface KindProviderOptions {
  config: ProdlikeConfig;
  projectDir: string;
  /** Absolute path of the kustomize directory with the application's manifests. */
  manifestsDir: string;
  imageSource: 'online' | 'offline';
  nodeImage: string;
  /** Images built locally that the nodes cannot pull (the app, and offline the whole catalogue). */
  localImages: string[];
  bus?: EventBus;
  readyTimeoutMs?: number;
  /** The explicit ownership override (`--i-know-this-is-not-a-prodlike-cluster`); recorded as an event. */
  allowForeignTarget?: boolean;
}

interface PodList { items: (KubeObject & { metadata: { name: string; namespace: string; labels?: Record<string, string>; creationTimestamp?: string }; status?: { phase?: string; containerStatuses?: { name: string; ready?: boolean; restartCount?: number; containerID?: string; state?: Record<string, unknown> }[]; conditions?: { type: string; status: string }[] } })[] }

/**
 * The documented on-prem architecture in a real kind cluster: create the cluster (127.0.0.1 only),
 * load local images, install add-ons, apply the manifests with server-side apply, wait per kind, and
 * fail with the pod's reason (image pull, config, crash loop, unschedulable) instead of hanging.
 * Every kubectl call names this environment's kubeconfig and context explicitly.
 */
export class KindProvider implements Provider, SupportsEndpoints, SupportsScale, SupportsKill, SupportsExec {
  readonly name = 'kind' as const;
  readonly #o: KindProviderOptions;
  readonly #store: EnvironmentStore;
  readonly cluster: string;
  readonly kubectl: Kubectl;

  constructor(options: KindProviderOptions) {
    this.#o = options;
    this.#store = new EnvironmentStore(options.projectDir, options.config.name);
    this.cluster = clusterName(options.config.name);
    this.kubectl = new Kubectl(join(this.#store.dir, 'kubeconfig'), `kind-${this.cluster}`);
  }

  get kubeconfig(): string {
    return this.kubectl.kubeconfig;
  }

  async #clusterExists(): Promise<boolean> {
    const r = await kind(['get', 'clusters'], { timeoutMs: 30_000 });
    return r.stdout.split('\n').map((l) => l.trim()).includes(this.cluster);
  }

  async #step<T>(id: string, title: string, work: (progress: (m: string) => void) => Promise<T>): Promise<T> {
    return this.#o.bus ? this.#o.bus.step(id, title, work) : work(() => undefined);
  }

  async create(options: { signal?: AbortSignal } = {}): Promise<CreateResult> {
    const { signal } = options;
    await this.#assertImages();
    const existed = await this.#clusterExists();
    if (existed && existsSync(this.kubeconfig)) {
      const status = await this.status();
      if (status.healthy) return { outcome: 'unchanged', status };
    }
    const state: EnvironmentState = (await this.#store.readState()) ?? {
      env: this.#o.config.name, provider: 'kind', runId: newRunId(), createdAt: new Date().toISOString(), imageSource: this.#o.imageSource, replicas: {},
    };
    await mkdir(this.#store.dir, { recursive: true, mode: 0o700 });
    try {
      if (!existed) {
        await this.#step('kind:cluster', `Create kind cluster ${this.cluster} (1 control plane + ${this.#o.config.kind.workers} workers)`, async (progress) => {
          const configFile = join(this.#store.dir, 'cluster.yaml');
          await writeFile(configFile, await renderClusterConfig(this.#o.config, { nodeImage: this.#o.nodeImage, ingressController: false }));
          await kind(['create', 'cluster', '--name', this.cluster, '--config', configFile, '--kubeconfig', this.kubeconfig, '--wait', '0s'], { timeoutMs: 10 * 60_000, onLine: progress, ...(signal ? { signal } : {}) });
          await this.#store.writeState(state);
        });
      } else if (!existsSync(this.kubeconfig)) {
        await kind(['export', 'kubeconfig', '--name', this.cluster, '--kubeconfig', this.kubeconfig]);
      }
      await this.#step('kind:nodes', 'Nodes Ready', async () => {
        await this.kubectl.run(['wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=180s'], { timeoutMs: 200_000, ...(signal ? { signal } : {}) });
      });
      await this.#step('kind:images', `Load ${this.#o.localImages.length} local images into the nodes`, async (progress) => {
        await kind(['load', 'docker-image', '--name', this.cluster, ...this.#o.localImages], { timeoutMs: 15 * 60_000, onLine: progress, ...(signal ? { signal } : {}) });
      });
      await this.#step('kind:addons', 'Add-ons: metrics-server', async () => {
        await this.#installMetricsServer();
      });
      const objects = await this.#step('kind:render', 'Render manifests (kustomize)', async () => this.#render());
      await this.#step('kind:apply', `Apply ${objects.length} objects (server-side apply)`, async () => {
        const namespaces = objects.filter((o) => o.kind === 'Namespace');
        await this.kubectl.apply(toApplyList(namespaces));
        await this.#applySecrets(objects);
        await this.kubectl.run(['-n', 'app-backend', 'delete', 'job', 'minio-create-buckets', '--ignore-not-found', '--wait=true'], { allowFailure: true });
        await this.kubectl.apply(toApplyList(objects.filter((o) => o.kind !== 'Namespace')));
      });
      await this.#step('kind:ready', 'Workloads ready', async (progress) => this.#waitReady(objects, progress, signal));
      await this.#store.writeState(state);
    } catch (error) {
      if (!existed && (signal?.aborted ?? false)) await this.destroy().catch(() => undefined);
      throw error;
    }
    return { outcome: existed ? 'repaired' : 'created', status: await this.status() };
  }

  async #assertImages(): Promise<void> {
    const wanted = [...(this.#o.imageSource === 'offline' ? [this.#o.nodeImage] : []), ...this.#o.localImages];
    const missing: string[] = [];
    for (const image of wanted) {
      const r = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { allowFailure: true, timeoutMs: 30_000 }).catch(() => undefined);
      if (!r || r.exitCode !== 0) missing.push(image);
    }
    if (missing.length) {
      throw new ProdlikeError('IMAGE_MISSING', `Images not present: ${missing.join(', ')}.`, { hint: 'Run `npx prodlike setup --kind` (builds the node image and the images offline).', details: { missing } });
    }
  }

  async #render(): Promise<KubeObject[]> {
    const catalog = await loadImageCatalog();
    const dir = join(this.#store.dir, 'kustomize');
    await mkdir(dir, { recursive: true });
    const kustomization = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [relative(dir, this.#o.manifestsDir)],
      // imageSource decides the images: offline maps the official images to the locally built ones.
      images: kustomizeImages(catalog, this.#o.imageSource),
    };
    await writeFile(join(dir, 'kustomization.yaml'), `# generated by prodlike: the manifests plus the image mapping of imageSource=${this.#o.imageSource}\n${stringify(kustomization)}`);
    const r = await run(this.kubectl.bin, ['kustomize', dir], { timeoutMs: 60_000 });
    return parseAllDocuments(r.stdout).map((d) => d.toJS() as KubeObject).filter((o) => o && o.kind);
  }

  async #installMetricsServer(): Promise<void> {
    const manifest = join(PACKAGE_ROOT, 'kind', 'node-image', 'manifests', 'metrics-server.yaml');
    if (!existsSync(manifest)) throw new ProdlikeError('PROVIDER_FAILED', `metrics-server manifest missing: ${manifest}`);
    const { readFile } = await import('node:fs/promises');
    const text = (await readFile(manifest, 'utf8')).replaceAll('__METRICS_SERVER_IMAGE__', await this.#metricsServerImage());
    await this.kubectl.apply(text);
  }

  async #metricsServerImage(): Promise<string> {
    // The node image preloads metrics-server under the name its build recorded (/kind/metrics-server-image).
    const r = await run('docker', ['exec', `${this.cluster}-control-plane`, 'cat', '/kind/metrics-server-image'], { allowFailure: true, timeoutMs: 15_000 });
    if (r.exitCode === 0 && r.stdout.trim()) return r.stdout.trim();
    // The offline node image preloads metrics-server under the local prefix; online, kind's nodes pull it.
    return this.#o.imageSource === 'offline' ? 'prodlike.local/metrics-server:v0.8.0' : 'registry.k8s.io/metrics-server/metrics-server:v0.8.0';
  }

  async #applySecrets(objects: KubeObject[]): Promise<void> {
    const secrets = await this.#store.secrets();
    const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name).filter((n) => n === 'app-backend' || n === 'saasit-executions');
    const secretKey = randomBytes(24).toString('base64url');
    const docs: object[] = [];
    for (const namespace of namespaces) {
      const meta = (name: string) => ({ name, namespace, labels: { 'app.kubernetes.io/part-of': 'prodlike', 'app.kubernetes.io/managed-by': 'prodlike' } });
      docs.push({ apiVersion: 'v1', kind: 'Secret', metadata: meta('backend-secrets'), type: 'Opaque', stringData: { POSTGRES_PASSWORD: secrets.postgresPassword, REDIS_PASSWORD: secrets.redisPassword, SECRET_KEY: secretKey, JWT_SECRET_KEY: secretKey } });
      docs.push({ apiVersion: 'v1', kind: 'Secret', metadata: meta('minio-secret'), type: 'Opaque', stringData: { MINIO_ROOT_USER: secrets.minioAccessKey, MINIO_ROOT_PASSWORD: secrets.minioSecretKey } });
    }
    if (docs.length) await this.kubectl.apply(toApplyList(docs as KubeObject[]));
  }

  async #waitReady(objects: KubeObject[], progress: (m: string) => void, signal?: AbortSignal): Promise<void> {
    const waited = objects.filter((o) => (WAITED_KINDS as readonly string[]).includes(o.kind));
    const namespaces = [...new Set(waited.map((o) => o.metadata.namespace ?? 'default'))];
    const timeoutMs = this.#o.readyTimeoutMs ?? 10 * 60_000;
    await waitFor(async () => {
      const pods: PodList['items'] = [];
      const live: KubeObject[] = [];
      for (const ns of namespaces) {
        const list = await this.kubectl.json<{ items: KubeObject[] }>(['-n', ns, 'get', 'deployments,statefulsets,jobs']);
        live.push(...list.items);
        pods.push(...(await this.kubectl.json<PodList>(['-n', ns, 'get', 'pods'])).items);
      }
      for (const pod of pods) {
        const problem = podProblem(pod as never);
        if (problem) throw await this.#podFailure(problem.namespace, problem.pod, `${problem.reason}: ${problem.message}`);
      }
      const pending = waited.filter((w) => {
        const found = live.find((l) => l.kind === w.kind && l.metadata.name === w.metadata.name && l.metadata.namespace === w.metadata.namespace);
        return !found || !readinessOf(found).ready;
      });
      progress(pending.length ? `waiting for ${pending.map((p) => `${p.kind.toLowerCase()}/${p.metadata.name}`).join(', ')}` : 'all ready');
      return pending.length === 0 ? true : undefined;
    }, { timeoutMs, intervalMs: 2000, description: 'the workloads to become ready', ...(signal ? { signal } : {}), hint: `See \`kubectl --kubeconfig ${this.kubeconfig} get pods -A\`.` }).catch((error: unknown) => {
      if (error instanceof ProdlikeError && error.code !== 'READINESS_TIMEOUT') throw error;
      const cause = error instanceof ProdlikeError && error.cause instanceof ProdlikeError ? error.cause : error;
      throw cause;
    });
  }

  async #podFailure(namespace: string, pod: string, reason: string): Promise<ProdlikeError> {
    const events = await this.kubectl.run(['-n', namespace, 'get', 'events', '--field-selector', `involvedObject.name=${pod}`, '--sort-by=.lastTimestamp'], { allowFailure: true });
    const logs = await this.kubectl.run(['-n', namespace, 'logs', pod, '--all-containers', '--tail=15'], { allowFailure: true });
    return new ProdlikeError('READINESS_TIMEOUT', `pod ${namespace}/${pod} will not become ready: ${reason}\n  events:\n    ${events.stdout.trim().split('\n').slice(-8).join('\n    ')}${logs.stdout.trim() ? `\n  logs:\n    ${logs.stdout.trim().split('\n').slice(-10).join('\n    ')}` : ''}`, {
      hint: reason.includes('Image') ? 'The image is not in the nodes: run `npx prodlike setup` and check the name/tag in the manifests and fixtures/images/images.yaml.' : `Inspect with \`kubectl --kubeconfig ${this.kubeconfig} -n ${namespace} describe pod ${pod}\`.`,
      details: { namespace, pod, reason },
    });
  }

  async status(): Promise<EnvironmentStatus> {
    const base = { env: this.#o.config.name, provider: 'kind', entry: `http://127.0.0.1:${this.#o.config.ports.entry}` };
    if (!(await this.#clusterExists()) || !existsSync(this.kubeconfig)) return { ...base, exists: false, healthy: false, services: [] };
    const services: ServiceStatus[] = [];
    for (const w of resolveTopology(this.#o.config).filter((x) => x.enabled)) {
      const [kindName, name] = w.workload.split('/') as [string, string];
      const obj = await this.kubectl.json<KubeObject>(['-n', w.namespace, 'get', kindName, name]).catch(() => undefined);
      const pods = await this.kubectl.json<PodList>(['-n', w.namespace, 'get', 'pods', '-l', Object.entries(w.selector).map(([k, v]) => `${k}=${v}`).join(',')]).catch(() => ({ items: [] }));
      const replicas: ReplicaStatus[] = pods.items.map((p) => {
        const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        return {
          id: p.metadata.name, name: p.metadata.name,
          health: ready ? 'healthy' : p.status?.phase === 'Pending' ? 'starting' : 'unhealthy',
          state: p.status?.phase ?? 'Unknown',
          restarts: (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
        };
      });
      const desired = typeof obj?.spec?.replicas === 'number' ? obj.spec.replicas : replicas.length;
      services.push({ role: w.role, desired, replicas, endpoint: w.role === 'frontend' ? `127.0.0.1:${this.#o.config.ports.entry}` : w.role === 'backend' ? `127.0.0.1:${this.#o.config.ports.entry + 1}` : undefined });
    }
    const healthy = services.length > 0 && services.every((s) => s.replicas.filter((r) => r.health === 'healthy').length >= s.desired && s.desired > 0);
    return { ...base, exists: true, healthy, services };
  }

  async destroy(): Promise<{ removed: string[] }> {
    await this.#own('delete the kind cluster', true);
    const removed: string[] = [];
    if (await this.#clusterExists()) {
      // Only a cluster this environment's name maps to, and only with its own kubeconfig file.
      await kind(['delete', 'cluster', '--name', this.cluster, '--kubeconfig', this.kubeconfig], { timeoutMs: 5 * 60_000 });
      removed.push(`kind cluster ${this.cluster}`);
    }
    // The state dir also holds this command's lock: only a recorded environment counts as removed.
    if (existsSync(join(this.#store.dir, 'state.json'))) {
      await this.#store.remove();
      removed.push(`state ${this.#store.dir}`);
    }
    return { removed };
  }

  async logs(service: WorkloadRole, options: { tail?: number; replica?: number } = {}): Promise<string> {
    const w = this.#workload(service);
    const r = await this.kubectl.run(['-n', w.namespace, 'logs', w.workload, '--all-containers', `--tail=${options.tail ?? 200}`]);
    return r.stdout;
  }

  async endpoint(service: WorkloadRole | 'ingress'): Promise<Endpoint> {
    if (service === 'frontend' || service === 'ingress') return { host: '127.0.0.1', port: this.#o.config.ports.entry };
    if (service === 'backend') return { host: '127.0.0.1', port: this.#o.config.ports.entry + 1 };
    throw new ProdlikeError('USAGE', `${service} has no host endpoint in the kind provider yet (use port-forward).`);
  }

  async replicas(service: WorkloadRole): Promise<number> {
    const w = this.#workload(service);
    const obj = await this.kubectl.json<KubeObject>(['-n', w.namespace, 'get', w.workload]);
    return typeof obj.spec?.replicas === 'number' ? obj.spec.replicas : 0;
  }

  async scale(service: WorkloadRole, count: number): Promise<void> {
    await this.#own(`scale ${service} to ${count}`);
    const w = this.#workload(service);
    await this.kubectl.run(['-n', w.namespace, 'scale', w.workload, `--replicas=${count}`]);
    await this.kubectl.run(['-n', w.namespace, 'rollout', 'status', w.workload, '--timeout=300s'], { timeoutMs: 320_000 });
  }

  /** A crash: the container is killed in its node with crictl (SIGKILL); the kubelet restarts it. */
  async kill(service: WorkloadRole, options: KillOptions = {}): Promise<{ killed: string; at: number; via: string }> {
    await this.#own(`kill ${service}`);
    const w = this.#workload(service);
    const pods = await this.kubectl.json<PodList>(['-n', w.namespace, 'get', 'pods', '-l', Object.entries(w.selector).map(([k, v]) => `${k}=${v}`).join(',')]);
    const pod = pods.items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))[options.replica ?? 0];
    if (!pod) throw new ProdlikeError('PROVIDER_FAILED', `No ${service} pod to kill.`);
    const full = await this.kubectl.json<KubeObject & { spec: { nodeName: string }; status: { containerStatuses: { containerID: string }[] } }>(['-n', w.namespace, 'get', 'pod', pod.metadata.name]);
    const id = full.status.containerStatuses[0]?.containerID.replace(/^containerd:\/\//, '');
    if (!id) throw new ProdlikeError('PROVIDER_FAILED', `Pod ${pod.metadata.name} has no running container.`);
    const at = Date.now();
    await run('docker', ['exec', full.spec.nodeName, 'crictl', 'stop', '--timeout', '0', id], { timeoutMs: 30_000 });
    return { killed: pod.metadata.name, at, via: 'crictl stop --timeout 0' };
  }

  async exec(service: WorkloadRole, argv: string[], options: { replica?: number; timeoutMs?: number } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    await this.#own(`exec in ${service}`);
    const w = this.#workload(service);
    const r = await this.kubectl.run(['-n', w.namespace, 'exec', w.workload, '--', ...argv], { allowFailure: true, timeoutMs: options.timeoutMs ?? 60_000 });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }

  /** The ownership guard (src/safety/ownership.ts): context, kubeconfig and node labels are this environment's. */
  async #own(operation: string, forDelete = false): Promise<void> {
    await guardKindTarget({ env: this.#o.config.name, bus: this.#o.bus, allowForeignTarget: this.#o.allowForeignTarget }, operation, { cluster: this.cluster, kubeconfig: this.kubeconfig, context: this.kubectl.context }, { forDelete });
  }

  #workload(role: WorkloadRole) {
    const w = resolveTopology(this.#o.config).find((x) => x.role === role);
    if (!w) throw new ProdlikeError('USAGE', `Unknown workload ${role}.`);
    return w;
  }
}

/**
 * Objects for `kubectl apply -f -` as a JSON List: no YAML 1.1 surprises (kubectl would read a bare
 * `yes` in Redis' `--appendonly yes` as a boolean).
 */
function toApplyList(objects: KubeObject[] | object[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
}
