import { DATA_STORE_ROLES, resolveTopology, type ProdlikeConfig } from '../../config/schema.ts';
import { ConfigError } from '../../core/errors.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { ownLabels } from '../../safety/ownership.ts';

/**
 * provider: cluster deploys the manifests into namespaces prodlike creates on an existing cluster: each
 * namespace the manifests use is mapped to one of prodlike's (`cluster.namespaces`, else
 * `cluster.namespacePrefix` + name, default `pl-<env>-`). Everything that names a namespace follows:
 * objects' metadata.namespace, the Namespace objects (labelled io.prodlike.managed/io.prodlike.env), Service
 * DNS names in any string (`svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`), namespaceSelectors
 * (`kubernetes.io/metadata.name` or any label whose value is a mapped namespace name), RBAC subjects,
 * `namespace: <ns>` lines of YAML held in strings (a Job template in a ConfigMap),
 * env values that are exactly a mapped namespace (e.g. where the worker starts its Jobs) and the
 * configuration's namespaces (topology, executions, credentials), so probes and scenarios find the
 * mapped objects.
 */

/** Kinds without a namespace: labelled as prodlike's; an existing unlabelled one with the same name is refused. */
export const CLUSTER_SCOPED_KINDS = [
  'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass', 'IngressClass', 'PriorityClass', 'PersistentVolume',
  'CustomResourceDefinition', 'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'APIService', 'RuntimeClass',
] as const;

export const isClusterScoped = (kind: string): boolean => (CLUSTER_SCOPED_KINDS as readonly string[]).includes(kind);

export interface NamespaceMap {
  /** The namespace prodlike uses for a manifest namespace. */
  of(namespace: string): string;
  /** Mapped pairs, source → target, of the namespaces seen so far (config and manifests). */
  readonly pairs: ReadonlyMap<string, string>;
}

/** Default prefix of the mapped namespaces: `pl-<env>-`. */
export const defaultNamespacePrefix = (env: string): string => `pl-${env}-`;

export function namespaceMap(config: ProdlikeConfig): NamespaceMap {
  const explicit = config.cluster?.namespaces ?? {};
  const prefix = config.cluster?.namespacePrefix ?? defaultNamespacePrefix(config.name);
  const pairs = new Map<string, string>();
  const of = (namespace: string): string => {
    const known = pairs.get(namespace);
    if (known) return known;
    const target = explicit[namespace] ?? `${prefix}${namespace}`;
    if (target.length > 63) throw new ConfigError(`cluster: namespace ${namespace} maps to ${target}, longer than Kubernetes' 63 characters.`, { hint: `Name it in cluster.namespaces: { ${namespace}: <shorter> }, or use a shorter cluster.namespacePrefix.` });
    const clash = [...pairs].find(([source, t]) => t === target && source !== namespace);
    if (clash) throw new ConfigError(`cluster: namespaces ${clash[0]} and ${namespace} both map to ${target}.`, { hint: 'Give each manifest namespace its own target in cluster.namespaces.' });
    pairs.set(namespace, target);
    return target;
  };
  return { of, pairs };
}

/** The configuration as the mapped environment sees it: every namespace it names replaced by prodlike's. */
export function mapConfig(config: ProdlikeConfig, map: NamespaceMap): ProdlikeConfig {
  const out = structuredClone(config);
  // Every role, including those left to the documented defaults (resolveTopology fills them in).
  for (const w of resolveTopology(config)) out.topology[w.role] = { ...(config.topology[w.role] ?? { enabled: w.enabled }), namespace: map.of(w.namespace) };
  // A data store's additional workloads: those with their own namespace get it mapped (the others follow the role's).
  for (const role of DATA_STORE_ROLES) {
    const t = out.topology[role];
    if (t?.additional) t.additional = t.additional.map((a) => (a.namespace ? { ...a, namespace: map.of(a.namespace) } : a));
  }
  out.executions.namespace = map.of(config.executions.namespace);
  for (const c of Object.values(out.credentials)) if (c?.namespace) c.namespace = map.of(c.namespace);
  return out;
}

/**
 * The rendered manifests mapped into prodlike's namespaces (see the module comment), plus a Namespace
 * object for every mapped namespace the manifests use without creating it. `config` is the original one:
 * its roles' namespaces are mapped even when the manifests hold nothing in them yet.
 */
