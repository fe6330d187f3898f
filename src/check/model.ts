/**
 * Minimal typed models of the Kubernetes objects `prodlike check` reads, built from parsed YAML.
 * Only the fields the rules use are modelled; API defaults are applied where a rule depends on them
 * (probe timings, replicas, policyTypes, protocols), so rules never guess.
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import { ConfigError } from '../core/errors.ts';
import { mapSelector, parseLabelSelector, type LabelSelector, type Labels } from './label-selector.ts';
import { cpuMillis, parseQuantity } from './quantity.ts';

export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

export interface SourceLocation {
  file: string;
  line?: number;
}

export interface K8sObject extends ObjectRef {
  apiVersion: string;
  raw: Record<string, unknown>;
  location?: SourceLocation;
}

export interface Probe {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export interface ResourceAmounts {
  /** millicores */
  cpu?: number;
  /** bytes */
  memory?: number;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol: string;
}

export interface EnvVar {
  name: string;
  value?: string;
}

export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  command: string[];
  args: string[];
  env: EnvVar[];
  ports: ContainerPort[];
  requests: ResourceAmounts;
  limits: ResourceAmounts;
  liveness?: Probe;
  readiness?: Probe;
  startup?: Probe;
  volumeMounts: Array<{ name: string; mountPath: string }>;
  /** Native sidecar (init container with restartPolicy Always). */
  sidecar: boolean;
}

export interface Volume {
  name: string;
  persistentVolumeClaim?: string;
  emptyDir?: boolean;
  configMap?: string;
  hostPath?: string;
}

export interface PodTemplate {
  labels: Labels;
  annotations: Labels;
  containers: Container[];
  initContainers: Container[];
  volumes: Volume[];
  terminationGracePeriodSeconds: number;
  hostNetwork: boolean;
}

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface Workload extends ObjectRef {
  kind: WorkloadKind;
  namespace: string;
  /** Declared replicas (Deployment/StatefulSet/ReplicaSet), Job parallelism; 1 for a Pod; undefined for a DaemonSet. */
  replicas: number | undefined;
  selector?: LabelSelector;
  template: PodTemplate;
  /** StatefulSet volumeClaimTemplates names. */
  volumeClaimTemplates: string[];
  /** CronJob */
  schedule?: string;
  timeZone?: string;
  suspend?: boolean;
  labels: Labels;
}

export interface HpaMetric {
  type: string;
  resource?: string;
  container?: string;
  targetType?: string;
  averageUtilization?: number;
}

export interface HpaScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface HpaScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: HpaScalingPolicy[];
  /** autoscaling/v2 `tolerance` (HPAConfigurableTolerance, alpha in 1.33): a fraction, e.g. 0.05. */
  tolerance?: number;
}

export interface HpaBehavior {
  scaleUp?: HpaScalingRules;
  scaleDown?: HpaScalingRules;
}

export interface Hpa extends ObjectRef {
  namespace: string;
  target: { kind: string; name: string; apiVersion?: string };
  minReplicas: number;
  maxReplicas: number;
  metrics: HpaMetric[];
  behavior?: HpaBehavior;
}

export interface Pdb extends ObjectRef {
  namespace: string;
  selector?: LabelSelector;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except: string[] };
}

