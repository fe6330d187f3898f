import { ApisApi, AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { waitFor } from '../../core/wait.ts';
import type { Kubectl } from '../../kube/kubectl.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { run } from '../../core/exec.ts';

/**
 * A reset brings a kind environment back to its freshly deployed state without creating the cluster
 * again: the application's namespaces (and prodlike's own, such as the load namespace) are emptied —
 * every pod, Job, restore pod, PVC with its data and runtime object a scenario left — and the manifests
 * are applied again by the provider. The cluster, its nodes, the loaded images and the add-ons stay.
 */

/** Namespaces of the cluster itself: never emptied by a reset (objects the manifests put there are re-applied, not removed). */
export const CLUSTER_NAMESPACES: ReadonlySet<string> = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'local-path-storage']);

/** The namespaces a reset empties: those the rendered manifests create or put objects in, plus prodlike's own, minus the cluster's. */
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

/** Controllers: deleted first, orphaning their pods, so that none re-creates a pod the reset deletes. */
const CONTROLLERS = 'deployments.apps,statefulsets.apps,replicasets.apps,daemonsets.apps,jobs.batch,cronjobs.batch';
/** Kept: what the cluster maintains by itself in every namespace, and events (history, not state). */
const MAINTAINED = new Set(['events', 'events.events.k8s.io', 'endpoints', 'endpointslices.discovery.k8s.io', 'serviceaccounts', 'pods', ...CONTROLLERS.split(',')]);

/**
 * The API calls emptying a namespace needs, in-process (one HTTP request each, no kubectl process): a
 * collection delete is one request where `kubectl delete --all` lists and deletes object by object.
 */
export interface NamespaceApi {
  /** The names of the namespaces that exist. */
  namespaces(): Promise<string[]>;
  /**
   * Deletes every controller of CONTROLLERS in `namespace`, owners before what they own, orphaning their pods:
   * the garbage collector's graceful deletion (30 s) would race the reset's own deletion of the pods.
   */
  deleteControllers(namespace: string): Promise<void>;
  /** Deletes every pod in `namespace` without its grace period. */
  deletePods(namespace: string): Promise<void>;
  /**
   * Deletes every object of `types` (`plural` or `plural.group`, as `kubectl api-resources -o name` names them) in
   * `namespace`, one collection delete per type, except the PersistentVolumeClaims named in `keepClaims`; returns
   * the types it has no call for (left to kubectl).
   */
  deleteTypes(namespace: string, types: readonly string[], keepClaims?: readonly string[]): Promise<string[]>;
  /**
   * What is left in `namespace` that the re-apply must not meet: `Kind/name` of its pods, PVCs (a claim of
   * `keepClaims` only while it is being deleted) and controllers.
   */
  left(namespace: string, keepClaims?: readonly string[]): Promise<string[]>;
}

/** The field selector that leaves the kept claims out of a collection delete: `metadata.name!=<claim>`, all of them. */
const allBut = (keep: readonly string[]): string => keep.map((n) => `metadata.name!=${n}`).join(',');

