/** Probe timings versus the documented RTO of the component. */
import { isDataStore, obj, workloadsForTarget } from '../components.ts';
import { fromTarget, ms, secs, type Finding, type Rule } from '../finding.ts';
import { selectorMatches } from '../label-selector.ts';
import { mainContainers, type Container } from '../model.ts';

export interface ReadyBudget {
  /** Worst-case seconds from a container (re)start to Ready that the probes tolerate; Infinity when nothing bounds it. */
  restartToReady: number;
  /** How long a start may take before a probe kills the container. */
  startBudget: number;
  startBudgetFrom: 'startupProbe' | 'livenessProbe' | 'none';
  /** Seconds to detect a hung container (liveness failureThreshold × periodSeconds), when there is a liveness probe. */
  hangDetection?: number;
  /** terminationGracePeriodSeconds: how long a container ignoring SIGTERM keeps running after the kill. */
  terminationGrace: number;
  formula: string;
}

/**
 * Worst case to Ready after a restart, from the probes:
 *   start budget = startupProbe initialDelaySeconds + failureThreshold × periodSeconds
 *                  (no startup probe: the same sum of the liveness probe; neither: unbounded),
 *   Ready        = max(start budget, readiness initialDelaySeconds) + readiness periodSeconds × successThreshold.
 */
export function readyBudget(c: Container, terminationGrace: number): ReadyBudget {
  const start = c.startup ?? c.liveness;
  const startBudget = start ? start.initialDelaySeconds + start.failureThreshold * start.periodSeconds : Infinity;
  const from = c.startup ? 'startupProbe' : c.liveness ? 'livenessProbe' : 'none';
  const r = c.readiness;
  const restartToReady = r ? Math.max(startBudget, r.initialDelaySeconds) + r.periodSeconds * r.successThreshold : startBudget;
  const formula = [
    start ? `${from} ${start.initialDelaySeconds} + ${start.failureThreshold} × ${start.periodSeconds} s = ${startBudget} s to start` : 'no startup or liveness probe: a start that hangs is never restarted',
    r ? `then readiness every ${r.periodSeconds} s${r.successThreshold > 1 ? ` × ${r.successThreshold} successes` : ''}${r.initialDelaySeconds > startBudget ? ` after its ${r.initialDelaySeconds} s initial delay` : ''}` : '',
  ].filter(Boolean).join(', ');
  return {
    restartToReady,
    startBudget,
    startBudgetFrom: from,
    ...(c.liveness ? { hangDetection: c.liveness.failureThreshold * c.liveness.periodSeconds } : {}),
    terminationGrace,
    formula,
  };
}

