import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ProdlikeError } from '../../core/errors.ts';
import { run } from '../../core/exec.ts';
import { cacheDir } from '../../core/paths.ts';
import { kind } from '../../kube/kubectl.ts';
import { loadImageCatalog } from '../../setup/image-catalog.ts';

/** Images for a kind cluster: the node image offline, the cached archive `kind load` reads, the nodes that get them. */

/** The nodes pods run on: the workers (the control plane keeps its NoSchedule taint), or the control plane alone. */
export async function imageNodes(cluster: string): Promise<string[]> {
  const all = (await kind(['get', 'nodes', '--name', cluster], { timeoutMs: 30_000 })).stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const workers = all.filter((n) => !n.endsWith('-control-plane'));
  return workers.length ? workers : all;
}

/**
 * The local images as one `docker save` archive, cached by image IDs in the prodlike cache: `kind load
 * docker-image` saves them again on every run (about 13 s for 0.7 GB here); the next `up` with the
 * same images loads the cached archive. Only the newest archive is kept.
 */
export async function imageArchive(localImages: readonly string[], progress: (m: string) => void, signal?: AbortSignal): Promise<string> {
  const ids = await Promise.all(localImages.map(async (image) => (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { timeoutMs: 30_000 })).stdout.trim()));
  const key = createHash('sha256').update(localImages.map((image, i) => `${image}@${ids[i]}`).join('\n')).digest('hex').slice(0, 20);
  const dir = join(cacheDir(), 'kind-images');
  const archive = join(dir, `${key}.tar`);
  if (existsSync(archive)) {
    progress(`cached archive ${archive}`);
    return archive;
  }
  await mkdir(dir, { recursive: true });
  const partial = `${archive}.${process.pid}.partial`;
  progress(`docker save ${localImages.length} images`);
  try {
    await run('docker', ['save', '-o', partial, ...localImages], { timeoutMs: 10 * 60_000, ...(signal ? { signal } : {}) });
    await rename(partial, archive);
  } finally {
    await rm(partial, { force: true });
  }
  for (const file of await readdir(dir)) if (file.endsWith('.tar') && join(dir, file) !== archive) await rm(join(dir, file), { force: true });
  return archive;
}

/** The image is in the local Docker engine. */
export async function imagePresent(image: string): Promise<boolean> {
  const r = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { allowFailure: true, timeoutMs: 30_000 }).catch(() => undefined);
  return Boolean(r && r.exitCode === 0);
}

/**
 * Offline, the node image is built on this host: IMAGE_MISSING when it is absent. (The images of the
 * manifests and prodlike's own are checked once the manifests are rendered: manifest-images.ts.)
 */
export async function assertNodeImage(options: { imageSource: 'online' | 'offline'; nodeImage: string }): Promise<void> {
  if (options.imageSource !== 'offline' || (await imagePresent(options.nodeImage))) return;
  throw new ProdlikeError('IMAGE_MISSING', `The kind node image ${options.nodeImage} is not present (imageSource offline: it is built on this host).`, { hint: 'Run `npx prodlike setup --kind` (builds the node image and the images offline).', details: { missing: [options.nodeImage] } });
}

/** The image of a kind add-on (the catalogue's kindAddons.<name>) for the image source: offline it is preloaded in the node image. */
export async function addonImage(name: string, imageSource: 'online' | 'offline'): Promise<string> {
  const entry = (await loadImageCatalog()).kindAddons?.[name];
  if (!entry) throw new ProdlikeError('CONFIG_INVALID', `The image catalogue (fixtures/images/images.yaml) has no kindAddons.${name} entry: that add-on has no image.`, { hint: `Restore the kindAddons.${name} entry (its online and offline images).` });
  return entry[imageSource];
}

/**
 * Offline, an add-on's image must be in the node's containerd (a node image built before the add-on was added lacks
 * it): loaded from the local Docker engine when there, else IMAGE_MISSING (nothing can be pulled).
 */
export async function ensureImageOnNode(node: string, image: string, cluster: string, progress: (m: string) => void): Promise<void> {
  const listed = await run('docker', ['exec', node, 'crictl', 'images', '-o', 'json'], { allowFailure: true, timeoutMs: 30_000 });
  const tags = listed.exitCode === 0 ? ((JSON.parse(listed.stdout) as { images?: { repoTags?: string[] }[] }).images ?? []).flatMap((i) => i.repoTags ?? []) : [];
  if (tags.includes(image) || tags.includes(`docker.io/library/${image}`)) return;
  if (!(await imagePresent(image))) {
    throw new ProdlikeError('IMAGE_MISSING', `${image} is neither in node ${node} (the node image predates it) nor in the local Docker engine (imageSource offline: nothing is pulled).`, { hint: 'Run `npx prodlike setup --kind` (builds it and a node image that preloads it), then `npx prodlike down` and `up` for a node image with it.', details: { missing: [image] } });
  }
  progress(`${image} is not in the node image: kind load docker-image into ${node}`);
  await kind(['load', 'docker-image', '--name', cluster, '--nodes', node, image], { timeoutMs: 5 * 60_000 });
}

/**
 * Offline, images a node must hold for an add-on that are not in it yet (the node image does not preload them, or
 * predates them): loaded from the local Docker engine in one `kind load`, else IMAGE_MISSING. Returns those loaded.
 */
export async function ensureImagesOnNode(node: string, images: readonly string[], cluster: string, progress: (m: string) => void): Promise<string[]> {
  const listed = await run('docker', ['exec', node, 'crictl', 'images', '-o', 'json'], { allowFailure: true, timeoutMs: 30_000 });
  const tags = listed.exitCode === 0 ? ((JSON.parse(listed.stdout) as { images?: { repoTags?: string[] }[] }).images ?? []).flatMap((i) => i.repoTags ?? []) : [];
  const missing = images.filter((image) => !tags.includes(image) && !tags.includes(`docker.io/library/${image}`));
  if (!missing.length) return [];
  const absent = (await Promise.all(missing.map(async (image) => ((await imagePresent(image)) ? undefined : image)))).filter((i): i is string => Boolean(i));
  if (absent.length) {
    throw new ProdlikeError('IMAGE_MISSING', `${absent.join(', ')}: neither in node ${node} nor in the local Docker engine (imageSource offline: nothing is pulled).`, { hint: 'Run `npx prodlike setup` (and `setup --kind` for the node image\'s add-ons).', details: { missing: absent } });
  }
  progress(`kind load docker-image into ${node}: ${missing.join(', ')}`);
  await kind(['load', 'docker-image', '--name', cluster, '--nodes', node, ...missing], { timeoutMs: 5 * 60_000 });
  return missing;
}
