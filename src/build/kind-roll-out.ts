import { resolveWorkload, type ProdlikeConfig, type WorkloadRole } from '../config/schema.ts';
import type { SupportsKubernetes } from '../providers/provider.ts';
import type { BuiltImage } from './image-build.ts';

export interface KindRolledWorkload {
  role: WorkloadRole;
  workload: string;
  namespace: string;
  image: string;
  loadMs: number;
  restartMs: number;
  readyMs: number;
}

/**
 * `up --build` on kind (not run live yet): each image that was built is loaded into the nodes with the
 * provider's image loading (`kind load docker-image`), then the workloads of its roles are restarted
 * (`kubectl rollout restart`, so the pods pick up the new image under the same tag; the manifests' pull
 * policy must not be Always) and waited on with `kubectl rollout status`. Cached images are not touched.
 */
export async function rollOutOnKind(
  target: Pick<SupportsKubernetes, 'kubectl' | 'loadImage'>,
  config: ProdlikeConfig,
  built: readonly BuiltImage[],
  options: { timeoutMs?: number; progress?: (line: string) => void } = {},
): Promise<KindRolledWorkload[]> {
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const out: KindRolledWorkload[] = [];
  for (const image of built.filter((b) => b.status === 'built')) {
    const loadStarted = performance.now();
    options.progress?.(`kind load docker-image ${image.image}`);
    await target.loadImage(image.image, options.progress ? { onLine: options.progress } : {});
    let loadMs = performance.now() - loadStarted;
    for (const role of image.roles) {
      const w = resolveWorkload(config, role);
      if (!w.enabled) continue;
      const restartStarted = performance.now();
      await target.kubectl.run(['rollout', 'restart', w.workload, '-n', w.namespace], { timeoutMs: 60_000 });
      const restarted = performance.now();
      await target.kubectl.run(['rollout', 'status', w.workload, '-n', w.namespace, `--timeout=${Math.ceil(timeoutMs / 1000)}s`], { timeoutMs: timeoutMs + 15_000 });
      out.push({ role, workload: w.workload, namespace: w.namespace, image: image.image, loadMs, restartMs: restarted - restartStarted, readyMs: performance.now() - restarted });
      loadMs = 0; // counted once per image
    }
  }
  return out;
}
