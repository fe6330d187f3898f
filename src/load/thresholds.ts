import { describeSource } from '../config/load-targets.ts';
import type { Target, TargetProfile, TargetsFile } from '../config/targets-schema.ts';

/**
 * k6 thresholds generated from documented targets, never written into the scripts. Each generated
 * threshold keeps the target it came from (id, profile, source document), so the result table can say
 * "submit p95 < 200 ms (api.p95, doc 003 §Performance Targets)". Pure: no I/O.
 */
export interface K6Threshold {
  threshold: string;
  abortOnFail: false;
}
export type K6Thresholds = Record<string, K6Threshold[]>;

export interface ThresholdMapping {
  /** k6 metric key, e.g. `http_req_duration{name:submit}`. */
  key: string;
  /** k6 threshold expression, e.g. `p(95)<200`. */
  expression: string;
  /** Human name of the measured quantity, e.g. `submit p95`. */
  label: string;
  targetId: string;
  profile: string;
  targetKind: Target['kind'];
  /** The bound in the target's unit (ms, %, req/s). */
  limit: number;
  unit: string;
  comparator: '<' | '<=' | '>' | '>=';
  /** "doc 003 (title) §section". */
  source: string;
  /** Short reference for footnotes: `doc 003 §section — "quote"`. */
  reference: string;
  /** Set when the threshold is derived rather than the target verbatim (says how). */
  derivedFrom?: string;
  /** Alerts fire only when the condition lasts `for`; a run checks its whole-run aggregate. */
  note?: string;
}

export interface UnmappedTarget {
  targetId: string;
  profile: string;
  metric: string;
  reason: string;
  /** Targets the runner measures itself (queue length from Redis). */
  measuredBy?: 'queue-sampler';
}

/** A documented target with no bound (`kind: report`) that the load test measures and reports. */
export interface ReportedTarget {
  targetId: string;
  profile: string;
  metric: string;
  source: string;
  reference: string;
}

export interface ThresholdPlan {
  thresholds: K6Thresholds;
  mappings: ThresholdMapping[];
  unmapped: UnmappedTarget[];
  reported: ReportedTarget[];
}

/** What a script offers to threshold against (from the script catalogue). */
export interface ScriptTraits {
  /** Request `name` tags; latency SLOs become one threshold per name. Empty: the aggregate. */
  endpoints?: string[];
  /** Names whose latency is deliberate work, exempt from latency targets, with the reason. */
  latencyExempt?: Record<string, string>;
  /** Custom metrics the script defines. */
  metrics?: string[];
  /** Requests/s the run offers (arrival rate x requests per iteration); undefined for closed loops. */
  offeredRps?: number | undefined;
}

export interface ProfileInput {
  name: string;
  profile: TargetProfile;
  file?: TargetsFile;
}

/** Metrics a load test can see; other targets (RTO, RPO, availability…) are not its business. */
const LOAD_METRICS = new Set(['latency-p95', 'latency-avg', 'error-rate', 'success-rate', 'throughput', 'execution-time-p95', 'queue-length']);

/** `doc 003 §Performance Targets › Infrastructure Performance Goals — "API Response Time: < 200ms"` */
export function referenceOf(t: Pick<Target, 'source'>): string {
  return `doc ${t.source.doc} §${t.source.section}${t.source.quote ? ` — "${t.source.quote}"` : ''}`;
}

const trim = (n: number) => Number(n.toFixed(6)).toString();

