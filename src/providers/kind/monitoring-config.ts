import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import type { ProdlikeConfig } from '../../config/schema.ts';
import { resolveWorkload } from '../../config/schema.ts';
import { ConfigError } from '../../core/errors.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';

/**
 * What the monitoring add-on's Prometheus scrapes and evaluates (monitoring-addon.ts deploys it). Pure: the scrape
 * configuration from the environment's configuration, and the rule files read as they are.
 *
 * What `up{job="postgres"}` means here. Document 001's PostgreSQLDown is `up{job="postgres"} == 0 for: 1m`: the
 * document means "PostgreSQL does not answer for a minute". Two common set-ups make that rule never fire:
 * - targets discovered per pod (kubernetes_sd role pod/endpoints on the database): when the pod is deleted, evicted or
 *   its node is lost, the target — and with it the `up` series — disappears; `== 0` has no sample to be true on;
 * - a plain exporter target: the exporter answers its scrape while the database is down (pg_up 0 / redis_up 0 in the
 *   body), so `up` stays 1.
 * So job="postgres" (and job="redis") is ONE static target, the exporter's Service name, and that Service has an
 * endpoint only while the exporter reports the database up (its readiness probe reads pg_up / redis_up from the
 * exporter's own /metrics): PostgreSQL down → exporter unready → no endpoint → the scrape fails → `up{job="postgres"}`
 * is 0, a series that never vanishes. The price, stated in the window the scenarios allow: the readiness probe's
 * period (2 s) before the scrape can fail.
 */

/** The add-on's namespace (prodlike's own, kept by `reset`: no environment label). */
export const MONITORING_NAMESPACE = 'prodlike-monitoring';
export const EXPORTERS = {
  postgres: { name: 'prodlike-postgres-exporter', port: 9187, upMetric: 'pg_up' },
  redis: { name: 'prodlike-redis-exporter', port: 9121, upMetric: 'redis_up' },
} as const;
export const KSM = { name: 'kube-state-metrics', port: 8080 } as const;
export const PROMETHEUS = { name: 'prometheus', port: 9090 } as const;
/**
 * A headless Service beside the backend (its selector, in its namespace) whose DNS A records are the backend's ready
 * pods: Debian's Prometheus is built without Kubernetes service discovery (kubernetes_sd_configs is refused by its
 * config parser), so the app's pods are found through DNS SD instead, the same for the official image.
 */
export const APP_METRICS_SERVICE = 'prodlike-app-metrics';
/** The readiness period of the exporters (seconds): how long after the database goes down its exporter leaves the Service. */
export const EXPORTER_READINESS_PERIOD_S = 2;
/** cAdvisor (HighPodMemory's series) is large: scraped at most this often (seconds), however short `monitoring.interval`. */
const CADVISOR_MIN_INTERVAL_S = 15;

const svc = (name: string, port: number) => `${name}.${MONITORING_NAMESPACE}.svc:${port}`;
const seconds = (interval: string) => Number(interval.replace(/s$/, ''));

/** A rule file as the configuration names it: its name in the rules ConfigMap and its text, unchanged. */
export interface RuleFile { key: string; path: string; text: string }

/**
 * The configured rule files, read verbatim; each must be YAML with `groups:` (a typo fails at `up`, not silently).
 * A relative path is the project's (beside prodlike.yaml), else prodlike's own (the default files, for a project elsewhere).
 */
export async function readRuleFiles(config: Pick<ProdlikeConfig, 'monitoring'>, projectDir: string): Promise<RuleFile[]> {
  const files: RuleFile[] = [];
  for (const entry of config.monitoring.rules) {
    const own = resolve(projectDir, entry);
    const path = isAbsolute(entry) ? entry : existsSync(own) ? own : resolve(PACKAGE_ROOT, entry);
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(`monitoring.rules: cannot read ${entry} (${error.code ?? error.message}).`, { hint: 'Paths are relative to prodlike.yaml; the default is kind/monitoring/document-001-alerts.yaml.' });
    });
    const parsed = (() => {
      try {
        return parse(text) as { groups?: unknown };
      } catch (error) {
        throw new ConfigError(`monitoring.rules: ${entry} is not YAML: ${(error as Error).message}`);
      }
    })();
    if (!Array.isArray(parsed?.groups)) throw new ConfigError(`monitoring.rules: ${entry} has no \`groups:\` list (a Prometheus rule file).`);
    // Keys end in .yaml: rule_files globs *.yaml, which the ConfigMap volume's own ..data directories do not match.
    let key = `${basename(path).replace(/\.ya?ml$/, '').replace(/[^-._a-zA-Z0-9]/g, '_')}.yaml`;
    while (files.some((f) => f.key === key)) key = `_${key}`;
    files.push({ key, path, text });
  }
  return files;
}

