/** Capacity: replicas × requests/limits versus ResourceQuotas and the cluster's allocatable. */
import { documentedAutoscaling, obj } from '../components.ts';
import { fromAutoscaling, type CheckContext, type Finding, type Rule } from '../finding.ts';
import { hpaFor, type Workload } from '../model.ts';
import { cpuMillis, formatResource, parseQuantity } from '../../core/quantity.ts';
import { podResources, replicaRange } from './resources.ts';

type Usage = Record<string, number>;

const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'Pod']);

/** What one pod of `w` counts against each quota key. */
function perPod(ctx: CheckContext, w: Workload): Usage {
  const r = podResources(ctx.manifests, w);
  return {
    'requests.cpu': r.requests.cpu,
    cpu: r.requests.cpu,
    'requests.memory': r.requests.memory,
    memory: r.requests.memory,
    'limits.cpu': r.limits.cpu,
    'limits.memory': r.limits.memory,
    pods: 1,
    'count/pods': 1,
    persistentvolumeclaims: w.volumeClaimTemplates.length,
  };
}

function add(into: Usage, u: Usage, times: number): void {
  for (const [k, v] of Object.entries(u)) into[k] = (into[k] ?? 0) + v * times;
}

function hardValue(key: string, raw: string): number | undefined {
  return key.endsWith('cpu') || key === 'cpu' ? cpuMillis(raw) : parseQuantity(raw);
}

function fmt(key: string, v: number): string {
  if (key.endsWith('cpu')) return `${formatResource('cpu', v)} CPU`;
  return formatResource(key.endsWith('memory') ? 'memory' : 'count', v);
}

export const quotaRule: Rule = {
  id: 'capacity-exceeds-quota',
  title: 'Replicas × requests/limits exceed the namespace ResourceQuota',
  severity: 'error',
  description: 'Sum over the namespace\'s workloads of replicas × the pod\'s effective requests/limits (LimitRange defaults '
    + 'applied), at the declared replicas and at every HPA\'s maxReplicas, versus the ResourceQuota\'s hard limits: above it, '
    + 'pods fail to create ("exceeded quota") and the quota, not the HPA, decides the scale. Containers lacking a resource the '
    + 'quota constrains (and no LimitRange default) are rejected outright.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const quota of ctx.manifests.quotas) {
      const workloads = ctx.manifests.workloads.filter((w) => w.namespace === quota.namespace);
      const running = workloads.filter((w) => LONG_RUNNING.has(w.kind));
      const transient = workloads.filter((w) => w.kind === 'Job' || w.kind === 'CronJob');
      const declared: Usage = {};
      const atMax: Usage = {};
      const pvcs = ctx.manifests.pvcs.filter((p) => p.namespace === quota.namespace).length;
      declared.persistentvolumeclaims = pvcs;
      atMax.persistentvolumeclaims = pvcs;
      const services = ctx.manifests.services.filter((s) => s.namespace === quota.namespace);
      for (const u of [declared, atMax]) {
        u.services = services.length;
        u['services.loadbalancers'] = services.filter((s) => s.type === 'LoadBalancer').length;
        u['services.nodeports'] = services.filter((s) => s.type === 'NodePort' || s.type === 'LoadBalancer').length;
      }
      for (const w of running) {
        const range = replicaRange(ctx.manifests, w);
        add(declared, perPod(ctx, w), range.declared);
        add(atMax, perPod(ctx, w), range.max);
      }
      const jobs: Usage = {};
      for (const w of transient) add(jobs, perPod(ctx, w), w.replicas ?? 1);

      // Containers the quota would reject: a constrained resource left unset with no LimitRange default.
      const constrained = Object.keys(quota.hard).filter((k) => ['requests.cpu', 'cpu', 'requests.memory', 'memory', 'limits.cpu', 'limits.memory'].includes(k));
      for (const w of workloads) {
        const missing = podResources(ctx.manifests, w).missing.filter((mi) => constrained.some((k) => (k === mi.resource && mi.field === 'requests') || k === `${mi.field}.${mi.resource}`));
        if (missing.length === 0) continue;
        findings.push({
          ruleId: this.id,
          severity: 'error',
          message: `ResourceQuota ${quota.namespace}/${quota.name} constrains ${constrained.join(', ')}, but ${w.kind} ${w.name} leaves ${missing.map((mi) => `${mi.field}.${mi.resource} of ${mi.container}`).join(', ')} unset and no LimitRange gives a default: its pods are rejected at admission ("must specify ${missing.map((mi) => `${mi.field}.${mi.resource}`).join(',')}").`,
          hint: 'Set the missing requests/limits, or add a LimitRange with defaults in the namespace.',
          objects: [obj(ctx, quota), obj(ctx, w)],
          targets: [],
          details: { missing },
        });
      }

      for (const [key, raw] of Object.entries(quota.hard)) {
        const hard = hardValue(key, raw);
        if (hard === undefined || declared[key] === undefined) continue;
        const hpaWorkloads = running.filter((w) => hpaFor(ctx.manifests, w) && replicaRange(ctx.manifests, w).max > replicaRange(ctx.manifests, w).declared);
        const jobsNote = (jobs[key] ?? 0) > 0 ? ` Jobs/CronJobs of the namespace add ${fmt(key, jobs[key]!)} while they run.` : '';
        if (declared[key]! > hard) {
          findings.push({
            ruleId: this.id,
            severity: 'error',
            message: `ResourceQuota ${quota.namespace}/${quota.name}: ${key} at the declared replicas is ${fmt(key, declared[key]!)} > hard ${raw}: some pods of ${quota.namespace} cannot be created ("exceeded quota").${jobsNote}`,
            hint: `Raise ${key} to at least ${fmt(key, declared[key]! + (jobs[key] ?? 0))}, or lower replicas/requests.`,
            objects: [obj(ctx, quota), ...running.map((w) => obj(ctx, w))],
            targets: [],
            details: { key, hard: raw, declared: declared[key], atMaxReplicas: atMax[key], jobs: jobs[key] ?? 0 },
          });
          continue;
        }
        if (atMax[key]! <= hard || hpaWorkloads.length === 0) continue;
        const growth = hpaWorkloads.map((w) => {
          const range = replicaRange(ctx.manifests, w);
          const each = perPod(ctx, w)[key] ?? 0;
          const others = declared[key]! - each * range.declared;
          const cap = each > 0 ? Math.floor((hard - others) / each) : Infinity;
          return { w, range, each, cap };
        });
        const parts = growth.map((g) => `${g.w.name} ${g.range.max} × ${fmt(key, g.each)}`).join(' + ');
        const capText = growth.length === 1
          ? `the quota, not the HPA, caps ${growth[0]!.w.name} at ${growth[0]!.cap} replicas (HorizontalPodAutoscaler maxReplicas ${growth[0]!.range.max})`
          : 'the quota, not the HPAs, caps the scale-up';
        findings.push({
          ruleId: this.id,
          severity: 'error',
          message: `ResourceQuota ${quota.namespace}/${quota.name}: ${key} at HPA maxReplicas would be ${fmt(key, atMax[key]!)} (${parts} + ${fmt(key, atMax[key]! - growth.reduce((s, g) => s + g.each * g.range.max, 0))} for the other pods) > hard ${raw}: `
            + `${capText}; further pods fail to create ("exceeded quota") while the HPA keeps asking for them.${jobsNote}`,
          hint: `Raise ${key} to at least ${fmt(key, atMax[key]! + (jobs[key] ?? 0))}, or lower maxReplicas${growth.length === 1 ? ` to ${growth[0]!.cap}` : ''} or the per-pod ${key.startsWith('limits') ? 'limits' : 'requests'} — decide which document is right.`,
          objects: [obj(ctx, quota), ...growth.flatMap((g) => [obj(ctx, hpaFor(ctx.manifests, g.w)!), obj(ctx, g.w)])],
          targets: growth.flatMap((g) => documentedAutoscaling(ctx, g.w, hpaFor(ctx.manifests, g.w))).map((a) => fromAutoscaling(ctx, a)),
          details: { key, hard: raw, declared: declared[key], atMaxReplicas: atMax[key], jobs: jobs[key] ?? 0, caps: Object.fromEntries(growth.map((g) => [g.w.name, g.cap])) },
        });
      }
    }
    return findings;
  },
};