export function thresholdsFromProfile(input: ProfileInput | TargetProfile, traits: ScriptTraits = {}): ThresholdPlan {
  const { name, profile, file } = 'targets' in input && 'title' in input ? { name: 'profile', profile: input, file: undefined } : input;
  const endpoints = traits.endpoints ?? [];
  const exempt = traits.latencyExempt ?? {};
  const latencyEndpoints = endpoints.filter((e) => !(e in exempt));
  const exemptNote = endpoints.filter((e) => e in exempt).map((e) => `${e}: ${exempt[e]}`).join('; ');
  const metrics = new Set(traits.metrics ?? []);
  const plan: ThresholdPlan = { thresholds: {}, mappings: [], unmapped: [], reported: [] };
  const add = (m: ThresholdMapping) => {
    const list = (plan.thresholds[m.key] ??= []);
    if (!list.some((t) => t.threshold === m.expression)) list.push({ threshold: m.expression, abortOnFail: false });
    plan.mappings.push(m);
  };
  const unmapped = (t: Target, reason: string, measuredBy?: UnmappedTarget['measuredBy']) =>
    plan.unmapped.push({ targetId: t.id, profile: name, metric: t.metric, reason, ...(measuredBy ? { measuredBy } : {}) });

  const ctx: MapContext = { add, unmapped, endpoints, latencyEndpoints, exemptNote, metrics, traits };
  for (const t of profile.targets) {
    if (!LOAD_METRICS.has(t.metric)) continue;
    const source = describeSource(t, file);
    const reference = referenceOf(t);
    const base = { targetId: t.id, profile: name, targetKind: t.kind, unit: t.unit, source, reference };
    const alertNote = t.kind === 'alert' && t.forMs !== undefined ? `an alert fires when this holds for ${t.for}; the run checks its whole-run value` : undefined;
    const withNote = alertNote ? { note: alertNote } : {};

    if (t.metric === 'queue-length') {
      unmapped(t, 'k6 cannot see the Redis queue; measured by the runner (LLEN execution-queue, sampled every second)', 'queue-sampler');
      continue;
    }
    if (t.maxValue === undefined && t.minValue === undefined) {
      plan.reported.push({ targetId: t.id, profile: name, metric: t.metric, source, reference });
      continue;
    }

    mapTarget(t, base, withNote, ctx);
  }
  return plan;
}

type MappingBase = Pick<ThresholdMapping, 'targetId' | 'profile' | 'targetKind' | 'unit' | 'source' | 'reference'>;
type AlertNote = { note?: string };

interface MapContext {
  add: (m: ThresholdMapping) => void;
  unmapped: (t: Target, reason: string, measuredBy?: UnmappedTarget['measuredBy']) => void;
  endpoints: string[];
  latencyEndpoints: string[];
  exemptNote: string;
  metrics: Set<string>;
  traits: ScriptTraits;
}

