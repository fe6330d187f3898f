/** Single replicas where the profile promises failover without downtime (or an availability SLO). */
import { applicationWorkloads, matchComponent, obj, workloadsForTarget } from '../components.ts';
import { fromTarget, type Finding, type Rule } from '../finding.ts';
import { hpaFor, type Workload } from '../model.ts';

/** Components on the API's request path: the backend and what it cannot serve without (document 001). */
const API_PATH = ['backend', 'postgres', 'redis'] as const;

function minReplicas(ctx: Parameters<Rule['run']>[0], w: Workload): number {
  const hpa = hpaFor(ctx.manifests, w);
  return hpa ? hpa.minReplicas : (w.replicas ?? 1);
}

export const singleReplicaRule: Rule = {
  id: 'single-replica-no-failover',
  title: 'Single replica where the profile promises failover without downtime',
  severity: 'error',
  description: 'A component with an RTO of 0 (failover without downtime) running one replica: any restart, eviction or node loss '
    + 'is downtime (error). With an availability SLO (e.g. 99.9%), a single replica on the API\'s request path (backend, '
    + 'PostgreSQL, Redis) is a single point of failure (warning).',
  run(ctx) {
    const findings: Finding[] = [];
    const seen = new Set<string>();
    for (const t of ctx.selected.profile.targets) {
      if (t.metric !== 'rto' || t.maxValue !== 0 || t.kind === 'report') continue;
      for (const w of workloadsForTarget(ctx, t).workloads) {
        if (w.kind === 'DaemonSet' || minReplicas(ctx, w) > 1) continue;
        seen.add(`${w.namespace}/${w.name}`);
        findings.push({
          ruleId: this.id,
          severity: 'error',
          message: `${w.kind} ${w.namespace}/${w.name} runs ${minReplicas(ctx, w)} replica${hpaFor(ctx.manifests, w) ? ' at minimum scale' : ''}, but ${t.id} promises recovery without downtime (RTO 0): every restart, eviction or node loss is an outage until a new pod is Ready.`,
          hint: 'Run at least 2 replicas spread over nodes (anti-affinity) with a PodDisruptionBudget maxUnavailable: 1; for a database, a replicated setup (Patroni, operator).',
          objects: [obj(ctx, w)],
          targets: [fromTarget(ctx, t)],
          details: { replicas: minReplicas(ctx, w) },
        });
      }
    }
    const availability = ctx.selected.profile.targets.filter((t) => t.metric === 'availability' && t.minValue !== undefined && t.kind !== 'report');
    if (availability.length === 0) return findings;
    for (const role of API_PATH) {
      const stores = role === 'backend' ? [] : matchComponent(ctx, role).workloads;
      for (const w of stores) {
        if (seen.has(`${w.namespace}/${w.name}`) || minReplicas(ctx, w) > 1) continue;
        seen.add(`${w.namespace}/${w.name}`);
        findings.push({
          ruleId: this.id,
          severity: 'warning',
          message: `${w.kind} ${w.namespace}/${w.name} runs a single replica on the API's request path while the profile promises ${availability.map((t) => `${t.minValue}% availability (${t.id})`).join(', ')}: every restart, eviction or node loss of it stops the API until it is back.`,
          hint: `Replicate ${w.name} (PostgreSQL: Patroni or an operator, document 001 §5 Database High Availability; Redis: replica + Sentinel), or count its restarts against the error budget.`,
          objects: [obj(ctx, w)],
          targets: availability.map((t) => fromTarget(ctx, t)),
          details: { replicas: minReplicas(ctx, w), role },
        });
      }
    }
    // Every application workload, not only the one named backend: one finding for the single replicas.
    const single = applicationWorkloads(ctx).filter((w) => w.kind !== 'DaemonSet' && !seen.has(`${w.namespace}/${w.name}`) && minReplicas(ctx, w) <= 1);
    if (single.length > 0) {
      findings.push({
        ruleId: this.id,
        severity: 'warning',
        message: `${single.map((w) => `${w.kind} ${w.namespace}/${w.name}`).join(', ')} run${single.length === 1 ? 's' : ''} a single replica while the profile promises ${availability.map((t) => `${t.minValue}% availability (${t.id})`).join(', ')}: every restart, eviction, rollout or node loss of ${single.length === 1 ? 'it' : 'one of them'} is an outage of what it serves until a new pod is Ready.`,
        hint: 'Run at least 2 replicas spread over nodes (topologySpreadConstraints or anti-affinity) with a PodDisruptionBudget maxUnavailable: 1, or count these outages against the error budget.',
        objects: single.map((w) => obj(ctx, w)),
        targets: availability.map((t) => fromTarget(ctx, t)),
        details: { workloads: single.map((w) => `${w.namespace}/${w.name}`), replicas: 1 },
      });
    }
    return findings;
  },
};
