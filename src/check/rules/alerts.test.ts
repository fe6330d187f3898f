import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { parseRuleFiles } from '../alert-rules.ts';
import { checkManifests, readAlertRules } from '../check.ts';
import type { AlertRulesInput, Finding } from '../finding.ts';
import { loadMetricCatalogue, monitoringStack } from '../metric-catalogue.ts';
import { CONFIG, manifests, testProfile, workload } from '../test-helpers.ts';
import { alertNoSeriesRule, alertSingleRestartRule, alertUnknownMetricRule, alertUnsetLimitRule } from './alerts.ts';

const RULES = [alertNoSeriesRule, alertUnknownMetricRule, alertSingleRestartRule, alertUnsetLimitRule];
const sel = testProfile({});
const catalogue = await loadMetricCatalogue();

/** One rule file of the given rules (name → expr, for), each citing doc 001 line 100 + index. */
async function alerts(rules: Array<{ alert: string; expr: string; for?: string }>): Promise<AlertRulesInput> {
  const text = `groups:\n- name: test\n  rules:\n${rules.map((r, i) => `  # source: doc 001 line ${100 + i} (§Monitoring)\n  - alert: ${r.alert}\n    expr: ${JSON.stringify(r.expr)}\n    for: ${r.for ?? '1m'}\n`).join('')}`;
  const parsed = parseRuleFiles([{ file: 'rules.yaml', text }]);
  return { rules: parsed, stack: monitoringStack(CONFIG, catalogue, parsed), files: ['rules.yaml'], catalogueFile: 'kind/monitoring/metric-catalogue.yaml' };
}

const run = async (rules: Parameters<typeof alerts>[0], yaml = workload({ name: 'web' })): Promise<Finding[]> =>
  checkManifests({ manifests: manifests(yaml), selected: sel, config: CONFIG, rules: RULES, alerts: await alerts(rules) });
const ids = (f: Finding[]) => f.map((x) => `${x.ruleId} ${x.objects[0]!.name}`);

describe('alert rules against the stack (issue #21)', () => {
  it('a job no scrape job has can never fire (error), with the rule file line, the document line and the jobs that exist', async () => {
    const f = await run([{ alert: 'RedisDownWrongJob', expr: 'up{job="redis-server"} == 0' }, { alert: 'RedisDown', expr: 'up{job="redis"} == 0' }]);
    expect(ids(f)).toEqual(['alert-rule-matches-no-series RedisDownWrongJob']);
    expect(f[0]).toMatchObject({ severity: 'error', objects: [{ kind: 'AlertingRule', location: { file: 'rules.yaml', line: 5 } }], targets: [{ type: 'alert', line: 100, source: { doc: '001', section: 'Monitoring' } }] });
    expect(f[0]!.message).toMatch(/no series of up has job="redis-server".*postgres-exporter, redis-exporter/);
    expect(f[0]!.hint).toMatch(/up\{job="redis-exporter"\} or up\{job="redis"\}/);
    expect(f[0]!.targets[0]!.reference).toMatch(/doc 001 .*§Monitoring, line 100/);
  });

  it("a label the metric does not carry: document 000's status=~\"5..\" against the app's status_code", async () => {
    const f = await run([{ alert: 'HighErrorRate', expr: 'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.05' }, { alert: 'Fixed', expr: 'sum(rate(http_requests_total{status_code=~"5..", job="app"}[5m])) > 1' }]);
    expect(ids(f)).toEqual(['alert-rule-matches-no-series HighErrorRate']);
    expect(f[0]!.message).toMatch(/http_requests_total has no label "status"/);
    expect(f[0]!.hint).toMatch(/status_code=~"5\.\."/);
    // a matcher a missing label satisfies ("" matches) is fine; a parse error is reported
    expect(await run([{ alert: 'A', expr: 'up{nope=""} == 0' }])).toEqual([]);
    expect((await run([{ alert: 'B', expr: 'up{job="app"} ==' }]))[0]!.message).toMatch(/does not parse/);
  });

  it('a metric no exporter exposes is a warning; absent() of one is not', async () => {
    const f = await run([{ alert: 'Queue', expr: 'saasit_queue_depth > 100' }, { alert: 'Gone', expr: 'absent(saasit_queue_depth)' }]);
    expect(ids(f)).toEqual(['alert-rule-unknown-metric Queue']);
    expect(f[0]).toMatchObject({ severity: 'warning', details: { metrics: ['saasit_queue_depth'] } });
  });

  it('rate/increase of the restart counter > 0 over a window longer than for: fires on one restart; a real loop threshold does not', async () => {
    const f = await run([
      { alert: 'PodCrashLooping', expr: 'rate(kube_pod_container_status_restarts_total[15m]) > 0', for: '5m' },
      { alert: 'Increase', expr: 'increase(kube_pod_container_status_restarts_total[1h]) >= 1', for: '5m' },
      { alert: 'Loop', expr: 'increase(kube_pod_container_status_restarts_total[15m]) > 3', for: '5m' },
      { alert: 'ShortWindow', expr: 'rate(kube_pod_container_status_restarts_total[5m]) > 0', for: '5m' },
      { alert: 'Waiting', expr: 'kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"} == 1', for: '5m' },
    ]);
    expect(ids(f)).toEqual(['alert-rule-fires-on-one-restart Increase', 'alert-rule-fires-on-one-restart PodCrashLooping']);
    expect(f[1]!.message).toMatch(/fires after ONE container restart.*1\/900 s = 0\.0011, > 0.*15m window, longer than for: 5m/);
    expect(f[1]!.hint).toMatch(/CrashLoopBackOff/);
  });

  it('dividing by the memory limit: the manifests\' containers without one are listed; a guarded or namespaced rule is fine', async () => {
    const noLimit = workload({ name: 'api', container: '        - name: api\n          image: example/api:1.0' });
    const f = await run([
      { alert: 'HighPodMemory', expr: 'container_memory_usage_bytes / container_spec_memory_limit_bytes > 0.9', for: '5m' },
      { alert: 'Guarded', expr: 'container_memory_working_set_bytes / (container_spec_memory_limit_bytes > 0) > 0.9' },
    ], workload({ name: 'web' }) + noLimit);
    expect(ids(f)).toEqual(['alert-rule-divides-by-unset-limit HighPodMemory']);
    expect(f[0]!.objects.map((o) => `${o.kind}/${o.name}`)).toEqual(['AlertingRule/HighPodMemory', 'Deployment/api']);
    expect(f[0]!.message).toMatch(/1 container it covers in the manifests sets no memory limit: app-backend\/api\/api.*also covers kube-system/);
    expect(f[0]!.details).toMatchObject({ containers: ['app-backend/api/api'], coversKubeSystem: true });
    // every container limited and the rule scoped to the application: nothing
    expect(await run([{ alert: 'Scoped', expr: 'container_memory_usage_bytes{namespace="app-backend"} / container_spec_memory_limit_bytes{namespace="app-backend"} > 0.9' }])).toEqual([]);
  });
});

