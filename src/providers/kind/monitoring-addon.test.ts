import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../../config/schema.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { kindPortMappings, prometheusHostPort } from './cluster-config.ts';
import { monitoringObjects } from './monitoring-addon.ts';
import { alertingRules, exporterReadiness, MONITORING_NAMESPACE, prometheusConfig, readRuleFiles, upRules } from './monitoring-config.ts';

const get = (o: unknown, ...path: Array<string | number>): unknown => path.reduce<unknown>((x, k) => (x as Record<string | number, unknown> | undefined)?.[k], o);
const images = { prometheus: 'p:1', postgresExporter: 'pe:1', redisExporter: 're:1', kubeStateMetrics: 'k:1' };
const secrets = { postgresPassword: 'pw', redisPassword: 'rpw', minioAccessKey: 'a', minioSecretKey: 'b' };

describe('monitoring add-on', () => {
  it('loads document 001\'s rules verbatim and the broken one beside them, with their for:', async () => {
    const rules = await readRuleFiles(configSchema.parse({}), PACKAGE_ROOT);
    expect(rules.map((r) => r.key)).toEqual(['document-001-alerts.yaml', 'broken-rule.yaml']);
    expect(rules[0]!.text).toBe(await readFile(join(PACKAGE_ROOT, 'kind/monitoring/document-001-alerts.yaml'), 'utf8'));
    expect(alertingRules(rules).map((r) => [r.alert, r.expr, r.forMs])).toEqual([
      ['PodCrashLooping', 'rate(kube_pod_container_status_restarts_total[15m]) > 0', 300_000],
      ['HighPodMemory', 'container_memory_usage_bytes / container_spec_memory_limit_bytes > 0.9', 300_000],
      ['PostgreSQLDown', 'up{job="postgres"} == 0', 60_000],
      ['RedisDown', 'up{job="redis"} == 0', 60_000],
      ['RedisDownWrongJob', 'up{job="redis-server"} == 0', 60_000],
    ]);
    await expect(readRuleFiles(configSchema.parse({ monitoring: { rules: ['nope.yaml'] } }), PACKAGE_ROOT)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('scrapes job postgres and redis as ONE static target each (the exporter Service), the app per pod, from the configuration', () => {
    const config = configSchema.parse({ topology: { postgres: { namespace: 'db', service: 'pg' }, backend: { namespace: 'api', service: 'api-svc', port: 3001 } }, monitoring: { interval: '5s' } });
    const prom = parse(prometheusConfig(config)) as { global: Record<string, string>; scrape_configs: Record<string, unknown>[] };
    expect(prom.global).toMatchObject({ scrape_interval: '5s', evaluation_interval: '5s' });
    const job = (name: string) => prom.scrape_configs.find((j) => j.job_name === name);
    expect(get(job('postgres-exporter'), 'static_configs', 0)).toEqual({ targets: [`prodlike-postgres-exporter.${MONITORING_NAMESPACE}.svc:9187`], labels: { role: 'postgres', service: 'db/pg' } });
    expect(get(job('redis-exporter'), 'static_configs', 0, 'targets')).toEqual([`prodlike-redis-exporter.${MONITORING_NAMESPACE}.svc:9121`]);
    // up{job="postgres"|"redis"} are recorded from the exporters: pg_up / redis_up, or 0 when the exporter is not scraped
    const recorded = (parse(upRules()) as { groups: { rules: object[] }[] }).groups[0]!.rules;
    expect(recorded).toEqual([
      { record: 'up', expr: 'min without (job) (pg_up{job="postgres-exporter"} or (up{job="postgres-exporter"} == 0))', labels: { job: 'postgres' } },
      { record: 'up', expr: 'min without (job) (redis_up{job="redis-exporter"} or (up{job="redis-exporter"} == 0))', labels: { job: 'redis' } },
    ]);
    // Debian's Prometheus has no Kubernetes SD: DNS SD on a headless Service beside the backend, static nodes.
    expect(JSON.stringify(prom)).not.toMatch(/kubernetes_sd/);
    expect(get(job('app'), 'dns_sd_configs', 0)).toMatchObject({ names: ['prodlike-app-metrics.api.svc.cluster.local'], type: 'A', port: 3001 });
    expect(job('kube-state-metrics')).toMatchObject({ honor_labels: true });
    expect(job('kubelet-cadvisor')).toMatchObject({ scrape_interval: '15s' });
    const withNodes = parse(prometheusConfig(config, ['n1'])) as typeof prom;
    expect(get(withNodes.scrape_configs.find((j) => j.job_name === 'kubelet-cadvisor'), 'static_configs', 0, 'labels')).toEqual({ node: 'n1', __metrics_path__: '/api/v1/nodes/n1/proxy/metrics/cadvisor' });
  });

  it('runs on the control plane, exporters ready only while they see their database up, credentials from the environment', () => {
    const config = configSchema.parse({ topology: { postgres: { namespace: 'db', service: 'pg' } } });
    const objects = monitoringObjects(config, { images, secrets, rules: [{ key: 'r.yaml', path: '/r.yaml', text: 'groups: []\n' }] });
    const deployments = objects.filter((o) => get(o, 'kind') === 'Deployment');
    expect(deployments.map((d) => get(d, 'metadata', 'name'))).toEqual(['prodlike-postgres-exporter', 'prodlike-redis-exporter', 'kube-state-metrics', 'prometheus']);
    for (const d of deployments) expect(get(d, 'spec', 'template', 'spec', 'nodeSelector')).toEqual({ 'node-role.kubernetes.io/control-plane': '' });
    const secret = objects.find((o) => get(o, 'kind') === 'Secret');
    expect(get(secret, 'stringData', 'DATA_SOURCE_NAME')).toBe('postgresql://postgres:pw@pg.db.svc:5432/ai_saas_db?sslmode=disable&connect_timeout=2');
    expect(get(deployments[0], 'spec', 'template', 'spec', 'containers', 0, 'readinessProbe', 'exec', 'command')).toEqual(exporterReadiness(9187, 'pg_up'));
    expect(get(objects.find((o) => get(o, 'kind') === 'ConfigMap' && get(o, 'metadata', 'name') === 'prometheus-rules'), 'data')).toEqual({ 'r.yaml': 'groups: []\n', 'prodlike-up-from-exporters.yaml': upRules() });
    const promService = objects.find((o) => get(o, 'kind') === 'Service' && get(o, 'metadata', 'name') === 'prometheus');
    expect(get(promService, 'spec', 'ports', 0, 'nodePort')).toBe(30990);
    const appMetrics = objects.find((o) => get(o, 'metadata', 'name') === 'prodlike-app-metrics');
    expect(get(appMetrics, 'metadata', 'namespace')).toBe('app-backend');
    expect(get(appMetrics, 'spec')).toMatchObject({ clusterIP: 'None', selector: { app: 'backend' } });
    expect(get(objects[0], 'metadata', 'labels', 'io.prodlike.env')).toBeUndefined(); // reset keeps the add-on
  });

  it('publishes Prometheus on 127.0.0.1:entry+7 only when enabled', () => {
    const config = configSchema.parse({ ports: { entry: 19880 } });
    expect(prometheusHostPort(config)).toBe(19887);
    expect(kindPortMappings(config, { ingressController: true, monitoring: true }).at(-1)).toEqual({ containerPort: 30990, hostPort: 19887, listenAddress: '127.0.0.1', protocol: 'TCP' });
    expect(kindPortMappings(config, { ingressController: true }).some((m) => m.hostPort === 19887)).toBe(false);
  });
});
