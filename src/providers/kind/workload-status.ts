import type { ProdlikeConfig } from '../../config/schema.ts';
import { resolveWorkloads } from '../../config/schema.ts';
import type { Kubectl } from '../../kube/kubectl.ts';
import type { KubeList, KubeObject, PodObject } from '../../kube/objects.ts';
import type { ServiceStatus } from '../provider.ts';
import { accessHostPort } from './cluster-config.ts';
import { replicaStatus } from './cluster-views.ts';
import { pausedContainers, withPauseState } from './kind-pause.ts';

/**
 * Each configured workload's replicas (every role's primary, then the data stores' additional ones) as `status` shows them: its object's desired count and its pods
 * (found by the role's namespace and selector, never by our manifests' names) with their health. A frozen
 * container (pause) is invisible to the API server, so with `checkPaused` the pods' nodes are asked for
 * their task states (`ctr task ls`, ~0.4 s): the caller asks only when something may be paused.
 */
export async function workloadStatus(kubectl: Kubectl, config: ProdlikeConfig, options: { checkPaused: boolean }): Promise<{ services: ServiceStatus[]; healthy: boolean }> {
  const read = await Promise.all(resolveWorkloads(config).filter((x) => x.enabled).map(async (w) => {
    const [kindName, name] = w.workload.split('/') as [string, string];
    const obj = await kubectl.json<KubeObject>(['-n', w.namespace, 'get', kindName, name]).catch(() => undefined);
    const pods = await kubectl.json<KubeList<PodObject>>(['-n', w.namespace, 'get', 'pods', '-l', Object.entries(w.selector).map(([k, v]) => `${k}=${v}`).join(',')]).catch(() => ({ items: [] as PodObject[] }));
    return { w, obj, pods: pods.items };
  }));
  const paused = options.checkPaused ? await pausedContainers(read.flatMap((r) => r.pods.map((p) => p.spec?.nodeName ?? '').filter(Boolean))) : { paused: new Set<string>(), unreadable: new Map<string, string>() };
  const services = read.map(({ w, obj, pods }): ServiceStatus => {
    const replicas = pods.map((p) => withPauseState(replicaStatus(p), p, paused));
    const desired = typeof obj?.spec?.replicas === 'number' ? obj.spec.replicas : replicas.length;
    // Host access is the primary's (probes, sentinels, `connect`); an additional workload is reached in the cluster.
    const hostPort = w.instance ? undefined : accessHostPort(config, w.role);
    return { role: w.role, ...(w.instance ? { instance: w.instance } : {}), desired, replicas, endpoint: hostPort === undefined ? undefined : `127.0.0.1:${hostPort}` };
  });
  const healthy = services.length > 0 && services.every((s) => s.replicas.filter((r) => r.health === 'healthy').length >= s.desired && s.desired > 0);
  return { services, healthy };
}
