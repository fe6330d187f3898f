/**
 * From the components the documents talk about (backend, postgres, application-pods, file-storage…)
 * to the workloads of the manifests. Roles come from prodlike.yaml's topology (namespace, workload
 * kind/name, selector), so renamed workloads are still found.
 */
import type { WorkloadRole } from '../config/schema.ts';
import type { AutoscalingTarget, Target } from '../config/targets-schema.ts';
import type { CheckContext, FindingObject } from './finding.ts';
import { recognize, type StoreCategory } from './recognize.ts';
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

/** The topology role a documented component name stands for (file-storage -> minio, api -> backend). */
export function roleOfComponent(component: string): string {
  return ALIASES[component] ?? component;
}

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

export interface ComponentMatch {
  component: string;
  workloads: Workload[];
  /** How each workload was found, for the coverage section: "check.components in prodlike.yaml", "named postgres", "image postgres:15". */
  how: Map<Workload, string>;
  /** Only the fallback matched: every application workload stands for the component. */
  fallback: boolean;
}

export interface MatchOptions {
  /** When nothing is named or recognised as the component, every application workload stands for it (availability, probe budget, scale-up targets). */
  applicationFallback?: boolean;
}

/** Name tokens of the application roles, for manifests that do not use our names (backend-api, web-ui…). */
const ROLE_TOKENS: Partial<Record<WorkloadRole, string[]>> = {
  backend: ['backend', 'api'],
  frontend: ['frontend', 'ui', 'web', 'webapp'],
  worker: ['worker', 'executor', 'consumer'],
};

const STORE_CATEGORY_OF_ROLE: Partial<Record<WorkloadRole, StoreCategory>> = { postgres: 'database', redis: 'cache', minio: 'object-store' };

const cache = new WeakMap<CheckContext, Map<string, ComponentMatch>>();

const LONG_RUNNING = (w: Workload) => w.kind === 'Deployment' || w.kind === 'StatefulSet';

/** Workloads named by `check.components` entries: `[namespace/]statefulset/<name>`. */
function mapped(ctx: CheckContext, refs: readonly string[]): Workload[] {
  return refs.flatMap((ref) => {
    const parts = ref.split('/');
    const [ns, prefix, name] = parts.length === 3 ? parts : [undefined, parts[0], parts[1]];
    const kind = KIND_BY_PREFIX[prefix ?? ''];
    return ctx.manifests.workloads.filter((w) => w.kind === kind && w.name === name && (ns === undefined || w.namespace === ns));
  });
}

/**
 * The workloads a documented component stands for, and how each was found. Configuration wins
 * (`check.components` in prodlike.yaml, then the role's workload in `topology`); data-store roles add
 * every workload recognised as that kind of store (several PostgreSQLs are several databases);
 * application roles fall back to name tokens, then optionally to every application workload.
 */
export function matchComponent(ctx: CheckContext, component: string, options: MatchOptions = {}): ComponentMatch {
  const key = `${component}|${options.applicationFallback ? 'app' : ''}`;
  let memo = cache.get(ctx);
  if (!memo) cache.set(ctx, (memo = new Map()));
  const hit = memo.get(key);
  if (hit) return hit;
  const result = computeMatch(ctx, component, options);
  memo.set(key, result);
  return result;
}

