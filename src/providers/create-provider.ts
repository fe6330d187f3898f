import { resolveFrom, type LoadedConfig } from '../config/load-config.ts';
import type { ProdlikeConfig, ProviderName, WorkloadRole } from '../config/schema.ts';
import { ConfigError } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';
import { imageFor, loadImageCatalog } from '../setup/image-catalog.ts';
import { resolveImageSource } from '../setup/image-source.ts';
import Docker from 'dockerode';
import { DockerProvider, LABELS } from './docker/docker-provider.ts';
import type { TopologyImages } from './docker/topology.ts';
import { EnvironmentStore } from './environment-state.ts';
import { KindProvider } from './kind/kind-provider.ts';
import { ClusterProvider } from './cluster/cluster-provider.ts';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Provider } from './provider.ts';

export interface ProviderContext {
  loaded: LoadedConfig;
  bus?: EventBus;
  /**
   * The explicit ownership override (`--i-know-this-is-not-a-prodlike-cluster`): the providers' guard
   * records refusals as warnings (journal, report) instead of throwing OWNERSHIP_REFUSED.
   */
  allowForeignTarget?: boolean;
}

/** The images the topology runs, from the one catalogue, for the resolved image source. */
export async function topologyImages(source: 'online' | 'offline'): Promise<TopologyImages> {
  const catalog = await loadImageCatalog();
  return {
    postgres: imageFor(catalog, 'postgres', source),
    redis: imageFor(catalog, 'redis', source),
    minio: imageFor(catalog, 'minio', source),
    nginx: imageFor(catalog, 'nginx', source),
    app: catalog.app.backend,
    frontend: catalog.app.frontend,
  };
}

const IMAGE_OF_ROLE: Record<WorkloadRole, keyof TopologyImages> = { backend: 'app', worker: 'app', frontend: 'frontend', postgres: 'postgres', redis: 'redis', minio: 'minio' };

/**
 * docker: the roles a `build:` entry names run the image it builds (`up --build`); backend and worker
 * share one image (the topology runs `node dist/backend.js` / `dist/worker.js` in it), so two different
 * images for them are a config error. kind: the manifests name the images.
 */
export function withBuildImages(images: TopologyImages, build: ProdlikeConfig['build']): TopologyImages {
  const out = { ...images };
  const setBy = new Map<keyof TopologyImages, string>();
  for (const entry of build ?? []) {
    for (const role of entry.roles ?? ['backend', 'worker']) {
      const key = IMAGE_OF_ROLE[role];
      const other = setBy.get(key);
      if (other && other !== entry.image) {
        throw new ConfigError(`build: ${role} runs ${entry.image} but another entry gives ${other} to a role that shares its image (${key}).`, { hint: 'On docker, backend and worker run one image: name both roles in one build entry.' });
      }
      setBy.set(key, entry.image);
      out[key] = entry.image;
    }
  }
  return out;
}

/**
 * The provider for the configured environment. An environment that is already up keeps the provider
 * and image source it was created with (recorded in its state file); a new one resolves `imageSource` once.
 */
export async function createProvider(ctx: ProviderContext, explicit?: ProviderName): Promise<Provider> {
  const { config } = ctx.loaded;
  const store = new EnvironmentStore(ctx.loaded.baseDir, config.name);
  const state = await store.readState();
  // An environment that is up is driven by the provider that created it, unless --provider says otherwise.
  const name = explicit ?? state?.provider ?? ((await hasDockerResources(config.name)) ? 'docker' : config.provider);
  const source = state?.imageSource ?? (await resolveImageSource(config.imageSource)).source;
  if (name === 'docker') {
    return new DockerProvider({ config, images: withBuildImages(await topologyImages(source), config.build), projectDir: ctx.loaded.baseDir, imageSource: source, ...(ctx.bus ? { bus: ctx.bus } : {}), ...(ctx.allowForeignTarget ? { allowForeignTarget: true } : {}) });
  }
  if (name === 'cluster') {
    if (!config.cluster) throw new ConfigError('provider: cluster needs `cluster: { context: <kube context> }`: prodlike never uses the current kube context.', { hint: 'Add cluster: { context: <name>, kubeconfig: <file> } to prodlike.yaml (`prodlike schema` lists the keys).' });
    return new ClusterProvider({
      config,
      projectDir: ctx.loaded.baseDir,
      manifestsDir: resolveFrom(ctx.loaded, config.manifests),
      kubeconfig: clusterKubeconfig(ctx.loaded, config.cluster.kubeconfig),
      imageSource: source,
      ...(ctx.bus ? { bus: ctx.bus } : {}),
      ...(ctx.allowForeignTarget ? { allowForeignTarget: true } : {}),
    });
  }
  const catalog = await loadImageCatalog();
  const images = await topologyImages(source);
  // prodlike's own images, loaded besides the images the rendered manifests use (kind/manifest-images.ts).
  const localImages = source === 'offline' ? [images.app, images.frontend, images.postgres, images.redis, images.minio] : [images.app, images.frontend];
  return new KindProvider({
    config,
    projectDir: ctx.loaded.baseDir,
    manifestsDir: resolveFrom(ctx.loaded, config.manifests),
    imageSource: source,
    nodeImage: config.kind.nodeImage ?? catalog.kindNode[source],
    localImages,
    ...(ctx.bus ? { bus: ctx.bus } : {}),
    ...(ctx.allowForeignTarget ? { allowForeignTarget: true } : {}),
  });
}

/**
 * The kubeconfig of provider: cluster: `cluster.kubeconfig` (relative to prodlike.yaml), else the first file of
 * $KUBECONFIG, else ~/.kube/config. Only the file is chosen here; its current-context is never used.
 */
export function clusterKubeconfig(loaded: LoadedConfig, configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (configured) return resolveFrom(loaded, configured.replace(/^~(?=\/)/, homedir()));
  const fromEnv = env.KUBECONFIG?.split(delimiter).find(Boolean);
  return fromEnv ?? join(homedir(), '.kube', 'config');
}

/** Labelled containers of this environment exist (e.g. its state file was deleted by hand). */
async function hasDockerResources(envName: string): Promise<boolean> {
  try {
    const found = await new Docker().listContainers({ all: true, limit: 1, filters: { label: [`${LABELS.env}=${envName}`] } });
    return found.length > 0;
  } catch {
    return false;
  }
}
