import { parseAllDocuments } from 'yaml';
import { ProdlikeError } from '../../core/errors.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { imagePresent } from './kind-images.ts';

/**
 * The images a kind cluster needs, from the rendered manifests (the same render that is applied, with the
 * image mapping of imageSource): every container and initContainer image of every workload (Deployment,
 * StatefulSet, DaemonSet, ReplicaSet, Job, CronJob's jobTemplate, Pod) and of the workloads ConfigMaps hold
 * as YAML for a program to create at run time (document 000's execution Job template), plus prodlike's own
 * images. (src/check/model.ts reads the same templates for `prodlike check`; the layers keep providers from
 * importing it, so the few lines that find pod specs are here.)
 *
 * Each image present in the local Docker engine is loaded into the nodes. An absent one is an error before
 * anything is created when the nodes could not pull it: offline (no registry), or online when the image
 * looks local (looksLocal). Otherwise the nodes pull it.
 */

export interface ClusterImage {
  image: string;
  /** The manifest objects that use it ("Deployment <namespace>/<name>"); empty for one of prodlike's own only. */
  users: string[];
  /** One of prodlike's own images (not named by the manifests). */
  own: boolean;
}

export interface ImagePlan {
  /** Present in the local engine: loaded into the nodes. */
  load: ClusterImage[];
  /** Absent locally, pulled by the nodes (online only). */
  pulled: ClusterImage[];
}

type Json = Record<string, unknown>;
const rec = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const WORKLOAD = /^\s*kind:\s*(Job|CronJob|Pod|Deployment|StatefulSet|DaemonSet|ReplicaSet)\s*$/m;

/** The pod spec of a workload object (undefined for other kinds). */
function podSpecOf(o: Json): Json | undefined {
  const spec = rec(o.spec);
  switch (o.kind) {
    case 'Pod':
      return spec;
    case 'CronJob':
      return rec(rec(rec(rec(spec.jobTemplate).spec).template).spec);
    case 'Deployment': case 'StatefulSet': case 'DaemonSet': case 'ReplicaSet': case 'Job':
      return rec(rec(spec.template).spec);
    default:
      return undefined;
  }
}

function imagesOf(podSpec: Json): string[] {
  return [...list(podSpec.initContainers), ...list(podSpec.containers)].map((c) => rec(c).image).filter((i): i is string => typeof i === 'string' && i.length > 0);
}

const nameOf = (o: Json): string => {
  const meta = rec(o.metadata);
  return `${typeof meta.namespace === 'string' ? `${meta.namespace}/` : ''}${String(meta.name ?? meta.generateName ?? '(unnamed)')}`;
};

/**
 * Workloads a ConfigMap value holds as YAML: placeholders ({{ID}}, ${ID}) are blanked so the text parses;
 * an image that was itself a placeholder is left out (nothing to load before the program fills it in).
 */
function heldImages(cm: Json): { image: string; user: string }[] {
  const out: { image: string; user: string }[] = [];
  for (const [key, value] of Object.entries(rec(cm.data))) {
    if (typeof value !== 'string' || !WORKLOAD.test(value)) continue;
    const placeholder = /\{\{[^}]*\}\}|\$\{[^}]*\}/g;
    const docs = parseAllDocuments(value.replace(placeholder, '__placeholder__'));
    for (const doc of Array.isArray(docs) ? docs : []) {
      if (doc.errors.length) continue;
      const o = rec(doc.toJS());
      const spec = podSpecOf(o);
      if (!spec) continue;
      for (const image of imagesOf(spec).filter((i) => !i.includes('__placeholder__'))) {
        out.push({ image, user: `${String(o.kind)} template in ConfigMap ${nameOf(cm)} (key ${key})` });
      }
    }
  }
  return out;
}

/** The images of the rendered manifests (with their users) followed by prodlike's own images the manifests do not name. */
export function clusterImages(rendered: readonly KubeObject[], own: readonly string[]): ClusterImage[] {
  const users = new Map<string, string[]>();
  const use = (image: string, user: string) => {
    const known = users.get(image) ?? [];
    if (!known.includes(user)) known.push(user);
    users.set(image, known);
  };
  for (const object of rendered) {
    const o = rec(object);
    if (o.kind === 'ConfigMap') for (const h of heldImages(o)) use(h.image, h.user);
    const spec = podSpecOf(o);
    if (spec) for (const image of imagesOf(spec)) use(image, `${String(o.kind)} ${nameOf(o)}`);
  }
  const fromManifests = [...users].map(([image, u]) => ({ image, users: u, own: false }));
  return [...fromManifests, ...own.filter((image) => !users.has(image)).map((image) => ({ image, users: [], own: true }))];
}

