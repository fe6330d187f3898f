import { resolveWorkload, type ProdlikeConfig, type WorkloadRole } from '../config/schema.ts';
import { ProdlikeError } from '../core/errors.ts';
import { run } from '../core/exec.ts';
import type { DevRegistry } from '../providers/kind/dev-registry.ts';
import { imageNodes } from '../providers/kind/kind-images.ts';
import type { SupportsKubernetes } from '../providers/provider.ts';
import type { BuiltImage } from './image-build.ts';
import { pushAndPullToNodes } from './registry-to-nodes.ts';
import { streamImagesToNodes } from './stream-to-nodes.ts';

export interface KindRolledWorkload {
  role: WorkloadRole;
  workload: string;
  namespace: string;
  /** The per-build tag the workload now runs. */
  image: string;
  loadMs: number;
  /** `kubectl set image` (the rolling update starts). */
  restartMs: number;
  /** From the new image set until `kubectl rollout status` saw every replica updated and ready. */
  readyMs: number;
}

/** How the built images reach the nodes (replaceable in unit tests). */
export interface NodeImages {
  /** The nodes new pods can be scheduled on. */
  nodes(): Promise<string[]>;
  tag(source: string, target: string): Promise<void>;
  /** Loads the images into the nodes (all at once: one archive, every node in parallel). */
  load(images: readonly string[], nodes: readonly string[], progress?: (line: string) => void): Promise<void>;
  /** Removes the local engine's earlier dev tags of the image (every build adds one), keeping `keep`. */
  forget(image: string, keep: string): Promise<void>;
}

/**
 * The per-build tag: the configured tag plus `-dev.` and the image ID's first 12 hex digits. A new tag per
 * build makes the pod template change (a rolling update) and keeps the kubelet from starting a container
 * from the image it already has under the old tag.
 */
export function devTag(image: string, id: string): string {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const [repo, tag] = colon > slash ? [image.slice(0, colon), image.slice(colon + 1)] : [image, 'latest'];
  return `${repo}:${tag.replace(/-dev\.[0-9a-f]{12}$/, '')}-dev.${id.replace(/^sha256:/, '').slice(0, 12)}`;
}

