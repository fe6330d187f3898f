// Unit tests of the application's Kubernetes manifests (kind/manifests): render base and overlays with
// `kubectl kustomize`, then prove that
//   - the kind overlay differs from base ONLY in the documented fields (structural diff + allow-list),
//   - the offline overlay differs from the kind overlay ONLY in images, as fixtures/images/images.yaml says,
//   - the values copied from document 001 (HPA, PDB, quota, limits, network policies, probes) are exact,
//   - no image is `latest` or untagged, every Deployment/StatefulSet has probes and resources,
//   - every object carries app.kubernetes.io/part-of=prodlike and no selector does,
//   - the NetworkPolicies admit every dependency the workloads have and keep the documented isolation,
//   - the execution Job template renders to a valid Job.
// No cluster is needed; only a kubectl binary (any recent one: kustomize is built in).
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { configSchema } from '../../src/config/schema.ts';
import { accessObjects } from '../../src/providers/kind/access-objects.ts';
import { kindPortMappings } from '../../src/providers/kind/cluster-config.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const DIRS = {
  base: path.join(HERE, 'base'),
  kind: path.join(HERE, 'overlays', 'kind'),
  offline: path.join(HERE, 'overlays', 'kind-offline'),
} as const;
type RenderName = keyof typeof DIRS;

// ---------------------------------------------------------------------------------------------------
// JSON helpers (strict types, no `any`)
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function at(v: Json | undefined, ...keys: (string | number)[]): Json | undefined {
  let cur: Json | undefined = v;
  for (const k of keys) {
    if (typeof k === 'number') cur = Array.isArray(cur) ? cur[k] : undefined;
    else cur = isObject(cur) ? cur[k] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}
const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);
const objects = (v: Json | undefined): JsonObject[] => list(v).filter(isObject);
const str = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const labelsOf = (v: Json | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(isObject(v) ? v : {}).filter((e): e is [string, string] => typeof e[1] === 'string'));

type Manifest = { kind: string; name: string; namespace: string; id: string; raw: JsonObject };

function toManifest(raw: JsonObject): Manifest {
  const kind = str(raw.kind) ?? '?';
  const name = str(at(raw, 'metadata', 'name')) ?? '?';
  const namespace = str(at(raw, 'metadata', 'namespace')) ?? '';
  return { kind, name, namespace, id: `${kind}/${namespace}/${name}`, raw };
}

// ---------------------------------------------------------------------------------------------------
// kubectl: the offline build's, then $PRODLIKE_CACHE/bin, then PATH.
function executable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findKubectl(): { bin?: string; tried: string[] } {
  const cache = process.env.PRODLIKE_CACHE ?? path.join(os.homedir(), '.cache', 'prodlike');
  const candidates = [
    process.env.PRODLIKE_KUBECTL,
    path.join(cache, 'kubernetes', 'v1.34.4', 'kubectl'),
    path.join(cache, 'bin', 'kubectl'),
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, 'kubectl')),
  ].filter((c): c is string => Boolean(c));
  return { bin: candidates.find(executable), tried: candidates };
}

const KUBECTL = findKubectl();
const SKIP_REASON = KUBECTL.bin
  ? ''
  : ` (SKIPPED: no kubectl found; tried ${KUBECTL.tried.join(', ')}. Run \`prodlike setup\` or set PRODLIKE_KUBECTL)`;

async function render(dir: string): Promise<Manifest[]> {
  if (!KUBECTL.bin) throw new Error('no kubectl');
  const res = await execa(KUBECTL.bin, ['kustomize', dir], { timeout: 60_000, reject: false });
  if (res.exitCode !== 0) {
    throw new Error(`kubectl kustomize ${path.relative(REPO, dir)} failed (exit ${res.exitCode}): ${res.stderr.trim()}; fix the kustomization there`);
  }
  const docs = parseAllDocuments(res.stdout);
  const out: Manifest[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`kustomize output of ${dir} is not valid YAML: ${doc.errors[0]?.message}`);
    const js: unknown = doc.toJS();
    if (isObject(js)) out.push(toManifest(js));
  }
  return out;
}

const byId = (ms: Manifest[]) => new Map(ms.map((m) => [m.id, m]));

function find(ms: Manifest[], kind: string, namespace: string, name: string): Manifest {
  const m = ms.find((x) => x.kind === kind && x.namespace === namespace && x.name === name);
  if (!m) throw new Error(`${kind} ${namespace}/${name} is missing from the render`);
  return m;
}

/** Pod spec of a workload (Deployment, StatefulSet, Job, CronJob), else undefined. */
function podSpec(m: Manifest): JsonObject | undefined {
  const spec =
    m.kind === 'CronJob' ? at(m.raw, 'spec', 'jobTemplate', 'spec', 'template', 'spec') : at(m.raw, 'spec', 'template', 'spec');
  return ['Deployment', 'StatefulSet', 'Job', 'CronJob'].includes(m.kind) && isObject(spec) ? spec : undefined;
}

function containersOf(m: Manifest): JsonObject[] {
  const spec = podSpec(m);
  return spec ? [...objects(spec.initContainers), ...objects(spec.containers)] : [];
}

// ---------------------------------------------------------------------------------------------------
// Structural diff. Lists whose items all have a unique `name` are compared by name (the API server
// merges containers/env/volumes/ports by name too, and kustomize may reorder them); paths then read
// `containers[name=backend]/env[name=STORAGE_TYPE]/value`.
function namedKeys(items: Json[]): string[] | undefined {
  if (items.length === 0) return undefined;
  const names = items.map((i) => (isObject(i) ? str(i.name) : undefined));
  if (names.some((n) => n === undefined)) return undefined;
  return new Set(names).size === names.length ? (names as string[]) : undefined;
}

