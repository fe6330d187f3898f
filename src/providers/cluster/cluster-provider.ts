import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { environmentNamespaces, resolveWorkload, type ProdlikeConfig, type WorkloadRef, type WorkloadRole } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import type { EventBus } from '../../core/events.ts';
import { Kubectl } from '../../kube/kubectl.ts';
import type { KubeList, KubeObject } from '../../kube/objects.ts';
import { ownLabels, ownLabelSelector, type GuardContext } from '../../safety/ownership.ts';
import { guardCreatable, guardKubeTarget, guardNamespaces } from '../../safety/namespace-ownership.ts';
import { EnvironmentStore, newRunId } from '../environment-state.ts';
import { KubeWorkloadOps } from '../kube-core/workload-ops.ts';
import { ACCESS_ROLES, accessHostPort } from '../kind/cluster-config.ts';
import { ingressTlsNeeds, ingressTlsSecrets } from '../kind/ingress-tls.ts';
import { renderManifests, secretObjects, toApplyList, waitReady } from '../kind/kind-workloads.ts';
import { teamCredentials } from '../kind/team-credentials.ts';
import { workloadStatus } from '../kind/workload-status.ts';
import type {
  ClusterEvent, CreateResult, Endpoint, EnvironmentStatus, EventWatchOptions, KillOptions, LogOptions, Provider, ProviderEventWatch, ReplicaStats,
  SupportsEndpoints, SupportsEvents, SupportsEventWatch, SupportsExec, SupportsKill, SupportsKubernetes, SupportsOwnershipCheck, SupportsPartition, SupportsScale, SupportsStats,
} from '../provider.ts';
import { LoopbackForward } from './loopback-forward.ts';
import { isClusterScoped, mapConfig, mapObjects, namespaceMap, type NamespaceMap } from './namespace-map.ts';

export interface ClusterProviderOptions {
  /** The configuration as written (manifest namespaces); the provider maps it (`config`). */
  config: ProdlikeConfig;
  projectDir: string;
  manifestsDir: string;
  /** The kubeconfig file holding cluster.context (resolved by create-provider). */
  kubeconfig: string;
  imageSource: 'online' | 'offline';
  bus?: EventBus;
  allowForeignTarget?: boolean;
  readyTimeoutMs?: number;
}

/** Cluster-scoped kinds `down` looks for (labelled as this environment's); Namespaces are handled on their own. */
const CLUSTER_SCOPED_RESOURCES = ['clusterroles', 'clusterrolebindings', 'ingressclasses', 'storageclasses', 'priorityclasses', 'runtimeclasses'];
export const partitionPolicyName = (role: WorkloadRole) => `prodlike-partition-${role}`;

/**
 * provider: cluster — the same manifests on an existing cluster the user names (`cluster.context`, explicit
 * kubeconfig; never the current context). prodlike creates and labels its own namespaces (namespace-map.ts),
 * deploys into them with server-side apply and waits as on kind; every destructive call first proves the
 * target's namespace carries io.prodlike.managed=true and io.prodlike.env=<env> (safety/namespace-ownership.ts).
 * No cluster creation, image loading (images come from the user's registry), node containers or node-level
 * faults: kill deletes the pod (grace 0), partition is a deny-all NetworkPolicy, and host access is a
 * port-forward per connection on 127.0.0.1 (loopback-forward.ts).
 */
export class ClusterProvider implements Provider, SupportsEndpoints, SupportsScale, SupportsKill, SupportsExec, SupportsEvents, SupportsStats, SupportsPartition, SupportsKubernetes, SupportsEventWatch, SupportsOwnershipCheck {
  readonly name = 'cluster' as const;
  /** The configuration with prodlike's namespaces in place of the manifests' (topology, executions, credentials). */
  readonly config: ProdlikeConfig;
  readonly kubectl: Kubectl;
  readonly #o: ClusterProviderOptions;
  readonly #store: EnvironmentStore;
  readonly #ops: KubeWorkloadOps;
  readonly #map: NamespaceMap;
  readonly #forwards = new Map<WorkloadRole, LoopbackForward>();

