import type { KubeObject, PodObject } from '../../kube/objects.ts';

/**
 * Readiness per kind, as pure functions over Kubernetes objects (unit-tested against recorded JSON),
 * and the pod states that mean "this will not become ready by itself" so `up` fails in seconds with
 * the reason instead of hanging.
 */
export interface Readiness {
  ready: boolean;
  detail: string;
}

const num = (v: unknown) => (typeof v === 'number' ? v : 0);

export function readinessOf(obj: KubeObject): Readiness {
  const s = obj.status ?? {};
  const spec = obj.spec ?? {};
  switch (obj.kind) {
    case 'Deployment': {
      const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
      const observed = num(s.observedGeneration) >= num(obj.metadata.generation);
      const ok = observed && num(s.updatedReplicas) >= want && num(s.availableReplicas) >= want && num(s.replicas) <= want + 0;
      return { ready: ok || (observed && want === 0), detail: `${num(s.availableReplicas)}/${want} available` };
    }
    case 'StatefulSet': {
      const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
      const ok = num(s.observedGeneration) >= num(obj.metadata.generation) && num(s.readyReplicas) >= want && s.currentRevision === s.updateRevision;
      return { ready: ok, detail: `${num(s.readyReplicas)}/${want} ready` };
    }
    case 'Job': {
      const conditions = (s.conditions as { type: string; status: string; reason?: string; message?: string }[] | undefined) ?? [];
      if (conditions.some((c) => c.type === 'Failed' && c.status === 'True')) return { ready: false, detail: 'failed' };
      return { ready: conditions.some((c) => c.type === 'Complete' && c.status === 'True'), detail: `${num(s.succeeded)} succeeded` };
    }
    case 'PersistentVolumeClaim':
      return { ready: s.phase === 'Bound', detail: String(s.phase ?? 'Pending') };
    default:
      return { ready: true, detail: '' };
  }
}

export const WAITED_KINDS = ['Deployment', 'StatefulSet', 'Job'] as const;

const FATAL_WAITING = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError']);

export interface PodProblem {
  pod: string;
  namespace: string;
  reason: string;
  message: string;
}

/** A pod problem that will not fix itself: image pull errors, config errors, crash loops, unschedulable. */
export function podProblem(pod: PodObject, now = Date.now(), unschedulableGraceMs = 45_000): PodProblem | undefined {
  const base = { pod: pod.metadata.name, namespace: pod.metadata.namespace ?? '' };
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && FATAL_WAITING.has(waiting.reason)) return { ...base, reason: waiting.reason, message: `container ${c.name}: ${waiting.message ?? waiting.reason}` };
    if (waiting?.reason === 'CrashLoopBackOff' && (c.restartCount ?? 0) >= 3) return { ...base, reason: 'CrashLoopBackOff', message: `container ${c.name} restarted ${c.restartCount} times` };
  }
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    const since = scheduled.lastTransitionTime ? Date.parse(scheduled.lastTransitionTime) : now;
    if (now - since >= unschedulableGraceMs) return { ...base, reason: 'Unschedulable', message: scheduled.message ?? 'no node fits' };
  }
  return undefined;
}
