/**
 * `prodlike check`: static contradictions between the rendered manifests and the documented targets
 * of a profile. No cluster needed. The report is the versioned JSON envelope documented in
 * docs/check.md; table and SARIF are renderings of it.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { SelectedProfile } from '../config/load-targets.ts';
import { resolveWorkloads, type ProdlikeConfig } from '../config/schema.ts';
import { UsageError } from '../core/errors.ts';
import { PACKAGE_ROOT, PACKAGE_VERSION } from '../core/paths.ts';
import { readRuleFiles } from '../providers/kind/monitoring-config.ts';
import { parseRuleFiles } from './alert-rules.ts';
import { computeCoverage, type Coverage } from './coverage.ts';
import { SEVERITIES, type Allocatable, type AlertRulesInput, type CheckContext, type CheckOptions, type Finding, type LoadTestScript, type Rule, type Severity } from './finding.ts';
import { loadManifests, type LoadedManifests } from './load-manifests.ts';
import { loadMetricCatalogue, METRIC_CATALOGUE_FILE, monitoringStack } from './metric-catalogue.ts';
import type { Manifests } from './model.ts';
import { KIND_POD_CIDR } from './network.ts';
import { cpuMillis, formatBytes, formatCpu, parseQuantity } from '../core/quantity.ts';
import { RULES } from './rules/index.ts';

export const CHECK_REPORT_VERSION = 1;

/** The host's real capacity, which a kind cluster shares: 2 CPUs and 24 GiB (issue #10). */
export const KIND_ALLOCATABLE: Allocatable = { cpu: 2000, memory: 24 * 2 ** 30, source: 'kind default: this host, 2 CPUs and 24 GiB' };

export interface CheckReport {
  version: typeof CHECK_REPORT_VERSION;
  tool: { name: 'prodlike'; version: string };
  profile: { name: string; title: string; documents: string[] };
  manifests: { source: string; renderedWith: LoadedManifests['renderedWith']; objects: number; files: string[]; notes: string[] };
  options: { allocatable: { cpu: string; memory: string; source: string } | null; localCluster: boolean; podCidr: string; loadtests: string[] };
  findings: Finding[];
  coverage: Coverage;
  summary: { error: number; warning: number; info: number; total: number; rules: string[]; exitCode: 0 | 1 };
}