export function mapObjects(objects: readonly KubeObject[], map: NamespaceMap, env: string, defaultNamespaces: readonly string[] = []): KubeObject[] {
  const sources = new Set<string>(defaultNamespaces);
  for (const o of objects) {
    if (o.kind === 'Namespace') sources.add(o.metadata.name);
    else if (!isClusterScoped(o.kind)) sources.add(o.metadata.namespace ?? 'default');
  }
  for (const s of sources) map.of(s);
  const services = [...new Set(objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name))];
  const rewrite = dnsRewriter(services, [...sources], map);
  const mapped = objects.map((o) => mapObject(structuredClone(o), map, sources, rewrite, env));
  const present = new Set(mapped.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  const missing = [...sources].map((s) => map.of(s)).filter((t) => !present.has(t));
  const created: KubeObject[] = missing.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: ownLabels(env) } }));
  return [...created, ...mapped];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `<service>.<namespace>` (followed by anything but a name character) → `<service>.<mapped>`. */
function dnsRewriter(services: readonly string[], sources: readonly string[], map: NamespaceMap): (s: string) => string {
  if (!sources.length) return (s) => s;
  const names = sources.map(escape).join('|');
  const dns = services.length ? new RegExp(`(^|[^a-z0-9-])(${services.map(escape).join('|')})\\.(${names})(?![a-z0-9-])`, 'g') : undefined;
  // `namespace: <ns>` in YAML held in a string (a Job template in a ConfigMap that the app submits).
  const yaml = new RegExp(`(^|\\n)([ \\t-]*namespace:[ \\t]*["']?)(${names})(?![a-z0-9-])`, 'g');
  return (s) => {
    const out = dns ? s.replace(dns, (_m, lead: string, svc: string, ns: string) => `${lead}${svc}.${map.of(ns)}`) : s;
    return out.replace(yaml, (_m, lead: string, key: string, ns: string) => `${lead}${key}${map.of(ns)}`);
  };
}

function mapObject(o: KubeObject, map: NamespaceMap, sources: ReadonlySet<string>, rewrite: (s: string) => string, env: string): KubeObject {
  const mapValue = (v: string) => (sources.has(v) ? map.of(v) : v);
  if (o.kind === 'Namespace') {
    o.metadata.name = map.of(o.metadata.name);
    o.metadata.labels = { ...Object.fromEntries(Object.entries(o.metadata.labels ?? {}).map(([k, v]) => [k, mapValue(v)])), ...ownLabels(env) };
    return o;
  }
  if (isClusterScoped(o.kind)) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...ownLabels(env) };
  else o.metadata.namespace = map.of(o.metadata.namespace ?? 'default');
  walk(o, (node, key, parent) => {
    if (typeof node === 'string') return rewrite(node);
    if (key === 'namespaceSelector' && node && typeof node === 'object') mapSelector(node as Selector, mapValue);
    if (key === 'subjects' && Array.isArray(node)) for (const s of node as { namespace?: string }[]) if (s?.namespace) s.namespace = mapValue(s.namespace);
    // An env variable whose whole value is a mapped namespace (where the app creates its objects).
    if (key === 'env' && Array.isArray(node) && parent) for (const e of node as { value?: unknown }[]) if (typeof e?.value === 'string') e.value = mapValue(e.value);
    return node;
  });
  return o;
}

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

function mapSelector(selector: Selector, mapValue: (v: string) => string): void {
  if (selector.matchLabels) selector.matchLabels = Object.fromEntries(Object.entries(selector.matchLabels).map(([k, v]) => [k, mapValue(v)]));
  for (const e of selector.matchExpressions ?? []) if (e.values) e.values = e.values.map(mapValue);
}

/** Visits every value; `visit` returns the replacement (strings) or the node itself. */
function walk(node: unknown, visit: (node: unknown, key: string | undefined, parent: unknown) => unknown, key?: string, parent?: unknown): unknown {
  const replaced = visit(node, key, parent);
  if (Array.isArray(replaced)) {
    for (let i = 0; i < replaced.length; i++) replaced[i] = walk(replaced[i], visit, undefined, replaced);
  } else if (replaced && typeof replaced === 'object') {
    const record = replaced as Record<string, unknown>;
    for (const k of Object.keys(record)) record[k] = walk(record[k], visit, k, record);
  }
  return replaced;
}