/** NamespaceApi through the Kubernetes API client (@kubernetes/client-node) with the environment's kubeconfig and context. */
export function namespaceApi(kubeConfig: KubeConfig): NamespaceApi {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);
  const except = (keep: readonly string[]) => (keep.length ? { fieldSelector: allBut(keep) } : {});
  const core1: Record<string, (namespace: string, keep: readonly string[]) => Promise<unknown>> = {
    configmaps: (namespace) => core.deleteCollectionNamespacedConfigMap({ namespace }),
    secrets: (namespace) => core.deleteCollectionNamespacedSecret({ namespace }),
    services: (namespace) => core.deleteCollectionNamespacedService({ namespace }),
    persistentvolumeclaims: (namespace, keep) => core.deleteCollectionNamespacedPersistentVolumeClaim({ namespace, ...except(keep) }),
    resourcequotas: (namespace) => core.deleteCollectionNamespacedResourceQuota({ namespace }),
    limitranges: (namespace) => core.deleteCollectionNamespacedLimitRange({ namespace }),
    podtemplates: (namespace) => core.deleteCollectionNamespacedPodTemplate({ namespace }),
    replicationcontrollers: (namespace) => core.deleteCollectionNamespacedReplicationController({ namespace }),
  };
  // The preferred version of every API group (one discovery request, the first time a grouped type is deleted).
  let versions: Promise<Map<string, string>> | undefined;
  const versionOf = async (group: string) => {
    versions ??= kubeConfig.makeApiClient(ApisApi).getAPIVersions().then((l) => new Map(l.groups.map((g) => [g.name, g.preferredVersion?.version ?? g.versions[0]?.version ?? ''])));
    return (await versions).get(group);
  };
  const names = (kind: string, list: { items: { metadata?: { name?: string } }[] }) => list.items.map((o) => `${kind}/${o.metadata?.name ?? '?'}`);
  return {
    namespaces: async () => (await core.listNamespace()).items.map((n) => n.metadata?.name ?? ''),
    deleteControllers: async (namespace) => {
      const orphan = { namespace, propagationPolicy: 'Orphan' };
      // Owners first: a Deployment (CronJob) still alive would re-create the ReplicaSet (Job) deleted before it.
      await Promise.all([apps.deleteCollectionNamespacedDeployment(orphan), apps.deleteCollectionNamespacedStatefulSet(orphan), apps.deleteCollectionNamespacedDaemonSet(orphan), batch.deleteCollectionNamespacedCronJob(orphan)]);
      await Promise.all([apps.deleteCollectionNamespacedReplicaSet(orphan), batch.deleteCollectionNamespacedJob(orphan)]);
    },
    deletePods: async (namespace) => {
      await core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 });
    },
    deleteTypes: async (namespace, types, keepClaims = []) => {
      const unhandled: string[] = [];
      await Promise.all(types.map(async (type) => {
        const dot = type.indexOf('.');
        try {
          if (dot < 0) {
            const remove = core1[type];
            if (remove) await remove(namespace, keepClaims);
            else unhandled.push(type);
            return;
          }
          const group = type.slice(dot + 1);
          const version = await versionOf(group);
          if (version) await custom.deleteCollectionNamespacedCustomObject({ group, version, namespace, plural: type.slice(0, dot) });
          else unhandled.push(type);
        } catch {
          unhandled.push(type); // kubectl tries again, and fails loudly if it cannot
        }
      }));
      return unhandled.sort();
    },
    left: async (namespace, keepClaims = []) => (await Promise.all([
      core.listNamespacedPod({ namespace }).then((l) => names('Pod', l)),
      core.listNamespacedPersistentVolumeClaim({ namespace }).then((l) => names('PersistentVolumeClaim', { items: l.items.filter((c) => !keepClaims.includes(c.metadata?.name ?? '') || c.metadata?.deletionTimestamp) })),
      apps.listNamespacedDeployment({ namespace }).then((l) => names('Deployment', l)),
      apps.listNamespacedStatefulSet({ namespace }).then((l) => names('StatefulSet', l)),
      apps.listNamespacedReplicaSet({ namespace }).then((l) => names('ReplicaSet', l)),
      apps.listNamespacedDaemonSet({ namespace }).then((l) => names('DaemonSet', l)),
      batch.listNamespacedJob({ namespace }).then((l) => names('Job', l)),
      batch.listNamespacedCronJob({ namespace }).then((l) => names('CronJob', l)),
    ])).flat(),
  };
}

/** The namespaced types a reset deletes besides controllers and pods (`kubectl api-resources`: every deletable namespaced type, CRDs' too, minus MAINTAINED). */
export async function deletableTypes(kubectl: Kubectl): Promise<string[]> {
  return (await kubectl.run(['api-resources', '--namespaced=true', '--verbs=list,delete', '-o', 'name'], { timeoutMs: 60_000 })).stdout
    .split('\n').map((t) => t.trim()).filter((t) => t && !MAINTAINED.has(t));
}