export interface RunCheckOptions {
  manifestsPath: string;
  selected: SelectedProfile;
  config: ProdlikeConfig;
  /** Base for displayed paths (the project directory). */
  baseDir: string;
  allocatable?: Allocatable;
  /** Checking for the local kind cluster (default: the configured manifests with provider kind). */
  localCluster?: boolean;
  /** Directory of k6 scripts (default <baseDir>/loadtests). */
  loadtestsDir?: string;
  /**
   * Compare the alert rules of monitoring.rules with the stack's series (default: when checking the configured
   * manifests with provider kind and monitoring.enabled, the environment the monitoring add-on runs in).
   */
  alertRules?: boolean;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export async function runCheck(options: RunCheckOptions): Promise<CheckReport> {
  const loaded = await loadManifests(options.manifestsPath, {
    relativeTo: options.baseDir,
    kubernetesVersion: options.config.kind.kubernetesVersion,
    ...(options.env ? { env: options.env } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const loadtests = await readLoadTests(options.loadtestsDir ?? join(options.baseDir, 'loadtests'), options.baseDir);
  const localCluster = options.localCluster
    ?? (options.config.provider === 'kind' && resolve(options.manifestsPath) === resolve(options.baseDir, options.config.manifests));
  const configured = options.config.check.allocatable;
  const allocatable = options.allocatable
    ?? (configured ? parseAllocatable(`cpu=${configured.cpu},memory=${configured.memory}`, 'check.allocatable in prodlike.yaml') : undefined)
    ?? (localCluster ? KIND_ALLOCATABLE : undefined);
  const checkOptions: CheckOptions = { ...(allocatable ? { allocatable } : {}), localCluster, podCidr: KIND_POD_CIDR };
  const configuredManifests = resolve(options.manifestsPath) === resolve(options.baseDir, options.config.manifests);
  const wantAlerts = options.alertRules ?? (options.config.provider === 'kind' && options.config.monitoring.enabled && configuredManifests);
  const alerts = wantAlerts ? await readAlertRules(options.config, options.baseDir) : undefined;
  const alertsNote = wantAlerts ? undefined
    : !options.config.monitoring.enabled ? 'not evaluated: monitoring.enabled is false'
    : options.config.provider !== 'kind' ? `not evaluated: provider ${options.config.provider} has no monitoring add-on`
    : 'not evaluated: these are not the configured manifests (the monitoring add-on watches the configured environment)';
  const { findings, ctx } = evaluate({ manifests: loaded.manifests, selected: options.selected, config: options.config, options: checkOptions, loadtests, ...(alerts ? { alerts } : {}) });
  return buildReport(loaded, options.selected, checkOptions, loadtests, findings, computeCoverage(ctx, findings, loaded.notes, alertsNote));
}

/** The rule files of monitoring.rules, parsed with their lines, and the series of the stack they run against. */
export async function readAlertRules(config: ProdlikeConfig, baseDir: string): Promise<AlertRulesInput> {
  const display = (path: string) => [baseDir, PACKAGE_ROOT].map((b) => relative(b, path)).find((r) => r && !r.startsWith('..')) ?? path;
  const files = (await readRuleFiles(config, baseDir)).map((f) => ({ file: display(f.path), text: f.text }));
  const rules = parseRuleFiles(files);
  return { rules, stack: monitoringStack(config, await loadMetricCatalogue(), rules), files: files.map((f) => f.file), catalogueFile: display(METRIC_CATALOGUE_FILE) };
}

export interface CheckManifestsInput {
  manifests: Manifests;
  selected: SelectedProfile;
  config: ProdlikeConfig;
  options?: Partial<CheckOptions>;
  loadtests?: LoadTestScript[];
  rules?: readonly Rule[];
  /** Alert rules to compare with the stack's series (readAlertRules); none: not evaluated. */
  alerts?: AlertRulesInput;
}

/** Runs the rules on parsed manifests (pure: no files, no processes). Findings in a stable order. */
export function checkManifests(input: CheckManifestsInput): Finding[] {
  return evaluate(input).findings;
}

function evaluate(input: CheckManifestsInput): { findings: Finding[]; ctx: CheckContext } {
  const ctx: CheckContext = {
    manifests: input.manifests,
    selected: input.selected,
    topology: resolveWorkloads(input.config),
    options: { localCluster: input.config.provider === 'kind', podCidr: KIND_POD_CIDR, ...input.options },
    loadtests: input.loadtests ?? [],
    componentMap: input.config.check?.components ?? {},
    ...(input.alerts ? { alerts: input.alerts } : {}),
  };
  const rules = input.rules ?? RULES;
  const findings = rules.flatMap((r) => r.run(ctx));
  const order = new Map(rules.map((r, i) => [r.id, i]));
  const key = (f: Finding) => f.objects.map((o) => `${o.kind}/${o.namespace ?? ''}/${o.name}`).join(',');
  findings.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)
    || (order.get(a.ruleId) ?? 0) - (order.get(b.ruleId) ?? 0)
    || key(a).localeCompare(key(b))
    || a.message.localeCompare(b.message));
  return { findings, ctx };
}

/** The coverage section for parsed manifests (tests). */
export function checkCoverage(input: CheckManifestsInput): Coverage {
  const { findings, ctx } = evaluate(input);
  return computeCoverage(ctx, findings);
}

function buildReport(loaded: LoadedManifests, selected: SelectedProfile, options: CheckOptions, loadtests: LoadTestScript[], findings: Finding[], coverage: Coverage): CheckReport {
  const count = (s: Severity) => findings.filter((f) => f.severity === s).length;
  return {
    version: CHECK_REPORT_VERSION,
    tool: { name: 'prodlike', version: PACKAGE_VERSION },
    profile: { name: selected.name, title: selected.profile.title, documents: selected.profile.documents },
    manifests: { source: loaded.source, renderedWith: loaded.renderedWith, objects: loaded.manifests.objects.length, files: loaded.files, notes: loaded.notes },
    options: {
      allocatable: options.allocatable ? { cpu: formatCpu(options.allocatable.cpu), memory: formatBytes(options.allocatable.memory), source: options.allocatable.source } : null,
      localCluster: options.localCluster,
      podCidr: options.podCidr,
      loadtests: loadtests.map((l) => l.file),
    },
    findings,
    coverage,
    summary: { error: count('error'), warning: count('warning'), info: count('info'), total: findings.length, rules: RULES.map((r) => r.id), exitCode: count('error') > 0 ? 1 : 0 },
  };
}

async function readLoadTests(dir: string, baseDir: string): Promise<LoadTestScript[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.(js|mjs|ts)$/.test(n)).sort();
  } catch {
    return [];
  }
  const out: LoadTestScript[] = [];
  for (const n of names) {
    const path = join(dir, n);
    const rel = relative(baseDir, path);
    out.push({ file: rel && !rel.startsWith('..') ? rel : path, text: await readFile(path, 'utf8') });
  }
  return out;
}

/** `--allocatable cpu=4,memory=16Gi` */
export function parseAllocatable(text: string, source = `--allocatable ${text}`): Allocatable {
  const parts = Object.fromEntries(text.split(',').map((p) => p.trim().split('=').map((x) => x.trim()) as [string, string]));
  const cpu = parts.cpu !== undefined ? cpuMillis(parts.cpu) : undefined;
  const memory = parts.memory !== undefined ? parseQuantity(parts.memory) : undefined;
  if (cpu === undefined || memory === undefined || cpu <= 0 || memory <= 0 || Object.keys(parts).some((k) => k !== 'cpu' && k !== 'memory')) {
    throw new UsageError(`${source.startsWith('--') ? '--allocatable' : source} "${text}" is not cpu=<quantity>,memory=<quantity>.`, { hint: 'Write e.g. --allocatable cpu=2,memory=24Gi (Kubernetes quantities).' });
  }
  return { cpu, memory, source };
}
