import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { validateYamlText } from '../config/validate-yaml.ts';

const pinned = z.string().regex(/^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)$/, 'an image reference pinned by tag').refine((s) => !s.endsWith(':latest'), 'never `latest`');

export const imageCatalogSchema = z.strictObject({
  localPrefix: z.string().min(1),
  images: z.record(z.string(), z.strictObject({ online: pinned, offline: pinned, build: z.string().min(1) })),
  app: z.strictObject({ backend: pinned, frontend: pinned, build: z.string().min(1) }),
  kindNode: z.strictObject({ online: pinned, offline: pinned, build: z.string().min(1) }),
  // Add-ons of the kind provider whose offline image the node image build makes and preloads (traefik: the ingress controller).
  kindAddons: z.record(z.string(), z.strictObject({ online: pinned, offline: pinned, build: z.string().min(1) })).optional(),
});
export type ImageCatalog = z.output<typeof imageCatalogSchema>;
export type ResolvedSource = 'online' | 'offline';

export const IMAGE_CATALOG_FILE = join(PACKAGE_ROOT, 'fixtures', 'images', 'images.yaml');

export async function loadImageCatalog(file = IMAGE_CATALOG_FILE): Promise<ImageCatalog> {
  return validateYamlText(await readFile(file, 'utf8'), file, imageCatalogSchema, 'Image catalogue');
}

export function imageFor(catalog: ImageCatalog, name: string, source: ResolvedSource): string {
  const entry = catalog.images[name];
  if (!entry) throw new ConfigError(`No image "${name}" in the image catalogue.`, { hint: `Known: ${Object.keys(catalog.images).join(', ')}` });
  return entry[source];
}

/** Splits `repo/name:tag` into kustomize's `name` and `newTag` parts. */
export function splitImage(ref: string): { name: string; tag: string } {
  const at = ref.lastIndexOf(':');
  return { name: ref.slice(0, at), tag: ref.slice(at + 1) };
}

export interface KustomizeImage {
  name: string;
  newName: string;
  newTag: string;
}

/**
 * The kustomize `images:` mapping that turns the manifests' official images into the locally built
 * ones. Online, the mapping is empty: the manifests already name the official images.
 */
export function kustomizeImages(catalog: ImageCatalog, source: ResolvedSource): KustomizeImage[] {
  if (source === 'online') return [];
  return Object.values(catalog.images).map((entry) => {
    const from = splitImage(entry.online);
    const to = splitImage(entry.offline);
    return { name: from.name, newName: to.name, newTag: to.tag };
  });
}