export interface NetworkPolicyPort {
  protocol: string;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyRule {
  /** undefined: every peer */
  peers?: NetworkPolicyPeer[];
  /** undefined: every port */
  ports?: NetworkPolicyPort[];
}

export interface NetworkPolicy extends ObjectRef {
  namespace: string;
  podSelector: LabelSelector;
  policyTypes: Array<'Ingress' | 'Egress'>;
  ingress: NetworkPolicyRule[];
  egress: NetworkPolicyRule[];
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort: number | string;
  protocol: string;
}

export interface Service extends ObjectRef {
  namespace: string;
  type: string;
  selector?: LabelSelector;
  ports: ServicePort[];
  labels: Labels;
}

export interface Namespace {
  name: string;
  labels: Labels;
}

export interface ResourceQuota extends ObjectRef {
  namespace: string;
  hard: Record<string, string>;
}

export interface LimitRangeContainer {
  default: ResourceAmounts;
  defaultRequest: ResourceAmounts;
}

export interface LimitRange extends ObjectRef {
  namespace: string;
  container: LimitRangeContainer;
}

export interface ConfigMap extends ObjectRef {
  namespace: string;
  data: Record<string, string>;
}

export interface Ingress extends ObjectRef {
  namespace: string;
  ingressClassName?: string;
  backends: Array<{ service: string; port?: number | string }>;
}

/** Velero Schedule (velero.io/v1): a backup of namespaces on a cron schedule. */
export interface BackupSchedule extends ObjectRef {
  schedule: string;
  includedNamespaces: string[];
}

export interface Manifests {
  objects: K8sObject[];
  workloads: Workload[];
  services: Service[];
  hpas: Hpa[];
  pdbs: Pdb[];
  networkPolicies: NetworkPolicy[];
  namespaces: Namespace[];
  quotas: ResourceQuota[];
  limitRanges: LimitRange[];
  configMaps: ConfigMap[];
  pvcs: ObjectRef[];
  ingresses: Ingress[];
  backupSchedules: BackupSchedule[];
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'CustomResourceDefinition', 'PriorityClass', 'IngressClass', 'Node', 'APIService', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);

// ── parsing ────────────────────────────────────────────────────────────────────────────────────────

/** Parses a multi-document YAML stream into Kubernetes objects (List items are expanded). */
export function parseManifestText(text: string, file: string): K8sObject[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) {
    throw new ConfigError(`${file}: not a YAML document stream.`, { hint: 'Give a file or directory of Kubernetes YAML, or a kustomize directory.' });
  }
  const objects: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const pos = lineCounter.linePos(e.pos[0]);
      throw new ConfigError(`${file}:${pos.line}:${pos.col}: YAML syntax error: ${e.message.split('\n')[0]}`, {
        hint: 'Fix the YAML (kubectl would reject it too), then run `prodlike check` again.',
        details: { file, line: pos.line },
      });
    }
    const data: unknown = doc.toJS();
    if (data === null || data === undefined) continue;
    const line = doc.contents?.range ? lineCounter.linePos(doc.contents.range[0]).line : undefined;
    const push = (item: unknown) => {
      const obj = toObject(item, file, line);
      if (obj) objects.push(obj);
    };
    if (isRecord(data) && typeof data.kind === 'string' && data.kind.endsWith('List') && Array.isArray(data.items)) data.items.forEach(push);
    else push(data);
  }
  return objects;
}

function toObject(data: unknown, file: string, line: number | undefined): K8sObject | undefined {
  if (!isRecord(data) || typeof data.kind !== 'string') return undefined;
  const meta = rec(data.metadata);
  const name = str(meta.name) ?? str(meta.generateName) ?? '(unnamed)';
  const kind = data.kind;
  const namespace = CLUSTER_SCOPED.has(kind) ? undefined : (str(meta.namespace) ?? 'default');
  return { apiVersion: str(data.apiVersion) ?? '', kind, name, ...(namespace ? { namespace } : {}), raw: data, location: { file, ...(line ? { line } : {}) } };
}

