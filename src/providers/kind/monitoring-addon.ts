import type { ProdlikeConfig } from '../../config/schema.ts';
import { resolveWorkload } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import type { Kubectl } from '../../kube/kubectl.ts';
import type { EnvironmentSecrets } from '../docker/topology.ts';
import { MONITORING_PORT } from './cluster-config.ts';
import { toApplyList } from './kind-workloads.ts';
import { APP_METRICS_SERVICE, EXPORTER_READINESS_PERIOD_S, EXPORTERS, exporterReadiness, KSM, MONITORING_NAMESPACE, PROMETHEUS, prometheusConfig, type RuleFile, UP_RULES_KEY, upRules } from './monitoring-config.ts';

/**
 * The monitoring add-on of the kind provider (document 001 §High Availability 6), installed at `up` in its own
 * namespace: Prometheus, kube-state-metrics (kube_pod_container_status_restarts_total), and the PostgreSQL and Redis
 * exporters, which reach the data stores through the Services the configuration names with the environment's
 * credentials (the ones probes use). Everything runs on the control plane: the observer must not share the fate of
 * the worker node a scenario stops (an exporter lost with its database's node would report nothing).
 *
 * No Alertmanager: the scenarios need each alert's state (inactive, pending, firing) and since when, which
 * Prometheus' own /api/v1/alerts gives (activeAt, state); Alertmanager adds routing and notification, which nothing
 * here receives, and a second component to build and start.
 */

const LABELS = { 'app.kubernetes.io/part-of': 'prodlike', 'app.kubernetes.io/managed-by': 'prodlike', 'io.prodlike.managed': 'true' };
const CREDENTIALS = 'prodlike-monitoring-credentials';

export interface MonitoringImages { prometheus: string; postgresExporter: string; redisExporter: string; kubeStateMetrics: string }

const meta = (name: string, namespaced = true) => ({ name, ...(namespaced ? { namespace: MONITORING_NAMESPACE } : {}), labels: LABELS });
const onControlPlane = {
  nodeSelector: { 'node-role.kubernetes.io/control-plane': '' },
  tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
};
const restricted = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, capabilities: { drop: ['ALL'] } };

function deployment(name: string, pod: Record<string, unknown>): object {
  const selector = { 'app.kubernetes.io/name': name };
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(name),
    spec: { replicas: 1, selector: { matchLabels: selector }, template: { metadata: { labels: { ...selector, ...LABELS } }, spec: { ...onControlPlane, terminationGracePeriodSeconds: 5, ...pod, securityContext: { seccompProfile: { type: 'RuntimeDefault' }, ...(pod.securityContext as object | undefined) } } } },
  };
}
function service(name: string, port: number, nodePort?: number): object {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: meta(name),
    spec: { type: nodePort ? 'NodePort' : 'ClusterIP', selector: { 'app.kubernetes.io/name': name }, ports: [{ name: 'http', port, targetPort: port, ...(nodePort ? { nodePort } : {}) }] },
  };
}
function clusterRole(name: string, rules: object[]): object[] {
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(`prodlike-${name}`, false), rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta(`prodlike-${name}`, false),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `prodlike-${name}` },
      subjects: [{ kind: 'ServiceAccount', name, namespace: MONITORING_NAMESPACE }],
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name) },
  ];
}
function exporter(role: 'postgres' | 'redis', image: string, env: object[], args: string[]): object[] {
  const e = EXPORTERS[role];
  return [
    deployment(e.name, {
      automountServiceAccountToken: false,
      containers: [{
        name: 'exporter', image, imagePullPolicy: 'IfNotPresent', args, env,
        ports: [{ name: 'http', containerPort: e.port }],
        // Ready (in its Service) only while it sees its database up: what `kubectl get pods` shows. (Not what up{job=…}
        // rests on: a keep-alive scrape outlives the endpoint's removal; monitoring-config.ts records it instead.)
        readinessProbe: { exec: { command: exporterReadiness(e.port, e.upMetric) }, periodSeconds: EXPORTER_READINESS_PERIOD_S, timeoutSeconds: 4, failureThreshold: 1, successThreshold: 1 },
        resources: { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '128Mi' } },
        securityContext: restricted,
      }],
    }),
    service(e.name, e.port),
  ];
}