/** One bounded target as k6 thresholds, or unmapped with the reason. */
function mapTarget(t: Target, base: MappingBase, withNote: AlertNote, ctx: MapContext): void {
  const { add, unmapped, metrics, traits } = ctx;
  switch (t.metric) {
    case 'latency-p95':
    case 'latency-avg':
      mapLatency(t, base, withNote, ctx);
      break;
    case 'error-rate': {
      if (t.maxValue === undefined) {
        unmapped(t, 'an error-rate target needs a max bound');
        break;
      }
      const fraction = t.maxValue / 100;
      add({ ...base, key: 'http_req_failed', label: 'HTTP error rate', expression: `rate<${trim(fraction)}`, limit: t.maxValue, comparator: '<', ...withNote });
      if (metrics.has('execution_success')) {
        add({
          ...base,
          key: 'execution_success',
          label: 'execution success rate',
          expression: `rate>${trim(1 - fraction)}`,
          limit: 100 - t.maxValue,
          comparator: '>',
          derivedFrom: `${t.id}: a failed or unsettled execution counts as an error, so success must stay above ${trim(100 - t.maxValue)}%`,
          ...withNote,
        });
      }
      break;
    }
    case 'success-rate': {
      if (!metrics.has('execution_success') || t.minValue === undefined) {
        unmapped(t, metrics.has('execution_success') ? 'a success-rate target needs a min bound' : 'this script does not measure execution success');
        break;
      }
      add({ ...base, key: 'execution_success', label: 'execution success rate', expression: `rate>=${trim(t.minValue / 100)}`, limit: t.minValue, comparator: '>=', ...withNote });
      break;
    }
    case 'execution-time-p95': {
      if (!metrics.has('execution_e2e') || t.maxValue === undefined) {
        unmapped(t, metrics.has('execution_e2e') ? 'an execution-time target needs a max bound' : 'this script does not run executions');
        break;
      }
      add({ ...base, key: 'execution_e2e', label: 'execution end-to-end p95', expression: `p(95)<${trim(t.maxValue)}`, limit: t.maxValue, comparator: '<', ...withNote });
      break;
    }
    case 'throughput': {
      if (t.minValue === undefined) {
        unmapped(t, 'a throughput target needs a min bound');
        break;
      }
      // With an open (arrival-rate) model the achieved rate can only approach the offered one, so a
      // throughput target is a test only when the run offers at least that much.
      if (traits.offeredRps === undefined) {
        unmapped(t, 'closed-loop script: its request rate is set by the VUs, not by the target');
        break;
      }
      if (traits.offeredRps < t.minValue) {
        unmapped(t, `this run offers ${trim(traits.offeredRps)} req/s, below the ${trim(t.minValue)} req/s target: throughput is not tested (use read-heavy)`);
        break;
      }
      add({ ...base, key: 'http_reqs', label: 'request rate', expression: `rate>=${trim(t.minValue)}`, limit: t.minValue, comparator: '>=', ...withNote });
      break;
    }
    default:
      break;
  }
}

/** A latency target: per API endpoint for an SLO, the aggregate for an alert; never over deliberate work. */
function mapLatency(t: Target, base: MappingBase, withNote: AlertNote, ctx: MapContext): void {
  const { add, unmapped, endpoints, latencyEndpoints, exemptNote } = ctx;
  if (t.maxValue === undefined) {
    unmapped(t, 'a latency target needs a max bound');
    return;
  }
  const stat = t.metric === 'latency-p95' ? 'p(95)' : 'avg';
  const statLabel = t.metric === 'latency-p95' ? 'p95' : 'avg';
  // An SLO applies to every API endpoint; an alert watches the aggregate (as a dashboard would).
  const perEndpoint = t.kind === 'slo' && latencyEndpoints.length > 0;
  if (endpoints.length > 0 && latencyEndpoints.length === 0) {
    unmapped(t, `latency is not an API target for this script (${exemptNote})`);
    return;
  }
  if (!perEndpoint && latencyEndpoints.length !== endpoints.length) {
    unmapped(t, `the aggregate latency would include deliberate work (${exemptNote})`);
    return;
  }
  const keys = perEndpoint ? latencyEndpoints.map((e) => ({ key: `http_req_duration{name:${e}}`, label: `${e} ${statLabel}` })) : [{ key: 'http_req_duration', label: `all requests ${statLabel}` }];
  for (const k of keys) add({ ...base, ...k, expression: `${stat}<${trim(t.maxValue)}`, limit: t.maxValue, comparator: '<', ...withNote });
}

/** Several profiles (`--targets performance,execution`): thresholds merged, every mapping kept. */
export function thresholdsFromProfiles(inputs: ProfileInput[], traits: ScriptTraits = {}): ThresholdPlan {
  const merged: ThresholdPlan = { thresholds: {}, mappings: [], unmapped: [], reported: [] };
  for (const input of inputs) {
    const plan = thresholdsFromProfile(input, traits);
    for (const [key, list] of Object.entries(plan.thresholds)) {
      const into = (merged.thresholds[key] ??= []);
      for (const t of list) if (!into.some((x) => x.threshold === t.threshold)) into.push(t);
    }
    merged.mappings.push(...plan.mappings);
    merged.unmapped.push(...plan.unmapped);
    merged.reported.push(...plan.reported);
  }
  return merged;
}