export function buildManifests(objects: K8sObject[]): Manifests {
  const m: Manifests = {
    objects,
    workloads: [],
    services: [],
    hpas: [],
    pdbs: [],
    networkPolicies: [],
    namespaces: [],
    quotas: [],
    limitRanges: [],
    configMaps: [],
    pvcs: [],
    ingresses: [],
    backupSchedules: [],
  };
  for (const o of objects) {
    const spec = rec(o.raw.spec);
    const ns = o.namespace ?? 'default';
    const ref = { kind: o.kind, namespace: ns, name: o.name };
    switch (o.kind) {
      case 'Deployment':
      case 'StatefulSet':
      case 'DaemonSet':
      case 'ReplicaSet':
      case 'Job':
      case 'CronJob':
      case 'Pod':
        m.workloads.push(parseWorkload(o, spec));
        break;
      case 'Service':
        m.services.push({
          ...ref,
          type: str(spec.type) ?? 'ClusterIP',
          ...(spec.selector ? { selector: mapSelector(spec.selector)! } : {}),
          ports: arr(spec.ports).map((p) => {
            const r = rec(p);
            const port = num(r.port) ?? 0;
            return { ...(str(r.name) ? { name: str(r.name)! } : {}), port, targetPort: intOrString(r.targetPort) ?? port, protocol: str(r.protocol) ?? 'TCP' };
          }),
          labels: labelsOf(o.raw),
        });
        break;
      case 'HorizontalPodAutoscaler':
        m.hpas.push(parseHpa(o, spec));
        break;
      case 'PodDisruptionBudget': {
        const selector = parseLabelSelector(spec.selector);
        m.pdbs.push({
          ...ref,
          ...(selector ? { selector } : {}),
          ...(spec.minAvailable !== undefined ? { minAvailable: intOrString(spec.minAvailable)! } : {}),
          ...(spec.maxUnavailable !== undefined ? { maxUnavailable: intOrString(spec.maxUnavailable)! } : {}),
        });
        break;
      }
      case 'NetworkPolicy':
        m.networkPolicies.push(parseNetworkPolicy(o, spec));
        break;
      case 'Namespace':
        m.namespaces.push({ name: o.name, labels: labelsOf(o.raw) });
        break;
      case 'ResourceQuota': {
        const hard: Record<string, string> = {};
        for (const [k, v] of Object.entries(rec(spec.hard))) hard[k] = String(v);
        m.quotas.push({ ...ref, hard });
        break;
      }
      case 'LimitRange':
        m.limitRanges.push({ ...ref, container: parseLimitRange(spec) });
        break;
      case 'ConfigMap': {
        const data: Record<string, string> = {};
        for (const [k, v] of Object.entries(rec(o.raw.data))) data[k] = String(v);
        m.configMaps.push({ ...ref, data });
        break;
      }
      case 'PersistentVolumeClaim':
        m.pvcs.push(ref);
        break;
      case 'Ingress':
        m.ingresses.push({
          ...ref,
          ...(str(spec.ingressClassName) ? { ingressClassName: str(spec.ingressClassName)! } : {}),
          backends: ingressBackends(spec),
        });
        break;
      case 'Schedule':
        if (o.apiVersion.startsWith('velero.io/')) {
          const template = rec(spec.template);
          m.backupSchedules.push({ ...ref, schedule: str(spec.schedule) ?? '', includedNamespaces: arr(template.includedNamespaces).map(String) });
        }
        break;
      default:
        break;
    }
  }
  return m;
}

function parseWorkload(o: K8sObject, spec: Record<string, unknown>): Workload {
  const kind = o.kind as WorkloadKind;
  let podSpec: Record<string, unknown>;
  let podMeta: Record<string, unknown>;
  let replicas: number | undefined;
  let jobSpec = spec;
  if (kind === 'Pod') {
    podSpec = spec;
    podMeta = rec(o.raw.metadata);
    replicas = 1;
  } else if (kind === 'CronJob') {
    jobSpec = rec(rec(spec.jobTemplate).spec);
    const t = rec(jobSpec.template);
    podSpec = rec(t.spec);
    podMeta = rec(t.metadata);
    replicas = num(jobSpec.parallelism) ?? 1;
  } else {
    const t = rec(spec.template);
    podSpec = rec(t.spec);
    podMeta = rec(t.metadata);
    replicas = kind === 'DaemonSet' ? undefined : kind === 'Job' ? (num(spec.parallelism) ?? 1) : (num(spec.replicas) ?? 1);
  }
  const selector = kind === 'Pod' ? undefined : parseLabelSelector(kind === 'CronJob' ? jobSpec.selector : spec.selector);
  return {
    kind,
    namespace: o.namespace ?? 'default',
    name: o.name,
    replicas,
    ...(selector ? { selector } : {}),
    template: {
      labels: labelsOf({ metadata: podMeta }),
      annotations: mapOfStrings(podMeta.annotations),
      containers: arr(podSpec.containers).map((c) => parseContainer(c, false)),
      initContainers: arr(podSpec.initContainers).map((c) => parseContainer(c, true)),
      volumes: arr(podSpec.volumes).map((v) => {
        const r = rec(v);
        return {
          name: str(r.name) ?? '',
          ...(r.persistentVolumeClaim ? { persistentVolumeClaim: str(rec(r.persistentVolumeClaim).claimName) ?? '' } : {}),
          ...(r.emptyDir !== undefined && r.emptyDir !== null ? { emptyDir: true } : {}),
          ...(r.configMap ? { configMap: str(rec(r.configMap).name) ?? '' } : {}),
          ...(r.hostPath ? { hostPath: str(rec(r.hostPath).path) ?? '' } : {}),
        };
      }),
      terminationGracePeriodSeconds: num(podSpec.terminationGracePeriodSeconds) ?? 30,
      hostNetwork: podSpec.hostNetwork === true,
    },
    volumeClaimTemplates: kind === 'StatefulSet' ? arr(spec.volumeClaimTemplates).map((v) => str(rec(rec(v).metadata).name) ?? '') : [],
    ...(kind === 'CronJob' ? { schedule: str(spec.schedule) ?? '', ...(str(spec.timeZone) ? { timeZone: str(spec.timeZone)! } : {}), suspend: spec.suspend === true } : {}),
    labels: labelsOf(o.raw),
  };
}