/** The add-on's objects; `secrets` are the environment's credentials, `rules` the configured rule files (verbatim). */
export function monitoringObjects(config: ProdlikeConfig, options: { images: MonitoringImages; secrets: EnvironmentSecrets; rules: readonly RuleFile[]; nodes?: readonly string[] }): object[] {
  const pg = resolveWorkload(config, 'postgres');
  const backend = resolveWorkload(config, 'backend');
  const redis = resolveWorkload(config, 'redis');
  const { user, name: database } = config.database;
  const fromSecret = (key: string) => ({ valueFrom: { secretKeyRef: { name: CREDENTIALS, key } } });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: MONITORING_NAMESPACE, labels: { ...LABELS, 'pod-security.kubernetes.io/enforce': 'restricted' } } },
    {
      apiVersion: 'v1', kind: 'Secret', metadata: meta(CREDENTIALS), type: 'Opaque',
      stringData: {
        DATA_SOURCE_NAME: `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(options.secrets.postgresPassword)}@${pg.service}.${pg.namespace}.svc:${pg.port}/${encodeURIComponent(database)}?sslmode=disable&connect_timeout=2`,
        REDIS_PASSWORD: options.secrets.redisPassword,
      },
    },
    ...exporter('postgres', options.images.postgresExporter, [{ name: 'DATA_SOURCE_NAME', ...fromSecret('DATA_SOURCE_NAME') }], [`--web.listen-address=:${EXPORTERS.postgres.port}`]),
    ...exporter('redis', options.images.redisExporter, [{ name: 'REDIS_ADDR', value: `redis://${redis.service}.${redis.namespace}.svc:${redis.port}` }, { name: 'REDIS_PASSWORD', ...fromSecret('REDIS_PASSWORD') }], [`--web.listen-address=:${EXPORTERS.redis.port}`, '--connection-timeout=2s']),
    // kube-state-metrics: pods only (the restart counter PodCrashLooping reads).
    ...clusterRole(KSM.name, [{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }]),
    deployment(KSM.name, {
      serviceAccountName: KSM.name,
      containers: [{
        name: KSM.name, image: options.images.kubeStateMetrics, imagePullPolicy: 'IfNotPresent',
        args: ['--resources=pods', `--port=${KSM.port}`, '--telemetry-port=8081'],
        ports: [{ name: 'http', containerPort: KSM.port }],
        readinessProbe: { tcpSocket: { port: KSM.port }, periodSeconds: 2 },
        resources: { requests: { cpu: '20m', memory: '32Mi' }, limits: { memory: '256Mi' } },
        securityContext: restricted,
      }],
    }),
    service(KSM.name, KSM.port),
    // Prometheus: discovery of the app's endpoints and the nodes, the kubelets' cAdvisor through the API server.
    ...clusterRole(PROMETHEUS.name, [
      { apiGroups: [''], resources: ['nodes', 'services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['nodes/proxy', 'nodes/metrics'], verbs: ['get'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
    ]),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('prometheus-config'), data: { 'prometheus.yml': prometheusConfig(config, options.nodes) } },
    // The backend's pods for DNS discovery (monitoring-config.ts), in the backend's namespace: `reset` empties that
    // namespace, and re-applies the add-on.
    {
      apiVersion: 'v1', kind: 'Service', metadata: { name: APP_METRICS_SERVICE, namespace: backend.namespace, labels: LABELS },
      spec: { clusterIP: 'None', selector: backend.selector, ports: [{ name: 'metrics', port: backend.port, targetPort: backend.port }] },
    },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('prometheus-rules'), data: { ...Object.fromEntries(options.rules.map((r) => [r.key, r.text])), [UP_RULES_KEY]: upRules() } },
    deployment(PROMETHEUS.name, {
      serviceAccountName: PROMETHEUS.name,
      securityContext: { fsGroup: 65534 },
      containers: [{
        name: PROMETHEUS.name, image: options.images.prometheus, imagePullPolicy: 'IfNotPresent',
        args: ['--config.file=/etc/prometheus/config/prometheus.yml', '--storage.tsdb.path=/prometheus', '--storage.tsdb.retention.time=6h', `--web.listen-address=:${PROMETHEUS.port}`],
        ports: [{ name: 'http', containerPort: PROMETHEUS.port }],
        readinessProbe: { httpGet: { path: '/-/ready', port: PROMETHEUS.port }, periodSeconds: 2 },
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
        securityContext: restricted,
        // Two sibling mounts: a volume mounted inside a ConfigMap's read-only one could not get its mount point.
        volumeMounts: [{ name: 'config', mountPath: '/etc/prometheus/config', readOnly: true }, { name: 'rules', mountPath: '/etc/prometheus/rules', readOnly: true }, { name: 'data', mountPath: '/prometheus' }],
      }],
      volumes: [{ name: 'config', configMap: { name: 'prometheus-config' } }, { name: 'rules', configMap: { name: 'prometheus-rules' } }, { name: 'data', emptyDir: {} }],
    }),
    service(PROMETHEUS.name, PROMETHEUS.port, MONITORING_PORT.nodePort),
  ];
}