function diffPaths(a: Json | undefined, b: Json | undefined, p = ''): string[] {
  if (a === undefined || b === undefined) return a === b ? [] : [p];
  if (Array.isArray(a) && Array.isArray(b)) {
    const ka = namedKeys(a);
    const kb = namedKeys(b);
    if (ka && kb) {
      const out: string[] = [];
      for (const n of new Set([...ka, ...kb])) {
        const x = a.find((i) => isObject(i) && i.name === n);
        const y = b.find((i) => isObject(i) && i.name === n);
        out.push(...diffPaths(x, y, `${p}[name=${n}]`));
      }
      return out;
    }
    if (a.length !== b.length) return [p];
    return a.flatMap((x, i) => diffPaths(x, b[i], `${p}/${i}`));
  }
  if (isObject(a) && isObject(b)) {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].flatMap((k) => diffPaths(a[k], b[k], `${p}/${k}`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [p];
}

type Change = { id: string; path: string };

function diffRenders(from: Manifest[], to: Manifest[]) {
  const a = byId(from);
  const b = byId(to);
  const added = [...b.keys()].filter((k) => !a.has(k)).sort();
  const removed = [...a.keys()].filter((k) => !b.has(k)).sort();
  const changed: Change[] = [];
  for (const [id, m] of a) {
    const other = b.get(id);
    if (other) for (const p of diffPaths(m.raw, other.raw)) changed.push({ id, path: p });
  }
  return { added, removed, changed };
}

// ---------------------------------------------------------------------------------------------------
// Quantities and images
function cpuMillis(q: Json | undefined): number {
  const s = typeof q === 'number' ? String(q) : str(q);
  if (s === undefined) throw new Error(`not a CPU quantity: ${JSON.stringify(q)}`);
  return s.endsWith('m') ? Number(s.slice(0, -1)) : Number(s) * 1000;
}

function imageTag(image: string): string | undefined {
  if (image.includes('@sha256:')) return image.split('@')[1];
  const last = image.split('/').pop() ?? '';
  return last.includes(':') ? last.split(':').pop() : undefined;
}

function imagesOf(ms: Manifest[]): { where: string; image: string }[] {
  return ms.flatMap((m) => containersOf(m).map((c) => ({ where: `${m.id} container ${str(c.name)}`, image: str(c.image) ?? '' })));
}

// ---------------------------------------------------------------------------------------------------
// The execution Job template (doc 000 §6): fill the placeholders the worker fills, parse as YAML.
const TEMPLATE_VALUES: Record<string, string> = {
  EXECUTION_ID: 'f3b0c442-98fc-4c14-9afb-4c8996fb9242',
  TIER: 'standard',
  MAX_RUNTIME: '3600',
  WORKFLOW_CONFIG: '{\\"workflowId\\":\\"wf-1\\"}',
  CALLBACK_URL: '',
  S3_BUCKET: 'saasit-artifacts',
  CPU_REQUEST: '250m',
  MEMORY_REQUEST: '256Mi',
  CPU_LIMIT: '1',
  MEMORY_LIMIT: '512Mi',
};

function renderJobTemplate(text: string): JsonObject {
  const unknown = [...text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1] ?? '').filter((n) => !(n in TEMPLATE_VALUES));
  if (unknown.length > 0) throw new Error(`job template uses placeholders the worker does not fill: ${unknown.join(', ')}`);
  const filled = text.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (_, n: string) => TEMPLATE_VALUES[n] ?? '');
  const job: unknown = parseYaml(filled);
  if (!isObject(job)) throw new Error('job template does not parse to an object');
  return job;
}

// ---------------------------------------------------------------------------------------------------
// NetworkPolicy evaluation (enough of the semantics for these manifests: matchLabels, matchExpressions
// In/NotIn/Exists/DoesNotExist, namespaceSelector, podSelector, ipBlock, numeric ports).
type Endpoint = { ns: string; labels: Record<string, string> } | { external: true };
const pod = (ns: string, labels: Record<string, string>): Endpoint => ({ ns, labels });
const EXTERNAL: Endpoint = { external: true };

function selectorMatches(selector: Json | undefined, labels: Record<string, string>): boolean {
  if (!isObject(selector)) return false; // absent selector in a peer = "not this kind of peer"
  for (const [k, v] of Object.entries(labelsOf(selector.matchLabels))) if (labels[k] !== v) return false;
  for (const e of objects(selector.matchExpressions)) {
    const key = str(e.key) ?? '';
    const values = list(e.values).map(String);
    const has = key in labels;
    const op = str(e.operator);
    if (op === 'In' && !(has && values.includes(labels[key] ?? ''))) return false;
    if (op === 'NotIn' && has && values.includes(labels[key] ?? '')) return false;
    if (op === 'Exists' && !has) return false;
    if (op === 'DoesNotExist' && has) return false;
  }
  return true;
}

function peerMatches(peer: JsonObject, policyNs: string, other: Endpoint, nsLabels: (ns: string) => Record<string, string>): boolean {
  if ('external' in other) return isObject(peer.ipBlock);
  if (isObject(peer.ipBlock)) return false; // pod addresses are outside the ipBlocks used here
  const nsOk = isObject(peer.namespaceSelector) ? selectorMatches(peer.namespaceSelector, nsLabels(other.ns)) : other.ns === policyNs;
  const podOk = isObject(peer.podSelector) ? selectorMatches(peer.podSelector, other.labels) : true;
  return nsOk && podOk;
}