function parseContainer(raw: unknown, init: boolean): Container {
  const c = rec(raw);
  const resources = rec(c.resources);
  const amounts = (r: unknown): ResourceAmounts => {
    const x = rec(r);
    const cpu = cpuMillis(x.cpu);
    const memory = parseQuantity(x.memory);
    return { ...(cpu !== undefined ? { cpu } : {}), ...(memory !== undefined ? { memory } : {}) };
  };
  const probe = (p: unknown): Probe | undefined => {
    if (!isRecord(p)) return undefined;
    return {
      initialDelaySeconds: num(p.initialDelaySeconds) ?? 0,
      periodSeconds: num(p.periodSeconds) ?? 10,
      timeoutSeconds: num(p.timeoutSeconds) ?? 1,
      successThreshold: num(p.successThreshold) ?? 1,
      failureThreshold: num(p.failureThreshold) ?? 3,
    };
  };
  const liveness = probe(c.livenessProbe);
  const readiness = probe(c.readinessProbe);
  const startup = probe(c.startupProbe);
  return {
    name: str(c.name) ?? '',
    ...(str(c.image) ? { image: str(c.image)! } : {}),
    ...(str(c.imagePullPolicy) ? { imagePullPolicy: str(c.imagePullPolicy)! } : {}),
    command: arr(c.command).map(String),
    args: arr(c.args).map(String),
    env: arr(c.env).map((e) => {
      const r = rec(e);
      return { name: str(r.name) ?? '', ...(r.value !== undefined && r.value !== null ? { value: String(r.value) } : {}) };
    }),
    ports: arr(c.ports).map((p) => {
      const r = rec(p);
      return { ...(str(r.name) ? { name: str(r.name)! } : {}), containerPort: num(r.containerPort) ?? 0, protocol: str(r.protocol) ?? 'TCP' };
    }),
    requests: amounts(resources.requests),
    limits: amounts(resources.limits),
    ...(liveness ? { liveness } : {}),
    ...(readiness ? { readiness } : {}),
    ...(startup ? { startup } : {}),
    volumeMounts: arr(c.volumeMounts).map((v) => ({ name: str(rec(v).name) ?? '', mountPath: str(rec(v).mountPath) ?? '' })),
    sidecar: init && c.restartPolicy === 'Always',
  };
}

function parseHpa(o: K8sObject, spec: Record<string, unknown>): Hpa {
  const target = rec(spec.scaleTargetRef);
  const metrics: HpaMetric[] = arr(spec.metrics).map((m) => {
    const r = rec(m);
    const type = str(r.type) ?? '';
    const body = rec(type === 'ContainerResource' ? r.containerResource : r.resource);
    const t = rec(body.target);
    return {
      type,
      ...(str(body.name) ? { resource: str(body.name)! } : {}),
      ...(str(body.container) ? { container: str(body.container)! } : {}),
      ...(str(t.type) ? { targetType: str(t.type)! } : {}),
      ...(num(t.averageUtilization) !== undefined ? { averageUtilization: num(t.averageUtilization)! } : {}),
    };
  });
  // autoscaling/v1: targetCPUUtilizationPercentage
  if (metrics.length === 0 && num(spec.targetCPUUtilizationPercentage) !== undefined) {
    metrics.push({ type: 'Resource', resource: 'cpu', targetType: 'Utilization', averageUtilization: num(spec.targetCPUUtilizationPercentage)! });
  }
  // API default (autoscaling/v2 SetDefaults): no metrics means CPU at 80 %.
  if (metrics.length === 0) metrics.push({ type: 'Resource', resource: 'cpu', targetType: 'Utilization', averageUtilization: 80 });
  const behavior = isRecord(spec.behavior) ? parseBehavior(spec.behavior) : undefined;
  return {
    kind: o.kind,
    namespace: o.namespace ?? 'default',
    name: o.name,
    target: { kind: str(target.kind) ?? '', name: str(target.name) ?? '', ...(str(target.apiVersion) ? { apiVersion: str(target.apiVersion)! } : {}) },
    minReplicas: num(spec.minReplicas) ?? 1,
    maxReplicas: num(spec.maxReplicas) ?? 0,
    metrics,
    ...(behavior ? { behavior } : {}),
  };
}

