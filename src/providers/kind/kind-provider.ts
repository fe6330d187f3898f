import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { WorkloadRef, WorkloadRole } from '../../config/schema.ts';
import { resolveTopology } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import { run } from '../../core/exec.ts';
import { kind, Kubectl } from '../../kube/kubectl.ts';
import type { KubeList, KubeObject, PodObject } from '../../kube/objects.ts';
import { guardKindTarget, ownLabelSelector } from '../../safety/ownership.ts';
import { EnvironmentStore, newRunId, type EnvironmentState } from '../environment-state.ts';
import type {
  ClusterEvent, ClusterStatus, CreateResult, Endpoint, EnvironmentStatus, EventWatchOptions, KillOptions, LogOptions, NodeInfo, PauseTarget, Provider, ProviderEventWatch, ReplicaStats, ResetResult,
  SupportsEndpoints, SupportsReset, SupportsEvents, SupportsEventWatch, SupportsExec, SupportsKill, SupportsKubernetes, SupportsNodes, SupportsPartition, SupportsPause, SupportsPauseTarget, SupportsScale, SupportsStats,
} from '../provider.ts';
import { partitionComment } from './cluster-views.ts';
import { accessHostPort, clusterName } from './cluster-config.ts';
import { assertNodeImage } from './kind-images.ts';
import { clusterStatus, cutPodIps, healPodIps, nodeContainers } from './kind-network.ts';
import { containerIdOf, pauseTargetOf, pauseTasks, resumeTasks, thawAllPaused, type ResumeOutcome } from './kind-pause.ts';
import { workloadStatus } from './workload-status.ts';
import { removeDevRegistry } from './dev-registry.ts';
import { emptyNamespaces, resetNamespaces } from './kind-reset.ts';
import { expectedClaims, freshVolumeDirs, listVolumes, reusableVolumes, type KeptVolume } from './kind-reset-volumes.ts';
import { KindUpSteps, type KindUpStepOptions } from './kind-up-steps.ts';
import { selectorOf, toApplyList, waitReady } from './kind-workloads.ts';
import { faultJournalFile } from '../../core/paths.ts';
import { KindNodes } from './kind-nodes.ts';
import { KubeWorkloadOps } from '../kube-core/workload-ops.ts';
import { teamCredentials } from './team-credentials.ts';

export interface KindProviderOptions extends KindUpStepOptions {
  /** The explicit ownership override (`--i-know-this-is-not-a-prodlike-cluster`); recorded as an event. */
  allowForeignTarget?: boolean;
}

/**
 * The documented on-prem architecture in a real kind cluster: create the cluster (127.0.0.1 only),
 * load the images the rendered manifests use (manifest-images.ts), install add-ons, apply the manifests
 * with server-side apply, wait per kind, and fail with the pod's reason (image pull, config, crash loop,
 * unschedulable) instead of hanging. Every kubectl call names this environment's kubeconfig and context explicitly.
 */
export class KindProvider implements Provider, SupportsEndpoints, SupportsScale, SupportsKill, SupportsExec, SupportsNodes, SupportsEvents, SupportsStats, SupportsPartition, SupportsPause, SupportsPauseTarget, SupportsKubernetes, SupportsEventWatch, SupportsReset {
  readonly name = 'kind' as const;
  readonly #o: KindProviderOptions;
  readonly #store: EnvironmentStore;
  /** Pods this instance paused and has not resumed (status() reads the nodes' task states only then, or with a fault journal). */
  readonly #pausedPods = new Set<string>();
  readonly #nodes: KindNodes;
  /** The workload operations both Kubernetes back-ends share (kube-core/workload-ops.ts). */
  readonly #ops: KubeWorkloadOps;
  /** The steps of create and reset (kind-up-steps.ts). */
  readonly #steps: KindUpSteps;
  readonly cluster: string;
  readonly kubectl: Kubectl;