function portMatches(ports: Json | undefined, port: number, protocol: string): boolean {
  const ps = objects(ports);
  return ps.length === 0 || ps.some((p) => (str(p.protocol) ?? 'TCP') === protocol && p.port === port);
}

function direction(
  policies: Manifest[],
  self: { ns: string; labels: Record<string, string> },
  other: Endpoint,
  port: number,
  protocol: string,
  type: 'Ingress' | 'Egress',
  nsLabels: (ns: string) => Record<string, string>,
): boolean {
  const applying = policies.filter(
    (p) =>
      p.namespace === self.ns &&
      list(at(p.raw, 'spec', 'policyTypes')).includes(type) &&
      selectorMatches(at(p.raw, 'spec', 'podSelector') ?? {}, self.labels),
  );
  if (applying.length === 0) return true;
  const field = type === 'Ingress' ? 'ingress' : 'egress';
  const peerField = type === 'Ingress' ? 'from' : 'to';
  return applying.some((p) =>
    objects(at(p.raw, 'spec', field)).some((rule) => {
      const peers = objects(rule[peerField]);
      const peerOk = rule[peerField] === undefined || peers.some((peer) => peerMatches(peer, p.namespace, other, nsLabels));
      return peerOk && portMatches(rule.ports, port, protocol);
    }),
  );
}

function allowed(ms: Manifest[], from: Endpoint, to: Endpoint, port: number, protocol = 'TCP'): boolean {
  const policies = ms.filter((m) => m.kind === 'NetworkPolicy');
  const namespaces = new Map(ms.filter((m) => m.kind === 'Namespace').map((m) => [m.name, labelsOf(at(m.raw, 'metadata', 'labels'))]));
  // Namespaces outside the render: kube-system, and the ingress controller's (labelled per kind/README.md).
  namespaces.set('kube-system', {});
  namespaces.set('ingress-nginx', { name: 'ingress-nginx' });
  const nsLabels = (ns: string) => ({ ...(namespaces.get(ns) ?? {}), 'kubernetes.io/metadata.name': ns });
  const egressOk = 'external' in from || direction(policies, from, to, port, protocol, 'Egress', nsLabels);
  const ingressOk = 'external' in to || direction(policies, to, from, port, protocol, 'Ingress', nsLabels);
  return egressOk && ingressOk;
}

// ---------------------------------------------------------------------------------------------------
// Document 001, verbatim where the manifests must equal it.
const DOC001 = parseYaml(`
backendHpa: # §Scalability Strategy › 1. Horizontal Pod Autoscaling › Backend HPA
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: backend }
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } }
  - type: Resource
    resource: { name: memory, target: { type: Utilization, averageUtilization: 80 } }
  behavior:
    scaleUp:
      stabilizationWindowSeconds: 60
      policies:
      - { type: Percent, value: 100, periodSeconds: 60 }
      - { type: Pods, value: 2, periodSeconds: 60 }
      selectPolicy: Max
    scaleDown:
      stabilizationWindowSeconds: 300
      policies:
      - { type: Pods, value: 1, periodSeconds: 120 }
      selectPolicy: Min
frontendHpa: # §Frontend HPA
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: frontend }
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } }
backendPdb: { minAvailable: 2, selector: { matchLabels: { app: backend } } } # §High Availability › 3
frontendPdb: { maxUnavailable: 1, selector: { matchLabels: { app: frontend } } }
postgresPdb: { maxUnavailable: 0, selector: { matchLabels: { app: postgres } } }
quota: # §5 Resource Quotas and Limits
  hard: { requests.cpu: "10", requests.memory: 20Gi, limits.cpu: "20", limits.memory: 40Gi, persistentvolumeclaims: "5", services.loadbalancers: "0" }
limitRange:
  limits:
  - max: { cpu: "4", memory: 8Gi }
    min: { cpu: 100m, memory: 128Mi }
    default: { cpu: 500m, memory: 512Mi }
    defaultRequest: { cpu: 250m, memory: 256Mi }
    type: Container
backendProbes: # §High Availability › 2. Health Checks
  livenessProbe: { httpGet: { path: /health/live, port: 5000 }, initialDelaySeconds: 30, periodSeconds: 10, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 3 }
  readinessProbe: { httpGet: { path: /health/ready, port: 5000 }, initialDelaySeconds: 10, periodSeconds: 5, timeoutSeconds: 3, successThreshold: 1, failureThreshold: 3 }
  startupProbe: { httpGet: { path: /health/startup, port: 5000 }, initialDelaySeconds: 0, periodSeconds: 5, timeoutSeconds: 3, successThreshold: 1, failureThreshold: 30 }
networkPolicies: # §Security Implementation › 1. Network Security
  default-deny-all: { podSelector: {}, policyTypes: [Ingress, Egress] }
  backend-network-policy:
    podSelector: { matchLabels: { app: backend } }
    policyTypes: [Ingress, Egress]
    ingress:
    - from: [{ namespaceSelector: { matchLabels: { name: app-frontend } } }]
      ports: [{ protocol: TCP, port: 5000 }]
    - from: [{ namespaceSelector: { matchLabels: { name: ingress-nginx } } }]
      ports: [{ protocol: TCP, port: 5000 }]
    egress:
    - to: [{ podSelector: { matchLabels: { app: postgres } } }]
      ports: [{ protocol: TCP, port: 5432 }]
    - to: [{ podSelector: { matchLabels: { app: redis } } }]
      ports: [{ protocol: TCP, port: 6379 }]
    - to: [{ namespaceSelector: {} }]
      ports: [{ protocol: UDP, port: 53 }]
    - to: [{ podSelector: {} }]
      ports: [{ protocol: TCP, port: 443 }]
  postgres-network-policy:
    podSelector: { matchLabels: { app: postgres } }
    policyTypes: [Ingress, Egress]
    ingress:
    - from: [{ podSelector: { matchLabels: { app: backend } } }]
      ports: [{ protocol: TCP, port: 5432 }]
    egress:
    - to: [{ namespaceSelector: {} }]
      ports: [{ protocol: UDP, port: 53 }]
  redis-network-policy:
    podSelector: { matchLabels: { app: redis } }
    policyTypes: [Ingress]
    ingress:
    - from: [{ podSelector: { matchLabels: { app: backend } } }]
      ports: [{ protocol: TCP, port: 6379 }]
postgresqlConf: # §4 PostgreSQL Configuration
  - max_connections = 100
  - shared_buffers = 512MB
  - effective_cache_size = 2GB
  - maintenance_work_mem = 256MB
  - checkpoint_completion_target = 0.9
  - wal_buffers = 16MB
  - default_statistics_target = 100
  - random_page_cost = 1.1
  - effective_io_concurrency = 200
  - work_mem = 5242kB
  - min_wal_size = 1GB
  - max_wal_size = 4GB
  - max_worker_processes = 4
  - max_parallel_workers_per_gather = 2
  - max_parallel_workers = 4
redisCommand: [redis-server, --appendonly, "yes", --appendfsync, everysec, --maxmemory, "2gb", --maxmemory-policy, allkeys-lru] # §5
`) as JsonObject;