function computeMatch(ctx: CheckContext, component: string, options: MatchOptions): ComponentMatch {
  const how = new Map<Workload, string>();
  const done = (fallback = false): ComponentMatch => ({ component, workloads: [...how.keys()], how, fallback });
  const role = (ALIASES[component] ?? component) as WorkloadRole;
  const configured = ctx.componentMap[component] ?? ctx.componentMap[role];
  if (configured) {
    for (const w of mapped(ctx, configured)) how.set(w, 'check.components in prodlike.yaml');
    return done();
  }
  if (component === 'application-pods') {
    // Document 001's "Application (Pods) | 0 (stateless)": the long-running workloads that are not data
    // stores (a shared upload volume does not make the backend a data store).
    for (const w of applicationWorkloads(ctx)) how.set(w, 'application workload');
    return done();
  }
  if (ctx.topology.some((t) => t.role === role)) {
    const named = workloadOfRole(ctx, role);
    if (named) how.set(named, `topology.${role} (${named.kind.toLowerCase()}/${named.name})`);
    // The role's additional workloads (topology.<role>.additional: a read replica, a second database) by their object's name.
    for (const t of ctx.topology.filter((x) => x.role === role && x.instance)) {
      const [prefix, name] = t.workload.split('/');
      const w = ctx.manifests.workloads.find((x) => x.kind === KIND_BY_PREFIX[prefix ?? ''] && x.name === name && x.namespace === t.namespace);
      if (w && !how.has(w)) how.set(w, `topology.${role}.additional ${t.instance} (${t.workload})`);
    }
    const category = STORE_CATEGORY_OF_ROLE[role];
    if (category) {
      for (const w of ctx.manifests.workloads) {
        const r = recognize(w);
        if (r?.category === category && !how.has(w)) how.set(w, `${r.name}, recognised by ${r.evidence}`);
      }
      return done();
    }
    if (named) return done();
    const tokens = ROLE_TOKENS[role] ?? [role];
    for (const w of applicationWorkloads(ctx)) {
      const names = [w.name, w.template.labels['app.kubernetes.io/name'], w.template.labels.app, w.template.labels['app.kubernetes.io/component'], w.template.labels.component].filter((x): x is string => Boolean(x));
      const token = names.flatMap((n) => n.toLowerCase().split(/[-_.]/)).find((t) => tokens.includes(t));
      if (token) how.set(w, `name or label contains "${token}"`);
    }
    if (how.size > 0 || !options.applicationFallback) return done();
    for (const w of applicationWorkloads(ctx)) how.set(w, `application workload (no workload named ${role})`);
    return done(true);
  }
  for (const w of ctx.manifests.workloads) {
    if (LONG_RUNNING(w) && (w.name === component || w.template.labels.app === component)) how.set(w, w.name === component ? 'same name' : `label app=${component}`);
  }
  return done();
}

/** The workloads a documented component stands for. */
export function workloadsForComponent(ctx: CheckContext, component: string, options: MatchOptions = {}): Workload[] {
  return matchComponent(ctx, component, options).workloads;
}

/** The metrics `prodlike check` evaluates statically; the others are measured by `prodlike run`/`load`. */
export const STATIC_METRICS = ['rto', 'rpo', 'scale-up-time', 'availability', 'latency-p95'] as const;

/**
 * The workloads a target of the profile is evaluated on. RTO, scale-up and availability targets hold for
 * every application workload when the manifests do not name the component (document 000's backend-api);
 * an RTO of the whole platform holds for every long-running workload.
 */
export function workloadsForTarget(ctx: CheckContext, t: Pick<Target, 'component' | 'metric'>): ComponentMatch {
  if (t.metric === 'rto' && t.component === 'platform') {
    const how = new Map<Workload, string>();
    for (const w of ctx.manifests.workloads.filter(LONG_RUNNING)) how.set(w, 'every long-running workload');
    return { component: t.component, workloads: [...how.keys()], how, fallback: false };
  }
  if (t.metric === 'availability') {
    const how = new Map<Workload, string>();
    for (const w of applicationWorkloads(ctx)) how.set(w, 'application workload');
    for (const role of ['postgres', 'redis'] as const) for (const [w, why] of matchComponent(ctx, role).how) how.set(w, `on the API's request path (${why})`);
    return { component: t.component, workloads: [...how.keys()], how, fallback: false };
  }
  const fallback = t.metric === 'rto' || t.metric === 'scale-up-time';
  return matchComponent(ctx, t.component, { applicationFallback: fallback });
}

/** Long-running workloads that are not data stores. */
export function applicationWorkloads(ctx: CheckContext): Workload[] {
  return ctx.manifests.workloads.filter((w) => LONG_RUNNING(w) && !isDataStore(ctx, w));
}

const DATA_STORE_ROLES: readonly WorkloadRole[] = ['postgres', 'redis', 'minio'];

/** A database, cache, queue or object store (by role, by what it runs, or a StatefulSet with volumes). */
export function isDataStore(ctx: CheckContext, w: Workload): boolean {
  const role = roleOf(ctx, w);
  if (role) return DATA_STORE_ROLES.includes(role);
  return recognize(w) !== undefined || (w.kind === 'StatefulSet' && persistentVolumesOf(w).length > 0);
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
