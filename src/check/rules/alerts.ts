/**
 * Documented Prometheus alert rules against the series the stack exposes (issue #21): a rule whose selectors can
 * match no series never fires; one that pages on a single container restart, or that divides by a limit that is 0
 * where none is set, fires wrongly. The rules come from monitoring.rules (each citing its document line), the
 * series from the scrape jobs prodlike configures and the cited catalogue (kind/monitoring/metric-catalogue.yaml).
 */
import { describeSource } from '../../config/load-targets.ts';
import type { ParsedRule } from '../alert-rules.ts';
import { obj } from '../components.ts';
import type { AlertRulesInput, CheckContext, Finding, FindingObject, FindingTarget, Rule } from '../finding.ts';
import { matches, seriesSources, type SeriesSource } from '../metric-catalogue.ts';
import { isService, mainContainers } from '../model.ts';
import { analyzePromql, type LabelMatcher, type PromqlAnalysis, type SelectorUse } from '../promql.ts';
import { effectiveResources } from './resources.ts';

/** Functions over which a selector that matches nothing is the point (absent()), not a mistake. */
const ABSENCE = new Set(['absent', 'absent_over_time']);
/** Functions of a counter's growth: one restart makes them > 0 (rate-like ones by 1/range, the others by 1). */
const PER_SECOND = new Set(['rate', 'deriv']);
const PER_EVENT = new Set(['increase', 'delta', 'changes', 'resets']);

function ruleObject(r: ParsedRule): FindingObject {
  return { kind: r.type === 'alert' ? 'AlertingRule' : 'RecordingRule', name: r.name, location: { file: r.file, line: r.line } };
}

function ruleTargets(ctx: CheckContext, r: ParsedRule): FindingTarget[] {
  if (!r.citation) return [];
  const source = { doc: r.citation.doc, section: r.citation.section ?? 'alert rules', quote: r.expr.replace(/\s+/g, ' ') };
  return [{
    type: 'alert',
    component: 'monitoring',
    value: `${r.name}${r.forSeconds ? ` for ${fmt(r.forSeconds)}` : ''}`,
    source,
    line: r.citation.line,
    reference: `${describeSource({ source }, ctx.selected.file)}, line ${r.citation.line}`,
  }];
}

