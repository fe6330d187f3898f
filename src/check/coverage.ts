/**
 * Coverage: for each target of the profile, the workloads it was applied to and by which rules, or why
 * it was not evaluated and how to map a workload to it. A check never passes silently: what was not
 * looked at is listed next to what was.
 */
import type { Target } from '../config/targets-schema.ts';
import { matchComponent, roleOfComponent, workloadsForTarget, type ComponentMatch } from './components.ts';
import { fromAutoscaling, fromDisruptionBudget, fromTarget, type CheckContext, type Finding, type FindingTarget } from './finding.ts';
import { recognize } from './recognize.ts';

export interface CoveredWorkload {
  kind: string;
  namespace: string;
  name: string;
  /** How it was found: "topology.postgres (statefulset/postgres)", "postgres, recognised by image postgres:15". */
  how: string;
}

export type CoverageStatus = 'evaluated' | 'not-evaluated' | 'runtime';

export interface CoverageEntry {
  type: FindingTarget['type'];
  id?: string;
  component: string;
  metric?: string;
  value: string;
  reference: string;
  status: CoverageStatus;
  workloads: CoveredWorkload[];
  rules: string[];
  findings: number;
  /** Why not evaluated, and the way to map a workload. */
  note?: string;
}

export interface RecognisedStore {
  kind: string;
  namespace: string;
  name: string;
  engine: string;
  category: string;
  evidence: string;
  /** Targets applied to it (ids, or component for autoscaling/PDB entries). */
  targets: string[];
}

export interface Coverage {
  entries: CoverageEntry[];
  dataStores: RecognisedStore[];
  /** Capacity comparison: which cluster, or why not. */
  capacity: string;
  localCluster: boolean;
  /** The alert rules of monitoring.rules: what was compared with what, or why not. */
  alertRules: string;
  notes: string[];
}

const RULES_BY_METRIC: Record<string, string[]> = {
  rto: ['probe-time-exceeds-rto', 'probe-missing', 'single-replica-no-failover'],
  rpo: ['backup-interval-exceeds-rpo', 'redis-persistence-vs-rpo', 'data-store-ephemeral-storage'],
  'scale-up-time': ['hpa-scale-up-slower-than-target'],
  availability: ['single-replica-no-failover'],
  'latency-p95': ['k6-threshold-looser-than-slo'],
};

const DATA_STORE_ROLES = new Set(['postgres', 'redis', 'minio']);

/** An RTO/RPO target of a database, cache or object store. */
export function isDataStoreTarget(t: Pick<Target, 'component' | 'metric'>): boolean {
  return (t.metric === 'rpo' || t.metric === 'rto' || t.metric === 'restore-time') && DATA_STORE_ROLES.has(roleOfComponent(t.component));
}

function mapHint(component: string): string {
  const role = roleOfComponent(component);
  const kind = DATA_STORE_ROLES.has(role) ? 'statefulset' : 'deployment';
  return `map one in prodlike.yaml: check: { components: { ${component}: [${kind}/<name>] } }`;
}

function covered(match: ComponentMatch): CoveredWorkload[] {
  return match.workloads.map((w) => ({ kind: w.kind, namespace: w.namespace, name: w.name, how: match.how.get(w) ?? '' }));
}

function targetEntry(ctx: CheckContext, t: Target, findings: Finding[]): CoverageEntry {
  const ft = fromTarget(ctx, t);
  const base = { type: 'target' as const, id: t.id, component: t.component, metric: t.metric, value: ft.value, reference: ft.reference };
  const count = findings.filter((f) => f.targets.some((x) => x.type === 'target' && x.id === t.id)).length;
  const rules = RULES_BY_METRIC[t.metric] ?? [];
  if (t.kind === 'report') return { ...base, status: 'runtime', workloads: [], rules: [], findings: 0, note: 'reported by `prodlike run`, no bound to compare statically' };
  if (t.metric === 'latency-p95') {
    return ctx.loadtests.length > 0
      ? { ...base, status: 'evaluated', workloads: [], rules, findings: count, note: `k6 thresholds of ${ctx.loadtests.map((l) => l.file).join(', ')}` }
      : { ...base, status: 'not-evaluated', workloads: [], rules, findings: 0, note: 'no k6 scripts (--loadtests); measured by `prodlike load`' };
  }
  if (rules.length === 0) return { ...base, status: 'runtime', workloads: [], rules: [], findings: 0, note: 'measured by `prodlike run`/`prodlike load`, not statically' };
  const match = workloadsForTarget(ctx, t);
  if (match.workloads.length === 0) {
    return { ...base, status: 'not-evaluated', workloads: [], rules, findings: 0, note: `no workload found for ${t.component}; ${mapHint(t.component)}` };
  }
  return { ...base, status: 'evaluated', workloads: covered(match), rules, findings: count, ...(match.fallback ? { note: `no workload is named ${t.component}: applied to every application workload` } : {}) };
}

