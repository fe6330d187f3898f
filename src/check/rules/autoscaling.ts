/** HorizontalPodAutoscalers: scale-up speed versus "scale within N", requests, documented values. */
import { documentedAutoscaling, obj, workloadsForComponent, workloadsForTarget } from '../components.ts';
import { fromAutoscaling, fromTarget, ms, secs, type CheckContext, type Finding, type Rule } from '../finding.ts';
import { fastestScaleUp, formatTimeline } from '../hpa-math.ts';
import { hpaFor, mainContainers, type Hpa, type Workload } from '../model.ts';
import { formatResource } from '../../core/quantity.ts';
import { effectiveResources } from './resources.ts';

export const hpaScaleUpRule: Rule = {
  id: 'hpa-scale-up-slower-than-target',
  title: 'Fastest possible HPA scale-up is slower than the documented "scale within"',
  severity: 'error',
  description: 'From the HPA\'s behavior (stabilization window, Pods/Percent policies, selectPolicy; the 15 s sync period and the '
    + '0.1 tolerance), the fastest scale-up from minReplicas to maxReplicas under a sudden load, before any metric lag or pod '
    + 'start time, is longer than the scale-up-time target.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const t of ctx.selected.profile.targets) {
      if (t.metric !== 'scale-up-time' || t.maxValue === undefined || t.kind === 'report') continue;
      const targetS = t.maxValue / 1000;
      const match = workloadsForTarget(ctx, t);
      const withoutHpa = match.workloads.filter((w) => !hpaFor(ctx.manifests, w));
      if (withoutHpa.length > 0) {
        // One cause, one finding: the workloads that never scale by themselves.
        findings.push({
          ruleId: this.id,
          severity: 'warning',
          message: `${withoutHpa.map((w) => `${w.kind} ${w.namespace}/${w.name}`).join(', ')} ${withoutHpa.length === 1 ? 'has' : 'have'} no HorizontalPodAutoscaler, so ${withoutHpa.length === 1 ? 'it never scales' : 'they never scale'} by ${withoutHpa.length === 1 ? 'itself' : 'themselves'}; the profile promises scaling within ${ms(t.maxValue)} (${t.id})`
            + `${match.fallback ? ` (no workload is named ${t.component}, so the target is applied to every application workload)` : ''}.`,
          hint: 'Add an HPA for each workload that must scale (see the profile\'s autoscaling section), map the component to the right workloads (check.components in prodlike.yaml), or check against the profile of the document the manifests follow.',
          objects: withoutHpa.map((w) => obj(ctx, w)),
          targets: [fromTarget(ctx, t)],
          details: { workloads: withoutHpa.map((w) => `${w.namespace}/${w.name}`), appliedToEveryApplicationWorkload: match.fallback },
        });
      }
      for (const w of match.workloads) {
        const hpa = hpaFor(ctx.manifests, w);
        if (!hpa) continue;
        const r = fastestScaleUp({ spec: hpa, from: hpa.minReplicas, to: hpa.maxReplicas, demand: Infinity });
        if (r.reached && r.seconds <= targetS) continue;
        const rules = r.rules.legacy
          ? 'no behavior: at most max(2 × current, 4) per 15 s sync'
          : `stabilization ${r.rules.stabilizationWindowSeconds} s, ${r.rules.policies.map((p) => `${p.type === 'Pods' ? `+${p.value} pods` : `+${p.value}%`} per ${p.periodSeconds} s`).join(' or ')}, selectPolicy ${r.rules.selectPolicy}`;
        findings.push({
          ruleId: this.id,
          severity: 'error',
          message: r.reached
            ? `HorizontalPodAutoscaler ${hpa.namespace}/${hpa.name} needs at least ${secs(r.seconds)} to go from ${hpa.minReplicas} to ${hpa.maxReplicas} replicas `
              + `(${rules}; fastest timeline ${formatTimeline(r.steps)}), longer than "scale within ${ms(t.maxValue)}" (${t.id}). `
              + 'This is a lower bound: metric lag (metrics-server, 15 s+) and pod start-up come on top.'
            : `HorizontalPodAutoscaler ${hpa.namespace}/${hpa.name} cannot reach ${hpa.maxReplicas} replicas (${r.reason}); the profile promises scaling within ${ms(t.maxValue)} (${t.id}).`,
          hint: r.rules.legacy
            ? 'Add a behavior.scaleUp with policies sized to the target.'
            : `Shorten behavior.scaleUp.stabilizationWindowSeconds (${r.rules.stabilizationWindowSeconds} s; 0 reacts at once) and/or allow bigger steps per period (e.g. Percent 100 per 15 s), then re-check; or document a longer scale-up time.`,
          objects: [obj(ctx, hpa), obj(ctx, w)],
          targets: [fromTarget(ctx, t), ...documentedAutoscaling(ctx, w, hpa).map((a) => fromAutoscaling(ctx, a))],
          details: { from: hpa.minReplicas, to: hpa.maxReplicas, fastestSeconds: Number.isFinite(r.seconds) ? r.seconds : null, targetSeconds: targetS, firstStepSeconds: Number.isFinite(r.firstStepSeconds) ? r.firstStepSeconds : null, steps: r.steps },
        });
      }
    }
    return findings;
  },
};