export const clusterCapacityRule: Rule = {
  id: 'capacity-exceeds-cluster',
  title: 'Requests exceed the cluster\'s allocatable CPU/memory',
  severity: 'error',
  description: 'Sum over all long-running workloads of replicas × effective requests, at the declared replicas (error: pods '
    + 'stay Pending) and at HPA maxReplicas (warning: the last replicas stay Pending), versus the allocatable of the cluster the '
    + 'manifests are meant for (--allocatable or check.allocatable in prodlike.yaml; for the local kind cluster: this host). '
    + 'Not evaluated when no cluster is described.',
  run(ctx) {
    const alloc = ctx.options.allocatable;
    if (!alloc) return [];
    const local = ctx.options.localCluster;
    const declared = { cpu: 0, memory: 0 };
    const atMax = { cpu: 0, memory: 0 };
    const running = ctx.manifests.workloads.filter((w) => LONG_RUNNING.has(w.kind));
    for (const w of running) {
      const r = podResources(ctx.manifests, w).requests;
      const range = replicaRange(ctx.manifests, w);
      for (const k of ['cpu', 'memory'] as const) {
        declared[k] += r[k] * range.declared;
        atMax[k] += r[k] * range.max;
      }
    }
    const findings: Finding[] = [];
    for (const k of ['cpu', 'memory'] as const) {
      const cap = alloc[k];
      const level = declared[k] > cap ? 'declared' : atMax[k] > cap ? 'max' : undefined;
      if (!level) continue;
      const scaled = running.filter((w) => replicaRange(ctx.manifests, w).max > replicaRange(ctx.manifests, w).declared);
      findings.push({
        ruleId: this.id,
        severity: level === 'declared' ? 'error' : 'warning',
        message: level === 'declared'
          ? `${k} requests at the declared replicas add up to ${fmt(k, declared[k])}, more than the cluster's allocatable ${fmt(k, cap)} (${alloc.source}): some pods stay Pending.`
          : `${k} requests at HPA maxReplicas add up to ${fmt(k, atMax[k])} (${fmt(k, declared[k])} at the declared replicas), more than the cluster's allocatable ${fmt(k, cap)} (${alloc.source}): the last replicas of ${scaled.map((w) => w.name).join(', ')} stay Pending${local ? ' (no cluster autoscaler in a local cluster)' : ' unless a cluster autoscaler adds nodes'}.`,
        hint: level === 'declared'
          ? (local
            ? 'Lower the requests for the local cluster (the kind overlay scales CPU by 1/5, keeping every ratio), or check for the real cluster with --allocatable cpu=N,memory=NGi.'
            : 'Lower the requests or replicas, or add nodes; if the cluster is bigger than described, correct --allocatable / check.allocatable.')
          : 'Lower maxReplicas or the per-pod requests for this cluster, or add nodes (a cluster autoscaler); correct --allocatable / check.allocatable if the cluster is bigger.',
        objects: (level === 'declared' ? running : scaled).map((w) => obj(ctx, w)),
        targets: [],
        details: { resource: k, declared: declared[k], atMaxReplicas: atMax[k], allocatable: cap, allocatableSource: alloc.source },
      });
    }
    return findings;
  },
};
