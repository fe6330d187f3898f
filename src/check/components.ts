/**
 * From the components the documents talk about (backend, postgres, application-pods, file-storage…)
 * to the workloads of the manifests. Roles come from prodlike.yaml's topology (namespace, workload
 * kind/name, selector), so renamed workloads are still found.
 */
import type { WorkloadRole } from '../config/schema.ts';
import type { AutoscalingTarget } from '../config/targets-schema.ts';
import type { CheckContext, FindingObject } from './finding.ts';
import { selectorMatches, type LabelSelector } from './label-selector.ts';
import { persistentVolumesOf, type Hpa, type ObjectRef, type Workload } from './model.ts';

/** Document components that mean a role under another name. */
const ALIASES: Record<string, WorkloadRole> = {
  api: 'backend',
  'backend-api': 'backend',
  'file-storage': 'minio',
  'object-store': 'minio',
  'object-storage': 'minio',
  database: 'postgres',
  cache: 'redis',
  executor: 'worker',
};

const KIND_BY_PREFIX: Record<string, string> = { deployment: 'Deployment', statefulset: 'StatefulSet', daemonset: 'DaemonSet' };

/** The workload of a role in the manifests, if any. */
export function workloadOfRole(ctx: CheckContext, role: WorkloadRole): Workload | undefined {
  const t = ctx.topology.find((w) => w.role === role);
  if (!t || !t.enabled) return undefined;
  const [prefix, name] = t.workload.split('/');
  const kind = KIND_BY_PREFIX[prefix ?? ''];
  const byName = ctx.manifests.workloads.find((w) => w.kind === kind && w.name === name && w.namespace === t.namespace)
    ?? ctx.manifests.workloads.find((w) => w.kind === kind && w.name === name);
  if (byName) return byName;
  return ctx.manifests.workloads.find((w) => (w.kind === 'Deployment' || w.kind === 'StatefulSet')
    && selectorMatches({ matchLabels: t.selector, matchExpressions: [] }, w.template.labels));
}

export function roleOf(ctx: CheckContext, w: Workload): WorkloadRole | undefined {
  for (const t of ctx.topology) if (workloadOfRole(ctx, t.role) === w) return t.role;
  return undefined;
}

/** The workloads a documented component stands for. */
export function workloadsForComponent(ctx: CheckContext, component: string): Workload[] {
  if (component === 'application-pods') {
    // Document 001's "Application (Pods) | 0 (stateless)": the long-running workloads that are not data
    // stores (a shared upload volume does not make the backend a data store).
    return ctx.manifests.workloads.filter((w) => (w.kind === 'Deployment' || w.kind === 'StatefulSet') && !isDataStore(ctx, w));
  }
  const role = (ALIASES[component] ?? component) as WorkloadRole;
  if (ctx.topology.some((t) => t.role === role)) {
    const w = workloadOfRole(ctx, role);
    return w ? [w] : [];
  }
  return ctx.manifests.workloads.filter((w) => (w.kind === 'Deployment' || w.kind === 'StatefulSet') && (w.name === component || w.template.labels.app === component));
}

const DATA_STORE_ROLES: readonly WorkloadRole[] = ['postgres', 'redis', 'minio'];
const DATA_STORE_IMAGE = /(^|\/)(postgres|postgresql|mysql|mariadb|mongo|redis|valkey|keydb|minio|seaweedfs|garage|etcd|cassandra|elasticsearch|opensearch|rabbitmq|kafka|nats)(:|@|$)/;

/** A database, cache or object store (by role, or by image when no role matches). */
export function isDataStore(ctx: CheckContext, w: Workload): boolean {
  const role = roleOf(ctx, w);
  if (role) return DATA_STORE_ROLES.includes(role);
  return w.template.containers.some((c) => DATA_STORE_IMAGE.test(c.image ?? '')) || (w.kind === 'StatefulSet' && persistentVolumesOf(w).length > 0);
}

/** The profile's autoscaling entries an HPA implements: same component, same min/max replicas. */
export function documentedAutoscaling(ctx: CheckContext, w: Workload, hpa: Hpa | undefined): AutoscalingTarget[] {
  if (!hpa) return [];
  return ctx.selected.profile.autoscaling.filter((a) => a.minReplicas === hpa.minReplicas && a.maxReplicas === hpa.maxReplicas
    && workloadsForComponent(ctx, a.component).includes(w));
}

/** A finding object with the file/line the manifest came from. */
export function obj(ctx: CheckContext, ref: ObjectRef): FindingObject {
  const found = ctx.manifests.objects.find((o) => o.kind === ref.kind && o.name === ref.name && (o.namespace ?? undefined) === (ref.namespace ?? undefined));
  return { kind: ref.kind, ...(ref.namespace ? { namespace: ref.namespace } : {}), name: ref.name, ...(found?.location ? { location: found.location } : {}) };
}

/** Pods of a namespace that a selector picks, grouped by workload. */
export function workloadsSelectedBy(ctx: CheckContext, namespace: string, selector: LabelSelector): Workload[] {
  return ctx.manifests.workloads.filter((w) => w.namespace === namespace && w.kind !== 'CronJob' && w.kind !== 'Job' && selectorMatches(selector, w.template.labels));
}
