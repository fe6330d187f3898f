import { cpuMillis, formatBytes, formatCpu, parseQuantity } from '../core/quantity.ts';
import type { ContainerSpec, NodeObject, PodObject, ResourceQuotaObject } from '../kube/objects.ts';

/**
 * Capacity honesty for the HPA suite: before driving load, how many replicas of a workload can the
 * cluster actually hold? The scheduler's view (nodes' allocatable minus the requests of the pods on
 * them, per node, skipping NoSchedule/unschedulable nodes) and the namespace's ResourceQuota headroom
 * (requests and limits) both cap it. Pure: objects in, numbers out.
 */

export interface PodResources {
  requests: { cpu: number; memory: number };
  limits: { cpu: number; memory: number };
}

export interface NodeRoom {
  node: string;
  allocatable: { cpu: number; memory: number };
  requested: { cpu: number; memory: number };
  /** Extra replicas that fit on this node by requests. */
  fits: number;
  schedulable: boolean;
  reason?: string;
}

export interface CapacityReport {
  current: number;
  maxReplicas: number;
  perPod: PodResources;
  nodes: NodeRoom[];
  /** Extra replicas the schedulable nodes can take by requests. */
  nodeRoom: number;
  /** Extra replicas the ResourceQuota allows (Infinity without a quota). */
  quotaRoom: number;
  quotaLimitedBy?: string;
  /** current + min(nodeRoom, quotaRoom), capped by maxReplicas. */
  ceiling: number;
  limitedBy: 'maxReplicas' | 'nodes' | 'quota';
  /** What maxReplicas × requests needs, for the message. */
  needed: { cpu: number; memory: number };
  summary: string;
}

function resourcesOf(containers: ContainerSpec[] | undefined, kind: 'requests' | 'limits'): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of containers ?? []) {
    cpu += cpuMillis(c.resources?.[kind]?.cpu) ?? 0;
    memory += parseQuantity(c.resources?.[kind]?.memory) ?? 0;
  }
  return { cpu, memory };
}

/** A pod's effective requests (max of the containers' sum and each init container, as the scheduler counts). */
export function podRequests(pod: PodObject): { cpu: number; memory: number } {
  const main = resourcesOf(pod.spec?.containers, 'requests');
  for (const init of pod.spec?.initContainers ?? []) {
    const r = resourcesOf([init], 'requests');
    main.cpu = Math.max(main.cpu, r.cpu);
    main.memory = Math.max(main.memory, r.memory);
  }
  return main;
}

/** A pod's limits (sum of its containers). */
export function podLimits(pod: PodObject): { cpu: number; memory: number } {
  return resourcesOf(pod.spec?.containers, 'limits');
}

export function capacityCeiling(input: {
  nodes: NodeObject[];
  pods: PodObject[];
  quotas?: ResourceQuotaObject[];
  perPod: PodResources;
  current: number;
  maxReplicas: number;
}): CapacityReport {
  const { perPod, current, maxReplicas } = input;
  const active = input.pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const nodes: NodeRoom[] = input.nodes.map((n) => {
    const allocatable = { cpu: cpuMillis(n.status?.allocatable?.cpu) ?? 0, memory: parseQuantity(n.status?.allocatable?.memory) ?? 0 };
    const requested = { cpu: 0, memory: 0 };
    for (const p of active.filter((x) => x.spec?.nodeName === n.metadata.name)) {
      const r = podRequests(p);
      requested.cpu += r.cpu;
      requested.memory += r.memory;
    }
    const noSchedule = n.spec?.taints?.find((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    const notReady = n.status?.conditions?.find((c) => c.type === 'Ready' && c.status !== 'True');
    const reason = n.spec?.unschedulable ? 'cordoned' : noSchedule ? `taint ${noSchedule.key}:${noSchedule.effect}` : notReady ? 'not Ready' : undefined;
    const byCpu = perPod.requests.cpu > 0 ? Math.floor((allocatable.cpu - requested.cpu) / perPod.requests.cpu) : Infinity;
    const byMem = perPod.requests.memory > 0 ? Math.floor((allocatable.memory - requested.memory) / perPod.requests.memory) : Infinity;
    const fits = reason ? 0 : Math.max(0, Math.min(byCpu, byMem));
    return { node: n.metadata.name, allocatable, requested, fits: Number.isFinite(fits) ? fits : 1000, schedulable: !reason, ...(reason ? { reason } : {}) };
  });
  const nodeRoom = nodes.reduce((s, n) => s + n.fits, 0);

  let quotaRoom = Infinity;
  let quotaLimitedBy: string | undefined;
  const perKey: Record<string, number> = {
    'requests.cpu': perPod.requests.cpu,
    cpu: perPod.requests.cpu,
    'requests.memory': perPod.requests.memory,
    memory: perPod.requests.memory,
    'limits.cpu': perPod.limits.cpu,
    'limits.memory': perPod.limits.memory,
    pods: 1,
  };
  for (const q of input.quotas ?? []) {
    for (const [key, hardText] of Object.entries(q.status?.hard ?? {})) {
      const each = perKey[key];
      if (!each) continue;
      const isCpu = key.endsWith('cpu');
      const parse = (v: string | undefined) => (v === undefined ? 0 : key === 'pods' ? Number(v) : isCpu ? (cpuMillis(v) ?? 0) : (parseQuantity(v) ?? 0));
      const hard = parse(hardText);
      const used = parse(q.status?.used?.[key]);
      const room = Math.max(0, Math.floor((hard - used) / each));
      if (room < quotaRoom) {
        quotaRoom = room;
        const fmt = (v: number) => (key === 'pods' ? String(v) : isCpu ? formatCpu(v) : formatBytes(v));
        quotaLimitedBy = `ResourceQuota ${q.metadata.name} ${key}: used ${fmt(used)} of ${fmt(hard)}, ${fmt(each)} per replica`;
      }
    }
  }
  const room = Math.min(nodeRoom, quotaRoom);
  const ceiling = Math.min(maxReplicas, current + room);
  const limitedBy: CapacityReport['limitedBy'] = ceiling >= maxReplicas ? 'maxReplicas' : quotaRoom < nodeRoom ? 'quota' : 'nodes';
  const needed = { cpu: maxReplicas * perPod.requests.cpu, memory: maxReplicas * perPod.requests.memory };
  const nodeText = nodes.map((n) => `${n.node}: ${n.schedulable ? `${formatCpu(n.allocatable.cpu - n.requested.cpu)} CPU / ${formatBytes(n.allocatable.memory - n.requested.memory)} free → +${n.fits}` : `not schedulable (${n.reason})`}`).join('; ');
  const summary = limitedBy === 'maxReplicas'
    ? `the cluster fits maxReplicas ${maxReplicas} × (${formatCpu(perPod.requests.cpu)} CPU, ${formatBytes(perPod.requests.memory)}) requests: room for +${Number.isFinite(room) ? room : '∞'} replicas beyond the current ${current} (${nodeText})`
    : `the cluster cannot fit maxReplicas ${maxReplicas} × (${formatCpu(perPod.requests.cpu)} CPU, ${formatBytes(perPod.requests.memory)}): ceiling ${ceiling} replicas, limited by ${limitedBy === 'quota' ? quotaLimitedBy : `node room (${nodeText})`}`;
  return { current, maxReplicas, perPod, nodes, nodeRoom, quotaRoom, ...(quotaLimitedBy ? { quotaLimitedBy } : {}), ceiling, limitedBy, needed, summary };
}