function targetWorkload(ctx: CheckContext, hpa: Hpa): Workload | undefined {
  return ctx.manifests.workloads.find((w) => w.namespace === hpa.namespace && w.kind === hpa.target.kind && w.name === hpa.target.name);
}

export const hpaRequestsRule: Rule = {
  id: 'hpa-utilization-without-requests',
  title: 'HPA utilization target on containers without requests',
  severity: 'error',
  description: 'A CPU/memory Utilization metric is a percentage of the containers\' requests; a container without a request for '
    + 'that resource (and no LimitRange default) makes the HPA fail (FailedGetResourceMetric: missing request) and never scale.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const hpa of ctx.manifests.hpas) {
      const w = targetWorkload(ctx, hpa);
      if (!w) {
        findings.push({
          ruleId: this.id,
          severity: 'warning',
          message: `HorizontalPodAutoscaler ${hpa.namespace}/${hpa.name} targets ${hpa.target.kind} ${hpa.target.name}, which is not in the manifests: it will report FailedGetScale and never scale.`,
          hint: 'Fix scaleTargetRef (kind, name) or add the workload.',
          objects: [obj(ctx, hpa)],
          targets: [],
        });
        continue;
      }
      for (const m of hpa.metrics) {
        if ((m.type !== 'Resource' && m.type !== 'ContainerResource') || m.targetType !== 'Utilization') continue;
        if (m.resource !== 'cpu' && m.resource !== 'memory') continue;
        const resource = m.resource;
        const containers = mainContainers(w.template).filter((c) => m.type === 'Resource' || c.name === m.container);
        for (const c of containers) {
          const eff = effectiveResources(ctx.manifests, w.namespace, c);
          if (eff.requestSource[resource] === 'spec' || eff.requestSource[resource] === 'limit') continue;
          const fromLimitRange = eff.requestSource[resource] === 'limitrange';
          findings.push({
            ruleId: this.id,
            severity: fromLimitRange ? 'info' : 'error',
            message: fromLimitRange
              ? `HorizontalPodAutoscaler ${hpa.namespace}/${hpa.name} scales on ${resource} utilization (${m.averageUtilization}%) of ${w.kind} ${w.name}, whose container ${c.name} sets no ${resource} request: it gets the LimitRange default ${formatResource(resource, eff.requests[resource]!)}, so the percentage is relative to a value the manifest does not show.`
              : `HorizontalPodAutoscaler ${hpa.namespace}/${hpa.name} scales on ${resource} utilization (${m.averageUtilization}%) but container ${c.name} of ${w.kind} ${w.name} has no ${resource} request (and no LimitRange default): the HPA reports "missing request for ${resource}" and never scales.`,
            hint: `Set resources.requests.${resource} on container ${c.name}.`,
            objects: [obj(ctx, hpa), obj(ctx, w)],
            targets: documentedAutoscaling(ctx, w, hpa).map((a) => fromAutoscaling(ctx, a)),
            details: { container: c.name, resource, limitRangeDefault: fromLimitRange ? eff.requests[resource] : null },
          });
        }
      }
    }
    return findings;
  },
};

