/**
 * The HorizontalPodAutoscaler's scale-up path as a pure function, following the controller
 * (kubernetes pkg/controller/podautoscaler, horizontal.go + replica_calculator.go):
 *
 * - every sync period (15 s, --horizontal-pod-autoscaler-sync-period) the controller computes a raw
 *   recommendation ceil(current × ratio), or keeps `current` when the ratio is within the tolerance
 *   (`1 - tol <= ratio <= 1 + tol`, tol 0.1 by default or behavior.scaleUp.tolerance);
 * - scale-up stabilization: the recommendation used is the MINIMUM of the raw recommendations recorded
 *   during the last `stabilizationWindowSeconds` (a sample counts while its timestamp is after
 *   now - window), never below the current count;
 * - rate limit: for each policy, periodStart = current - replicas added during the last
 *   `periodSeconds`; a Pods policy allows periodStart + value, a Percent policy
 *   ceil(periodStart × (1 + value/100)); selectPolicy Max takes the largest allowance, Min the
 *   smallest, Disabled forbids scaling up; the result is capped by maxReplicas;
 * - without `spec.behavior` the controller uses its legacy rule instead: at most
 *   max(2 × current, 4) per sync, no scale-up stabilization.
 *
 * "Fastest" means: the load that needs `demand` replicas at the target utilization appears just
 * before a sync (t = 0) and the metrics show it at once; before that the HPA sat at `from` with raw
 * recommendations <= `from`. Metric lag (metrics-server resolution, CPU initialization period), pod
 * scheduling and start-up time are NOT included: the result is a lower bound of the real scale-up.
 */
import type { HpaBehavior, HpaScalingPolicy, HpaScalingRules } from './model.ts';

export const DEFAULT_SYNC_PERIOD_SECONDS = 15;
export const DEFAULT_TOLERANCE = 0.1;

/** autoscaling/v2 defaults for behavior.scaleUp fields left out (GenerateHPAScaleUpRules). */
export const DEFAULT_SCALE_UP: Required<Pick<HpaScalingRules, 'stabilizationWindowSeconds' | 'selectPolicy' | 'policies'>> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};

export interface HpaSpecForScaling {
  minReplicas?: number;
  maxReplicas: number;
  behavior?: HpaBehavior;
}

export interface FastestScaleUpInput {
  spec: HpaSpecForScaling;
  from: number;
  to: number;
  /** Replicas the load needs at the target utilization (default: `to`). Infinity = far above capacity. */
  demand?: number;
  /** Default: behavior.scaleUp.tolerance, else 0.1. */
  tolerance?: number;
  syncPeriodSeconds?: number;
  /** Stop simulating after this many seconds (default 24 h). */
  horizonSeconds?: number;
}

export type ScaleUpLimit = 'policy' | 'maxReplicas' | 'demand';

export interface ScaleUpStep {
  atSeconds: number;
  from: number;
  to: number;
  /** What capped this step: a rate policy, maxReplicas, or nothing (the demand itself). */
  limitedBy: ScaleUpLimit;
  /** Replicas the rate policies allowed at that sync. */
  allowed: number;
}

export interface FastestScaleUpResult {
  /** True when `to` replicas are reached. */
  reached: boolean;
  /** Seconds from t = 0 until `to` replicas are reached (Infinity when never). */
  seconds: number;
  /** Seconds until the first scale-up step (Infinity when none). */
  firstStepSeconds: number;
  steps: ScaleUpStep[];
  /** Why it never reaches `to` (tolerance, Disabled, maxReplicas…), when it does not. */
  reason?: string;
  /** The rules used after defaulting. */
  rules: { legacy: boolean; stabilizationWindowSeconds: number; selectPolicy: 'Max' | 'Min' | 'Disabled'; policies: HpaScalingPolicy[]; tolerance: number; syncPeriodSeconds: number };
}

export function resolveScaleUpRules(behavior: HpaBehavior | undefined): FastestScaleUpResult['rules'] & { legacy: boolean } {
  if (!behavior) {
    return { legacy: true, stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [], tolerance: DEFAULT_TOLERANCE, syncPeriodSeconds: DEFAULT_SYNC_PERIOD_SECONDS };
  }
  const up = behavior.scaleUp ?? {};
  return {
    legacy: false,
    stabilizationWindowSeconds: up.stabilizationWindowSeconds ?? DEFAULT_SCALE_UP.stabilizationWindowSeconds,
    selectPolicy: up.selectPolicy ?? DEFAULT_SCALE_UP.selectPolicy,
    policies: up.policies && up.policies.length > 0 ? up.policies : DEFAULT_SCALE_UP.policies,
    tolerance: up.tolerance ?? DEFAULT_TOLERANCE,
    syncPeriodSeconds: DEFAULT_SYNC_PERIOD_SECONDS,
  };
}