/**
 * An image a kind node cannot pull from anywhere: its registry host is a local name (`localhost[:port]`,
 * `*.local`, `*.localhost` — prodlike's `prodlike.local/…`), or it starts with `prodlikePrefix`. Docker Hub
 * images without a registry host (`postgres:15`, `grafana/k6:1.8.1`) are pullable: calling a namespaced one
 * local would refuse public images such as `bitnami/redis`; a team image that was never pushed fails at the
 * pull instead, with the pod's reason.
 */
export function looksLocal(image: string, prodlikePrefix = 'prodlike.local'): boolean {
  if (image.startsWith(`${prodlikePrefix}/`)) return true;
  const slash = image.indexOf('/');
  if (slash < 0) return false;
  const first = image.slice(0, slash);
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  return isHost && /^(localhost|.+\.local|.+\.localhost)(:\d+)?$/.test(first);
}

/** IMAGE_MISSING naming each image, the objects that use it, and how to get it into the local engine. */
export function missingImagesError(missing: readonly ClusterImage[], imageSource: 'online' | 'offline', prodlikePrefix = 'prodlike.local'): ProdlikeError {
  const why = imageSource === 'offline' ? 'imageSource is offline: the nodes pull nothing' : 'they name no registry the nodes can pull from';
  const lines = missing.map((m) => `  ${m.image}: ${m.users.length ? `used by ${m.users.join(', ')}` : "prodlike's own image"}`);
  const ours = missing.filter((m) => m.own || m.image.startsWith(`${prodlikePrefix}/`)).map((m) => m.image);
  const team = missing.filter((m) => !ours.includes(m.image)).map((m) => m.image);
  const hint = [
    ...(ours.length ? [`\`npx prodlike setup\` builds prodlike's images (${ours.join(', ')}).`] : []),
    ...(team.length ? [`Build or pull your own image${team.length > 1 ? 's' : ''} into the local Docker engine first (\`docker build -t ${team[0]} …\` or \`docker pull ${team[0]}\`).`] : []),
    'Then run `prodlike up` again.',
  ].join(' ');
  return new ProdlikeError('IMAGE_MISSING', `${missing.length} image${missing.length > 1 ? 's' : ''} the kind cluster needs ${missing.length > 1 ? 'are' : 'is'} not in the local Docker engine (${why}):\n${lines.join('\n')}`, {
    hint,
    details: { missing: missing.map((m) => ({ image: m.image, usedBy: m.users, own: m.own })), imageSource },
  });
}

/**
 * Which of the cluster's images are loaded and which the nodes pull; throws IMAGE_MISSING (before anything
 * is created) for an absent image the nodes could not pull.
 */
export async function planImages(options: {
  rendered: readonly KubeObject[]; own: readonly string[]; imageSource: 'online' | 'offline'; prodlikePrefix?: string; present?: (image: string) => Promise<boolean>;
}): Promise<ImagePlan> {
  const images = clusterImages(options.rendered, options.own);
  const present = await Promise.all(images.map((i) => (options.present ?? imagePresent)(i.image)));
  const absent = images.filter((_, i) => !present[i]);
  const missing = absent.filter((i) => options.imageSource === 'offline' || looksLocal(i.image, options.prodlikePrefix));
  if (missing.length) throw missingImagesError(missing, options.imageSource, options.prodlikePrefix);
  return { load: images.filter((_, i) => present[i]), pulled: absent };
}

/** The title of the load step: how many images and where they come from. */
export function imagePlanTitle(plan: ImagePlan): string {
  const fromManifests = plan.load.filter((i) => !i.own).length;
  const own = plan.load.length - fromManifests;
  const pulled = plan.pulled.length ? `; ${plan.pulled.length} not present locally, pulled by the nodes` : '';
  return `Load ${plan.load.length} images into the worker nodes (${fromManifests} from the manifests, ${own} of prodlike's own)${pulled}`;
}