// ---------------------------------------------------------------------------------------------------
// The kind overlay's allowed changes (kind/manifests/overlays/kind/kustomization.yaml lists the same).
// Every entry must be used: a stale allowance fails too, so this list is the overlay's exact change set.
const ALLOWED: { why: string; id: RegExp; path: RegExp }[] = [
  { why: '1 storage class', id: /^StatefulSet\/app-backend\/(postgres|minio)$/, path: /^\/spec\/volumeClaimTemplates\/0\/spec\/storageClassName$/ },
  { why: '1 storage class', id: /^PersistentVolumeClaim\/app-backend\/redis-pvc$/, path: /^\/spec\/storageClassName$/ },
  { why: '2 uploads to MinIO', id: /^Deployment\/app-backend\/backend$/, path: /^\/spec\/template\/spec\/containers\[name=backend\]\/env\[name=STORAGE_TYPE\]\/value$/ },
  { why: '2 uploads to MinIO', id: /^Deployment\/app-backend\/backend$/, path: /^\/spec\/template\/spec\/volumes\[name=uploaded-files\]\/(persistentVolumeClaim|emptyDir)$/ },
  { why: '3 CPU', id: /^(Deployment|StatefulSet|Job|CronJob)\//, path: /\/(containers|initContainers)\[name=[^\]]+\]\/resources\/(requests|limits)\/cpu$/ },
  { why: '3 CPU', id: /^ResourceQuota\/app-backend\/app-backend-quota$/, path: /^\/spec\/hard\/(requests|limits)\.cpu$/ },
  { why: '3 CPU', id: /^LimitRange\/app-backend\/app-backend-limits$/, path: /^\/spec\/limits\/0\/(max|min|default|defaultRequest)\/cpu$/ },
  { why: '4 anti-affinity', id: /^Deployment\/app-backend\/backend$/, path: /^\/spec\/template\/spec\/affinity\/podAntiAffinity\/(required|preferred)DuringSchedulingIgnoredDuringExecution$/ },
  // 5: none since issue #20: the Ingresses are served as written (the ingress controller add-on, a self-signed tls-secret).
  { why: '6 imagePullPolicy', id: /^(Deployment|StatefulSet|Job|CronJob)\//, path: /\/(containers|initContainers)\[name=[^\]]+\]\/imagePullPolicy$/ },
  { why: '7 execution template', id: /^ConfigMap\/saasit-executions\/execution-job-template$/, path: /^\/data\/template\.yaml$/ },
];
// Nothing added: host access (NodePort Services and their NetworkPolicies) is made by prodlike itself for any
// team's manifests (src/providers/kind/access-objects.ts, tested beside it), not by this overlay.
const ALLOWED_ADDED: string[] = [];
const ALLOWED_REMOVED = ['PersistentVolumeClaim/app-backend/uploaded-files-pvc'];

// ---------------------------------------------------------------------------------------------------
const renders = {} as Record<RenderName, Manifest[]>;

describe.skipIf(!KUBECTL.bin)(`kind/manifests rendered with kubectl kustomize${SKIP_REASON}`, () => {
  beforeAll(async () => {
    const [base, kind, offline] = await Promise.all([render(DIRS.base), render(DIRS.kind), render(DIRS.offline)]);
    Object.assign(renders, { base, kind, offline });
  }, 120_000);

  it('renders base, the kind overlay and the offline overlay', () => {
    expect(renders.base.length).toBeGreaterThan(40);
    expect(renders.kind.length).toBeGreaterThan(40);
    expect(renders.offline.length).toBe(renders.kind.length);
  });

  it('the kind overlay changes nothing but the documented fields', () => {
    const { added, removed, changed } = diffRenders(renders.base, renders.kind);
    expect(added).toEqual(ALLOWED_ADDED);
    expect(removed).toEqual(ALLOWED_REMOVED);
    const unexpected = changed.filter((c) => !ALLOWED.some((a) => a.id.test(c.id) && a.path.test(c.path)));
    expect(unexpected, 'changes outside the allow-list (document them in the overlay and here, or revert them)').toEqual([]);
    const unused = ALLOWED.filter((a) => !changed.some((c) => a.id.test(c.id) && a.path.test(c.path)));
    expect(unused.map((a) => `${a.why}: ${a.id} ${a.path}`), 'allowed changes the overlay no longer makes').toEqual([]);
  });

  it('the kind overlay scales every CPU value by exactly 1/5 and leaves memory alone', () => {
    const { changed } = diffRenders(renders.base, renders.kind);
    const base = byId(renders.base);
    const kind = byId(renders.kind);
    const cpuChanges = changed.filter((c) => /cpu$/.test(c.path));
    expect(cpuChanges.length).toBeGreaterThanOrEqual(20);
    // Every CPU quantity anywhere in the render (containers, quota, limit range) must be base / 5.
    const cpuValues = (m: Manifest): Map<string, number> => {
      const out = new Map<string, number>();
      const walk = (v: Json | undefined, p: string) => {
        if (isObject(v)) for (const [k, x] of Object.entries(v)) walk(x, `${p}/${k}`);
        else if (Array.isArray(v)) {
          const names = namedKeys(v);
          v.forEach((x, i) => walk(x, names ? `${p}[name=${names[i]}]` : `${p}/${i}`));
        } else if (/(\/cpu|\.cpu)$/.test(p) && (typeof v === 'string' || typeof v === 'number')) out.set(p, cpuMillis(v));
      };
      walk(m.raw, '');
      return out;
    };
    let compared = 0;
    for (const [id, m] of base) {
      const other = kind.get(id);
      if (!other) continue;
      const a = cpuValues(m);
      const b = cpuValues(other);
      for (const [p, v] of a) {
        expect(b.get(p), `${id} ${p}`).toBe(v / 5);
        compared++;
      }
    }
    expect(compared).toBe(cpuChanges.length);
  });

  it('the offline overlay only swaps images, exactly as fixtures/images/images.yaml maps them', () => {
    const catalogue = parseYaml(readFileSync(path.join(REPO, 'fixtures', 'images', 'images.yaml'), 'utf8')) as JsonObject;
    const onlineToOffline = new Map<string, string>();
    for (const entry of Object.values(isObject(catalogue.images) ? catalogue.images : {})) {
      const online = str(at(entry, 'online'));
      const offline = str(at(entry, 'offline'));
      if (online && offline) onlineToOffline.set(online, offline);
    }
    const { added, removed, changed } = diffRenders(renders.kind, renders.offline);
    expect(added).toEqual([]);
    expect(removed).toEqual([]);
    expect(changed.filter((c) => !/\/(containers|initContainers)\[name=[^\]]+\]\/image$/.test(c.path))).toEqual([]);
    const kind = imagesOf(renders.kind);
    const offline = imagesOf(renders.offline);
    expect(offline.map((i) => i.where)).toEqual(kind.map((i) => i.where));
    kind.forEach((k, i) => {
      const o = offline[i]?.image;
      const expected = k.image.startsWith('prodlike.local/') ? k.image : onlineToOffline.get(k.image);
      expect(expected, `${k.where}: ${k.image} is not an \`online\` image of images.yaml`).toBeDefined();
      expect(o, k.where).toBe(expected);
    });
  });

  it('base uses the images the documents and the catalogue name', () => {
    const catalogue = parseYaml(readFileSync(path.join(REPO, 'fixtures', 'images', 'images.yaml'), 'utf8')) as JsonObject;
    const minio = str(at(catalogue, 'images', 'minio', 'online'));
    const images = new Set(imagesOf(renders.base).map((i) => i.image));
    expect([...images].sort()).toEqual(
      ['postgres:15-alpine', 'redis:7.0-alpine', minio, 'prodlike.local/app:0.1.0', 'prodlike.local/frontend:0.1.0'].sort(),
    );
  });

  it('no image is untagged or `latest` (workloads and the execution Job template)', () => {
    for (const name of ['base', 'kind', 'offline'] as const) {
      const all = imagesOf(renders[name]);
      for (const cm of renders[name].filter((m) => m.kind === 'ConfigMap' && m.name === 'execution-job-template')) {
        const job = renderJobTemplate(str(at(cm.raw, 'data', 'template.yaml')) ?? '');
        for (const c of objects(at(job, 'spec', 'template', 'spec', 'containers'))) all.push({ where: `${cm.id} template`, image: str(c.image) ?? '' });
      }
      expect(all.length).toBeGreaterThan(8);
      for (const { where, image } of all) {
        const tag = imageTag(image);
        expect(tag, `${name}: ${where} image ${image} has no tag`).toBeDefined();
        expect(tag, `${name}: ${where} image ${image}`).not.toBe('latest');
      }
    }
  });

  it('every Deployment and StatefulSet container has liveness/readiness probes and CPU/memory requests and limits', () => {
    for (const name of ['base', 'kind'] as const) {
      const workloads = renders[name].filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet');
      expect(workloads.map((w) => w.name).sort()).toEqual(['backend', 'frontend', 'minio', 'postgres', 'redis', 'worker']);
      for (const w of workloads) {
        for (const c of containersOf(w)) {
          const where = `${name}: ${w.id} container ${str(c.name)}`;
          expect(isObject(c.livenessProbe), `${where} livenessProbe`).toBe(true);
          expect(isObject(c.readinessProbe), `${where} readinessProbe`).toBe(true);
          for (const k of ['requests', 'limits'] as const) {
            for (const r of ['cpu', 'memory'] as const) expect(at(c, 'resources', k, r), `${where} resources.${k}.${r}`).toBeDefined();
          }
        }
      }
    }
  });

  it('every container of the kind overlay has imagePullPolicy IfNotPresent', () => {
    for (const m of renders.kind) for (const c of containersOf(m)) expect(c.imagePullPolicy, `${m.id} ${str(c.name)}`).toBe('IfNotPresent');
  });

  it('every object carries app.kubernetes.io/part-of=prodlike, and no selector does', () => {
    for (const name of ['base', 'kind', 'offline'] as const) {
      for (const m of renders[name]) {
        expect(labelsOf(at(m.raw, 'metadata', 'labels'))['app.kubernetes.io/part-of'], `${name}: ${m.id}`).toBe('prodlike');
        const selectors = [at(m.raw, 'spec', 'selector', 'matchLabels'), m.kind === 'Service' ? at(m.raw, 'spec', 'selector') : undefined];
        for (const s of selectors) expect(Object.keys(labelsOf(s)), `${name}: ${m.id} selector`).not.toContain('app.kubernetes.io/part-of');
      }
    }
  });

  it('backend and frontend HPAs and the three PDBs equal document 001 (base and kind)', () => {
    for (const name of ['base', 'kind'] as const) {
      const r = renders[name];
      expect(at(find(r, 'HorizontalPodAutoscaler', 'app-backend', 'backend-hpa').raw, 'spec')).toEqual(DOC001.backendHpa);
      expect(at(find(r, 'HorizontalPodAutoscaler', 'app-frontend', 'frontend-hpa').raw, 'spec')).toEqual(DOC001.frontendHpa);
      expect(at(find(r, 'PodDisruptionBudget', 'app-backend', 'backend-pdb').raw, 'spec')).toEqual(DOC001.backendPdb);
      expect(at(find(r, 'PodDisruptionBudget', 'app-frontend', 'frontend-pdb').raw, 'spec')).toEqual(DOC001.frontendPdb);
      expect(at(find(r, 'PodDisruptionBudget', 'app-backend', 'postgres-pdb').raw, 'spec')).toEqual(DOC001.postgresPdb);
    }
  });

  it('base mirrors document 001: quota, limits, probes, replicas, config, Redis flags, policies, backup schedule', () => {
    const r = renders.base;
    expect(at(find(r, 'ResourceQuota', 'app-backend', 'app-backend-quota').raw, 'spec')).toEqual(DOC001.quota);
    expect(at(find(r, 'LimitRange', 'app-backend', 'app-backend-limits').raw, 'spec')).toEqual(DOC001.limitRange);

    const backend = find(r, 'Deployment', 'app-backend', 'backend');
    expect(at(backend.raw, 'spec', 'replicas')).toBe(3);
    const be = containersOf(backend)[0] ?? {};
    for (const p of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) expect(be[p], p).toEqual(at(DOC001.backendProbes, p));
    expect(at(be, 'resources')).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '2000m', memory: '2Gi' } });
    expect(at(backend.raw, 'spec', 'template', 'spec', 'terminationGracePeriodSeconds')).toBe(30);
    expect(at(be, 'lifecycle', 'preStop', 'exec', 'command')).toEqual(['/bin/sh', '-c', 'sleep 15']);
    const env = new Map(objects(be.env).map((e) => [str(e.name), e]));
    for (const [k, v] of Object.entries({
      STORAGE_TYPE: 'local',
      UPLOAD_FOLDER: '/app/uploaded_files',
      DATABASE_HOST: 'postgres-service.app-backend.svc.cluster.local',
      DATABASE_PORT: '5432',
      REDIS_HOST: 'redis-service.app-backend.svc.cluster.local',
      REDIS_PORT: '6379',
    })) expect(at(env.get(k), 'value'), k).toBe(v);
    for (const k of ['POSTGRES_PASSWORD', 'REDIS_PASSWORD', 'S3_ACCESS_KEY', 'S3_SECRET_KEY']) expect(at(env.get(k), 'valueFrom', 'secretKeyRef'), k).toBeDefined();
    for (const k of ['S3_ENDPOINT', 'S3_BUCKET']) expect(env.has(k), k).toBe(true);
    const svc = find(r, 'Service', 'app-backend', 'backend-service');
    expect(at(svc.raw, 'spec', 'ports', 0, 'port')).toBe(5000);

    expect(at(find(r, 'Deployment', 'app-frontend', 'frontend').raw, 'spec', 'replicas')).toBe(3);

    const pg = find(r, 'StatefulSet', 'app-backend', 'postgres');
    expect(at(pg.raw, 'spec', 'serviceName')).toBe('postgres-service');
    expect(at(pg.raw, 'spec', 'volumeClaimTemplates', 0, 'spec', 'resources', 'requests', 'storage')).toBe('100Gi');
    expect(at(find(r, 'Service', 'app-backend', 'postgres-service').raw, 'spec', 'clusterIP')).toBe('None');
    const conf = (str(at(find(r, 'ConfigMap', 'app-backend', 'postgres-config').raw, 'data', 'postgresql.conf')) ?? '').split('\n').map((l) => l.trim());
    for (const line of list(DOC001.postgresqlConf)) expect(conf, String(line)).toContain(line);

    const redis = containersOf(find(r, 'Deployment', 'app-backend', 'redis'))[0] ?? {};
    expect(list(redis.command).slice(0, list(DOC001.redisCommand).length)).toEqual(DOC001.redisCommand);
    expect(at(find(r, 'PersistentVolumeClaim', 'app-backend', 'redis-pvc').raw, 'spec', 'resources', 'requests', 'storage')).toBe('10Gi');
    const files = find(r, 'PersistentVolumeClaim', 'app-backend', 'uploaded-files-pvc');
    expect(at(files.raw, 'spec', 'accessModes')).toEqual(['ReadWriteMany']);
    expect(at(files.raw, 'spec', 'resources', 'requests', 'storage')).toBe('50Gi');

    for (const [name, spec] of Object.entries(isObject(DOC001.networkPolicies) ? DOC001.networkPolicies : {})) {
      expect(at(find(r, 'NetworkPolicy', 'app-backend', name).raw, 'spec'), name).toEqual(spec);
    }
    const ns = labelsOf(at(find(r, 'Namespace', '', 'app-backend').raw, 'metadata', 'labels'));
    for (const mode of ['enforce', 'audit', 'warn']) expect(ns[`pod-security.kubernetes.io/${mode}`]).toBe('restricted');
    expect(at(find(r, 'CronJob', 'app-backend', 'postgres-backup').raw, 'spec', 'schedule')).toBe('0 2 * * *');

    const ingresses = r.filter((m) => m.kind === 'Ingress');
    expect(ingresses.map((i) => `${i.namespace}:${str(at(i.raw, 'spec', 'ingressClassName'))}`).sort()).toEqual(['app-backend:nginx', 'app-frontend:nginx']);
    const routes = ingresses.flatMap((i) =>
      objects(at(i.raw, 'spec', 'rules', 0, 'http', 'paths')).map((p) => `${str(p.path)} -> ${str(at(p, 'backend', 'service', 'name'))}:${String(at(p, 'backend', 'service', 'port', 'number'))}`),
    );
    expect(routes.sort()).toEqual(['/ -> frontend-service:80', '/api -> backend-service:5000']);
  });

  it('pods in the restricted namespace satisfy Pod Security "restricted"', () => {
    for (const m of renders.kind.filter((x) => x.namespace === 'app-backend')) {
      const spec = podSpec(m);
      if (!spec) continue;
      expect(at(spec, 'securityContext', 'runAsNonRoot'), `${m.id} runAsNonRoot`).toBe(true);
      expect(at(spec, 'securityContext', 'seccompProfile', 'type'), `${m.id} seccomp`).toBe('RuntimeDefault');
      for (const c of containersOf(m)) {
        const where = `${m.id} container ${str(c.name)}`;
        expect(at(c, 'securityContext', 'allowPrivilegeEscalation'), where).toBe(false);
        expect(at(c, 'securityContext', 'capabilities', 'drop'), where).toEqual(['ALL']);
        expect(list(at(c, 'securityContext', 'capabilities', 'add')).filter((x) => x !== 'NET_BIND_SERVICE'), where).toEqual([]);
      }
      expect(objects(spec.volumes).filter((v) => isObject(v.hostPath)), `${m.id} hostPath`).toEqual([]);
    }
  });

  it('NetworkPolicies admit every dependency and keep the documented isolation (base and kind)', () => {
    const be = (app: string) => pod('app-backend', { app });
    const dns = pod('kube-system', { 'k8s-app': 'kube-dns' });
    const executor = pod('saasit-executions', { app: 'saasit-executor' });
    const ingressController = pod('ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' });
    const frontend = pod('app-frontend', { app: 'frontend' });
    const must: [string, Endpoint, Endpoint, number, string?][] = [
      ['ingress controller -> backend', ingressController, be('backend'), 5000],
      ['frontend -> backend', frontend, be('backend'), 5000],
      ['ingress controller -> frontend', ingressController, frontend, 80],
      ['backend -> postgres', be('backend'), be('postgres'), 5432],
      ['backend -> redis', be('backend'), be('redis'), 6379],
      ['backend -> minio', be('backend'), be('minio'), 9000],
      ['worker -> postgres', be('worker'), be('postgres'), 5432],
      ['worker -> redis', be('worker'), be('redis'), 6379],
      ['worker -> minio', be('worker'), be('minio'), 9000],
      ['worker -> API server', be('worker'), EXTERNAL, 6443],
      ['backup -> postgres', be('postgres-backup'), be('postgres'), 5432],
      ['backup -> minio', be('postgres-backup'), be('minio'), 9000],
      ['bucket job -> minio', be('minio-create-buckets'), be('minio'), 9000],
      ['execution job -> minio', executor, be('minio'), 9000],
      ['execution job -> postgres', executor, be('postgres'), 5432],
      ...['backend', 'worker', 'postgres', 'redis', 'minio', 'postgres-backup', 'minio-create-buckets'].flatMap(
        (app): [string, Endpoint, Endpoint, number, string][] => [
          [`${app} -> DNS (UDP)`, be(app), dns, 53, 'UDP'],
          [`${app} -> DNS (TCP)`, be(app), dns, 53, 'TCP'],
        ],
      ),
    ];
    const mustNot: [string, Endpoint, Endpoint, number][] = [
      ['frontend -> postgres', frontend, be('postgres'), 5432],
      ['frontend -> redis', frontend, be('redis'), 6379],
      ['frontend -> minio', frontend, be('minio'), 9000],
      ['execution job -> redis', executor, be('redis'), 6379],
      ['execution job -> backend', executor, be('backend'), 5000],
      ['minio -> postgres', be('minio'), be('postgres'), 5432],
      ['redis -> postgres', be('redis'), be('postgres'), 5432],
      ['postgres -> redis', be('postgres'), be('redis'), 6379],
      ['worker -> backend', be('worker'), be('backend'), 5000],
      ['outside -> postgres', EXTERNAL, be('postgres'), 5432],
      ['outside -> redis', EXTERNAL, be('redis'), 6379],
      ['outside -> minio', EXTERNAL, be('minio'), 9000],
      ['outside -> backend', EXTERNAL, be('backend'), 5000],
    ];
    for (const name of ['base', 'kind'] as const) {
      for (const [what, from, to, port, proto] of must) expect(allowed(renders[name], from, to, port, proto), `${name}: ${what} must be allowed`).toBe(true);
      // Node addresses too: the kind overlay admits none. Host access through NodePorts is prodlike's own
      // (a NetworkPolicy per role beside its NodePort Service: src/providers/kind/access-objects.test.ts).
      for (const [what, from, to, port] of mustNot) expect(allowed(renders[name], from, to, port), `${name}: ${what} must be denied`).toBe(false);
    }
  });

  it('the execution Job template renders to doc 000 Job, and the kind variant differs only where kind needs', () => {
    const templates = {} as Record<'base' | 'kind', JsonObject>;
    for (const name of ['base', 'kind'] as const) {
      const cm = find(renders[name], 'ConfigMap', 'saasit-executions', 'execution-job-template');
      const job = renderJobTemplate(str(at(cm.raw, 'data', 'template.yaml')) ?? '');
      templates[name] = job;
      expect(job.kind).toBe('Job');
      expect(at(job, 'metadata', 'name')).toBe(`execution-${TEMPLATE_VALUES.EXECUTION_ID}`);
      expect(at(job, 'metadata', 'namespace')).toBe('saasit-executions');
      expect(at(job, 'spec', 'ttlSecondsAfterFinished')).toBe(3600);
      expect(at(job, 'spec', 'activeDeadlineSeconds')).toBe(3600);
      expect(at(job, 'spec', 'backoffLimit')).toBe(3);
      expect(at(job, 'spec', 'template', 'spec', 'serviceAccountName')).toBe('executor-service-account');
      expect(at(job, 'spec', 'template', 'spec', 'nodeSelector')).toEqual({ workload: 'execution' });
      const worker = containersOf(find(renders[name], 'Deployment', 'app-backend', 'worker'))[0] ?? {};
      expect(at(job, 'spec', 'template', 'spec', 'containers', 0, 'image'), 'template image = worker image').toBe(worker.image);
      expect(at(job, 'spec', 'template', 'spec', 'containers', 0, 'command')).toEqual(['node', 'dist/worker.js', '--run-one', TEMPLATE_VALUES.EXECUTION_ID]);
    }
    const paths = diffPaths(templates.base, templates.kind);
    expect(paths.sort()).toEqual(
      [
        '/spec/template/spec/containers[name=executor]/imagePullPolicy',
        '/spec/template/spec/containers[name=executor]/volumeMounts[name=docker-sock]',
        '/spec/template/spec/volumes[name=docker-sock]',
      ].sort(),
    );
    expect(at(templates.kind, 'spec', 'template', 'spec', 'containers', 0, 'imagePullPolicy')).toBe('IfNotPresent');
  });

});