export const probeTimingRule: Rule = {
  id: 'probe-time-exceeds-rto',
  title: 'Probes tolerate a recovery slower than the documented RTO',
  severity: 'warning',
  description: 'Worst-case time from a container restart to Ready that the startup/liveness/readiness probes accept '
    + '(startup budget initialDelaySeconds + failureThreshold × periodSeconds, then the readiness period) is longer than '
    + 'the RTO documented for the component: a restart that slow is not flagged by any probe, yet misses the RTO.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const t of ctx.selected.profile.targets) {
      if (t.metric !== 'rto' || t.maxValue === undefined || t.kind === 'report') continue;
      const rtoS = t.maxValue / 1000;
      const workloads = workloadsForTarget(ctx, t).workloads;
      for (const w of workloads) {
        const budgets = mainContainers(w.template)
          .filter((c) => c.readiness || c.liveness || c.startup)
          .map((c) => ({ c, b: readyBudget(c, w.template.terminationGracePeriodSeconds) }));
        const worst = budgets.sort((a, b) => b.b.restartToReady - a.b.restartToReady)[0];
        if (!worst || worst.b.restartToReady <= rtoS) continue;
        const { c, b } = worst;
        const hang = b.hangDetection !== undefined && Number.isFinite(b.restartToReady)
          ? ` A hung container adds up to ${b.hangDetection} s of liveness failures and ${b.terminationGrace} s of termination grace before the restart: ${secs(b.hangDetection + b.terminationGrace + b.restartToReady)} in all.`
          : '';
        findings.push({
          ruleId: this.id,
          severity: 'warning',
          message: Number.isFinite(b.restartToReady)
            ? `${w.kind} ${w.namespace}/${w.name}, container ${c.name}: the probes accept up to ${secs(b.restartToReady)} from a restart to Ready `
              + `(${b.formula}), more than the ${ms(t.maxValue)} RTO (${t.id}). A restart that slow is not flagged by any probe, yet misses the RTO.${hang}`
            : `${w.kind} ${w.namespace}/${w.name}, container ${c.name}: nothing bounds the time from a restart to Ready (${b.formula}); the ${ms(t.maxValue)} RTO (${t.id}) is not enforced by the probes.`,
          hint: b.startBudgetFrom === 'startupProbe'
            ? `Size the startup probe to the RTO: failureThreshold × periodSeconds ≤ ${Math.floor(rtoS) - (c.readiness?.periodSeconds ?? 0)} s (measure the real start time with \`prodlike run failover\`), or document a longer RTO.`
            : b.startBudgetFrom === 'livenessProbe'
              ? `Lower the liveness initialDelaySeconds/failureThreshold (or add a startup probe) so a start is given up within ${Math.floor(rtoS)} s, or document a longer RTO.`
              : 'Add a liveness or startup probe so a hung start is restarted.',
          objects: [obj(ctx, w)],
          targets: [fromTarget(ctx, t)],
          details: {
            container: c.name,
            restartToReadySeconds: Number.isFinite(b.restartToReady) ? b.restartToReady : null,
            startBudgetSeconds: Number.isFinite(b.startBudget) ? b.startBudget : null,
            startBudgetFrom: b.startBudgetFrom,
            hangDetectionSeconds: b.hangDetection ?? null,
            terminationGracePeriodSeconds: b.terminationGrace,
            rtoSeconds: rtoS,
          },
        });
      }
    }
    return findings;
  },
};

export const probeMissingRule: Rule = {
  id: 'probe-missing',
  title: 'Container without any probe',
  severity: 'warning',
  description: 'A long-running container with no readiness, liveness or startup probe: it receives traffic as soon as it starts, '
    + 'a hung process is never restarted, and no restart-to-Ready time can be bounded against an RTO. Warning for the main '
    + '(first) container; info when only a sidecar has none.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const w of ctx.manifests.workloads) {
      if (w.kind !== 'Deployment' && w.kind !== 'StatefulSet' && w.kind !== 'DaemonSet') continue;
      const containers = mainContainers(w.template);
      const bare = containers.filter((c) => !c.readiness && !c.liveness && !c.startup);
      if (bare.length === 0) continue;
      const mainBare = bare.includes(containers[0]!);
      const rto = mainBare ? ctx.selected.profile.targets.filter((t) => t.metric === 'rto' && t.maxValue !== undefined && t.kind !== 'report' && workloadsForTarget(ctx, t).workloads.includes(w)) : [];
      const served = ctx.manifests.services.some((s) => s.namespace === w.namespace && s.selector && selectorMatches(s.selector, w.template.labels));
      const names = bare.map((c) => c.name).join(', ');
      const effect = !mainBare
        ? 'a hung sidecar is never restarted'
        : `${served ? `${isDataStore(ctx, w) ? 'clients connect' : 'traffic arrives'} through its Service before it can serve, and ` : ''}a hung process is never restarted`;
      findings.push({
        ruleId: this.id,
        severity: mainBare ? 'warning' : 'info',
        message: `${w.kind} ${w.namespace}/${w.name}: container${bare.length > 1 ? 's' : ''} ${names} ${bare.length > 1 ? 'have' : 'has'} no readiness, liveness or startup probe`
          + `${mainBare ? '' : ` (sidecar${bare.length > 1 ? 's' : ''}; the main container has probes)`}: ${effect}`
          + `${rto.length ? `, so nothing enforces the ${rto.map((t) => `${ms(t.maxValue!)} RTO (${t.id})`).join(', ')}` : ''}.`,
        hint: `Add a readinessProbe (and a livenessProbe or startupProbe) to ${bare.map((c) => c.name).join(', ')}: an HTTP health endpoint, a TCP check of the listening port, or an exec check (pg_isready, redis-cli ping).`,
        objects: [obj(ctx, w)],
        targets: rto.map((t) => fromTarget(ctx, t)),
        details: { containers: bare.map((c) => c.name), mainContainer: mainBare },
      });
    }
    return findings;
  },
};
