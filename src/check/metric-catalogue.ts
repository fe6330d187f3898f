/**
 * The series the monitoring stack exposes, for `check`'s alert rules: the scrape jobs prodlike configures (from the
 * same prometheusConfig() the kind add-on deploys, so a job renamed there is renamed here), the exporters' metrics of
 * the cited catalogue (kind/monitoring/metric-catalogue.yaml), and the series recording rules add.
 */
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { ProdlikeConfig } from '../config/schema.ts';
import { loadYamlFile } from '../config/validate-yaml.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { prometheusConfig, upRules } from '../providers/kind/monitoring-config.ts';
import { parseRuleFiles, type ParsedRule } from './alert-rules.ts';
import type { LabelMatcher } from './promql.ts';

export const METRIC_CATALOGUE_FILE = join(PACKAGE_ROOT, 'kind', 'monitoring', 'metric-catalogue.yaml');

const metricSchema = z.strictObject({
  name: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/),
  labels: z.array(z.string()).optional().describe('The series\' own labels; absent: not listed, matchers on it are not judged.'),
  type: z.enum(['counter', 'gauge']).optional(),
  countsRestarts: z.boolean().optional().describe('A counter of container restarts: one restart makes any rate/increase of it > 0.'),
  unsetLimit: z.enum(['memory', 'cpu']).optional().describe('0 for a container without that resource limit: dividing by it gives +Inf.'),
  source: z.string().optional(),
});
export const metricCatalogueSchema = z.strictObject({
  exporters: z.array(z.strictObject({
    name: z.string().min(1),
    version: z.string().min(1),
    jobs: z.array(z.string().min(1)).min(1).describe('The scrape jobs that expose it; "*" for every scrape job (Prometheus\' own series).'),
    source: z.string().min(1),
    metrics: z.array(metricSchema).min(1),
  })),
});
export type MetricCatalogue = z.infer<typeof metricCatalogueSchema>;
export type CatalogueMetric = z.infer<typeof metricSchema>;

export async function loadMetricCatalogue(file = METRIC_CATALOGUE_FILE): Promise<MetricCatalogue> {
  return loadYamlFile(file, metricCatalogueSchema, 'Metric catalogue');
}

export interface ScrapeJob {
  job: string;
  /** Labels Prometheus adds to every series of the job: job, instance, static labels, relabelled ones. */
  targetLabels: string[];
}

/** Where a metric name can come from: one scrape job (or a recording rule) with the labels its series carry. */
export interface SeriesSource {
  /** The job label; undefined for a recording rule that keeps its inputs' jobs. */
  job?: string;
  /** Known labels (undefined: not listed). */
  labels?: string[];
  /** "kube-state-metrics v2.18", "recording rule up (prodlike-up-from-exporters.yaml)". */
  from: string;
  metric?: CatalogueMetric;
}

export interface MonitoringStack {
  jobs: ScrapeJob[];
  catalogue: MetricCatalogue;
  /** Recording rules of prodlike and of the configured files. */
  recorded: ParsedRule[];
}

interface ScrapeConfig { job_name: string; static_configs?: Array<{ labels?: Record<string, string> }>; relabel_configs?: Array<{ target_label?: string }> }

/** The scrape jobs and recorded series of this configuration's Prometheus (as the kind add-on configures it). */
export function monitoringStack(config: ProdlikeConfig, catalogue: MetricCatalogue, rules: readonly ParsedRule[]): MonitoringStack {
  const prom = parse(prometheusConfig(config, ['node'])) as { scrape_configs: ScrapeConfig[] };
  const jobs = prom.scrape_configs.map((s) => {
    const labels = new Set(['job', 'instance']);
    for (const sc of s.static_configs ?? []) for (const k of Object.keys(sc.labels ?? {})) if (!k.startsWith('__')) labels.add(k);
    for (const r of s.relabel_configs ?? []) if (r.target_label && !r.target_label.startsWith('__')) labels.add(r.target_label);
    return { job: s.job_name, targetLabels: [...labels] };
  });
  const own = parseRuleFiles([{ file: 'prodlike-up-from-exporters.yaml (generated)', text: upRules() }]);
  return { jobs, catalogue, recorded: [...own, ...rules].filter((r) => r.type === 'record') };
}

/** Every place a metric of that name can come from in this stack (empty: nothing exposes it). */
export function seriesSources(stack: MonitoringStack, metric: string): SeriesSource[] {
  const out: SeriesSource[] = [];
  for (const e of stack.catalogue.exporters) {
    for (const m of e.metrics.filter((x) => x.name === metric)) {
      const jobs = e.jobs.includes('*') ? stack.jobs : stack.jobs.filter((j) => e.jobs.includes(j.job));
      for (const j of jobs) out.push({ job: j.job, ...(m.labels ? { labels: [...new Set([...m.labels, ...j.targetLabels])] } : {}), from: `${e.name} ${e.version}`, metric: m });
    }
  }
  for (const r of stack.recorded.filter((x) => x.name === metric)) out.push({ ...(r.labels.job ? { job: r.labels.job } : {}), from: `recording rule ${r.name} (${r.file}:${r.line})` });
  return out;
}

/** Whether a label value satisfies a matcher (Prometheus regexes are anchored). */
export function matches(m: Pick<LabelMatcher, 'op' | 'value'>, value: string): boolean {
  const re = () => {
    try {
      return new RegExp(`^(?:${m.value})$`).test(value);
    } catch {
      return false;
    }
  };
  switch (m.op) {
    case '=': return value === m.value;
    case '!=': return value !== m.value;
    case '=~': return re();
    case '!~': return !re();
  }
}
