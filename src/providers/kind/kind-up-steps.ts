import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProdlikeConfig } from '../../config/schema.ts';
import type { EventBus } from '../../core/events.ts';
import { ProdlikeError } from '../../core/errors.ts';
import { run } from '../../core/exec.ts';
import { waitFor } from '../../core/wait.ts';
import { kind, type Kubectl } from '../../kube/kubectl.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { recordKindCluster } from '../../safety/gc.ts';
import { loadImageCatalog } from '../../setup/image-catalog.ts';
import type { EnvironmentState, EnvironmentStore } from '../environment-state.ts';
import { accessObjects } from './access-objects.ts';
import { prometheusHostPort, renderClusterConfig, writeRegistryHosts } from './cluster-config.ts';
import { addonImage, ensureImageOnNode, ensureImagesOnNode, imageArchive, imageNodes, imagePresent } from './kind-images.ts';
import { installMonitoring, monitoringObjects, type MonitoringImages } from './monitoring-addon.ts';
import { readRuleFiles } from './monitoring-config.ts';
import { ingressClassesToServe, installIngressController } from './ingress-controller.ts';
import { ingressTlsNeeds, ingressTlsSecrets } from './ingress-tls.ts';
import { imagesMissingOnNodes } from './kind-reset.ts';
import { imagePlanTitle, planImages, type ImagePlan } from './manifest-images.ts';
import { installMetricsServer, renderManifests, secretObjects, toApplyList, waitReady } from './kind-workloads.ts';
import { addonNetworkPolicies, installNetworkPolicyAgent, missingAgentImage, NETWORK_POLICY_TABLE } from './network-policy-addon.ts';

/** What the steps need of the kind provider's options (KindProviderOptions extends it). */
export interface KindUpStepOptions {
  config: ProdlikeConfig;
  projectDir: string;
  /** Absolute path of the kustomize directory with the application's manifests. */
  manifestsDir: string;
  imageSource: 'online' | 'offline';
  nodeImage: string;
  /**
   * prodlike's own images, loaded besides those the rendered manifests name (manifest-images.ts): the app,
   * and offline the catalogue's data stores.
   */
  localImages: string[];
  bus?: EventBus;
  readyTimeoutMs?: number;
}

/**
 * The steps `up` (create) and `reset` of the kind provider are made of, each reported on the event bus
 * as a step: the cluster, the local images in the nodes, nodes Ready, add-ons, the rendered manifests,
 * namespaces and secrets, and the applied objects waited for. The provider decides their order and
 * which of them run at the same time; every kubectl call goes through the environment's `kubectl`
 * (its own kubeconfig and context).
 */
export class KindUpSteps {
  readonly #o: KindUpStepOptions;
  readonly #store: EnvironmentStore;
  readonly #kubectl: Kubectl;
  readonly #cluster: string;

  constructor(options: KindUpStepOptions, store: EnvironmentStore, kubectl: Kubectl, cluster: string) {
    this.#o = options;
    this.#store = store;
    this.#kubectl = kubectl;
    this.#cluster = cluster;
  }

  async step<T>(id: string, title: string, work: (progress: (m: string) => void) => Promise<T>): Promise<T> {
    return this.#o.bus ? this.#o.bus.step(id, title, work) : work(() => undefined);
  }

