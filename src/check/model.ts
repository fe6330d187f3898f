/**
 * Minimal typed models of the Kubernetes objects `prodlike check` reads, built from parsed YAML.
 * Only the fields the rules use are modelled; API defaults are applied where a rule depends on them
 * (probe timings, replicas, policyTypes, protocols), so rules never guess.
 */
import { LineCounter, parseAllDocuments } from 'yaml';
import { ConfigError } from '../core/errors.ts';
import { mapSelector, parseLabelSelector, type Labels } from './label-selector.ts';
import type { ConfigMap, Container, Hpa, K8sObject, Manifests, ObjectRef, PodTemplate, Workload } from './model-types.ts';
import { parseWorkload } from './parse-pod.ts';
import { ingressBackends, parseHpa, parseLimitRange, parseNetworkPolicy, parseRbacBinding, parseRbacRole } from './parse-policies.ts';
import { arr, intOrString, isRecord, labelsOf, mapOfStrings, num, rec, str } from './yaml-fields.ts';

export * from './model-types.ts';
export { parseBehavior } from './parse-policies.ts';
export { isRecord } from './yaml-fields.ts';

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'CustomResourceDefinition', 'PriorityClass', 'IngressClass', 'Node', 'APIService', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);

// ── parsing ────────────────────────────────────────────────────────────────────────────────────────

