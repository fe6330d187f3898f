/** Images: unpinned tags, pulls in a local cluster, and the archived MinIO upstream. */
import { obj } from '../components.ts';
import type { CheckContext, FindingObject, Rule } from '../finding.ts';
import { type Container, type Workload } from '../model.ts';

export interface ImageRef {
  repository: string;
  tag?: string;
  digest?: string;
}

export function parseImage(image: string): ImageRef {
  const [nameTag, digest] = image.split('@') as [string, string | undefined];
  const slash = nameTag.lastIndexOf('/');
  const colon = nameTag.lastIndexOf(':');
  const hasTag = colon > slash;
  return { repository: hasTag ? nameTag.slice(0, colon) : nameTag, ...(hasTag ? { tag: nameTag.slice(colon + 1) } : {}), ...(digest ? { digest } : {}) };
}

function allContainers(w: Workload): Container[] {
  return [...w.template.initContainers, ...w.template.containers];
}

/** Applied workloads and the workloads ConfigMaps hold for a program to create (document 000's Job template). */
function everyWorkload(ctx: CheckContext): Workload[] {
  return [...ctx.manifests.workloads, ...ctx.manifests.templatedWorkloads];
}

function describe(w: Workload): string {
  return w.heldIn
    ? `${w.kind} template ${w.name} held in ConfigMap ${w.heldIn.configMap.namespace}/${w.heldIn.configMap.name} (key ${w.heldIn.key})`
    : `${w.kind} ${w.namespace}/${w.name}`;
}

function objectOf(ctx: CheckContext, w: Workload): FindingObject {
  return obj(ctx, w.heldIn ? w.heldIn.configMap : w);
}

/** Groups (workload, container) pairs by a key so that one cause is reported once. */
function grouped<T>(items: T[], key: (t: T) => string): T[][] {
  const map = new Map<string, T[]>();
  for (const i of items) map.set(key(i), [...(map.get(key(i)) ?? []), i]);
  return [...map.values()];
}

export const unpinnedImageRule: Rule = {
  id: 'image-unpinned',
  title: 'Image with the latest tag or no tag',
  severity: 'warning',
  description: 'An image without a tag (or with :latest) and no digest changes under the same manifest: two nodes may run '
    + 'different code, a restart may pull a new version, and the default pull policy becomes Always. Workloads held as '
    + 'templates in ConfigMaps (Jobs a program creates) are checked too. One finding per image.',
  run(ctx) {
    const uses = everyWorkload(ctx).flatMap((w) => allContainers(w).filter((c) => c.image).map((c) => ({ w, c, ref: parseImage(c.image!) })))
      .filter((u) => !u.ref.digest && (!u.ref.tag || u.ref.tag === 'latest'));
    return grouped(uses, (u) => u.c.image!).map((group) => {
      const image = group[0]!.c.image!;
      const tagged = group[0]!.ref.tag !== undefined;
      return {
        ruleId: this.id,
        severity: 'warning' as const,
        message: `Image "${image}" ${tagged ? 'uses the latest tag' : 'has no tag (means latest)'} in ${group.map((u) => `${describe(u.w)}, container ${u.c.name}`).join('; ')}: what runs is whatever the registry serves at pull time.`,
        hint: 'Pin a version tag (or a digest), as fixtures/images/images.yaml does for every image; in a Job template held in a ConfigMap, pin it there too.',
        objects: [...new Map(group.map((u) => [describe(u.w), objectOf(ctx, u.w)])).values()],
        targets: [],
        details: { image, containers: group.map((u) => ({ workload: describe(u.w), container: u.c.name })) },
      };
    });
  },
};

export const pullAlwaysRule: Rule = {
  id: 'image-pull-always-local',
  title: 'imagePullPolicy Always in a local cluster',
  severity: 'warning',
  description: 'Only when checking for the local (kind) cluster: images are loaded into the nodes (`kind load`), not pulled; '
    + 'imagePullPolicy Always (set, or defaulted for :latest/untagged images) makes every pod start contact a registry, which '
    + 'fails offline (ErrImagePull). One finding per image.',
  run(ctx) {
    if (!ctx.options.localCluster) return [];
    const uses = everyWorkload(ctx).flatMap((w) => allContainers(w).filter((c) => c.image).map((c) => {
      const ref = parseImage(c.image!);
      return { w, c, defaulted: c.imagePullPolicy === undefined && !ref.digest && (!ref.tag || ref.tag === 'latest') };
    })).filter((u) => u.c.imagePullPolicy === 'Always' || u.defaulted);
    return grouped(uses, (u) => u.c.image!).map((group) => {
      const u0 = group[0]!;
      return {
        ruleId: this.id,
        severity: 'warning' as const,
        message: `imagePullPolicy ${u0.c.imagePullPolicy ?? 'Always (the default for an untagged/latest image)'} for "${u0.c.image}" in ${group.map((u) => `${describe(u.w)}, container ${u.c.name}`).join('; ')}: in the local cluster every start tries the registry, and fails with ErrImagePull when it is unreachable.`,
        hint: 'Use imagePullPolicy: IfNotPresent with a pinned tag (the kind overlay patches it), and load the image with `kind load docker-image`.',
        objects: [...new Map(group.map((u) => [describe(u.w), objectOf(ctx, u.w)])).values()],
        targets: [],
        details: { image: u0.c.image, imagePullPolicy: u0.c.imagePullPolicy ?? null, defaulted: u0.defaulted, containers: group.map((u) => ({ workload: describe(u.w), container: u.c.name })) },
      };
    });
  },
};

/** minio/minio, quay.io/minio/minio, minio/mc, and locally built `…/minio` images. */
export function isMinioImage(image: string): boolean {
  const repo = parseImage(image).repository;
  return /(^|\/)minio\/(minio|mc)$/.test(repo) || /(^|\/)minio$/.test(repo);
}

export const minioArchivedRule: Rule = {
  id: 'object-store-minio-archived',
  title: 'MinIO is no longer maintained upstream',
  severity: 'info',
  description: 'MinIO\'s community server stopped publishing binaries and images in October 2025 and its repository was archived '
    + 'in 2026 (minio/minio#21647): no security fixes will come. Informational, with S3-compatible alternatives.',
  run(ctx) {
    const users = ctx.manifests.workloads.filter((w) => allContainers(w).some((c) => c.image && isMinioImage(c.image)));
    if (users.length === 0) return [];
    const images = [...new Set(users.flatMap((w) => allContainers(w).map((c) => c.image ?? '').filter((i) => i && isMinioImage(i))))];
    return [{
      ruleId: this.id,
      severity: 'info',
      message: `${users.map((w) => `${w.kind} ${w.namespace}/${w.name}`).join(', ')} run${users.length === 1 ? 's' : ''} MinIO (${images.join(', ')}). `
        + 'Upstream MinIO is source-only since RELEASE.2025-10-15 (no official binaries or images) and its repository is archived '
        + '(minio/minio#21647): no further releases or security fixes. It still works, but it is a dead end.',
      hint: 'Keep the object-store layer S3-neutral (endpoint, path-style, credentials) so it can move to SeaweedFS, Garage or Ceph RGW (all S3-compatible, maintained); prodlike builds MinIO from source offline meanwhile.',
      objects: users.map((w) => obj(ctx, w)),
      targets: [],
      details: { images, alternatives: ['SeaweedFS', 'Garage', 'Ceph RGW'] },
    }];
  },
};