/**
 * Applies the add-on and waits for its four Deployments (their images are on the control plane: monitoring step in
 * kind-up-steps.ts). The exporters may stay unready while the data stores are not up yet: that is `up == 0`, not a
 * failure of the add-on, so only their pods running is waited for.
 */
export async function installMonitoring(kubectl: Kubectl, objects: object[], progress?: (m: string) => void): Promise<void> {
  const namespaces = objects.filter((o) => (o as { kind: string }).kind === 'Namespace');
  await kubectl.apply(toApplyList(namespaces));
  // Prometheus reads its configuration at start: a changed one (a new rule file, the node list) restarts it below.
  const readConfiguration = () => kubectl.run(['-n', MONITORING_NAMESPACE, 'get', 'configmap', 'prometheus-config', 'prometheus-rules', '-o', 'jsonpath={.items[*].data}'], { allowFailure: true });
  const before = await readConfiguration();
  await kubectl.apply(toApplyList(objects.filter((o) => !namespaces.includes(o))));
  const after = await readConfiguration();
  if (before.exitCode === 0 && before.stdout !== after.stdout) await kubectl.run(['-n', MONITORING_NAMESPACE, 'rollout', 'restart', `deployment/${PROMETHEUS.name}`]);
  progress?.('waiting for Prometheus and kube-state-metrics');
  const waits = [PROMETHEUS.name, KSM.name].map((name) => kubectl.run(['-n', MONITORING_NAMESPACE, 'rollout', 'status', `deployment/${name}`, '--timeout=120s'], { timeoutMs: 140_000, allowFailure: true }));
  const results = await Promise.all(waits);
  if (results.every((r) => r.exitCode === 0)) return;
  const events = await kubectl.run(['-n', MONITORING_NAMESPACE, 'get', 'events', '--sort-by=.lastTimestamp'], { allowFailure: true });
  throw new ProdlikeError('READINESS_TIMEOUT', `The monitoring add-on (namespace ${MONITORING_NAMESPACE}) did not become ready within 120 s: ${results.map((r) => r.stderr.trim() || r.stdout.trim()).join('; ')}\n  events:\n    ${events.stdout.trim().split('\n').slice(-6).join('\n    ')}`, {
    hint: `Inspect with \`kubectl --kubeconfig ${kubectl.kubeconfig} -n ${MONITORING_NAMESPACE} describe pods\`; set monitoring.enabled: false in prodlike.yaml to run without it.`,
  });
}