function alertRulesCoverage(ctx: CheckContext, findings: Finding[], note: string | undefined): string {
  const a = ctx.alerts;
  if (!a) return note ?? 'not evaluated (no rule files given)';
  const alerts = a.rules.filter((r) => r.type === 'alert');
  const cited = alerts.filter((r) => r.citation).length;
  const count = findings.filter((f) => f.ruleId.startsWith('alert-rule-')).length;
  return `${alerts.length} alert rule${alerts.length === 1 ? '' : 's'} of ${a.files.join(', ')} (${cited} citing a document line) compared with the scrape jobs ${a.stack.jobs.map((j) => j.job).join(', ')} and ${a.catalogueFile} · ${count} finding${count === 1 ? '' : 's'}`;
}

export function computeCoverage(ctx: CheckContext, findings: Finding[], notes: string[] = [], alertsNote?: string): Coverage {
  const entries: CoverageEntry[] = ctx.selected.profile.targets.map((t) => targetEntry(ctx, t, findings));
  for (const a of ctx.selected.profile.autoscaling) {
    const ft = fromAutoscaling(ctx, a);
    const match = matchComponent(ctx, a.component);
    const count = findings.filter((f) => f.targets.some((x) => x.type === 'autoscaling' && x.component === a.component)).length;
    entries.push({ type: 'autoscaling', component: a.component, value: ft.value, reference: ft.reference, rules: ['hpa-differs-from-document'], findings: count, workloads: covered(match),
      ...(match.workloads.length ? { status: 'evaluated' as const } : { status: 'not-evaluated' as const, note: `no workload found for ${a.component}; ${mapHint(a.component)}` }) });
  }
  for (const b of ctx.selected.profile.disruptionBudgets) {
    const ft = fromDisruptionBudget(ctx, b);
    const match = matchComponent(ctx, b.component);
    const count = findings.filter((f) => f.targets.some((x) => x.type === 'disruptionBudget' && x.component === b.component)).length;
    entries.push({ type: 'disruptionBudget', component: b.component, value: ft.value, reference: ft.reference, rules: ['pdb-differs-from-document'], findings: count, workloads: covered(match),
      ...(match.workloads.length ? { status: 'evaluated' as const } : { status: 'not-evaluated' as const, note: `no workload found for ${b.component}; ${mapHint(b.component)}` }) });
  }
  const dataStores: RecognisedStore[] = [];
  for (const w of ctx.manifests.workloads) {
    const r = recognize(w);
    if (!r) continue;
    const targets = entries.filter((e) => e.workloads.some((x) => x.kind === w.kind && x.namespace === w.namespace && x.name === w.name)).map((e) => e.id ?? `${e.type} ${e.component}`);
    dataStores.push({ kind: w.kind, namespace: w.namespace, name: w.name, engine: r.name, category: r.category, evidence: r.evidence, targets });
  }
  const alloc = ctx.options.allocatable;
  return {
    entries,
    dataStores,
    capacity: alloc ? `compared with ${alloc.source}` : 'not evaluated: no cluster described (give --allocatable cpu=<q>,memory=<q> or check.allocatable in prodlike.yaml)',
    localCluster: ctx.options.localCluster,
    alertRules: alertRulesCoverage(ctx, findings, alertsNote),
    notes,
  };
}