export function fastestScaleUp(input: FastestScaleUpInput): FastestScaleUpResult {
  const { spec, from, to } = input;
  const demand = input.demand ?? to;
  const base = resolveScaleUpRules(spec.behavior);
  const s = input.syncPeriodSeconds ?? DEFAULT_SYNC_PERIOD_SECONDS;
  const rules = { ...base, tolerance: input.tolerance ?? base.tolerance, syncPeriodSeconds: s };
  const horizon = input.horizonSeconds ?? 86_400;
  const min = spec.minReplicas ?? 1;
  const max = spec.maxReplicas;
  const result = (reached: boolean, seconds: number, steps: ScaleUpStep[], reason?: string): FastestScaleUpResult => ({
    reached,
    seconds,
    firstStepSeconds: steps[0]?.atSeconds ?? Infinity,
    steps,
    ...(reason ? { reason } : {}),
    rules,
  });

  let current = Math.max(from, min);
  const steps: ScaleUpStep[] = [];
  if (current >= to) return result(true, 0, steps);
  if (to > max) return result(false, Infinity, steps, `maxReplicas is ${max}, below ${to}`);
  if (Math.ceil(demand) < to) return result(false, Infinity, steps, `the load needs only ${Math.ceil(demand)} replicas`);
  if (!rules.legacy && rules.selectPolicy === 'Disabled') return result(false, Infinity, steps, 'behavior.scaleUp.selectPolicy is Disabled');

  // Raw recommendations recorded before the load: the HPA sat at `from`.
  const recommendations: Array<{ t: number; value: number }> = [];
  const window = rules.legacy ? 0 : rules.stabilizationWindowSeconds;
  for (let k = Math.ceil(window / s) + 1; k >= 1; k--) recommendations.push({ t: -k * s, value: from });
  const events: Array<{ t: number; change: number }> = [];

  for (let t = 0; t <= horizon; t += s) {
    const ratio = demand / current;
    const within = 1 - rules.tolerance <= ratio && ratio <= 1 + rules.tolerance;
    // ceil(current × ratio) = ceil(demand); computed from the demand to keep float noise out.
    const raw = Number.isFinite(demand) ? Math.ceil(demand) : Infinity;
    if (within) return result(false, Infinity, steps, `at ${current} replicas the load is within the ${rules.tolerance} tolerance (ratio ${ratio.toFixed(3)}): no further scale-up`);

    // Scale-up stabilization: the smallest raw recommendation in the window (including this one).
    let up = raw;
    for (const r of recommendations) if (r.t > t - window) up = Math.min(up, r.value);
    recommendations.push({ t, value: raw });
    const recommendation = Math.max(current, up);

    let next = current;
    let limitedBy: ScaleUpLimit = 'demand';
    let allowed = max;
    if (recommendation > current) {
      if (rules.legacy) {
        allowed = Math.max(2 * current, 4);
      } else {
        const proposals = rules.policies.map((p) => {
          const added = events.filter((e) => e.t > t - p.periodSeconds).reduce((sum, e) => sum + e.change, 0);
          const start = current - added;
          return p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
        });
        allowed = rules.selectPolicy === 'Min' ? Math.min(...proposals) : Math.max(...proposals);
        if (allowed < current) allowed = current;
      }
      const cap = Math.min(allowed, max);
      next = Math.min(recommendation, cap);
      if (recommendation > cap) limitedBy = allowed <= max ? 'policy' : 'maxReplicas';
      next = Math.max(next, min);
    }
    if (next > current) {
      steps.push({ atSeconds: t, from: current, to: next, limitedBy, allowed: Math.min(allowed, max) });
      events.push({ t, change: next - current });
      current = next;
      if (current >= to) return result(true, t, steps);
    }
  }
  return result(false, Infinity, steps, `not reached within ${horizon} s`);
}

/** "45 s 2→4, 105 s 4→8, 165 s 8→10" */
export function formatTimeline(steps: readonly ScaleUpStep[]): string {
  return steps.map((st) => `${st.atSeconds} s ${st.from}→${st.to}`).join(', ');
}