/** An image reference a container of the workload runs that is the built image (its configured tag or an earlier dev tag). */
export function runsImage(containerImage: string, image: string): boolean {
  const bare = (ref: string) => ref.replace(/^docker\.io\/library\//, '');
  const c = bare(containerImage);
  const i = bare(image);
  const tagged = i.slice(i.lastIndexOf('/')).includes(':') ? i : `${i}:latest`;
  return c === i || c === tagged || c.startsWith(`${tagged}-dev.`);
}

export const kindNodeImages = (cluster: string): NodeImages => ({
  nodes: () => imageNodes(cluster),
  tag: async (source, target) => {
    await run('docker', ['tag', source, target], { timeoutMs: 30_000 });
  },
  load: (images, nodes, progress) => streamImagesToNodes(images, nodes, progress),
  forget: async (image, keep) => {
    const listed = await run('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], { timeoutMs: 30_000 });
    const old = listed.stdout.split('\n').map((l) => l.trim()).filter((ref) => ref !== keep && ref !== image && runsImage(ref, image));
    if (old.length) await run('docker', ['image', 'rm', ...old], { allowFailure: true, timeoutMs: 60_000 });
  },
});

/** As kindNodeImages, but the images reach the nodes through the environment's dev registry: only new layers move. */
export const registryNodeImages = (cluster: string, registry: DevRegistry): NodeImages => ({
  ...kindNodeImages(cluster),
  load: (images, nodes, progress) => pushAndPullToNodes(images, nodes, registry, progress),
});

interface PodSpecLike { containers?: { name: string; image: string }[]; initContainers?: { name: string; image: string }[] }

/**
 * `up --build` and `prodlike dev` on kind: each image that was built is tagged per build (devTag), loaded
 * under that tag and its configured one into the nodes pods can run on (the workers; one `docker save`
 * streamed into every node's `ctr import` at once: stream-to-nodes.ts), then
 * every workload of its roles gets the new tag on the containers that ran the image (`kubectl set image`:
 * the manifests' own rolling update, probes and grace periods) and all are waited on together with
 * `kubectl rollout status`. The configured tag on the nodes follows the new build too, so a later apply of
 * the manifests or a Job from a template runs the same code. Cached images are not touched.
 */
export async function rollOutOnKind(
  target: Pick<SupportsKubernetes, 'kubectl' | 'cluster'>,
  config: ProdlikeConfig,
  built: readonly BuiltImage[],
  options: { timeoutMs?: number; progress?: (line: string) => void; images?: NodeImages; surge?: boolean } = {},
): Promise<KindRolledWorkload[]> {
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const images = options.images ?? kindNodeImages(target.cluster);
  const fresh = built.filter((b) => b.status === 'built');
  if (!fresh.length) return [];
  const nodes = await images.nodes();
  const out: KindRolledWorkload[] = [];
  for (const image of fresh) {
    const tag = devTag(image.image, image.id);
    const loadStarted = performance.now();
    await images.tag(image.image, tag);
    options.progress?.(`load ${tag} into ${nodes.join(', ')}`);
    await images.load([tag, image.image], nodes, options.progress);
    const loadMs = performance.now() - loadStarted;
    const workloads = image.roles.map((role) => resolveWorkload(config, role)).filter((w) => w.enabled);
    const rolled = await Promise.all(workloads.map(async (w) => {
      const setStarted = performance.now();
      const object = await target.kubectl.json<{ kind?: string; spec?: { template?: { spec?: PodSpecLike }; jobTemplate?: unknown; strategy?: { type?: string; rollingUpdate?: { maxSurge?: string | number } } } }>(['get', w.workload, '-n', w.namespace, '-o', 'json'], { timeoutMs: 60_000 });
      const pod = object.spec?.template?.spec ?? {};
      const names = [...(pod.initContainers ?? []), ...(pod.containers ?? [])].filter((c) => runsImage(c.image, image.image)).map((c) => c.name);
      if (!names.length) {
        const running = [...(pod.containers ?? [])].map((c) => c.image).join(', ') || 'no containers';
        throw new ProdlikeError('USAGE', `${w.namespace}/${w.workload} (role ${w.role}) runs ${running}, not the built ${image.image}: nothing to roll out.`, {
          hint: `build[].image must be the image the manifests give the role's containers, or build[].roles must not name ${w.role}.`,
          details: { workload: w.workload, namespace: w.namespace, image: image.image },
        });
      }
      // --surge: every replica replaced at once (maxSurge 100% for this roll-out only; not in the pod template, so
      // restoring the manifests' value afterwards starts no second roll-out).
      const surge = options.surge === true && object.kind === 'Deployment' && object.spec?.strategy?.type !== 'Recreate';
      const patchSurge = (value: string | number | null) => target.kubectl.run(['patch', w.workload, '-n', w.namespace, '--type', 'merge', '-p', JSON.stringify({ spec: { strategy: { rollingUpdate: { maxSurge: value } } } })], { timeoutMs: 60_000 });
      if (surge) await patchSurge('100%');
      let set = performance.now();
      try {
        await target.kubectl.run(['set', 'image', w.workload, '-n', w.namespace, ...names.map((n) => `${n}=${tag}`)], { timeoutMs: 60_000 });
        set = performance.now();
        await target.kubectl.run(['rollout', 'status', w.workload, '-n', w.namespace, `--timeout=${Math.ceil(timeoutMs / 1000)}s`], {
          timeoutMs: timeoutMs + 15_000,
          ...(options.progress ? { onLine: (line: string) => options.progress?.(`${w.namespace}/${w.workload}: ${line}`) } : {}),
        });
      } finally {
        if (surge) await patchSurge(object.spec?.strategy?.rollingUpdate?.maxSurge ?? null);
      }
      return { role: w.role, workload: w.workload, namespace: w.namespace, image: tag, loadMs: 0, restartMs: set - setStarted, readyMs: performance.now() - set } satisfies KindRolledWorkload;
    }));
    if (rolled[0]) rolled[0].loadMs = loadMs; // counted once per image
    out.push(...rolled);
    await images.forget(image.image, tag).catch(() => undefined); // the nodes' kubelets collect their unused images themselves
  }
  return out;
}
