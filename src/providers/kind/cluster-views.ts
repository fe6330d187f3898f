import type { PodObject } from '../../kube/objects.ts';
import type { ClusterEvent, HpaStatus, NodeInfo, PvcStatus, ReplicaStats, ReplicaStatus } from '../provider.ts';

/**
 * Pure views over the JSON kubectl returns (nodes, events, HPAs, PVCs, metrics API) and the iptables
 * rules of a partition: unit-tested against recorded objects, used by the kind provider.
 */

interface Condition { type: string; status: string }
export interface NodeJson { metadata: { name: string; labels?: Record<string, string> }; status?: { conditions?: Condition[] } }

export function nodeInfo(node: NodeJson): NodeInfo {
  const labels = node.metadata.labels ?? {};
  return {
    name: node.metadata.name,
    role: 'node-role.kubernetes.io/control-plane' in labels ? 'control-plane' : 'worker',
    ready: node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
  };
}

/** A workload's pod as a replica of `status`: healthy when Ready, starting while Pending, else unhealthy; restarts of all its containers. */
export function replicaStatus(p: PodObject): ReplicaStatus {
  const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  return {
    id: p.metadata.uid ?? p.metadata.name, name: p.metadata.name,
    health: ready ? 'healthy' : p.status?.phase === 'Pending' ? 'starting' : 'unhealthy',
    state: p.status?.phase ?? 'Unknown',
    restarts: (p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
  };
}

export interface EventJson {
  metadata: { namespace?: string; creationTimestamp?: string };
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  regarding?: { kind?: string; name?: string; namespace?: string };
  type?: string;
  reason?: string;
  message?: string;
  note?: string;
  count?: number;
  series?: { count?: number; lastObservedTime?: string };
  lastTimestamp?: string | null;
  eventTime?: string | null;
  deprecatedLastTimestamp?: string | null;
}

export function clusterEvent(e: EventJson): ClusterEvent {
  const object = e.involvedObject ?? e.regarding ?? {};
  return {
    namespace: e.metadata.namespace ?? object.namespace ?? '',
    object: { kind: object.kind ?? '', name: object.name ?? '' },
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: (e.message ?? e.note ?? '').trim(),
    count: e.count ?? e.series?.count ?? 1,
    lastSeen: e.lastTimestamp ?? e.series?.lastObservedTime ?? e.eventTime ?? e.deprecatedLastTimestamp ?? e.metadata.creationTimestamp ?? '',
  };
}

/** Oldest first, as `kubectl get events --sort-by=.lastTimestamp` shows them. */
export function sortEvents(events: ClusterEvent[]): ClusterEvent[] {
  return [...events].sort((a, b) => a.lastSeen.localeCompare(b.lastSeen));
}

interface HpaMetricSpec { type: string; resource?: { name: string; target?: { type?: string; averageUtilization?: number } } }
interface HpaMetricStatus { type: string; resource?: { name: string; current?: { averageUtilization?: number } } }
export interface HpaJson {
  metadata: { name: string; namespace?: string };
  spec: { scaleTargetRef: { kind: string; name: string }; minReplicas?: number; maxReplicas: number; metrics?: HpaMetricSpec[] };
  status?: { currentReplicas?: number; desiredReplicas?: number; currentMetrics?: HpaMetricStatus[] | null };
}

export function hpaStatus(h: HpaJson): HpaStatus {
  const current = h.status?.currentMetrics ?? [];
  return {
    namespace: h.metadata.namespace ?? '',
    name: h.metadata.name,
    target: `${h.spec.scaleTargetRef.kind.toLowerCase()}/${h.spec.scaleTargetRef.name}`,
    replicas: { current: h.status?.currentReplicas ?? 0, desired: h.status?.desiredReplicas ?? 0, min: h.spec.minReplicas ?? 1, max: h.spec.maxReplicas },
    metrics: (h.spec.metrics ?? []).filter((m) => m.type === 'Resource' && m.resource).map((m) => {
      const name = m.resource!.name;
      return {
        resource: name,
        current: current.find((c) => c.type === 'Resource' && c.resource?.name === name)?.resource?.current?.averageUtilization,
        target: m.resource!.target?.averageUtilization,
      };
    }),
  };
}

export interface PvcJson { metadata: { name: string; namespace?: string }; spec?: { storageClassName?: string }; status?: { phase?: string; capacity?: { storage?: string } } }

export function pvcStatus(p: PvcJson): PvcStatus {
  return { namespace: p.metadata.namespace ?? '', name: p.metadata.name, phase: p.status?.phase ?? 'Pending', storageClass: p.spec?.storageClassName, capacity: p.status?.capacity?.storage };
}

/** Kubernetes quantities: `250m` CPU, `128Mi` memory, `123456n` nanocores, `1024Ki`. */
export function parseQuantity(q: string | undefined): number {
  if (!q) return 0;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return 0;
  const n = Number(m[1]);
  const unit = m[2] ?? '';
  const factors: Record<string, number> = {
    '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12,
    Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
  };
  return n * (factors[unit] ?? 1);
}

export interface PodMetricsJson { metadata: { name: string }; containers: { name: string; usage: { cpu?: string; memory?: string } }[] }
export interface PodSpecJson { metadata: { name: string }; spec?: { containers?: { resources?: { limits?: { memory?: string } } }[] } }

/**
 * metrics.k8s.io pod metrics as provider ReplicaStats: cpuPercent is percent of one core (as the docker
 * provider reports it), memory the working set; the limit is the sum of the pod's container limits.
 */
export function replicaStats(metrics: PodMetricsJson[], pods: PodSpecJson[]): ReplicaStats[] {
  const names = new Set(pods.map((p) => p.metadata.name));
  return metrics.filter((m) => names.has(m.metadata.name)).map((m) => {
    const pod = pods.find((p) => p.metadata.name === m.metadata.name);
    return {
      name: m.metadata.name,
      cpuPercent: m.containers.reduce((n, c) => n + parseQuantity(c.usage.cpu), 0) * 100,
      memoryBytes: m.containers.reduce((n, c) => n + parseQuantity(c.usage.memory), 0),
      memoryLimitBytes: (pod?.spec?.containers ?? []).reduce((n, c) => n + parseQuantity(c.resources?.limits?.memory), 0),
    };
  }).sort((a, b) => a.name.localeCompare(b.name));
}

/** The comment that marks a partition's iptables rules, so heal removes exactly those. */
export function partitionComment(env: string, role: string): string {
  return `prodlike-partition:${env}:${role}`;
}

/** Rule specs (without -A/-I/-D) that cut every packet to and from the pod IPs in FORWARD. */
export function partitionRules(podIps: string[], comment: string): string[][] {
  return podIps.flatMap((ip) => [
    ['FORWARD', '-s', `${ip}/32`, '-m', 'comment', '--comment', comment, '-j', 'DROP'],
    ['FORWARD', '-d', `${ip}/32`, '-m', 'comment', '--comment', comment, '-j', 'DROP'],
  ]);
}

/** The rules of `iptables -S FORWARD` that carry the comment, as argv for `iptables -D`. */
export function rulesToDelete(listing: string, comment: string): string[][] {
  return listing.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('-A ') && (l.includes(`"${comment}"`) || l.includes(` ${comment} `) || l.endsWith(` ${comment}`)))
    .map((l) => splitRule(l.slice(3)));
}

function splitRule(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? '');
  return out;
}