  constructor(options: KindProviderOptions) {
    this.#o = options;
    this.#store = new EnvironmentStore(options.projectDir, options.config.name);
    this.cluster = clusterName(options.config.name);
    this.kubectl = new Kubectl(join(this.#store.dir, 'kubeconfig'), `kind-${this.cluster}`);
    this.#steps = new KindUpSteps(options, this.#store, this.kubectl, this.cluster);
    this.#nodes = new KindNodes(this.cluster, this.kubectl);
    this.#ops = new KubeWorkloadOps(this.kubectl, options.config, options.bus);
  }

  get kubeconfig(): string {
    return this.kubectl.kubeconfig;
  }

  /** An API client configuration for this environment's kubeconfig and context. */
  kubeConfig(): KubeConfig {
    return this.kubectl.kubeConfig();
  }

  /** Offline there is no registry: a locally built image is loaded into the nodes (idempotent). */
  async loadImage(image: string, options: { onLine?: (line: string) => void } = {}): Promise<void> {
    await kind(['load', 'docker-image', '--name', this.cluster, image], { timeoutMs: 10 * 60_000, ...(options.onLine ? { onLine: options.onLine } : {}) });
  }

  /** Kubernetes API watches of a namespace's Jobs and selected pods (kube-core/workload-ops.ts). */
  async watchEvents(options: EventWatchOptions = {}): Promise<ProviderEventWatch> {
    return this.#ops.watchEvents(options);
  }

  async #clusterExists(): Promise<boolean> {
    const r = await kind(['get', 'clusters'], { timeoutMs: 30_000 });
    return r.stdout.split('\n').map((l) => l.trim()).includes(this.cluster);
  }

  async create(options: { signal?: AbortSignal } = {}): Promise<CreateResult> {
    const { signal } = options;
    await assertNodeImage(this.#o);
    const existed = await this.#clusterExists();
    if (existed && !(await this.#store.readState()) && !this.#store.hasSecrets()) {
      // The cluster's PostgreSQL/Redis/MinIO were initialised with credentials this environment no longer
      // has (its .prodlike/<env>/ is gone): new Secrets would not open the data on the PVs.
      throw new ProdlikeError('STALE_DATA', `kind cluster ${this.cluster} exists but environment "${this.#o.config.name}" has no state (${this.#store.dir} is missing): it was created by an earlier "${this.#o.config.name}" environment whose credentials are gone, and its data would reject new ones.`, {
        hint: `\`npx prodlike down\` deletes cluster ${this.cluster} (prodlike's own, recorded at creation); \`prodlike up\` then starts clean.`,
      });
    }
    if (existed && existsSync(this.kubeconfig)) {
      const status = await this.status();
      if (status.healthy) return { outcome: 'unchanged', status };
    }
    const state: EnvironmentState = (await this.#store.readStateOf('kind')) ?? {
      env: this.#o.config.name, provider: 'kind', runId: newRunId(), createdAt: new Date().toISOString(), imageSource: this.#o.imageSource, replicas: {},
    };
    await mkdir(this.#store.dir, { recursive: true, mode: 0o700 });
    // The images come from the rendered manifests: an absent one the nodes cannot pull fails here, before the cluster.
    const rendered = await this.#steps.render();
    const adopted = teamCredentials(rendered, this.#o.config); // `credentials:` from the team's own Secrets; a bad entry fails here, before the cluster
    const images = await this.#steps.planImages(rendered);
    try {
      if (!existed) {
        await this.#steps.createCluster(state, signal);
      } else if (!existsSync(this.kubeconfig)) {
        await kind(['export', 'kubeconfig', '--name', this.cluster, '--kubeconfig', this.kubeconfig]);
      }
      // The image load (the longest phase) runs alongside what does not need the images: nodes Ready,
      // metrics-server (preloaded in the node image), namespaces and secrets. Workloads are applied only
      // once the images are in the nodes.
      const loading = this.#steps.loadImages(images, existed, signal);
      const preparing = (async () => {
        await this.#steps.nodesReady(signal);
        await Promise.all([this.#steps.addons(rendered), this.#steps.networkPolicies(signal)]);
        await this.#store.adoptSecrets(adopted);
        await this.#steps.namespacesAndSecrets(rendered);
        await this.#steps.monitoring();
        return rendered;
      })();
      const [prepared, loaded] = await Promise.allSettled([preparing, loading]);
      if (prepared.status === 'rejected') throw prepared.reason;
      if (loaded.status === 'rejected') throw loaded.reason;
      await this.#steps.applyAndWait(prepared.value, existed, signal);
      await this.#store.writeState(state);
    } catch (error) {
      if (!existed && (signal?.aborted ?? false)) await this.destroy().catch(() => undefined);
      throw error;
    }
    // `up` prints the workloads; the cluster view (nodes, HPAs, PVCs) is for `status`.
    return { outcome: existed ? 'repaired' : 'created', status: await this.#status(false) };
  }

  /**
   * Back to the freshly deployed state without a new cluster: faults' partition rules healed, the
   * application's namespaces and prodlike's own (labelled with this environment) emptied — pods, Jobs,
   * restore pods, PVCs and their data (a claim the manifests make again keeps its volume, with a new empty
   * directory: kind-reset-volumes.ts) — then the manifests applied again with the
   * environment's credentials and waited for as in `up`. The nodes, their images and the add-ons stay.
   */
  async reset(options: { signal?: AbortSignal } = {}): Promise<ResetResult> {
    const { signal } = options;
    await this.#own('reset the environment (delete and re-apply its namespaces)', true);
    if (!(await this.#clusterExists()) || !existsSync(this.kubeconfig) || !(await this.#store.readState())) {
      throw new ProdlikeError('USAGE', `Environment "${this.#o.config.name}" (kind cluster ${this.cluster}) does not exist: there is nothing to reset.`, { hint: '`prodlike up` creates it.' });
    }
    // The namespaces to empty come from the rendered manifests and prodlike's own (labelled with this environment).
    const [rendered, own] = await Promise.all([
      this.#steps.render(),
      this.kubectl.json<KubeList<KubeObject>>(['get', 'namespaces', '-l', ownLabelSelector(this.#o.config.name)]).then((l) => l.items.map((n) => n.metadata.name), () => []),
    ]);
    const adopted = teamCredentials(rendered, this.#o.config);
    const images = await this.#steps.planImages(rendered);
    const { remove, kept } = resetNamespaces(rendered, own);
    // What does not depend on the emptying runs beside it: the image check in the nodes and nodes Ready.
    const loading = this.#steps.loadImages(images, true, signal);
    const nodes = this.#steps.nodesReady(signal);
    // The Namespaces and the environment's Secrets (with the team's adopted credentials) lead the manifests in one apply.
    const leading = this.#store.adoptSecrets(adopted).then(() => this.#steps.namespaceAndSecretObjects(rendered));
    let volumes: KeptVolume[] = [];
    const [emptied, loaded, nodesReady, lead] = await Promise.allSettled([
      this.#steps.step('kind:reset', `Empty namespaces ${remove.join(', ')}`, async (progress) => {
        const nodeNames = nodeContainers(this.cluster);
        const [removed] = await Promise.all([
          (async () => {
            // The data volumes the manifests would claim again keep their PersistentVolume and get a new empty directory (kind-reset-volumes.ts).
            const [listed, nodes] = await Promise.all([listVolumes(this.kubeConfig()), nodeNames]);
            volumes = reusableVolumes({ expected: expectedClaims(rendered), ...listed, nodes, namespaces: remove });
            const done = await emptyNamespaces(this.kubectl, remove, { progress, keepClaims: volumes.map((v) => `${v.namespace}/${v.claim}`), ...(signal ? { signal } : {}) });
            await freshVolumeDirs(volumes, signal);
            return done;
          })(),
          // Partitions a scenario left (iptables rules in the nodes, outside any namespace).
          nodeNames.then((n) => healPodIps(n, resolveTopology(this.#o.config).map((w) => partitionComment(this.#o.config.name, w.role)))),
        ]);
        return removed;
      }),
      loading, nodes, leading,
    ]);
    for (const settled of [emptied, loaded, nodesReady, lead]) if (settled.status === 'rejected') throw settled.reason;
    const removed = emptied.status === 'fulfilled' ? emptied.value : [];
    const { namespaces, secrets } = lead.status === 'fulfilled' ? lead.value : { namespaces: [], secrets: [] };
    // The workloads read the Secrets: they come first in the apply. The manifests' Jobs went with their namespaces.
    const applied = await this.#steps.apply(rendered, false, [...namespaces, ...secrets]);
    // The monitoring add-on stays; its Service beside the backend went with the emptied namespace. It is
    // re-applied while the workloads start (it needs the namespaces and the credentials, not the workloads).
    const [ready, monitored] = await Promise.allSettled([this.#steps.ready(applied, signal), this.#steps.monitoring()]);
    for (const settled of [ready, monitored]) if (settled.status === 'rejected') throw settled.reason;
    const notes = [
      ...(kept.length ? [`namespace(s) ${kept.join(', ')} belong to the cluster: their objects were re-applied, not removed`] : []),
      ...(volumes.length ? [`claim(s) ${volumes.map((v) => `${v.namespace}/${v.claim}`).join(', ')} kept their volume, with a new empty directory (no data kept)`] : []),
    ];
    return { removed: removed.map((n) => `the contents of namespace ${n}`), notes, status: await this.#status(false) };
  }

  async status(): Promise<EnvironmentStatus> {
    return this.#status(true);
  }

  async #status(withCluster: boolean): Promise<EnvironmentStatus> {
    const base = { env: this.#o.config.name, provider: 'kind', entry: `http://127.0.0.1:${this.#o.config.ports.entry}` };
    if (!(await this.#clusterExists()) || !existsSync(this.kubeconfig)) return { ...base, exists: false, healthy: false, services: [] };
    // Pause states are read in the nodes only when something may be paused: a pause of this process not
    // resumed yet, or a journalled fault of any process (the journal is written before the fault).
    const checkPaused = this.#pausedPods.size > 0 || existsSync(faultJournalFile(this.#o.projectDir, this.#o.config.name));
    const { services, healthy } = await workloadStatus(this.kubectl, this.#o.config, { checkPaused });
    return { ...base, exists: true, healthy, services, ...(withCluster ? { cluster: await this.#clusterStatus() } : {}) };
  }

  async destroy(): Promise<{ removed: string[] }> {
    await this.#own('delete the kind cluster', true);
    const removed: string[] = [];
    if (await this.#clusterExists()) {
      // A frozen container (a pause whose resume never came: a killed run) keeps its node from being killed.
      await thawAllPaused(await nodeContainers(this.cluster)).catch(() => undefined);
      // Only a cluster this environment's name maps to, and only with its own kubeconfig file.
      await kind(['delete', 'cluster', '--name', this.cluster, '--kubeconfig', this.kubeconfig], { timeoutMs: 5 * 60_000 });
      removed.push(`kind cluster ${this.cluster}`);
    }
    // The dev loop's layer cache (up --build / dev), when one was started for this environment.
    const registry = await removeDevRegistry(this.#o.config.name);
    if (registry) removed.push(registry);
    // The state dir also holds this command's lock: only a recorded environment counts as removed.
    if (existsSync(join(this.#store.dir, 'state.json'))) {
      await this.#store.remove();
      removed.push(`state ${this.#store.dir}`);
    }
    return { removed };
  }

  /** kubectl logs of the workload's pods, by its selector (kind-logs.ts). */
  async logs(service: WorkloadRef, options: LogOptions = {}): Promise<string> {
    return this.#ops.logs(service, options);
  }

  async endpoint(service: WorkloadRole | 'ingress'): Promise<Endpoint> {
    const port = accessHostPort(this.#o.config, service === 'ingress' ? 'frontend' : service);
    if (port !== undefined) return { host: '127.0.0.1', port };
    throw new ProdlikeError('USAGE', `${service} has no host endpoint in the kind provider (reach it through the backend, or \`kubectl port-forward\` with the environment's kubeconfig).`);
  }

  async replicas(service: WorkloadRole): Promise<number> {
    return this.#ops.replicas(service);
  }

  async scale(service: WorkloadRole, count: number): Promise<void> {
    await this.#own(`scale ${service} to ${count}`);
    await this.#ops.scale(service, count, 'kind.scale');
  }

  /** A crash: the container is killed in its node with crictl (SIGKILL); the kubelet restarts it. */
  async kill(service: WorkloadRef, options: KillOptions = {}): Promise<{ killed: string; at: number; via: string }> {
    await this.#own(`kill ${service}`);
    const w = this.#workload(service);
    const pods = await this.kubectl.json<KubeList<PodObject>>(['-n', w.namespace, 'get', 'pods', '-l', Object.entries(w.selector).map(([k, v]) => `${k}=${v}`).join(',')]);
    const pod = pods.items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))[options.replica ?? 0];
    if (!pod) throw new ProdlikeError('PROVIDER_FAILED', `No ${service} pod to kill.`);
    const full = await this.kubectl.json<KubeObject & { spec: { nodeName: string }; status: { containerStatuses: { containerID: string }[] } }>(['-n', w.namespace, 'get', 'pod', pod.metadata.name]);
    const id = full.status.containerStatuses[0]?.containerID.replace(/^containerd:\/\//, '');
    if (!id) throw new ProdlikeError('PROVIDER_FAILED', `Pod ${pod.metadata.name} has no running container.`);
    const at = Date.now();
    await run('docker', ['exec', full.spec.nodeName, 'crictl', 'stop', '--timeout', '0', id], { timeoutMs: 30_000 });
    return { killed: pod.metadata.name, at, via: 'crictl stop --timeout 0' };
  }

  async #pod(service: WorkloadRef, replica: number, operation: string): Promise<PodObject> {
    return this.#ops.pod(service, replica, operation);
  }

  /** What pausing replica `replica` freezes: its pod's node and running container ids (kind-pause.ts). */
  async pauseTarget(service: WorkloadRef, options: { replica?: number } = {}): Promise<PauseTarget> {
    await this.#own(`pause ${service}`);
    return pauseTargetOf(await this.#pod(service, options.replica ?? 0, 'pause'));
  }

  /** A hang: the target's containers frozen in their node (`ctr task pause`, the freezer cgroup). */
  async pauseContainers(target: PauseTarget): Promise<void> {
    const operation = `pause pod ${target.pod}`;
    await this.#own(operation);
    if (!(await this.#nodes.container(operation, target.node))) throw new ProdlikeError('PROVIDER_FAILED', `Node ${target.node} of pod ${target.pod} is gone: nothing to pause.`);
    this.#pausedPods.add(target.pod);
    await pauseTasks(target);
  }

  /** Thaws those of the target's containers still paused; gone ones (replaced pod, node deleted) are a no-op. */
  async resumeContainers(target: PauseTarget): Promise<ResumeOutcome> {
    const operation = `resume pod ${target.pod}`;
    await this.#own(operation);
    if (!(await this.#nodes.container(operation, target.node))) {
      this.#pausedPods.delete(target.pod);
      return { resumed: [], running: [], gone: [...target.containers] };
    }
    const outcome = await resumeTasks(target);
    this.#pausedPods.delete(target.pod);
    return outcome;
  }

  async pause(service: WorkloadRef, options: { replica?: number } = {}): Promise<void> {
    await this.pauseContainers(await this.pauseTarget(service, options));
  }

  /** Thaws the replica's pod if it is paused (a pod with no paused container is left alone). */
  async unpause(service: WorkloadRef, options: { replica?: number } = {}): Promise<void> {
    await this.#own(`unpause ${service}`);
    const pod = await this.#pod(service, options.replica ?? 0, 'unpause');
    const node = pod.spec?.nodeName;
    const containers = (pod.status?.containerStatuses ?? []).map((c) => containerIdOf(c.containerID)).filter((id): id is string => Boolean(id));
    if (node && containers.length) await this.resumeContainers({ pod: pod.metadata.name, node, containers });
  }

  async exec(service: WorkloadRef, argv: string[], options: { replica?: number; timeoutMs?: number } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    await this.#own(`exec in ${service}`);
    return this.#ops.exec(service, argv, options);
  }

  /**
   * Applies extra objects (server-side, field manager prodlike) and waits for them with the same
   * readiness rules as `up`: a pod that cannot become ready (image pull, config error, crash loop,
   * unschedulable) fails at once with its events and logs.
   */
  async deploy(objects: KubeObject[], options: { signal?: AbortSignal; timeoutMs?: number; progress?: (m: string) => void } = {}): Promise<void> {
    await this.#own(`apply ${objects.length} objects`);
    const namespaces = objects.filter((o) => o.kind === 'Namespace');
    if (namespaces.length) await this.kubectl.apply(toApplyList(namespaces));
    const rest = objects.filter((o) => o.kind !== 'Namespace');
    if (rest.length) await this.kubectl.apply(toApplyList(rest));
    await waitReady(this.kubectl, objects, { progress: options.progress ?? (() => undefined), signal: options.signal, timeoutMs: options.timeoutMs ?? this.#o.readyTimeoutMs ?? 10 * 60_000 });
  }

  /** The nodes as the API server sees them (name, role, Ready). */
  async nodes(): Promise<NodeInfo[]> {
    return this.#nodes.list();
  }

  /** The node container must carry kind's label for this cluster, and be a worker. */
  async #ownNode(operation: string, name: string): Promise<void> {
    await this.#own(operation);
    const node = await this.#nodes.container(operation, name);
    if (!node) throw new ProdlikeError('USAGE', `No node container named ${name}.`, { hint: `Nodes of ${this.cluster}: \`kind get nodes --name ${this.cluster}\`.` });
    if (node.role !== 'worker') throw new ProdlikeError('USAGE', `${name} is the ${node.role}: stopping it takes the API server down; only worker nodes can be stopped.`);
  }

  /** A node loss: `docker stop` of the node container, then (by default) wait until the API server marks it NotReady. */
  async stopNode(name: string, options: { waitNotReady?: boolean; timeoutMs?: number } = {}): Promise<{ node: string; at: number; notReadyAfterMs?: number | undefined }> {
    await this.#ownNode(`stop node ${name}`, name);
    return this.#nodes.stop(name, options);
  }

  async startNode(name: string, options: { timeoutMs?: number } = {}): Promise<{ node: string; readyAfterMs: number }> {
    await this.#ownNode(`start node ${name}`, name);
    return this.#nodes.start(name, options);
  }

  async events(namespace?: string): Promise<ClusterEvent[]> {
    return this.#ops.events(namespace);
  }

  async stats(service: WorkloadRef): Promise<ReplicaStats[]> {
    return this.#ops.stats(service);
  }

  /**
   * Cuts the service's pods off the network: prodlike-cni (ptp) does not enforce NetworkPolicy, so the
   * cut is iptables DROP rules in FORWARD of every node for the pods' IPs (pod-to-pod and NodePort
   * traffic both cross FORWARD; the kubelet's own probes do not, as a real partition would leave them).
   * The rules carry a comment so heal removes exactly those; calling it twice adds nothing. Pods created
   * after the cut (a replacement) are not cut.
   */
  async partition(service: WorkloadRole): Promise<void> {
    await this.#own(`partition ${service}`);
    const w = this.#workload(service);
    const pods = await this.kubectl.json<{ items: { status?: { podIP?: string } }[] }>(['-n', w.namespace, 'get', 'pods', '-l', selectorOf(w.selector)]);
    const ips = pods.items.map((p) => p.status?.podIP).filter((ip): ip is string => Boolean(ip));
    if (!ips.length) throw new ProdlikeError('PROVIDER_FAILED', `No ${service} pod has an IP to cut.`);
    await cutPodIps(await nodeContainers(this.cluster), ips, partitionComment(this.#o.config.name, service));
  }

  async heal(service: WorkloadRole): Promise<void> {
    await this.#own(`heal ${service}`);
    await healPodIps(await nodeContainers(this.cluster), partitionComment(this.#o.config.name, service));
  }

  /** Nodes, HPAs (current/target), PVCs and what the offline CNI does not do. */
  async #clusterStatus(): Promise<ClusterStatus> {
    return clusterStatus(this.kubectl, this.cluster, () => this.nodes());
  }

  /** The ownership guard (src/safety/ownership.ts): context, kubeconfig and node labels are this environment's. */
  async #own(operation: string, forDelete = false): Promise<void> {
    await guardKindTarget({ env: this.#o.config.name, bus: this.#o.bus, allowForeignTarget: this.#o.allowForeignTarget }, operation, { cluster: this.cluster, kubeconfig: this.kubeconfig, context: this.kubectl.context }, { forDelete });
  }

  #workload(role: WorkloadRef) {
    return this.#ops.workload(role);
  }
}