describe('kind/cluster.yaml', () => {
  const cluster = parseYaml(readFileSync(path.join(REPO, 'kind', 'cluster.yaml'), 'utf8')) as JsonObject;

  it('is a kind v1alpha4 Cluster with one control plane and two workers', () => {
    expect(cluster.kind).toBe('Cluster');
    expect(cluster.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    expect(objects(cluster.nodes).map((n) => n.role)).toEqual(['control-plane', 'worker', 'worker']);
    expect(str(cluster.name)).toMatch(/^prodlike-/);
  });

  it('listens on 127.0.0.1 only', () => {
    expect(at(cluster, 'networking', 'apiServerAddress')).toBe('127.0.0.1');
    const mappings = objects(cluster.nodes).flatMap((n) => objects(n.extraPortMappings));
    expect(mappings.length).toBeGreaterThanOrEqual(2);
    for (const m of mappings) expect(m.listenAddress, JSON.stringify(m)).toBe('127.0.0.1');
    expect(mappings.map((m) => m.containerPort)).toEqual(expect.arrayContaining([80, 443]));
  });

  it('maps the NodePorts of prodlike\'s access Services to 127.0.0.1, as kindPortMappings does', () => {
    const mapped = objects(at(cluster, 'nodes', 0, 'extraPortMappings')).filter((m) => m.containerPort !== 80 && m.containerPort !== 443);
    const nodePorts = accessObjects(configSchema.parse({})).flatMap((o) => (o.kind === 'Service' ? o.spec.ports.map((p) => p.nodePort) : []));
    expect(nodePorts).toHaveLength(5);
    expect(mapped.map((m) => m.containerPort).sort()).toEqual([...nodePorts].sort());
    expect(kindPortMappings(configSchema.parse({}), { ingressController: false }).map((m) => m.containerPort).sort()).toEqual([...nodePorts].sort());
    for (const m of mapped) expect(m.listenAddress, JSON.stringify(m)).toBe('127.0.0.1');
  });

  it('labels the control plane for the ingress controller and the workers for execution Jobs', () => {
    const nodes = objects(cluster.nodes);
    expect(at(nodes[0], 'labels', 'ingress-ready')).toBe('true');
    for (const w of nodes.slice(1)) expect(at(w, 'labels', 'workload')).toBe('execution');
  });
});
