/** PodDisruptionBudgets that make voluntary evictions (drains, upgrades) impossible. */
import { documentedAutoscaling, obj, workloadsForComponent, workloadsSelectedBy } from '../components.ts';
import { fromAutoscaling, fromDisruptionBudget, type CheckContext, type Finding, type FindingTarget, type Rule } from '../finding.ts';
import { describeRef, hpaFor, type Hpa, type Pdb, type Workload } from '../model.ts';

interface Covered {
  workloads: Workload[];
  hpas: Hpa[];
  /** Pods at the minimum scale (HPA minReplicas where an HPA drives the workload). */
  minPods: number;
  targets: FindingTarget[];
}

function covered(ctx: CheckContext, pdb: Pdb): Covered | undefined {
  if (!pdb.selector) return undefined;
  const workloads = workloadsSelectedBy(ctx, pdb.namespace, pdb.selector).filter((w) => w.kind !== 'DaemonSet');
  if (workloads.length === 0) return undefined;
  const hpas: Hpa[] = [];
  let minPods = 0;
  for (const w of workloads) {
    const hpa = hpaFor(ctx.manifests, w);
    if (hpa) hpas.push(hpa);
    minPods += hpa ? hpa.minReplicas : (w.replicas ?? 1);
  }
  // The documented entries this budget and these HPAs implement: same component and same values (a
  // document with other values is reported by pdb-/hpa-differs-from-document instead).
  const targets: FindingTarget[] = [];
  for (const b of ctx.selected.profile.disruptionBudgets) {
    const same = b.minAvailable !== undefined ? b.minAvailable === pdb.minAvailable : b.maxUnavailable === pdb.maxUnavailable;
    if (same && workloadsForComponent(ctx, b.component).some((w) => workloads.includes(w))) targets.push(fromDisruptionBudget(ctx, b));
  }
  for (const w of workloads) targets.push(...documentedAutoscaling(ctx, w, hpaFor(ctx.manifests, w)).map((a) => fromAutoscaling(ctx, a)));
  return { workloads, hpas, minPods, targets };
}

/** intstr scaled like the disruption controller (GetScaledValueFromIntOrPercent, rounding up). */
function scaled(value: number | string, total: number): number | undefined {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value.trim());
  return m ? Math.ceil((Number(m[1]) * total) / 100) : undefined;
}

const names = (ws: Workload[]) => ws.map((w) => `${w.kind} ${w.name}`).join(', ');

export const pdbMinAvailableRule: Rule = {
  id: 'pdb-min-available-blocks-eviction',
  title: 'PodDisruptionBudget minAvailable leaves nothing to evict at minimum scale',
  severity: 'error',
  description: 'minAvailable >= the pods at minimum scale (HPA minReplicas, else replicas), equality included: at that scale no '
    + 'voluntary eviction is allowed, so `kubectl drain`, node upgrades and autoscaler scale-downs hang.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const pdb of ctx.manifests.pdbs) {
      if (pdb.minAvailable === undefined) continue;
      const c = covered(ctx, pdb);
      if (!c || c.minPods === 0) continue;
      const required = scaled(pdb.minAvailable, c.minPods);
      if (required === undefined || required < c.minPods) continue;
      const byHpa = c.hpas.length > 0;
      const scaleText = byHpa
        ? `${c.hpas.map((h) => `HorizontalPodAutoscaler ${h.name} may scale ${h.target.kind} ${h.target.name} down to minReplicas ${h.minReplicas}`).join('; ')}`
        : `${names(c.workloads)} run${c.workloads.length === 1 ? 's' : ''} ${c.minPods} replica${c.minPods === 1 ? '' : 's'}`;
      const neverAbove = byHpa && c.hpas.every((h) => required >= h.maxReplicas);
      findings.push({
        ruleId: this.id,
        severity: 'error',
        message: `PodDisruptionBudget ${pdb.namespace}/${pdb.name} requires minAvailable ${pdb.minAvailable} and ${scaleText}: `
          + `${byHpa ? 'at minimum scale ' : ''}${c.minPods} − ${required} = ${Math.max(0, c.minPods - required)} pods may be evicted, so no voluntary eviction is possible`
          + `${byHpa ? (neverAbove ? ' at any scale' : ' until the HPA scales up') : ''}. \`kubectl drain\`, node upgrades and cluster-autoscaler scale-down hang on these pods.`,
        hint: byHpa
          ? `Keep the budget below the minimum scale: minAvailable: ${Math.max(1, c.minPods - 1)} (or maxUnavailable: 1), or raise minReplicas to ${required + 1}.`
          : `Keep the budget below the replica count: minAvailable: ${Math.max(0, c.minPods - 1)} (or maxUnavailable: 1), or run ${required + 1} replicas.`,
        objects: [obj(ctx, pdb), ...c.hpas.map((h) => obj(ctx, h)), ...c.workloads.map((w) => obj(ctx, w))],
        targets: c.targets,
        details: { minAvailable: pdb.minAvailable, requiredPods: required, podsAtMinimumScale: c.minPods, hpaMinReplicas: byHpa ? c.hpas.map((h) => h.minReplicas) : undefined },
      });
    }
    return findings;
  },
};