  /** A new cluster (127.0.0.1 only), recorded for `prodlike gc` and in the environment's state. */
  async createCluster(state: EnvironmentState, signal?: AbortSignal): Promise<void> {
    if (this.#o.imageSource === 'online' && !(await imagePresent(this.#o.nodeImage))) await this.pullNodeImage(signal);
    await this.step('kind:cluster', `Create kind cluster ${this.#cluster} (1 control plane + ${this.#o.config.kind.workers} workers)`, async (progress) => {
      const configFile = join(this.#store.dir, 'cluster.yaml');
      const registryHostsDir = await writeRegistryHosts(join(this.#store.dir, 'containerd-certs.d'), this.#o.config.kind.registryMirrors);
      await writeFile(configFile, await renderClusterConfig(this.#o.config, { nodeImage: this.#o.nodeImage, ingressController: true, ...(registryHostsDir ? { registryHostsDir } : {}) }));
      await kind(['create', 'cluster', '--name', this.#cluster, '--config', configFile, '--kubeconfig', this.#kubectl.kubeconfig, '--wait', '0s'], { timeoutMs: 10 * 60_000, onLine: progress, ...(signal ? { signal } : {}) });
      await recordKindCluster(this.#cluster, this.#o.projectDir, this.#o.config.name); // `prodlike gc` collects only its own project's clusters
      await this.#store.writeState(state);
    });
  }

  /**
   * Online, the node image is pulled by the host's Docker engine (its registry-mirrors apply) as a step of its own
   * with the layers counted, instead of inside `kind create cluster`, which says nothing for the minutes a first
   * pull of about 1 GB takes.
   */
  async pullNodeImage(signal?: AbortSignal): Promise<void> {
    await this.step('kind:node-image', `Pull the kind node image ${this.#o.nodeImage} (about 1 GB, once per machine)`, async (progress) => {
      const layers = new Set<string>();
      const done = new Set<string>();
      await run('docker', ['pull', this.#o.nodeImage], {
        timeoutMs: 30 * 60_000,
        ...(signal ? { signal } : {}),
        onLine: (line) => {
          const m = /^([0-9a-f]{12}): (.+)$/.exec(line.trim());
          if (!m) return;
          layers.add(m[1]!);
          if (/Pull complete|Already exists/.test(m[2]!)) done.add(m[1]!);
          progress(`${done.size}/${layers.size} layers`);
        },
      });
    });
  }

  /**
   * The images of the rendered manifests and prodlike's own: those in the local engine are loaded, the nodes
   * pull the rest online; an absent image they could not pull is IMAGE_MISSING (before anything is created).
   */
  async planImages(rendered: readonly KubeObject[]): Promise<ImagePlan> {
    const { localPrefix } = await loadImageCatalog();
    return planImages({ rendered, own: this.#o.localImages, imageSource: this.#o.imageSource, prodlikePrefix: localPrefix });
  }

  /** Loads the planned images into the worker nodes; on an existing cluster only those a node lacks (by image ID). */
  async loadImages(plan: ImagePlan, existed: boolean, signal?: AbortSignal): Promise<void> {
    await this.step('kind:images', imagePlanTitle(plan), async (progress) => {
      const wanted = plan.load.map((i) => i.image);
      if (!wanted.length) return;
      const nodes = await imageNodes(this.#cluster);
      const images = existed ? await imagesMissingOnNodes(nodes, wanted) : wanted;
      if (!images.length) {
        progress(`all ${wanted.length} already in the nodes`);
        return;
      }
      const archive = await imageArchive(images, progress, signal);
      await kind(['load', 'image-archive', '--name', this.#cluster, '--nodes', nodes.join(','), archive], { timeoutMs: 15 * 60_000, onLine: progress, ...(signal ? { signal } : {}) });
    });
  }

  async nodesReady(signal?: AbortSignal): Promise<void> {
    const expected = 1 + this.#o.config.kind.workers;
    await this.step('kind:nodes', 'Nodes Ready', async (progress) => {
      // `wait nodes --all` only covers the nodes registered so far: a worker that has not joined yet (a
      // loaded host) would pass here and fail later as "0/1 nodes available". Every node must register first.
      await waitFor(async () => {
        const n = (await this.#kubectl.json<{ items: unknown[] }>(['get', 'nodes'])).items.length;
        progress(`${n}/${expected} nodes registered`);
        return n >= expected ? n : undefined;
      }, { timeoutMs: 180_000, intervalMs: 1000, description: `all ${expected} nodes (1 control plane + ${expected - 1} workers) to register with the API server`, ...(signal ? { signal } : {}) });
      await this.#kubectl.run(['wait', '--for=condition=Ready', 'nodes', '--all', '--timeout=180s'], { timeoutMs: 200_000, ...(signal ? { signal } : {}) });
    });
  }

  /**
   * metrics-server, and the ingress controller (ingress-controller.ts) when the rendered manifests have Ingresses,
   * side by side, each its own step.
   */
  async addons(rendered: readonly KubeObject[]): Promise<void> {
    const classes = ingressClassesToServe(rendered);
    await Promise.all([
      this.step('kind:addons', 'Add-ons: metrics-server', async () => {
        await installMetricsServer(this.#kubectl, await addonImage('metrics-server', this.#o.imageSource));
      }),
      ...(classes.length ? [this.step('kind:ingress', `Add-on: ingress controller (Traefik, Ingress NGINX provider) for IngressClass ${classes.join(', ')}`, async (progress) => {
        const image = await addonImage('traefik', this.#o.imageSource);
        if (this.#o.imageSource === 'offline') await ensureImageOnNode(`${this.#cluster}-control-plane`, image, this.#cluster, progress);
        await installIngressController(this.#kubectl, { image, classes, progress });
      })] : []),
    ]);
  }

  /**
   * The network-policy add-on (network-policy-addon.ts, `networkPolicies.enforce`): kube-network-policies on every node,
   * ready and its nftables table programmed before the application is applied, so no application pod ever runs
   * unenforced. Offline its image is preloaded by a node image built with it (else loaded into the nodes here).
   */
  async networkPolicies(signal?: AbortSignal): Promise<void> {
    if (!this.#o.config.networkPolicies.enforce) return;
    await this.step('kind:network-policy', 'Add-on: NetworkPolicy enforcement (kube-network-policies on every node)', async (progress) => {
      const image = (await loadImageCatalog()).kindAddons?.['kube-network-policies']?.[this.#o.imageSource];
      if (!image) throw missingAgentImage();
      const nodes = (await this.#kubectl.json<{ items: KubeObject[] }>(['get', 'nodes'])).items.map((n) => n.metadata.name);
      if (this.#o.imageSource === 'offline') for (const node of nodes) await ensureImageOnNode(node, image, this.#cluster, progress);
      const nftTable = async (node: string) => (await run('docker', ['exec', node, 'nft', 'list', 'table', 'inet', NETWORK_POLICY_TABLE], { allowFailure: true, timeoutMs: 15_000 })).exitCode === 0;
      await installNetworkPolicyAgent(this.#kubectl, { image, nodes, nftTable, progress, ...(signal ? { signal } : {}) });
    });
  }

  /**
   * The monitoring add-on (monitoring-addon.ts), once the environment's credentials exist: offline its images go to the
   * control plane first (kube-state-metrics is preloaded by a node image built with it).
   */
  async monitoring(): Promise<void> {
    const { config } = this.#o;
    if (!config.monitoring.enabled) return;
    await this.step('kind:monitoring', `Add-on: monitoring (Prometheus, PostgreSQL/Redis exporters, kube-state-metrics) on 127.0.0.1:${prometheusHostPort(config)}`, async (progress) => {
      const catalog = await loadImageCatalog();
      const pick = (name: string) => {
        const entry = catalog.images[name] ?? catalog.kindAddons?.[name];
        if (!entry) throw new ProdlikeError('CONFIG_INVALID', `The image catalogue (fixtures/images/images.yaml) has no ${name} entry: the monitoring add-on has no image.`);
        return entry[this.#o.imageSource];
      };
      const images: MonitoringImages = { prometheus: pick('prometheus'), postgresExporter: pick('postgres-exporter'), redisExporter: pick('redis-exporter'), kubeStateMetrics: pick('kube-state-metrics') };
      if (this.#o.imageSource === 'offline') await ensureImagesOnNode(`${this.#cluster}-control-plane`, Object.values(images), this.#cluster, progress);
      const rules = await readRuleFiles(config, this.#o.projectDir);
      const nodes = (await this.#kubectl.json<{ items: KubeObject[] }>(['get', 'nodes'])).items.map((n) => n.metadata.name);
      await installMonitoring(this.#kubectl, monitoringObjects(config, { images, secrets: await this.#store.secrets(), rules, nodes }), progress);
    });
  }

  async render(): Promise<KubeObject[]> {
    return this.step('kind:render', 'Render manifests (kustomize)', async () => renderManifests({ kubectlBin: this.#kubectl.bin, stateDir: this.#store.dir, manifestsDir: this.#o.manifestsDir, imageSource: this.#o.imageSource }));
  }

  async namespacesAndSecrets(rendered: KubeObject[]): Promise<void> {
    await this.step('kind:namespaces', 'Namespaces and secrets', async () => {
      const { namespaces, secrets } = await this.namespaceAndSecretObjects(rendered);
      await this.#kubectl.apply(toApplyList(namespaces));
      if (secrets.length) await this.#kubectl.apply(toApplyList(secrets));
    });
  }

  /** The manifests' Namespaces, and the environment's Secrets with the TLS Secrets the Ingresses name and the manifests do not hold (a self-signed certificate for their hosts). */
  async namespaceAndSecretObjects(rendered: KubeObject[]): Promise<{ namespaces: KubeObject[]; secrets: object[] }> {
    const secrets = secretObjects(rendered, await this.#store.secrets(), this.#o.config);
    secrets.push(...(await ingressTlsSecrets(ingressTlsNeeds(rendered), this.#store.dir)));
    return { namespaces: rendered.filter((o) => o.kind === 'Namespace'), secrets };
  }

  /**
   * The rendered manifests and prodlike's host-access objects (access-objects.ts), once the manifests' namespaces
   * exist. `leading` (a reset's Namespaces and Secrets) go first in the same server-side apply, before any
   * workload that reads them: one kubectl call instead of three on the reset's critical path.
   */
  async applyAndWait(rendered: KubeObject[], existed: boolean, signal?: AbortSignal, leading: readonly object[] = []): Promise<void> {
    const objects = await this.apply(rendered, existed, leading);
    await this.ready(objects, signal);
  }

  /** The apply of applyAndWait; returns the objects applied (the rendered ones with prodlike's access objects and policies). */
  async apply(rendered: KubeObject[], existed: boolean, leading: readonly object[] = []): Promise<KubeObject[]> {
    const objects = [...rendered, ...accessObjects(this.#o.config, rendered), ...addonNetworkPolicies(this.#o.config, rendered)];
    await this.step('kind:apply', `Apply ${objects.length + leading.length} objects (server-side apply)`, async () => {
      // A Job's template is immutable: a re-run replaces the manifests' Jobs (the bucket Job) instead of failing on them.
      if (existed) {
        for (const job of objects.filter((o) => o.kind === 'Job')) await this.#kubectl.run(['-n', job.metadata.namespace ?? 'default', 'delete', 'job', job.metadata.name, '--ignore-not-found', '--wait=true'], { allowFailure: true });
      }
      await this.#kubectl.apply(toApplyList([...leading, ...objects.filter((o) => o.kind !== 'Namespace')]));
    });
    return objects;
  }

  /** The wait of applyAndWait: every Deployment, StatefulSet and Job of `objects` ready. */
  async ready(objects: KubeObject[], signal?: AbortSignal): Promise<void> {
    await this.step('kind:ready', 'Workloads ready', async (progress) => waitReady(this.#kubectl, objects, { progress, signal, timeoutMs: this.#o.readyTimeoutMs ?? 10 * 60_000 }));
  }
}