function fmt(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

function finding(ctx: CheckContext, r: ParsedRule, f: Omit<Finding, 'objects' | 'targets'> & { objects?: FindingObject[] }): Finding {
  return { ...f, objects: [ruleObject(r), ...(f.objects ?? [])], targets: ruleTargets(ctx, r) };
}

interface Analysed { rule: ParsedRule; promql: PromqlAnalysis }

/** A rule run on every configured alert rule with its parsed expression (nothing when alert rules are not evaluated). */
function alertRule(spec: Omit<Rule, 'run'> & { each: (ctx: CheckContext, input: AlertRulesInput, r: Analysed) => Finding[] }): Rule {
  const { each, ...rule } = spec;
  return {
    ...rule,
    run(ctx) {
      const input = ctx.alerts;
      return input ? input.rules.flatMap((r) => each(ctx, input, { rule: r, promql: analyzePromql(r.expr) })) : [];
    },
  };
}

function jobMatches(matchers: LabelMatcher[], s: SeriesSource): boolean {
  return s.job === undefined || matchers.every((m) => matches(m, s.job!));
}

/** A label the series lacks reads as "": a matcher that needs a value can never match it. */
function labelCanMatch(m: LabelMatcher, s: SeriesSource): boolean {
  return s.labels === undefined || s.labels.includes(m.label) || matches(m, '');
}

function closestLabel(label: string, labels: readonly string[]): string | undefined {
  return labels.find((l) => l.startsWith(`${label}_`) || label.startsWith(`${l}_`) || l.endsWith(`_${label}`));
}

/** Why a selector can match no series of the stack; undefined when it can, or when its metric is unknown. */
function noSeriesReason(input: AlertRulesInput, sel: SelectorUse): { reason: string; fix: string } | undefined {
  if (!sel.metric || (sel.fn && ABSENCE.has(sel.fn))) return undefined;
  const sources = seriesSources(input.stack, sel.metric);
  if (sources.length === 0) return undefined;
  const jobMatchers = sel.matchers.filter((m) => m.label === 'job');
  const byJob = sources.filter((s) => jobMatchers.length === 0 || jobMatches(jobMatchers, s));
  if (byJob.length === 0) {
    const jobs = [...new Set(sources.map((s) => s.job).filter((j) => j !== undefined))];
    const scraped = input.stack.jobs.map((j) => j.job);
    const recorded = jobs.filter((j) => !scraped.includes(j));
    const wanted = jobMatchers.map((m) => m.value.toLowerCase());
    const token = (x: string) => x.toLowerCase().split(/[-_.]/)[0]!;
    const near = jobs.filter((j) => wanted.some((w) => w.includes(j.toLowerCase()) || j.toLowerCase().includes(w) || token(w) === token(j)));
    return {
      reason: `${sel.text}: no series of ${sel.metric} has ${jobMatchers.map((m) => `job${m.op}"${m.value}"`).join(', ')} — the jobs prodlike scrapes are ${scraped.join(', ')}${recorded.length ? `, and recording rules give ${sel.metric} job ${recorded.join(', ')}` : ''}`,
      fix: `select a job that exists: ${(near.length ? near : jobs).map((j) => `${sel.metric}{job="${j}"}`).join(' or ')}`,
    };
  }
  for (const m of sel.matchers.filter((x) => x.label !== 'job')) {
    if (byJob.some((s) => labelCanMatch(m, s))) continue;
    const labels = [...new Set(byJob.flatMap((s) => s.labels ?? []))].sort();
    const near = closestLabel(m.label, labels);
    return {
      reason: `${sel.text}: ${sel.metric} has no label "${m.label}" (${byJob[0]!.from}: ${labels.join(', ')}${byJob[0]!.metric?.source ? `; ${byJob[0]!.metric.source}` : ''}), so ${m.label}${m.op}"${m.value}" matches no series`,
      fix: near ? `match the label the series carry: ${near}${m.op}"${m.value}"` : `drop the matcher on ${m.label} or use one of ${labels.join(', ')}`,
    };
  }
  return undefined;
}

export const alertNoSeriesRule = alertRule({
  id: 'alert-rule-matches-no-series',
  title: 'Alert rule that can never fire',
  severity: 'error',
  description: 'A rule of monitoring.rules whose expression does not parse, or one of whose selectors matches no series of the stack: a `job` no scrape job prodlike configures has, or a label matcher on a label the metric does not carry (the catalogue of kind/monitoring/metric-catalogue.yaml). The alert stays silent whatever happens.',
  each(ctx, input, { rule, promql }) {
    const problems = promql.error ? [{ reason: `the expression ${promql.error}`, fix: 'fix the expression (promtool check rules names the error); Prometheus refuses the whole rule file' }] : promql.selectors.map((s) => noSeriesReason(input, s)).filter((x) => x !== undefined);
    if (problems.length === 0) return [];
    const what = rule.type === 'alert' ? `${rule.name} can never fire` : `recording rule ${rule.name} records nothing`;
    const broken = rule.labels.prodlike_broken === 'true' ? ' (labelled prodlike_broken: broken on purpose, for the failover suite to catch as "never fired")' : '';
    return [finding(ctx, rule, {
      ruleId: 'alert-rule-matches-no-series',
      severity: 'error',
      message: `${what}${broken}: ${problems.map((p) => p.reason).join('; ')}. The expression selects no series, so it is never true.`,
      hint: `In ${rule.file}:${rule.line}, ${problems.map((p) => p.fix).join('; ')}.`,
      details: { alert: rule.name, file: rule.file, line: rule.line, expr: rule.expr, documentLine: rule.citation?.line ?? null, problems: problems.map((p) => p.reason) },
    })];
  },
});

export const alertUnknownMetricRule = alertRule({
  id: 'alert-rule-unknown-metric',
  title: 'Alert rule on a metric no exporter exposes',
  severity: 'warning',
  description: 'A metric name in a rule of monitoring.rules that no exporter of the stack exposes and no recording rule records, per the cited catalogue (kind/monitoring/metric-catalogue.yaml): unless something else exports it, the rule never fires.',
  each(ctx, input, { rule, promql }) {
    const known = input.stack.catalogue.exporters.map((e) => `${e.name} ${e.version}`).join(', ');
    const unknown = [...new Set(promql.selectors.filter((s) => s.metric && !(s.fn && ABSENCE.has(s.fn)) && seriesSources(input.stack, s.metric).length === 0).map((s) => s.metric!))];
    if (unknown.length === 0) return [];
    return [finding(ctx, rule, {
      ruleId: 'alert-rule-unknown-metric',
      severity: 'warning',
      message: `${rule.name} reads ${unknown.join(', ')}, which no exporter of the stack exposes (${known}) and no recording rule records: it never fires unless something else exports ${unknown.length === 1 ? 'it' : 'them'}.`,
      hint: `Use a metric the stack exposes, or add the exporter to the monitoring add-on; if an exporter does expose ${unknown.join(', ')}, add it to ${input.catalogueFile} with where it comes from.`,
      details: { alert: rule.name, file: rule.file, line: rule.line, metrics: unknown, documentLine: rule.citation?.line ?? null },
    })];
  },
});

export const alertSingleRestartRule = alertRule({
  id: 'alert-rule-fires-on-one-restart',
  title: 'Crash-loop alert that fires on a single restart',
  severity: 'warning',
  description: 'A rule comparing rate()/increase() of a restart counter (kube_pod_container_status_restarts_total) with a threshold one restart exceeds, over a window longer than its for:. One restart (an OOM kill, a liveness kill) keeps the condition true for the whole window, so "crash looping" pages after a single restart.',
  each(ctx, input, { rule, promql }) {
    if (rule.type !== 'alert') return [];
    for (const c of promql.comparisons) {
      for (const s of c.selectors) {
        if (!s.metric || !s.fn || s.rangeSeconds === undefined || !seriesSources(input.stack, s.metric).some((x) => x.metric?.countsRestarts)) continue;
        const one = PER_SECOND.has(s.fn) ? 1 / s.rangeSeconds : PER_EVENT.has(s.fn) ? 1 : undefined;
        if (one === undefined) continue;
        const exceeds = c.op === '>' ? one > c.threshold : c.op === '>=' ? one >= c.threshold : c.op === '!=' ? c.threshold === 0 : false;
        if (!exceeds || s.rangeSeconds <= rule.forSeconds) continue;
        const value = PER_SECOND.has(s.fn) ? `about 1/${s.rangeSeconds} s = ${one.toPrecision(2)}` : 'about 1';
        return [finding(ctx, rule, {
          ruleId: 'alert-rule-fires-on-one-restart',
          severity: 'warning',
          message: `${rule.name} fires after ONE container restart: one restart makes ${s.fn}(${s.metric}[${fmt(s.rangeSeconds)}]) ${value}, ${c.op} ${c.threshold}, and keeps it there for the ${fmt(s.rangeSeconds)} window, longer than for: ${fmt(rule.forSeconds)}; the alert fires about ${fmt(rule.forSeconds)} after a single restart (an OOM kill, a failed liveness probe) and stays firing until the window has passed. A crash loop is repeated restarts.`,
          hint: `Page on a loop, not a restart: kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"} == 1 (kube-state-metrics) for: ${fmt(rule.forSeconds || 300)}, or increase(${s.metric}[${fmt(s.rangeSeconds)}]) > 3.`,
          details: { alert: rule.name, file: rule.file, line: rule.line, function: s.fn, rangeSeconds: s.rangeSeconds, forSeconds: rule.forSeconds, threshold: c.threshold, valueAfterOneRestart: one, documentLine: rule.citation?.line ?? null },
        })];
      }
    }
    return [];
  },
});

export const alertUnsetLimitRule = alertRule({
  id: 'alert-rule-divides-by-unset-limit',
  title: 'Alert rule dividing by a limit the containers do not set',
  severity: 'warning',
  description: 'A rule dividing by container_spec_memory_limit_bytes (cAdvisor reports 0 for a container without resources.limits.memory) with no guard (`> 0`): for every covered container without that limit the ratio is +Inf, so the alert fires for them all the time. Lists the containers of the manifests without the limit, and says when the selector also covers kube-system (kubeadm\'s control plane sets no memory limit).',
  each(ctx, input, { rule, promql }) {
    if (rule.type !== 'alert') return [];
    for (const d of promql.divisions) {
      for (const s of d.divisor) {
        const resource = s.metric ? seriesSources(input.stack, s.metric).find((x) => x.metric?.unsetLimit)?.metric?.unsetLimit : undefined;
        if (!resource) continue;
        const guarded = promql.comparisons.some((c) => c.selectors.length === 1 && c.selectors[0] === s && ((c.op === '>' && c.threshold >= 0) || (c.op === '!=' && c.threshold === 0)));
        if (guarded) continue;
        const covered = (m: LabelMatcher, ns: string, pod: string, container: string) =>
          m.label === 'namespace' ? matches(m, ns) : m.label === 'pod' ? matches(m, pod) : m.label === 'container' ? matches(m, container) : true;
        const unset = ctx.manifests.workloads.filter((w) => !w.heldIn && (isService(w) || w.kind === 'CronJob' || w.kind === 'Job')).flatMap((w) =>
          mainContainers(w.template)
            .filter((c) => s.matchers.every((m) => covered(m, w.namespace, `${w.name}-0`, c.name)))
            .filter((c) => effectiveResources(ctx.manifests, w.namespace, c).limitSource[resource] === 'none')
            .map((c) => ({ w, c })));
        const namespaces = [...new Set(ctx.manifests.workloads.filter((w) => !w.heldIn).map((w) => w.namespace))].sort();
        // Beyond the manifests: kubeadm's control plane (kind's too) sets requests only, no memory limit.
        const system = s.matchers.filter((m) => m.label === 'namespace').every((m) => matches(m, 'kube-system'));
        if (unset.length === 0 && !system) continue;
        const workloads = [...new Set(unset.map((u) => u.w))];
        const inManifests = unset.length > 0
          ? `${unset.length} container${unset.length === 1 ? '' : 's'} it covers in the manifests set${unset.length === 1 ? 's' : ''} no ${resource} limit: ${unset.map((u) => `${u.w.namespace}/${u.w.name}/${u.c.name}`).join(', ')}`
          : `Every container of the manifests sets one (${namespaces.join(', ')})`;
        const beyond = system ? `; the selector is not limited to the manifests' namespaces, so it also covers kube-system, where kubeadm's control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) and kube-proxy set no ${resource} limit` : '';
        const guard = s.text.includes('{') ? s.text.replace(/\}$/, ', container!=""}') : `${s.text}{container!=""}`;
        return [finding(ctx, rule, {
          ruleId: 'alert-rule-divides-by-unset-limit',
          severity: 'warning',
          message: `${rule.name} divides by ${s.text}, which is 0 for a container without resources.limits.${resource}: ${d.text.replace(/\s+/g, ' ')} is then +Inf, above any threshold, so the alert fires for every such container, all the time. ${inManifests}${beyond}.`,
          hint: `Guard the divisor so containers without a limit drop out: … / (${guard} > 0)${system ? ` and scope the rule to the application (namespace=~"${namespaces.join('|')}")` : ''}${unset.length ? `; set resources.limits.${resource} on ${unset.map((u) => `${u.w.name}/${u.c.name}`).join(', ')}` : ''}. container!="" drops the pod-level cgroup series; container_memory_working_set_bytes is what the kubelet evicts and OOM-kills on.`,
          objects: workloads.map((w) => obj(ctx, w)),
          details: { alert: rule.name, file: rule.file, line: rule.line, resource, containers: unset.map((u) => `${u.w.namespace}/${u.w.name}/${u.c.name}`), coversKubeSystem: system, documentLine: rule.citation?.line ?? null },
        })];
      }
    }
    return [];
  },
});
