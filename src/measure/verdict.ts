import { describeSource } from '../config/load-targets.ts';
import type { TargetsFile } from '../config/targets-schema.ts';
import { InternalError } from '../core/errors.ts';

export const VERDICTS = ['pass', 'fail', 'skipped'] as const;
export type VerdictStatus = (typeof VERDICTS)[number];

/** `<=` for a `max` bound, `>=` for a `min` bound, `within` when the target has both. */
export type Comparator = '<=' | '>=' | 'within';

export interface VerdictSource {
  doc: string;
  section: string;
  quote?: string;
  /** "doc 001 (On-prem architecture) §High Availability › 5. Disaster Recovery Plan" */
  label: string;
}

export interface Verdict {
  targetId: string;
  metric: string;
  component: string;
  /** slo: must hold (missed → exit 1); alert: alerting threshold; report: measured, unbounded. */
  targetKind: 'slo' | 'alert' | 'report';
  measured: number | null;
  unit: string;
  /** The bound that decides (the violated one, or the nearer one for `within`). */
  limit: number | null;
  comparator: Comparator | null;
  /** limit − measured for a max bound, measured − limit for a min bound: negative when missed. */
  margin: number | null;
  verdict: VerdictStatus;
  /** Always present when skipped; explains lower bounds and notes otherwise. */
  reason?: string;
  /** The measured value is only "at least" (e.g. the service had not recovered when measuring stopped). */
  lowerBound?: boolean;
  source: VerdictSource;
}

/** The parts of a documented target (`Target` from targets-schema) a verdict needs; harness-own checks use it too. */
export interface BoundedTarget {
  id: string;
  metric: string;
  component: string;
  kind?: 'slo' | 'alert' | 'report';
  unit: string;
  maxValue?: number | undefined;
  minValue?: number | undefined;
  source: { doc: string; section: string; quote?: string | undefined };
}

export type Measurement =
  /** `metric`: what was measured (rto, rpo…); only read when no target defines it (`reportWithoutTarget`). */
  | { value: number; unit?: string; metric?: string; lowerBound?: boolean; note?: string }
  | { skipped: string };

/**
 * Compares a measured value with a target. A skipped measurement needs a reason; a lower-bound measurement
 * (`lowerBound: true`) fails a max bound it already exceeds, passes a min bound it already meets, and is
 * otherwise undecidable (skipped, with the reason).
 */
