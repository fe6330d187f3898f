import { resolveFrom, type LoadedConfig } from '../config/load-config.ts';
import type { ProviderName } from '../config/schema.ts';
import type { EventBus } from '../core/events.ts';
import { imageFor, loadImageCatalog } from '../setup/image-catalog.ts';
import { resolveImageSource } from '../setup/image-source.ts';
import Docker from 'dockerode';
import { DockerProvider, LABELS } from './docker/docker-provider.ts';
import type { TopologyImages } from './docker/topology.ts';
import { EnvironmentStore } from './environment-state.ts';
import { KindProvider } from './kind/kind-provider.ts';
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
    return new DockerProvider({ config, images: await topologyImages(source), projectDir: ctx.loaded.baseDir, imageSource: source, ...(ctx.bus ? { bus: ctx.bus } : {}), ...(ctx.allowForeignTarget ? { allowForeignTarget: true } : {}) });
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

/** Labelled containers of this environment exist (e.g. its state file was deleted by hand). */
async function hasDockerResources(envName: string): Promise<boolean> {
  try {
    const found = await new Docker().listContainers({ all: true, limit: 1, filters: { label: [`${LABELS.env}=${envName}`] } });
    return found.length > 0;
  } catch {
    return false;
  }
}