  constructor(options: ClusterProviderOptions) {
    if (!options.config.cluster) throw new ProdlikeError('CONFIG_INVALID', 'provider: cluster needs `cluster: { context: <kube context> }` in prodlike.yaml.', { hint: 'Name the context explicitly, e.g. cluster: { context: staging, kubeconfig: ~/.kube/staging.yaml }.' });
    this.#o = options;
    this.#map = namespaceMap(options.config);
    this.config = mapConfig(options.config, this.#map);
    this.#store = new EnvironmentStore(options.projectDir, options.config.name);
    this.kubectl = new Kubectl(options.kubeconfig, options.config.cluster.context);
    this.#ops = new KubeWorkloadOps(this.kubectl, this.config, options.bus);
  }

  /** SupportsKubernetes: the context stands for the cluster. */
  get cluster(): string {
    return this.kubectl.context;
  }

  get kubeconfig(): string {
    return this.kubectl.kubeconfig;
  }

  kubeConfig(): KubeConfig {
    return this.kubectl.kubeConfig();
  }

  /** The images come from the user's registry: prodlike does not put images into someone else's nodes. */
  async loadImage(image: string): Promise<void> {
    throw new ProdlikeError('USAGE', `provider: cluster does not load images into the cluster's nodes (${image}).`, { hint: 'Push the image to a registry the cluster pulls from and name it in the manifests.' });
  }

  get #ctx(): GuardContext {
    return { env: this.#o.config.name, bus: this.#o.bus, allowForeignTarget: this.#o.allowForeignTarget };
  }

  async #labels(kind: string, name: string): Promise<Record<string, string> | undefined> {
    const r = await this.kubectl.run(['get', kind.toLowerCase(), name, '-o', 'json', '--ignore-not-found'], { allowFailure: true, timeoutMs: 30_000 });
    if (r.exitCode !== 0) throw new ProdlikeError('PROVIDER_FAILED', `Cannot read ${kind} ${name} on context ${this.kubectl.context}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
    if (!r.stdout.trim()) return undefined;
    return (JSON.parse(r.stdout) as KubeObject).metadata.labels ?? {};
  }

  /** The ownership check (SupportsOwnershipCheck): the kube target is explicit, the namespace(s) carry our labels. */
  async checkOwnership(operation: string, service?: WorkloadRef): Promise<void> {
    await guardKubeTarget(this.#ctx, operation, this.kubectl);
    const namespaces = service ? [resolveWorkload(this.config, service).namespace] : environmentNamespaces(this.config);
    await guardNamespaces(this.#ctx, operation, namespaces, (ns) => this.#labels('namespace', ns));
  }

  async #step<T>(id: string, title: string, work: (progress: (m: string) => void) => Promise<T>): Promise<T> {
    return this.#o.bus ? this.#o.bus.step(id, title, work) : work(() => undefined);
  }

  /** The rendered manifests in prodlike's namespaces (namespace-map.ts). */
  async render(): Promise<KubeObject[]> {
    return this.#step('cluster:render', 'Render manifests (kustomize) into prodlike\'s namespaces', async () => {
      await mkdir(this.#store.dir, { recursive: true, mode: 0o700 });
      const rendered = await renderManifests({ kubectlBin: this.kubectl.bin, stateDir: this.#store.dir, manifestsDir: this.#o.manifestsDir, imageSource: this.#o.imageSource });
      return mapObjects(rendered, this.#map, this.#o.config.name, environmentNamespaces(this.#o.config));
    });
  }

  async create(options: { signal?: AbortSignal } = {}): Promise<CreateResult> {
    const operation = 'deploy into the cluster';
    await guardKubeTarget(this.#ctx, operation, this.kubectl);
    const objects = await this.render();
    const adopted = teamCredentials(objects, this.config);
    // Nothing is applied over a namespace or cluster-scoped object that exists and is not this environment's.
    await guardCreatable(this.#ctx, operation, objects.filter((o) => isClusterScoped(o.kind)).map((o) => ({ kind: o.kind, name: o.metadata.name })), (kind, name) => this.#labels(kind, name));
    const state = await this.#store.readStateOf('cluster');
    if (state) {
      const status = await this.status();
      if (status.healthy) {
        await this.#startForwards();
        return { outcome: 'unchanged', status };
      }
    }
    await this.#store.writeState(state ?? { env: this.#o.config.name, provider: 'cluster', runId: newRunId(), createdAt: new Date().toISOString(), imageSource: this.#o.imageSource, replicas: {} });
    await this.#store.adoptSecrets(adopted);
    await this.#step('cluster:namespaces', `Namespaces ${objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name).join(', ')} and secrets`, async () => {
      await this.kubectl.apply(toApplyList(objects.filter((o) => o.kind === 'Namespace')));
      const secrets = secretObjects(objects, await this.#store.secrets(), this.config);
      secrets.push(...(await ingressTlsSecrets(ingressTlsNeeds(objects), this.#store.dir)));
      if (secrets.length) await this.kubectl.apply(toApplyList(secrets));
    });
    await this.#step('cluster:apply', `Apply ${objects.length} objects (server-side apply)`, async () => {
      // A Job's template is immutable: a re-run replaces the manifests' Jobs instead of failing on them.
      if (state) for (const job of objects.filter((o) => o.kind === 'Job')) await this.kubectl.run(['-n', job.metadata.namespace!, 'delete', 'job', job.metadata.name, '--ignore-not-found', '--wait=true'], { allowFailure: true });
      await this.kubectl.apply(toApplyList(objects.filter((o) => o.kind !== 'Namespace')));
    });
    await this.#step('cluster:ready', 'Workloads ready', async (progress) => waitReady(this.kubectl, objects, { progress, signal: options.signal, timeoutMs: this.#o.readyTimeoutMs ?? 10 * 60_000 }));
    await this.#startForwards();
    return { outcome: state ? 'repaired' : 'created', status: await this.status() };
  }

  async status(): Promise<EnvironmentStatus> {
    const base = { env: this.#o.config.name, provider: 'cluster', entry: `http://127.0.0.1:${this.config.ports.entry}` };
    if (!(await this.#store.readStateOf('cluster')) || !existsSync(this.kubeconfig)) return { ...base, exists: false, healthy: false, services: [] };
    const own = await this.#ownNamespaces().catch(() => []);
    if (!own.length) return { ...base, exists: false, healthy: false, services: [] };
    const { services, healthy } = await workloadStatus(this.kubectl, this.config, { checkPaused: false });
    return { ...base, exists: true, healthy, services };
  }

  async #ownNamespaces(): Promise<string[]> {
    const list = await this.kubectl.json<KubeList<KubeObject>>(['get', 'namespaces', '-l', ownLabelSelector(this.#o.config.name)]);
    return list.items.map((n) => n.metadata.name);
  }

  /**
   * `down`: exactly the namespaces labelled io.prodlike.managed=true and io.prodlike.env=<env> (with everything
   * in them) and the cluster-scoped objects carrying both labels; then the state. Nothing is selected by name.
   */
  async destroy(): Promise<{ removed: string[] }> {
    await this.#stopForwards();
    const removed: string[] = [];
    if (existsSync(this.kubeconfig)) {
      await guardKubeTarget(this.#ctx, 'remove the environment', this.kubectl);
      const namespaces = await this.#ownNamespaces();
      const scoped = await this.kubectl.json<KubeList<KubeObject>>(['get', CLUSTER_SCOPED_RESOURCES.join(','), '-l', ownLabelSelector(this.#o.config.name)], { allowFailure: true }).then((l) => l.items, () => []);
      for (const o of scoped) {
        await this.kubectl.run(['delete', o.kind.toLowerCase(), o.metadata.name, '--ignore-not-found']);
        removed.push(`${o.kind} ${o.metadata.name}`);
      }
      if (namespaces.length) await this.kubectl.run(['delete', 'namespace', ...namespaces, '--ignore-not-found', '--wait=true', '--timeout=300s'], { timeoutMs: 320_000 });
      removed.push(...namespaces.map((n) => `namespace ${n}`));
    }
    if (existsSync(join(this.#store.dir, 'state.json'))) {
      await this.#store.remove();
      removed.push(`state ${this.#store.dir}`);
    }
    return { removed };
  }

  async logs(service: WorkloadRef, options: LogOptions = {}): Promise<string> {
    return this.#ops.logs(service, options);
  }

  /** 127.0.0.1:<the kind provider's host port for the role>, served by a port-forward per connection. */
  async endpoint(service: WorkloadRole | 'ingress'): Promise<Endpoint> {
    const role = service === 'ingress' ? 'frontend' : service;
    const forward = await this.#forward(role);
    if (!forward) throw new ProdlikeError('USAGE', `${service} has no host endpoint in the cluster provider.`);
    return { host: '127.0.0.1', port: forward.port };
  }

  async #forward(role: WorkloadRole): Promise<LoopbackForward | undefined> {
    const known = this.#forwards.get(role);
    if (known) return known;
    const port = accessHostPort(this.config, role);
    const w = resolveWorkload(this.config, role);
    if (port === undefined || !w.enabled || w.port <= 0 || !(ACCESS_ROLES as readonly string[]).includes(role)) return undefined;
    // selector plus accessSelector: the pods the kind provider's access Service would reach (a replicated store's leader).
    const forward = new LoopbackForward(this.kubeConfig(), { namespace: w.namespace, selector: { ...w.selector, ...w.accessSelector }, port: w.port }, port);
    this.#forwards.set(role, forward);
    await forward.start().catch((error: unknown) => {
      this.#forwards.delete(role);
      throw error;
    });
    return forward;
  }

  async #startForwards(): Promise<void> {
    for (const role of ACCESS_ROLES) await this.#forward(role);
  }

  async #stopForwards(): Promise<void> {
    await Promise.all([...this.#forwards.values()].map((f) => f.stop()));
    this.#forwards.clear();
  }

  /** Stops the 127.0.0.1 listeners (they never keep the process alive). */
  async close(): Promise<void> {
    await this.#stopForwards();
  }

  async replicas(service: WorkloadRole): Promise<number> {
    return this.#ops.replicas(service);
  }

  async scale(service: WorkloadRole, count: number): Promise<void> {
    await this.checkOwnership(`scale ${service} to ${count}`, service);
    await this.#ops.scale(service, count, 'cluster.scale');
  }

  /**
   * A pod crash as the API offers it without node access: the pod is deleted with no grace period (its
   * containers get SIGKILL) and its controller replaces it. Restarting a container in place needs the node.
   */
  async kill(service: WorkloadRef, options: KillOptions = {}): Promise<{ killed: string; at: number; via: string }> {
    await this.checkOwnership(`kill ${service}`, service);
    const pod = await this.#ops.pod(service, options.replica ?? 0, 'kill');
    const at = Date.now();
    await this.kubectl.run(['-n', pod.metadata.namespace ?? resolveWorkload(this.config, service).namespace, 'delete', 'pod', pod.metadata.name, '--grace-period=0', '--force', '--wait=false']);
    return { killed: pod.metadata.name, at, via: 'pod delete --grace-period=0 --force (the controller replaces it)' };
  }

  async exec(service: WorkloadRef, argv: string[], options: { replica?: number; timeoutMs?: number } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    await this.checkOwnership(`exec in ${service}`, service);
    return this.#ops.exec(service, argv, options);
  }

  /**
   * Cuts the service's pods off: a deny-all NetworkPolicy (ingress and egress) on its selector, labelled as
   * prodlike's; heal deletes it. Effective only where the cluster's CNI enforces NetworkPolicy.
   */
  async partition(service: WorkloadRole): Promise<void> {
    await this.checkOwnership(`partition ${service}`, service);
    const w = resolveWorkload(this.config, service);
    const policy = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: partitionPolicyName(service), namespace: w.namespace, labels: ownLabels(this.#o.config.name) }, spec: { podSelector: { matchLabels: w.selector }, policyTypes: ['Ingress', 'Egress'] } };
    await this.kubectl.apply(toApplyList([policy]));
  }

  async heal(service: WorkloadRole): Promise<void> {
    await this.checkOwnership(`heal ${service}`, service);
    const w = resolveWorkload(this.config, service);
    await this.kubectl.run(['-n', w.namespace, 'delete', 'networkpolicy', partitionPolicyName(service), '--ignore-not-found']);
  }

  async events(namespace?: string): Promise<ClusterEvent[]> {
    // Only prodlike's namespaces: the cluster's other events are not this environment's business.
    if (namespace) return this.#ops.events(namespace);
    return (await Promise.all(environmentNamespaces(this.config).map((n) => this.#ops.events(n).catch(() => [])))).flat().sort((a, b) => a.lastSeen.localeCompare(b.lastSeen));
  }

  async stats(service: WorkloadRef): Promise<ReplicaStats[]> {
    return this.#ops.stats(service);
  }

  async watchEvents(options: EventWatchOptions = {}): Promise<ProviderEventWatch> {
    return this.#ops.watchEvents(options);
  }
}