/** A Helm/Go template ({{ .Values.x }}, {{- include … }}), not YAML yet. */
export function looksLikeTemplate(text: string): boolean {
  return /\{\{-?\s*(\.|\$|include|if|range|with|define|template|toYaml|end|else|-)/.test(text);
}

/**
 * Parses a multi-document YAML stream into Kubernetes objects (List items are expanded). A key given
 * twice in a mapping does not stop the check: the last value is used (as a lenient YAML-to-JSON decoder
 * does) and a note is added to `notes`, because kubectl's strict validation may reject the object.
 */
export function parseManifestText(text: string, file: string, notes?: string[]): K8sObject[] {
  const lineCounter = new LineCounter();
  let docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) {
    throw new ConfigError(`${file}: not a YAML document stream.`, { hint: 'Give a file or directory of Kubernetes YAML, or a kustomize directory.' });
  }
  const duplicates = docs.flatMap((d) => d.errors.filter((e) => e.code === 'DUPLICATE_KEY'));
  if (duplicates.length > 0 && docs.every((d) => d.errors.every((e) => e.code === 'DUPLICATE_KEY'))) {
    for (const e of duplicates) {
      const pos = lineCounter.linePos(e.pos[0]);
      notes?.push(`${file}:${pos.line}: a key is given twice in one mapping; the last value is used (kubectl's strict field validation may reject the object).`);
    }
    const again = parseAllDocuments(text, { lineCounter: new LineCounter(), prettyErrors: false, uniqueKeys: false });
    if (Array.isArray(again)) docs = again;
  }
  const objects: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const pos = lineCounter.linePos(e.pos[0]);
      if (looksLikeTemplate(text)) {
        throw new ConfigError(`${file} is a Helm/Go template ({{ … }}), not Kubernetes YAML yet (the YAML parser stops at line ${pos.line}:${pos.col}).`, {
          hint: 'Render the chart first and check the result: `helm template <release> <chart-dir> -f <values.yaml> > rendered.yaml && prodlike check rendered.yaml`.',
          details: { file, line: pos.line, helmTemplate: true },
        });
      }
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

/** No object of any kind yet. */
function emptyManifests(objects: K8sObject[]): Manifests {
  return {
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
    roles: [],
    bindings: [],
    templatedWorkloads: [],
  };
}

/** A Service: type, selector, ports (targetPort defaulting to the port), labels. */
function parseService(o: K8sObject, spec: Record<string, unknown>, ref: { kind: string; namespace: string; name: string }): Manifests['services'][number] {
  return {
    ...ref,
    type: str(spec.type) ?? 'ClusterIP',
    ...(spec.selector ? { selector: mapSelector(spec.selector)! } : {}),
    ports: arr(spec.ports).map((p) => {
      const r = rec(p);
      const port = num(r.port) ?? 0;
      return { ...(str(r.name) ? { name: str(r.name)! } : {}), port, targetPort: intOrString(r.targetPort) ?? port, protocol: str(r.protocol) ?? 'TCP' };
    }),
    labels: labelsOf(o.raw),
  };
}

/** A PodDisruptionBudget: selector and whichever of minAvailable/maxUnavailable it sets. */
function parsePdb(spec: Record<string, unknown>, ref: { kind: string; namespace: string; name: string }): Manifests['pdbs'][number] {
  const selector = parseLabelSelector(spec.selector);
  return {
    ...ref,
    ...(selector ? { selector } : {}),
    ...(spec.minAvailable !== undefined ? { minAvailable: intOrString(spec.minAvailable)! } : {}),
    ...(spec.maxUnavailable !== undefined ? { maxUnavailable: intOrString(spec.maxUnavailable)! } : {}),
  };
}

/** A map of strings (ResourceQuota hard, ConfigMap data), values as text. */
const stringMap = (value: unknown): Record<string, string> => Object.fromEntries(Object.entries(rec(value)).map(([k, v]) => [k, String(v)]));

export function buildManifests(objects: K8sObject[]): Manifests {
  const m = emptyManifests(objects);
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
        m.services.push(parseService(o, spec, ref));
        break;
      case 'HorizontalPodAutoscaler':
        m.hpas.push(parseHpa(o, spec));
        break;
      case 'PodDisruptionBudget':
        m.pdbs.push(parsePdb(spec, ref));
        break;
      case 'NetworkPolicy':
        m.networkPolicies.push(parseNetworkPolicy(o, spec));
        break;
      case 'Namespace':
        m.namespaces.push({ name: o.name, labels: labelsOf(o.raw) });
        break;
      case 'ResourceQuota':
        m.quotas.push({ ...ref, hard: stringMap(spec.hard) });
        break;
      case 'LimitRange':
        m.limitRanges.push({ ...ref, container: parseLimitRange(spec) });
        break;
      case 'ConfigMap':
        m.configMaps.push({ ...ref, data: stringMap(o.raw.data) });
        break;
      case 'PersistentVolumeClaim':
        m.pvcs.push(ref);
        break;
      case 'Ingress':
        m.ingresses.push({
          ...ref,
          ...(str(spec.ingressClassName) ? { ingressClassName: str(spec.ingressClassName)! } : {}),
          annotations: mapOfStrings(rec(o.raw.metadata).annotations),
          backends: ingressBackends(spec),
        });
        break;
      case 'Role':
      case 'ClusterRole':
        m.roles.push(parseRbacRole(o));
        break;
      case 'RoleBinding':
      case 'ClusterRoleBinding':
        m.bindings.push(parseRbacBinding(o));
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
  for (const cm of m.configMaps) {
    const o = objects.find((x) => x.kind === 'ConfigMap' && x.name === cm.name && x.namespace === cm.namespace);
    m.templatedWorkloads.push(...workloadsHeldIn(cm, o?.location));
  }
  return m;
}

const TEMPLATE_KINDS = new Set(['Job', 'CronJob', 'Pod', 'Deployment', 'StatefulSet', 'DaemonSet']);

/**
 * Workloads a ConfigMap holds as YAML for a program to create at run time (document 000's
 * execution-job-template). Placeholders ({{ID}}, ${ID}) are blanked first so the text parses.
 */
export function workloadsHeldIn(cm: ConfigMap, location: K8sObject['location']): Workload[] {
  const out: Workload[] = [];
  for (const [key, value] of Object.entries(cm.data)) {
    if (!/^\s*kind:\s*(Job|CronJob|Pod|Deployment|StatefulSet|DaemonSet)\s*$/m.test(value)) continue;
    const blanked = value.replace(/\{\{[^}]*\}\}|\$\{[^}]*\}/g, 'TEMPLATED');
    let objects: K8sObject[];
    try {
      objects = parseManifestText(blanked, location?.file ?? `ConfigMap ${cm.namespace}/${cm.name}`);
    } catch {
      continue;
    }
    for (const o of objects.filter((x) => TEMPLATE_KINDS.has(x.kind))) {
      const namespace = o.namespace === 'default' && !rec(o.raw.metadata).namespace ? cm.namespace : o.namespace;
      const w = parseWorkload({ ...o, ...(namespace ? { namespace } : {}) }, rec(o.raw.spec));
      out.push({ ...w, heldIn: { configMap: { kind: 'ConfigMap', namespace: cm.namespace, name: cm.name }, key } });
    }
  }
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