export const documentedAutoscalingRule: Rule = {
  id: 'hpa-differs-from-document',
  title: 'HPA differs from the documented one',
  severity: 'warning',
  description: 'The profile documents an HPA for a component (min/max replicas, utilization targets, scale-up/down behavior); '
    + 'the manifests set other values or no HPA.',
  run(ctx) {
    const findings: Finding[] = [];
    for (const a of ctx.selected.profile.autoscaling) {
      for (const w of workloadsForComponent(ctx, a.component)) {
        const hpa = hpaFor(ctx.manifests, w);
        const diffs: string[] = [];
        if (!hpa) diffs.push('no HorizontalPodAutoscaler');
        else {
          if (hpa.minReplicas !== a.minReplicas) diffs.push(`minReplicas ${hpa.minReplicas} (documented ${a.minReplicas})`);
          if (hpa.maxReplicas !== a.maxReplicas) diffs.push(`maxReplicas ${hpa.maxReplicas} (documented ${a.maxReplicas})`);
          const util = (r: string) => hpa.metrics.find((m) => m.type === 'Resource' && m.resource === r && m.targetType === 'Utilization')?.averageUtilization;
          if (a.cpuUtilization !== undefined && util('cpu') !== a.cpuUtilization) diffs.push(`cpu utilization ${util('cpu') ?? 'none'} (documented ${a.cpuUtilization})`);
          if (a.memoryUtilization !== undefined && util('memory') !== a.memoryUtilization) diffs.push(`memory utilization ${util('memory') ?? 'none'} (documented ${a.memoryUtilization})`);
          for (const dir of ['scaleUp', 'scaleDown'] as const) {
            const doc = a.behavior?.[dir];
            if (!doc) continue;
            const got = hpa.behavior?.[dir];
            if (doc.stabilizationWindowSeconds !== undefined && got?.stabilizationWindowSeconds !== doc.stabilizationWindowSeconds) {
              diffs.push(`${dir} stabilizationWindowSeconds ${got?.stabilizationWindowSeconds ?? 'default'} (documented ${doc.stabilizationWindowSeconds})`);
            }
            if (doc.selectPolicy !== undefined && (got?.selectPolicy ?? 'Max') !== doc.selectPolicy) diffs.push(`${dir} selectPolicy ${got?.selectPolicy ?? 'Max (default)'} (documented ${doc.selectPolicy})`);
            const fmt = (ps: Array<{ type: string; value: number; periodSeconds: number }> | undefined) => (ps ?? []).map((p) => `${p.type} ${p.value}/${p.periodSeconds}s`).sort().join(', ');
            if (doc.policies && fmt(doc.policies) !== fmt(got?.policies)) diffs.push(`${dir} policies [${fmt(got?.policies) || 'default'}] (documented [${fmt(doc.policies)}])`);
          }
        }
        if (diffs.length === 0) continue;
        findings.push({
          ruleId: this.id,
          severity: 'warning',
          message: `${hpa ? `HorizontalPodAutoscaler ${hpa.namespace}/${hpa.name}` : `${w.kind} ${w.namespace}/${w.name}`} differs from the documented HPA of ${a.component}: ${diffs.join('; ')}.`,
          hint: 'Make the manifests and the document agree, or check against the profile of the document the manifests follow (--profile).',
          objects: [...(hpa ? [obj(ctx, hpa)] : []), obj(ctx, w)],
          targets: [fromAutoscaling(ctx, a)],
          details: { differences: diffs },
        });
      }
    }
    return findings;
  },
};