export function evaluateTarget(target: BoundedTarget, measurement: Measurement, options: { file?: TargetsFile; sourceLabel?: string } = {}): Verdict {
  const source: VerdictSource = {
    doc: target.source.doc,
    section: target.source.section,
    ...(target.source.quote === undefined ? {} : { quote: target.source.quote }),
    label: options.sourceLabel ?? describeSource({ source: { doc: target.source.doc, section: target.source.section } }, options.file),
  };
  const base = { targetId: target.id, metric: target.metric, component: target.component, targetKind: target.kind ?? 'slo', unit: target.unit, source } as const;
  const hasMax = target.maxValue !== undefined;
  const hasMin = target.minValue !== undefined;
  const comparator: Comparator | null = hasMax && hasMin ? 'within' : hasMax ? '<=' : hasMin ? '>=' : null;

  if ('skipped' in measurement) {
    if (!measurement.skipped.trim()) throw new InternalError(`verdict for ${target.id}: a skipped measurement must say why`);
    return { ...base, measured: null, limit: target.maxValue ?? target.minValue ?? null, comparator, margin: null, verdict: 'skipped', reason: measurement.skipped };
  }
  if (measurement.unit !== undefined && measurement.unit !== target.unit) {
    throw new InternalError(`verdict for ${target.id}: measured in ${measurement.unit} but the target is in ${target.unit}; convert before evaluating`);
  }
  const { value } = measurement;
  // Every measured value is finite: a loss is measured as what was lost (e.g. the age of the oldest lost
  // acknowledged write, which fails an RPO of 0), an unfinished recovery as a lower bound. Infinity or NaN
  // here is a bug in the scenario, not a result.
  if (!Number.isFinite(value)) {
    throw new InternalError(`verdict for ${target.id}: measured value ${value} is not a finite number; a scenario must measure a finite value (a loss as the age of the oldest lost item, an unfinished recovery as a lower bound with lowerBound: true)`);
  }
  const lowerBound = measurement.lowerBound === true;
  const note = measurement.note;
  const withNote = (reason?: string) => {
    const text = [reason, note].filter(Boolean).join('; ');
    return text ? { reason: text } : {};
  };
  if (comparator === null) {
    return { ...base, measured: value, limit: null, comparator, margin: null, verdict: 'skipped', ...withNote('report-only target: measured and reported, the document gives no bound'), ...(lowerBound ? { lowerBound } : {}) };
  }

  const maxMargin = hasMax ? target.maxValue! - value : Number.POSITIVE_INFINITY;
  const minMargin = hasMin ? value - target.minValue! : Number.POSITIVE_INFINITY;
  const useMax = maxMargin <= minMargin;
  const limit = useMax ? target.maxValue! : target.minValue!;
  const margin = useMax ? maxMargin : minMargin;

  if (lowerBound) {
    // value is "at least": exceeding a max is certain; anything else cannot be decided.
    if (hasMax && value > target.maxValue!) {
      return { ...base, measured: value, limit: target.maxValue!, comparator, margin: target.maxValue! - value, verdict: 'fail', lowerBound, ...withNote('measured value is a lower bound and already exceeds the limit') };
    }
    if (hasMin && !hasMax && value >= target.minValue!) {
      return { ...base, measured: value, limit: target.minValue!, comparator, margin: value - target.minValue!, verdict: 'pass', lowerBound, ...withNote('measured value is a lower bound and already meets the minimum') };
    }
    return { ...base, measured: value, limit, comparator, margin: null, verdict: 'skipped', lowerBound, ...withNote('only a lower bound was measured (the measurement window ended first); it does not decide the target') };
  }
  return { ...base, measured: value, limit, comparator, margin, verdict: margin >= 0 ? 'pass' : 'fail', ...withNote() };
}

/**
 * A figure a scenario measured for a target id the selected profile does not have: kept, reported, not
 * judged (targetKind 'report', like a report-only target, with no limit). The metric and unit are the
 * measurement's own when it names them, `unknown` otherwise: nothing is borrowed from a target that is
 * not there. The source says so instead of naming a document.
 */
export function reportWithoutTarget(id: string, measurement: Measurement, profile: string): Verdict {
  const missing = `profile ${profile} has no target ${id}`;
  const source: VerdictSource = { doc: '', section: '', label: `no target in profile ${profile}` };
  const base = { targetId: id, component: 'unknown', targetKind: 'report', limit: null, comparator: null, margin: null, verdict: 'skipped', source } as const;
  if ('skipped' in measurement) {
    if (!measurement.skipped.trim()) throw new InternalError(`verdict for ${id}: a skipped measurement must say why`);
    return { ...base, metric: 'unknown', unit: 'unknown', measured: null, reason: `${missing}; not measured: ${measurement.skipped}` };
  }
  if (!Number.isFinite(measurement.value)) throw new InternalError(`verdict for ${id}: measured value ${measurement.value} is not a finite number`);
  const reason = [`${missing}: measured, not judged`, measurement.note].filter(Boolean).join('; ');
  const idMetric = /\.(rto|rpo)$/.exec(id)?.[1];
  return {
    ...base,
    // An id ending in .rto/.rpo names its metric; the suites measure both in milliseconds (hrNow).
    metric: measurement.metric ?? idMetric ?? 'unknown',
    unit: measurement.unit ?? (idMetric ? 'ms' : 'unknown'),
    measured: measurement.value,
    reason,
    ...(measurement.lowerBound ? { lowerBound: true } : {}),
  };
}

/**
 * Whether a verdict lets a scenario pass: a target met, or a report-only figure that was measured
 * (a report-kind target, or a figure the profile has no target for). A missed or undecided target does not.
 */
export function held(verdict: Verdict): boolean {
  return verdict.targetKind === 'report' ? verdict.measured !== null : verdict.verdict === 'pass';
}

/** Verdicts that make a run exit 1: missed SLO targets (alert/report kinds are reported, not enforced). */
export function missedTargets(verdicts: readonly Verdict[]): Verdict[] {
  return verdicts.filter((v) => v.verdict === 'fail' && v.targetKind === 'slo');
}
