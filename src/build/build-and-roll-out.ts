import type { LoadedConfig } from '../config/load-config.ts';
import type { WorkloadRole } from '../config/schema.ts';
import type { EventBus } from '../core/events.ts';
import { cacheDir } from '../core/paths.ts';
import { ProdlikeError } from '../core/errors.ts';
import { canKubernetes, canRollOut, type Provider } from '../providers/provider.ts';
import { run } from '../core/exec.ts';
import { ensureDevRegistry } from '../providers/kind/dev-registry.ts';
import { imageFor, loadImageCatalog, type ResolvedSource } from '../setup/image-catalog.ts';
import { environmentImageSource } from './environment-image-source.ts';
import { buildImages, resolveBuilds, type BuiltImage } from './image-build.ts';
import { registryNodeImages, rollOutOnKind, type NodeImages } from './kind-roll-out.ts';
import type { BuildRollout } from './phase-table.ts';

/** Step 1 of `up --build`: the images of `build:` (or the reference app) that changed. */
export async function buildConfiguredImages(options: { loaded: LoadedConfig; source: ResolvedSource; bus: EventBus; signal?: AbortSignal }): Promise<BuiltImage[]> {
  const catalog = await loadImageCatalog();
  return buildImages(resolveBuilds(options.loaded, catalog), { catalog, source: options.source, cache: cacheDir(), bus: options.bus, signal: options.signal });
}

/**
 * Step 2, once the environment is up: docker re-creates the replicas of the built images' roles that run an
 * older image (a cached image too: setup may have built it after they started); kind loads each built image
 * into the nodes and restarts its roles' workloads (kind-roll-out.ts).
 */
export async function rollOutBuilt(options: { provider: Provider; loaded: LoadedConfig; built: BuiltImage[]; bus: EventBus; startedAt: number; signal?: AbortSignal; surge?: boolean }): Promise<BuildRollout> {
  const { provider, built, bus } = options;
  const roles = [...new Set(built.flatMap((b) => b.roles))] as WorkloadRole[];
  const rolled = await bus.step('rollout', `Roll out ${roles.join(', ')}`, async (progress) => {
    if (canRollOut(provider)) return provider.rollOut(roles, { progress, ...(options.signal ? { signal: options.signal } : {}) });
    if (canKubernetes(provider)) {
      const images = built.some((b) => b.status === 'built') ? await devRegistryImages(provider.cluster, options.loaded, progress) : undefined;
      return rollOutOnKind(provider, options.loaded.config, built, { progress, surge: options.surge === true, ...(images ? { images } : {}) });
    }
    throw new ProdlikeError('USAGE', `The ${provider.name} provider cannot roll out rebuilt images.`, { hint: 'Run `prodlike up --build` on the docker or kind provider.' });
  });
  return { built, rolled, totalMs: performance.now() - options.startedAt };
}

/**
 * The kind nodes' images through the environment's dev registry (providers/kind/dev-registry.ts), or undefined for
 * the whole-image stream when the registry's image is not there (offline: `prodlike setup` builds it), said once.
 */
async function devRegistryImages(cluster: string, loaded: LoadedConfig, progress: (line: string) => void): Promise<NodeImages | undefined> {
  const source = await environmentImageSource(loaded);
  const image = imageFor(await loadImageCatalog(), 'registry', source);
  if (source === 'offline' && (await run('docker', ['image', 'inspect', image], { allowFailure: true, timeoutMs: 30_000 })).exitCode !== 0) {
    progress(`${image} is not built (\`prodlike setup\` builds it): streaming whole images into the nodes instead of new layers only`);
    return undefined;
  }
  const registry = await ensureDevRegistry({ env: loaded.config.name, image, network: 'kind', progress });
  return registryNodeImages(cluster, registry);
}
