/** Requests/limits as the API server will see them: spec, request defaulted from the limit, LimitRange defaults. */
import type { Container, Manifests, ResourceAmounts, Workload } from '../model.ts';
import { hpaFor, mainContainers } from '../model.ts';

export type AmountSource = 'spec' | 'limit' | 'limitrange' | 'none';

export interface EffectiveResources {
  requests: ResourceAmounts;
  limits: ResourceAmounts;
  requestSource: Record<'cpu' | 'memory', AmountSource>;
  limitSource: Record<'cpu' | 'memory', AmountSource>;
}

export function effectiveResources(m: Manifests, namespace: string, c: Container): EffectiveResources {
  const lr = m.limitRanges.find((l) => l.namespace === namespace)?.container;
  const out: EffectiveResources = { requests: {}, limits: {}, requestSource: { cpu: 'none', memory: 'none' }, limitSource: { cpu: 'none', memory: 'none' } };
  for (const r of ['cpu', 'memory'] as const) {
    if (c.limits[r] !== undefined) [out.limits[r], out.limitSource[r]] = [c.limits[r], 'spec'];
    else if (lr?.default[r] !== undefined) [out.limits[r], out.limitSource[r]] = [lr.default[r], 'limitrange'];
    if (c.requests[r] !== undefined) [out.requests[r], out.requestSource[r]] = [c.requests[r], 'spec'];
    // API defaulting: a container with a limit and no request gets request = limit (before admission).
    else if (c.limits[r] !== undefined) [out.requests[r], out.requestSource[r]] = [c.limits[r], 'limit'];
    else if (lr?.defaultRequest[r] !== undefined) [out.requests[r], out.requestSource[r]] = [lr.defaultRequest[r], 'limitrange'];
  }
  return out;
}

export interface PodResources {
  requests: Required<ResourceAmounts>;
  limits: Required<ResourceAmounts>;
  /** Containers (name) missing a request/limit after defaulting. */
  missing: Array<{ container: string; field: 'requests' | 'limits'; resource: 'cpu' | 'memory' }>;
}

/** A pod's effective resources: max(sum of containers and sidecars, largest init container). */
export function podResources(m: Manifests, w: Workload): PodResources {
  const sum = { requests: { cpu: 0, memory: 0 }, limits: { cpu: 0, memory: 0 } };
  const missing: PodResources['missing'] = [];
  const account = (c: Container) => {
    const e = effectiveResources(m, w.namespace, c);
    for (const field of ['requests', 'limits'] as const) {
      for (const r of ['cpu', 'memory'] as const) if (e[field][r] === undefined) missing.push({ container: c.name, field, resource: r });
    }
    return e;
  };
  for (const c of mainContainers(w.template)) {
    const e = account(c);
    for (const r of ['cpu', 'memory'] as const) {
      sum.requests[r] += e.requests[r] ?? 0;
      sum.limits[r] += e.limits[r] ?? 0;
    }
  }
  for (const c of w.template.initContainers.filter((x) => !x.sidecar)) {
    const e = account(c);
    for (const r of ['cpu', 'memory'] as const) {
      sum.requests[r] = Math.max(sum.requests[r], e.requests[r] ?? 0);
      sum.limits[r] = Math.max(sum.limits[r], e.limits[r] ?? 0);
    }
  }
  return { ...sum, missing };
}

/** Replicas the workload runs after apply (declared, clamped by its HPA) and at most (HPA max). */
export function replicaRange(m: Manifests, w: Workload): { declared: number; max: number } {
  const declared = w.replicas ?? 1;
  const hpa = hpaFor(m, w);
  if (!hpa) return { declared, max: declared };
  return { declared: Math.min(Math.max(declared, hpa.minReplicas), hpa.maxReplicas), max: Math.max(hpa.maxReplicas, hpa.minReplicas) };
}