export function parseBehavior(raw: Record<string, unknown>): HpaBehavior {
  const rules = (x: unknown): HpaScalingRules | undefined => {
    if (!isRecord(x)) return undefined;
    const sel = str(x.selectPolicy);
    const tolerance = x.tolerance === undefined ? undefined : parseQuantity(x.tolerance);
    return {
      ...(num(x.stabilizationWindowSeconds) !== undefined ? { stabilizationWindowSeconds: num(x.stabilizationWindowSeconds)! } : {}),
      ...(sel === 'Max' || sel === 'Min' || sel === 'Disabled' ? { selectPolicy: sel } : {}),
      ...(Array.isArray(x.policies)
        ? {
            policies: x.policies
              .map((p) => rec(p))
              .filter((p) => p.type === 'Pods' || p.type === 'Percent')
              .map((p) => ({ type: p.type as 'Pods' | 'Percent', value: num(p.value) ?? 0, periodSeconds: num(p.periodSeconds) ?? 0 })),
          }
        : {}),
      ...(tolerance !== undefined ? { tolerance } : {}),
    };
  };
  const scaleUp = rules(raw.scaleUp);
  const scaleDown = rules(raw.scaleDown);
  return { ...(scaleUp ? { scaleUp } : {}), ...(scaleDown ? { scaleDown } : {}) };
}

function parseNetworkPolicy(o: K8sObject, spec: Record<string, unknown>): NetworkPolicy {
  const rules = (list: unknown, peerKey: 'from' | 'to'): NetworkPolicyRule[] =>
    arr(list).map((r) => {
      const x = rec(r);
      const peers = x[peerKey];
      const ports = x.ports;
      return {
        ...(Array.isArray(peers) && peers.length > 0 ? { peers: peers.map(parsePeer) } : {}),
        ...(Array.isArray(ports) && ports.length > 0
          ? {
              ports: ports.map((p) => {
                const q = rec(p);
                const port = intOrString(q.port);
                return { protocol: str(q.protocol) ?? 'TCP', ...(port !== undefined ? { port } : {}), ...(num(q.endPort) !== undefined ? { endPort: num(q.endPort)! } : {}) };
              }),
            }
          : {}),
      };
    });
  const ingress = rules(spec.ingress, 'from');
  const egress = rules(spec.egress, 'to');
  // API default: policyTypes is ["Ingress"], plus "Egress" when the policy has egress rules.
  const declared = arr(spec.policyTypes).map(String).filter((t): t is 'Ingress' | 'Egress' => t === 'Ingress' || t === 'Egress');
  const policyTypes: Array<'Ingress' | 'Egress'> = declared.length > 0 ? declared : ['Ingress', ...(Array.isArray(spec.egress) && spec.egress.length > 0 ? (['Egress'] as const) : [])];
  return {
    kind: o.kind,
    namespace: o.namespace ?? 'default',
    name: o.name,
    podSelector: parseLabelSelector(spec.podSelector) ?? { matchLabels: {}, matchExpressions: [] },
    policyTypes,
    ingress,
    egress,
  };
}

function parsePeer(raw: unknown): NetworkPolicyPeer {
  const p = rec(raw);
  const podSelector = parseLabelSelector(p.podSelector);
  const namespaceSelector = parseLabelSelector(p.namespaceSelector);
  const ip = isRecord(p.ipBlock) ? { cidr: str(p.ipBlock.cidr) ?? '', except: arr(p.ipBlock.except).map(String) } : undefined;
  return { ...(podSelector ? { podSelector } : {}), ...(namespaceSelector ? { namespaceSelector } : {}), ...(ip ? { ipBlock: ip } : {}) };
}

