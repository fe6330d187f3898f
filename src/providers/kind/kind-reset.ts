import { waitFor } from '../../core/wait.ts';
import type { Kubectl } from '../../kube/kubectl.ts';
import type { KubeList, KubeObject } from '../../kube/objects.ts';
import { run } from '../../core/exec.ts';

/**
 * A reset brings a kind environment back to its freshly deployed state without creating the cluster
 * again: the application's namespaces (and prodlike's own, such as the load namespace) are deleted —
 * with them every pod, Job, restore pod, PVC and runtime object a scenario left — and the manifests are
 * applied again by the provider. The cluster, its nodes, the loaded images and the add-ons stay.
 */

/** Namespaces of the cluster itself: never deleted by a reset (objects the manifests put there are re-applied, not removed). */
export const CLUSTER_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

/** The namespaces a reset deletes: those the rendered manifests create or put objects in, plus prodlike's own, minus the cluster's. */
export function resetNamespaces(objects: readonly KubeObject[], own: readonly string[] = []): { remove: string[]; kept: string[] } {
  const names = new Set<string>(own);
  for (const o of objects) {
    if (o.kind === 'Namespace') names.add(o.metadata.name);
    else if (o.metadata.namespace) names.add(o.metadata.namespace);
  }
  const all = [...names].sort();
  return { remove: all.filter((n) => !CLUSTER_NAMESPACES.has(n)), kept: all.filter((n) => CLUSTER_NAMESPACES.has(n)) };
}

/**
 * Deletes the namespaces that exist of `namespaces` and waits until they are gone. A reset does not keep
 * what the pods were doing, so their graceful termination (30 s by default, which would dominate the
 * reset) is cut: pods of the terminating namespaces are force-deleted until none is left.
 */
export async function deleteNamespaces(kubectl: Kubectl, namespaces: readonly string[], options: { progress?: (m: string) => void; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<string[]> {
  const present = async () => {
    const list = await kubectl.json<KubeList<KubeObject>>(['get', 'namespaces'], { timeoutMs: 30_000 });
    return list.items.map((n) => n.metadata.name).filter((n) => namespaces.includes(n));
  };
  const existing = await present();
  if (!existing.length) return [];
  // Controllers first (orphaning their pods, so none is re-created), then the pods without their grace
  // period: the namespace controller then finds little to wait for.
  await Promise.all(existing.map(async (ns) => {
    await kubectl.run(['-n', ns, 'delete', 'deployments,statefulsets,replicasets,daemonsets,jobs,cronjobs', '--all', '--cascade=orphan', '--wait=false'], { allowFailure: true, timeoutMs: 60_000 });
    await kubectl.run(['-n', ns, 'delete', 'pods', '--all', '--grace-period=0', '--force', '--wait=false'], { allowFailure: true, timeoutMs: 60_000 });
  }));
  await kubectl.run(['delete', 'namespace', ...existing, '--wait=false'], { timeoutMs: 60_000 });
  await waitFor(async () => {
    const left = await present();
    if (!left.length) return true;
    options.progress?.(`deleting namespace(s) ${left.join(', ')}`);
    await Promise.all(left.map((ns) => kubectl.run(['-n', ns, 'delete', 'pods', '--all', '--grace-period=0', '--force', '--wait=false'], { allowFailure: true, timeoutMs: 60_000 })));
    return undefined;
  }, { timeoutMs: options.timeoutMs ?? 5 * 60_000, intervalMs: 1000, description: `namespaces ${existing.join(', ')} to be deleted`, hint: 'A finalizer may hold one: `kubectl get namespace <name> -o yaml` names it.', ...(options.signal ? { signal: options.signal } : {}) });
  return existing;
}

/**
 * The images of `images` that some node lacks (compared by image ID, as `kind load` does): a new `up` or
 * a reset on an existing cluster loads only those, instead of the whole archive again.
 */
export async function imagesMissingOnNodes(nodes: readonly string[], images: readonly string[]): Promise<string[]> {
  const ids = await Promise.all(images.map(async (image) => (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { timeoutMs: 30_000 })).stdout.trim()));
  const onNodes = await Promise.all(nodes.map(async (node) => {
    const r = await run('docker', ['exec', node, 'crictl', 'images', '-o', 'json'], { allowFailure: true, timeoutMs: 30_000 });
    if (r.exitCode !== 0) return new Set<string>();
    return new Set(((JSON.parse(r.stdout) as { images?: { id: string }[] }).images ?? []).map((i) => i.id));
  }));
  return images.filter((_, i) => onNodes.some((set) => !set.has(ids[i] ?? '')));
}