describe("the repository's rule files", () => {
  it('the reference configuration: RedisDownWrongJob, PodCrashLooping and HighPodMemory, each at its file line and document line', async () => {
    const input = await readAlertRules(CONFIG, PACKAGE_ROOT);
    expect(input.files).toEqual(['kind/monitoring/document-001-alerts.yaml', 'kind/monitoring/broken-rule.yaml']);
    const f = checkManifests({ manifests: manifests(workload({ name: 'web' })), selected: sel, config: CONFIG, rules: RULES, alerts: input });
    expect(f.map((x) => `${x.severity} ${x.ruleId} ${x.objects[0]!.name} ${x.objects[0]!.location!.file}:${x.objects[0]!.location!.line} doc ${x.targets[0]?.source.doc ?? '-'}:${x.targets[0]?.line ?? '-'}`)).toEqual([
      'error alert-rule-matches-no-series RedisDownWrongJob kind/monitoring/broken-rule.yaml:8 doc -:-',
      'warning alert-rule-fires-on-one-restart PodCrashLooping kind/monitoring/document-001-alerts.yaml:13 doc 001:1967',
      'warning alert-rule-divides-by-unset-limit HighPodMemory kind/monitoring/document-001-alerts.yaml:22 doc 001:1975',
    ]);
  });

  it("document 000's rules (examples/saasit): HighErrorRate's status label never matches; PodMemoryUsage divides by the limit", async () => {
    const config = configSchema.parse({ monitoring: { rules: ['kind/monitoring/document-000-alerts.yaml'] } });
    const f = checkManifests({ manifests: manifests(workload({ name: 'web' })), selected: sel, config, rules: RULES, alerts: await readAlertRules(config, PACKAGE_ROOT) });
    expect(ids(f)).toEqual(['alert-rule-matches-no-series HighErrorRate', 'alert-rule-divides-by-unset-limit PodMemoryUsage']);
  });

  // The seeds are beside the repository on the project's machines and CI (shared/seeds); skipped elsewhere.
  const seeds = [join(PACKAGE_ROOT, '..', 'shared', 'seeds'), '/work/shared/seeds'].find((d) => existsSync(d));
  it.skipIf(!seeds)(`every cited document line is the rule's own line in the document${seeds ? '' : ' (skipped: no shared/seeds)'}`, async () => {
    const names = await readdir(seeds!);
    const files = ['document-001-alerts.yaml', 'document-000-alerts.yaml', 'broken-rule.yaml'].map((n) => ({ file: n, text: readFileSync(join(PACKAGE_ROOT, 'kind', 'monitoring', n), 'utf8') }));
    const cited = parseRuleFiles(files).filter((r) => r.citation);
    expect(cited.map((r) => r.name)).toEqual(['PodCrashLooping', 'HighPodMemory', 'PostgreSQLDown', 'RedisDown', 'HighErrorRate', 'PodMemoryUsage', 'ExecutionQueueBacklog', 'DatabaseConnectionPoolExhausted']);
    for (const r of cited) {
      const doc = names.find((n) => n.startsWith(`${r.citation!.doc}_`));
      const line = readFileSync(join(seeds!, doc!), 'utf8').split('\n')[r.citation!.line - 1];
      expect(line?.trim(), `${r.name}: doc ${r.citation!.doc} line ${r.citation!.line}`).toBe(`- alert: ${r.name}`);
    }
  });
});