function parseLimitRange(spec: Record<string, unknown>): LimitRangeContainer {
  // API defaulting of a Container item (SetDefaults_LimitRangeItem): default <- max; defaultRequest <-
  // default, then <- min.
  const out: LimitRangeContainer = { default: {}, defaultRequest: {} };
  for (const item of arr(spec.limits)) {
    const it = rec(item);
    if (it.type !== 'Container') continue;
    for (const res of ['cpu', 'memory'] as const) {
      const q = (x: unknown) => (res === 'cpu' ? cpuMillis(rec(x)[res]) : parseQuantity(rec(x)[res]));
      const def = q(it.default) ?? q(it.max);
      const req = q(it.defaultRequest) ?? def ?? q(it.min);
      if (def !== undefined) out.default[res] = def;
      if (req !== undefined) out.defaultRequest[res] = req;
    }
  }
  return out;
}

function ingressBackends(spec: Record<string, unknown>): Ingress['backends'] {
  const out: Ingress['backends'] = [];
  const add = (b: unknown) => {
    const svc = rec(rec(b).service);
    const name = str(svc.name);
    if (!name) return;
    const port = rec(svc.port);
    const p = num(port.number) ?? str(port.name);
    out.push({ service: name, ...(p !== undefined ? { port: p } : {}) });
  };
  if (spec.defaultBackend) add(spec.defaultBackend);
  for (const rule of arr(spec.rules)) for (const path of arr(rec(rec(rule).http).paths)) add(rec(path).backend);
  return out;
}

// ── queries ────────────────────────────────────────────────────────────────────────────────────────

export function refKey(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

export function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

export function toRef(x: ObjectRef): ObjectRef {
  return { kind: x.kind, ...(x.namespace ? { namespace: x.namespace } : {}), name: x.name };
}

/** The long-running workloads (not Jobs/CronJobs/bare Pods). */
export function isService(w: Workload): boolean {
  return w.kind === 'Deployment' || w.kind === 'StatefulSet' || w.kind === 'ReplicaSet' || w.kind === 'DaemonSet';
}

export function hpaFor(m: Manifests, w: Workload): Hpa | undefined {
  return m.hpas.find((h) => h.namespace === w.namespace && h.target.kind === w.kind && h.target.name === w.name);
}

export function namespaceLabels(m: Manifests, ns: string): Labels {
  const declared = m.namespaces.find((n) => n.name === ns)?.labels ?? {};
  // The API server sets kubernetes.io/metadata.name on every namespace (NamespaceDefaultLabelName, GA 1.22).
  return { ...declared, 'kubernetes.io/metadata.name': ns };
}

export function persistentVolumesOf(w: Workload): string[] {
  return [...w.template.volumes.filter((v) => v.persistentVolumeClaim !== undefined).map((v) => v.name), ...w.volumeClaimTemplates];
}

/** Containers that run for the pod's lifetime (regular containers and native sidecars). */
export function mainContainers(t: PodTemplate): Container[] {
  return [...t.containers, ...t.initContainers.filter((c) => c.sidecar)];
}

// ── small helpers for unvalidated YAML ─────────────────────────────────────────────────────────────

export function isRecord(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}
function rec(x: unknown): Record<string, unknown> {
  return isRecord(x) ? x : {};
}
function arr(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}
function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : typeof x === 'number' ? String(x) : undefined;
}
function num(x: unknown): number | undefined {
  if (typeof x === 'number' && Number.isFinite(x)) return x;
  if (typeof x === 'string' && /^-?\d+(\.\d+)?$/.test(x.trim())) return Number(x);
  return undefined;
}
function intOrString(x: unknown): number | string | undefined {
  if (typeof x === 'number') return x;
  if (typeof x === 'string') return /^\d+$/.test(x) ? Number(x) : x;
  return undefined;
}
function mapOfStrings(x: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec(x))) out[k] = String(v);
  return out;
}
function labelsOf(raw: Record<string, unknown>): Record<string, string> {
  return mapOfStrings(rec(raw.metadata).labels);
}