export const pdbMaxUnavailableZeroRule: Rule = {
  id: 'pdb-max-unavailable-zero',
  title: 'PodDisruptionBudget maxUnavailable 0 forbids every voluntary eviction',
  severity: 'error',
  description: 'maxUnavailable: 0 (or 0%) allows no voluntary eviction at any scale; on a single-replica StatefulSet (document 001\'s '
    + 'PostgreSQL) node drains and cluster upgrades hang, and the pod only moves when someone deletes it, bypassing the budget.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const pdb of ctx.manifests.pdbs) {
      if (pdb.maxUnavailable === undefined) continue;
      const c = covered(ctx, pdb);
      if (!c) continue;
      const allowed = scaled(pdb.maxUnavailable, c.minPods);
      if (allowed !== 0) continue;
      const single = c.workloads.length === 1 && c.minPods === 1 ? c.workloads[0] : undefined;
      const what = single
        ? `${single.kind} ${single.namespace}/${single.name} (1 replica)`
        : `${names(c.workloads)} (${c.minPods} pod${c.minPods === 1 ? '' : 's'} at minimum scale)`;
      findings.push({
        ruleId: this.id,
        severity: 'error',
        message: `PodDisruptionBudget ${pdb.namespace}/${pdb.name} sets maxUnavailable ${pdb.maxUnavailable} on ${what}: no voluntary eviction is ever allowed. `
          + '`kubectl drain` of its node never finishes, so node maintenance and cluster upgrades hang'
          + (single ? '; the pod only moves when someone deletes it by hand (which bypasses the budget), i.e. the outage the budget meant to prevent happens anyway, unplanned.' : '.'),
        hint: single
          ? `One replica cannot be kept up during a drain: plan the short outage (maxUnavailable: 1, drained in a maintenance window), or run a replicated ${single.name} (document 001 §5 Database High Availability: Patroni, 3 replicas) with maxUnavailable: 1.`
          : 'Allow at least one disruption (maxUnavailable: 1) and keep enough replicas for the load.',
        objects: [obj(ctx, pdb), ...c.workloads.map((w) => obj(ctx, w))],
        targets: c.targets,
        details: { maxUnavailable: pdb.maxUnavailable, pods: c.minPods, workloads: c.workloads.map(describeRef) },
      });
    }
    return findings;
  },
};

/** The manifests' budgets and HPAs versus the profile's documented ones (same component). */
export const documentedDisruptionRule: Rule = {
  id: 'pdb-differs-from-document',
  title: 'PodDisruptionBudget differs from the documented one',
  severity: 'warning',
  description: 'The profile documents a PodDisruptionBudget for a component; the manifests set another value or none.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const b of ctx.selected.profile.disruptionBudgets) {
      const ws = workloadsForComponent(ctx, b.component);
      if (ws.length === 0) continue;
      const pdbs = ctx.manifests.pdbs.filter((p) => p.selector && workloadsSelectedBy(ctx, p.namespace, p.selector).some((w) => ws.includes(w)));
      const documented = b.minAvailable !== undefined ? `minAvailable ${b.minAvailable}` : `maxUnavailable ${b.maxUnavailable}`;
      const actual = pdbs.map((p) => (p.minAvailable !== undefined ? `minAvailable ${p.minAvailable}` : p.maxUnavailable !== undefined ? `maxUnavailable ${p.maxUnavailable}` : 'no bound'));
      if (pdbs.length > 0 && actual.every((a) => a === documented)) continue;
      findings.push({
        ruleId: this.id,
        severity: 'warning',
        message: pdbs.length === 0
          ? `The profile documents a PodDisruptionBudget for ${b.component} (${documented}); no PodDisruptionBudget in the manifests selects ${names(ws)}.`
          : `The profile documents ${documented} for ${b.component}; the manifests have ${pdbs.map((p, i) => `${p.name}: ${actual[i]}`).join(', ')}.`,
        hint: 'Make the manifests and the document agree (or check against the profile of the document the manifests follow, --profile).',
        objects: [...pdbs.map((p) => obj(ctx, p)), ...ws.map((w) => obj(ctx, w))],
        targets: [fromDisruptionBudget(ctx, b)],
        details: { documented, actual },
      });
    }
    return findings;
  },
};

export const pdbBothBoundsRule: Rule = {
  id: 'pdb-both-bounds',
  title: 'PodDisruptionBudget sets both minAvailable and maxUnavailable',
  severity: 'error',
  description: 'policy/v1 allows one of minAvailable and maxUnavailable: the API server rejects a budget with both '
    + '("minAvailable and maxUnavailable cannot be both set"), so `kubectl apply` fails and the workload has no budget at all.',
  run(ctx) {
    return ctx.manifests.pdbs
      .filter((p) => p.minAvailable !== undefined && p.maxUnavailable !== undefined)
      .map((p) => {
        const ws = p.selector ? workloadsSelectedBy(ctx, p.namespace, p.selector) : [];
        return {
          ruleId: this.id,
          severity: 'error' as const,
          message: `PodDisruptionBudget ${p.namespace}/${p.name} sets both minAvailable ${p.minAvailable} and maxUnavailable ${p.maxUnavailable}: the API server rejects it, so ${ws.length ? names(ws) : 'the pods it selects'} get${ws.length === 1 ? 's' : ''} no disruption budget at all.`,
          hint: 'Keep one of the two: maxUnavailable: 1 for most workloads (it follows scaling), or minAvailable when a fixed quorum must stay up.',
          objects: [obj(ctx, p), ...ws.map((w) => obj(ctx, w))],
          targets: [],
          details: { minAvailable: p.minAvailable, maxUnavailable: p.maxUnavailable },
        };
      });
  },
};