/** An alerting rule as a rule file states it: name, expression and `for:` (ms; 0 when absent). */
export interface RuleSpec { alert: string; expr: string; forMs: number; labels: Record<string, string> }

/** The alerting rules of rule files (their `for:` parsed), for the scenarios' expected windows. */
export function alertingRules(files: readonly Pick<RuleFile, 'text'>[]): RuleSpec[] {
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>;
  const parseFor = (text: unknown) => {
    if (typeof text !== 'string') return 0;
    let ms = 0;
    for (const [, n, u] of text.matchAll(/(\d+)(ms|s|m|h)/g)) ms += Number(n) * unit[u!]!;
    return ms;
  };
  return files.flatMap((f) => ((parse(f.text) as { groups?: { rules?: Record<string, unknown>[] }[] }).groups ?? []).flatMap((g) => (g.rules ?? []).filter((r) => typeof r.alert === 'string').map((r) => ({
    alert: r.alert as string, expr: String(r.expr), forMs: parseFor(r.for), labels: (r.labels ?? {}) as Record<string, string>,
  }))));
}

/**
 * prometheus.yml for this environment: every job's targets come from the configuration (topology roles), none named
 * here; `nodes` are the cluster's node names (cAdvisor through the API server, one static target each: no Kubernetes SD).
 */
export function prometheusConfig(config: ProdlikeConfig, nodes: readonly string[] = []): string {
  const interval = config.monitoring.interval;
  const backend = resolveWorkload(config, 'backend');
  const dataLabels = (role: 'postgres' | 'redis') => {
    const w = resolveWorkload(config, role);
    return { role, service: `${w.namespace}/${w.service}` };
  };
  const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
  const doc = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: `${Math.max(1, seconds(interval) - 1)}s` },
    rule_files: ['/etc/prometheus/rules/*.yaml'],
    scrape_configs: [
      // ONE static target per data store (see the top of this file for why not per pod).
      { job_name: 'postgres', static_configs: [{ targets: [svc(EXPORTERS.postgres.name, EXPORTERS.postgres.port)], labels: dataLabels('postgres') }] },
      { job_name: 'redis', static_configs: [{ targets: [svc(EXPORTERS.redis.name, EXPORTERS.redis.port)], labels: dataLabels('redis') }] },
      // honor_labels: the pods' namespace/pod/container labels are kube-state-metrics' series labels, not the target's.
      { job_name: 'kube-state-metrics', honor_labels: true, static_configs: [{ targets: [svc(KSM.name, KSM.port)] }] },
      {
        // The application's /metrics, per ready backend pod (replicas come and go: here a vanishing target is right).
        job_name: 'app',
        metrics_path: config.monitoring.metricsPath,
        dns_sd_configs: [{ names: [`${APP_METRICS_SERVICE}.${backend.namespace}.svc.cluster.local`], type: 'A', port: backend.port, refresh_interval: interval }],
        relabel_configs: [{ target_label: 'namespace', replacement: backend.namespace }, { target_label: 'service', replacement: backend.service }],
      },
      {
        // HighPodMemory's container_memory_usage_bytes / container_spec_memory_limit_bytes: the kubelets' cAdvisor,
        // through the API server's node proxy (no kubelet port or certificate needed).
        job_name: 'kubelet-cadvisor',
        scrape_interval: `${Math.max(CADVISOR_MIN_INTERVAL_S, seconds(interval))}s`,
        scheme: 'https',
        tls_config: { ca_file: `${sa}/ca.crt` },
        authorization: { credentials_file: `${sa}/token` },
        static_configs: nodes.map((node) => ({ targets: ['kubernetes.default.svc:443'], labels: { node, __metrics_path__: `/api/v1/nodes/${node}/proxy/metrics/cadvisor` } })),
      },
    ],
  };
  return `# generated by prodlike (monitoring-config.ts)\n${stringify(doc)}`;
}

/**
 * The exporters' readiness command: their own /metrics says the database is up (pg_up 1 / redis_up 1). busybox wget in
 * the official images, bash's /dev/tcp in the Debian-built ones (no HTTP client there).
 */
export function exporterReadiness(port: number, upMetric: string): string[] {
  const url = `http://127.0.0.1:${port}/metrics`;
  const viaBash = `exec 3<>/dev/tcp/127.0.0.1/${port} && printf "GET /metrics HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n" >&3 && cat <&3`;
  return ['sh', '-c', `if command -v wget >/dev/null 2>&1; then wget -qO- -T 3 ${url}; else bash -c '${viaBash}'; fi | grep -q '^${upMetric} 1'`];
}