/**
 * Empties the namespaces of `namespaces` that exist, keeping the Namespace objects: controllers first
 * (orphaning their pods), pods without their grace period (a reset does not keep what they were doing,
 * and 30 s of graceful termination would dominate it), then every other namespaced object — PVCs and
 * their data, Services, ConfigMaps, Secrets, policies, restore pods' leftovers — and waits until no pod,
 * no PVC and no controller is left (a re-apply must not patch an object on its way out). Faster than
 * deleting the namespaces (measured here: 7-10 s against 20-21 s): the namespace controller re-checks a
 * terminating namespace with back-off, and nothing can be created in it until it is gone.
 *
 * Every type goes with one collection delete per namespace, all namespaces and types at once, in this process
 * (`kubectl delete --all` deleted object after object, ~0.4 s per pod here, and reached the PVCs 4 s in):
 * controllers first, then pods and the other types (their list comes from discovery, fetched meanwhile; a
 * type without a call here is left to one `kubectl delete` per namespace). A PVC's data goes with its volume: the local-path provisioner removes the
 * released volume's directory, and the re-applied PVC gets a new volume (a new directory), so the reset
 * does not wait for that removal. The claims of `keepClaims` (`namespace/name`, kind-reset-volumes.ts) stay:
 * the caller gives their volumes new empty directories once this returns (no pod uses them any more).
 */
export async function emptyNamespaces(kubectl: Kubectl, namespaces: readonly string[], options: { progress?: (m: string) => void; signal?: AbortSignal; timeoutMs?: number; api?: NamespaceApi; intervalMs?: number; keepClaims?: readonly string[] } = {}): Promise<string[]> {
  const api = options.api ?? namespaceApi(kubectl.kubeConfig());
  const types = deletableTypes(kubectl);
  types.catch(() => undefined); // awaited below; a failure is reported there, not as an unhandled rejection
  const existing = (await api.namespaces()).filter((n) => namespaces.includes(n));
  if (!existing.length) return [];
  const keep = (ns: string) => (options.keepClaims ?? []).filter((c) => c.startsWith(`${ns}/`)).map((c) => c.slice(ns.length + 1));
  await Promise.all(existing.map(async (ns) => {
    await api.deleteControllers(ns);
    await Promise.all([
      api.deletePods(ns),
      types.then(async (t) => {
        const rest = await api.deleteTypes(ns, t, keep(ns));
        // Kept claims: the claims go with their own call, one that names the kept ones out.
        const claims = keep(ns).length && rest.includes('persistentvolumeclaims');
        const others = claims ? rest.filter((r) => r !== 'persistentvolumeclaims') : rest;
        if (others.length) await kubectl.run(['-n', ns, 'delete', others.join(','), '--all', '--wait=false'], { timeoutMs: 60_000 });
        if (claims) await kubectl.run(['-n', ns, 'delete', 'persistentvolumeclaims', '--field-selector', allBut(keep(ns)), '--wait=false'], { timeoutMs: 60_000 });
      }),
    ]);
  }));
  await waitFor(async () => {
    const left = await Promise.all(existing.map(async (ns) => {
      const items = await api.left(ns, keep(ns));
      // A pod a controller created before it saw its own deletion: deleted again.
      if (items.some((i) => i.startsWith('Pod/'))) await api.deletePods(ns);
      return items.map((i) => `${ns}/${i}`);
    }));
    const flat = left.flat();
    if (!flat.length) return true;
    options.progress?.(`waiting for ${flat.length} object(s) to go: ${flat.slice(0, 3).join(', ')}${flat.length > 3 ? ', …' : ''}`);
    return undefined;
  }, { timeoutMs: options.timeoutMs ?? 5 * 60_000, intervalMs: options.intervalMs ?? 250, description: `namespaces ${existing.join(', ')} to be emptied`, hint: 'A finalizer may hold an object: `kubectl get <kind> <name> -o yaml` names it.', ...(options.signal ? { signal: options.signal } : {}) });
  return existing;
}
