/**
 * NetworkPolicies that block a dependency. Edges come from three places:
 *  - documented: backend and worker -> postgres:5432, redis:6379, minio:9000; ingress controller ->
 *    backend:5000 and frontend:80 (document 001 §Architecture Diagram, §1 Ingress; MinIO per 000/004);
 *  - every pod -> kube-dns:53 UDP (error when blocked) and TCP (warning: large answers fall back to TCP);
 *  - referenced: a Service named in a container's env values or command/args (`<service>`,
 *    `http://<service>.<namespace>.svc.cluster.local:9000`), with its port when given.
 * Each edge is evaluated from the policies' selectors (see network.ts), never from names.
 */
import type { WorkloadRole } from '../../config/schema.ts';
import { obj, workloadOfRole } from '../components.ts';
import type { CheckContext, Finding, Rule } from '../finding.ts';
import { selectorMatches } from '../label-selector.ts';
import { mainContainers, namespaceLabels, type ContainerPort, type Service, type Workload } from '../model.ts';
import { evaluateConnection, explainVerdict, type ConnectionVerdict, type PodEndpoint } from '../network.ts';

interface Edge {
  src: PodEndpoint;
  dst: PodEndpoint;
  port: number;
  protocol: string;
  why: string;
  /** warning instead of error (external endpoint with assumed labels, DNS over TCP). */
  soft: boolean;
}

const DOCUMENTED: Array<[WorkloadRole, WorkloadRole, number]> = [
  ['backend', 'postgres', 5432],
  ['backend', 'redis', 6379],
  ['backend', 'minio', 9000],
  ['worker', 'postgres', 5432],
  ['worker', 'redis', 6379],
  ['worker', 'minio', 9000],
];

function endpointOf(ctx: CheckContext, w: Workload): PodEndpoint {
  const ports: ContainerPort[] = mainContainers(w.template).flatMap((c) => c.ports);
  return {
    label: w.name,
    ref: { kind: w.kind, namespace: w.namespace, name: w.name },
    namespace: w.namespace,
    labels: w.template.labels,
    namespaceLabels: namespaceLabels(ctx.manifests, w.namespace),
    ports,
    external: false,
    hostNetwork: w.template.hostNetwork,
  };
}

/** CoreDNS as every cluster runs it (kube-system, k8s-app=kube-dns), unless the manifests define it. */
function kubeDns(ctx: CheckContext): PodEndpoint {
  return {
    label: 'kube-dns',
    ref: { kind: 'Deployment', namespace: 'kube-system', name: 'coredns' },
    namespace: 'kube-system',
    labels: { 'k8s-app': 'kube-dns' },
    namespaceLabels: namespaceLabels(ctx.manifests, 'kube-system'),
    ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' }],
    external: true,
  };
}

/** The NGINX ingress controller as its upstream manifests deploy it, unless the manifests define the namespace. */
function ingressController(ctx: CheckContext): PodEndpoint {
  const declared = ctx.manifests.namespaces.some((n) => n.name === 'ingress-nginx');
  return {
    label: 'ingress-nginx controller',
    ref: { kind: 'Deployment', namespace: 'ingress-nginx', name: 'ingress-nginx-controller' },
    namespace: 'ingress-nginx',
    labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' },
    namespaceLabels: declared
      ? namespaceLabels(ctx.manifests, 'ingress-nginx')
      : { 'kubernetes.io/metadata.name': 'ingress-nginx', 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/instance': 'ingress-nginx' },
    ports: [],
    external: true,
  };
}

function podsOfService(ctx: CheckContext, svc: Service): Workload[] {
  if (!svc.selector) return [];
  return ctx.manifests.workloads.filter((w) => w.namespace === svc.namespace && w.kind !== 'CronJob' && w.kind !== 'Job' && selectorMatches(svc.selector!, w.template.labels));
}

function targetPortOn(w: Workload, svcPort: Service['ports'][number]): number | undefined {
  if (typeof svcPort.targetPort === 'number') return svcPort.targetPort;
  return mainContainers(w.template).flatMap((c) => c.ports).find((p) => p.name === svcPort.targetPort)?.containerPort;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Services a container refers to by DNS name, with the port when written next to it. */
function referencedServices(ctx: CheckContext, w: Workload): Array<{ svc: Service; port?: number; where: string }> {
  const out: Array<{ svc: Service; port?: number; where: string }> = [];
  for (const c of [...w.template.containers, ...w.template.initContainers]) {
    const texts: Array<{ text: string; where: string; portFrom?: string }> = [
      ...c.env.filter((e) => e.value).map((e) => ({ text: e.value!, where: `env ${e.name} of ${c.name}`, portFrom: e.name.endsWith('_HOST') ? `${e.name.slice(0, -5)}_PORT` : undefined })),
      { text: [...c.command, ...c.args].join(' '), where: `command of ${c.name}` },
    ];
    for (const svc of ctx.manifests.services) {
      const host = `${escape(svc.name)}(?:\\.${escape(svc.namespace)}(?:\\.svc(?:\\.cluster\\.local)?)?)?`;
      const re = new RegExp(`(?:^|[\\s/@"'=])${host}(?::(\\d+))?(?=$|[\\s/"':;,])`, 'g');
      for (const t of texts) {
        const explicitNs = new RegExp(`(?:^|[\\s/@"'=])${escape(svc.name)}\\.`).test(t.text);
        if (!explicitNs && svc.namespace !== w.namespace) continue;
        for (const m of t.text.matchAll(re)) {
          let port = m[1] ? Number(m[1]) : undefined;
          if (port === undefined && t.portFrom) {
            const v = c.env.find((e) => e.name === t.portFrom)?.value;
            if (v && /^\d+$/.test(v)) port = Number(v);
          }
          out.push({ svc, ...(port !== undefined ? { port } : {}), where: t.where });
        }
      }
    }
  }
  return out;
}

function edges(ctx: CheckContext): Edge[] {
  const list: Edge[] = [];
  const ws = ctx.manifests.workloads;
  // Documented dependencies, by role.
  for (const [from, to, port] of DOCUMENTED) {
    const s = workloadOfRole(ctx, from);
    const d = workloadOfRole(ctx, to);
    if (!s || !d) continue;
    list.push({ src: endpointOf(ctx, s), dst: endpointOf(ctx, d), port, protocol: 'TCP', why: `documented dependency ${from} -> ${to}:${port}`, soft: false });
  }
  // The ingress controller to the backends of every Ingress (else the documented two).
  const ingress = ingressController(ctx);
  const routed = ctx.manifests.ingresses.flatMap((ing) => ing.backends.map((b) => ({ ing, b })));
  if (routed.length > 0) {
    for (const { ing, b } of routed) {
      const svc = ctx.manifests.services.find((s) => s.namespace === ing.namespace && s.name === b.service);
      if (!svc) continue;
      const sp = svc.ports.find((p) => p.port === b.port || p.name === b.port) ?? (svc.ports.length === 1 ? svc.ports[0] : undefined);
      if (!sp) continue;
      for (const d of podsOfService(ctx, svc)) {
        const port = targetPortOn(d, sp);
        if (port !== undefined) list.push({ src: ingress, dst: endpointOf(ctx, d), port, protocol: sp.protocol, why: `Ingress ${ing.namespace}/${ing.name} routes to ${svc.name}:${sp.port}`, soft: true });
      }
    }
  } else {
    for (const [role, port] of [['backend', 5000], ['frontend', 80]] as const) {
      const d = workloadOfRole(ctx, role);
      if (d) list.push({ src: ingress, dst: endpointOf(ctx, d), port, protocol: 'TCP', why: `documented entry: ingress -> ${role}:${port}`, soft: true });
    }
  }
  // DNS for every pod.
  const dns = kubeDns(ctx);
  for (const w of ws) {
    list.push({ src: endpointOf(ctx, w), dst: dns, port: 53, protocol: 'UDP', why: 'every pod resolves Service names through kube-dns', soft: false });
    list.push({ src: endpointOf(ctx, w), dst: dns, port: 53, protocol: 'TCP', why: 'DNS falls back to TCP for answers over 512 bytes', soft: true });
  }
  // Services named in env/args.
  for (const w of ws) {
    for (const ref of referencedServices(ctx, w)) {
      for (const d of podsOfService(ctx, ref.svc)) {
        if (d === w) continue;
        const ports = ref.port !== undefined ? ref.svc.ports.filter((p) => p.port === ref.port) : ref.svc.ports;
        const resolved = ports.map((p) => ({ p, port: targetPortOn(d, p) })).filter((x): x is { p: typeof x.p; port: number } => x.port !== undefined);
        if (resolved.length === 0) continue;
        if (ref.port !== undefined || resolved.length === 1) {
          for (const r of resolved) list.push({ src: endpointOf(ctx, w), dst: endpointOf(ctx, d), port: r.port, protocol: r.p.protocol, why: `${ref.where} names ${ref.svc.name}${ref.port ? `:${ref.port}` : ''}`, soft: false });
        } else {
          // No port written: the edge passes if any port of the Service is reachable; check the first and
          // report only when none is.
          const open = resolved.find((r) => evaluateConnection(ctx.manifests.networkPolicies, endpointOf(ctx, w), endpointOf(ctx, d), r.port, r.p.protocol, { podCidr: ctx.options.podCidr }).allowed);
          const r = open ?? resolved[0]!;
          list.push({ src: endpointOf(ctx, w), dst: endpointOf(ctx, d), port: r.port, protocol: r.p.protocol, why: `${ref.where} names ${ref.svc.name} (no port given; none of its ports is reachable)`, soft: false });
        }
      }
    }
  }
  // One edge per (source workload, destination, port, protocol): the first reason wins.
  const seen = new Set<string>();
  return list.filter((e) => {
    const k = `${e.src.namespace}/${e.src.ref.kind}/${e.src.label}>${e.dst.namespace}/${e.dst.label}:${e.port}/${e.protocol}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export const networkPolicyRule: Rule = {
  id: 'network-policy-blocks-dependency',
  title: 'NetworkPolicies block a dependency',
  severity: 'error',
  description: 'For each dependency (documented edges backend/worker -> postgres:5432, redis:6379, minio:9000; ingress -> '
    + 'backend:5000, frontend:80 or the Ingress backends; every pod -> kube-dns:53 UDP/TCP; Services named in env/args), '
    + 'the egress of the source pod and the ingress of the destination pod are evaluated from the policies\' podSelector, '
    + 'namespaceSelector, ipBlock and ports. Blocked: error; blocked only for an endpoint outside the manifests whose labels '
    + 'are assumed (ingress-nginx, kube-dns), or DNS over TCP: warning.',
  run(ctx) {
    if (ctx.manifests.networkPolicies.length === 0) return [];
    const findings: Finding[] = [];
    // One cause, one finding: edges blocked the same way (same destination, port, isolating policies and
    // direction) are reported together with every source (a default-deny egress cuts DNS for every pod).
    const groups = new Map<string, Array<{ e: Edge; v: ConnectionVerdict; policies: string[] }>>();
    for (const e of edges(ctx)) {
      const v = evaluateConnection(ctx.manifests.networkPolicies, e.src, e.dst, e.port, e.protocol, { podCidr: ctx.options.podCidr });
      if (v.allowed) continue;
      const policies = [...new Set([...v.egress.isolatedBy.map((n) => `${e.src.namespace}/${n}`), ...v.ingress.isolatedBy.map((n) => `${e.dst.namespace}/${n}`)])].sort();
      const key = [e.dst.namespace, e.dst.label, e.port, e.protocol, policies.join(','), v.egress.allowed, v.ingress.allowed, e.soft, e.src.namespace === e.dst.namespace].join('|');
      groups.set(key, [...(groups.get(key) ?? []), { e, v, policies }]);
    }
    for (const group of groups.values()) {
      const { e, v, policies } = group[0]!;
      const external = e.src.external ? e.src : e.dst.external ? e.dst : undefined;
      const assumption = external && !ctx.manifests.namespaces.some((n) => n.name === external.namespace)
        ? ` (${external.label} is not in the manifests: assumed in namespace ${external.namespace} with labels ${Object.entries(external.namespaceLabels).map(([k, val]) => `${k}=${val}`).join(', ')} on the namespace and ${Object.entries(external.labels).map(([k, val]) => `${k}=${val}`).join(', ')} on the pod)`
        : '';
      const sources = group.map((g) => g.e.src);
      const why = [...new Set(group.map((g) => g.e.why))];
      const head = group.length === 1
        ? `${e.src.label} (${e.src.namespace}) -> ${e.dst.label} (${e.dst.namespace}) port ${e.port}/${e.protocol} is blocked${assumption ? ` for the ${external!.label} deployed as upstream ships it` : ''}: ${explainVerdict(v, e.src, e.dst, e.port, e.protocol)}`
        : `${group.length} workloads -> ${e.dst.label} (${e.dst.namespace}) port ${e.port}/${e.protocol} are blocked by the same policies (${policies.join(', ')})${assumption ? ` for the ${external!.label} deployed as upstream ships it` : ''}: `
          + `${!v.egress.allowed ? 'their egress is isolated and no egress rule allows it' : ''}${!v.egress.allowed && !v.ingress.allowed ? '; ' : ''}${!v.ingress.allowed ? `the ingress of ${e.dst.label} is isolated and no ingress rule admits them` : ''}. Sources: ${sources.map((x) => `${x.label} (${x.namespace})`).join(', ')}`;
      findings.push({
        ruleId: this.id,
        severity: e.soft ? 'warning' : 'error',
        message: `${head}. Needed because: ${why.join('; ')}.${assumption}`,
        hint: fixHint(e, v.egress.allowed, v.ingress.allowed),
        objects: [
          ...policies.map((p) => {
            const [ns, name] = p.split('/');
            return obj(ctx, { kind: 'NetworkPolicy', namespace: ns!, name: name! });
          }),
          ...[...sources, e.dst].filter((x) => !x.external).map((x) => obj(ctx, x.ref)),
        ],
        targets: [],
        details: {
          source: { namespace: e.src.namespace, name: e.src.label, external: e.src.external },
          destination: { namespace: e.dst.namespace, name: e.dst.label, external: e.dst.external },
          port: e.port,
          protocol: e.protocol,
          egressAllowed: v.egress.allowed,
          ingressAllowed: v.ingress.allowed,
          reason: why[0],
          sources: sources.map((x) => `${x.namespace}/${x.label}`),
        },
      });
    }
    return findings;
  },
};

function fixHint(e: Edge, egressOk: boolean, ingressOk: boolean): string {
  const peer = (x: PodEndpoint, from: PodEndpoint) => {
    const pod = Object.entries(x.labels).slice(0, 1).map(([k, v]) => `podSelector: {matchLabels: {${k}: ${v}}}`).join('');
    return x.namespace === from.namespace ? `{${pod}}` : `{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ${x.namespace}}}, ${pod}}`;
  };
  const fixes: string[] = [];
  if (!egressOk) fixes.push(`an egress rule on ${e.src.label} in ${e.src.namespace}: to: [${peer(e.dst, e.src)}], ports: [{protocol: ${e.protocol}, port: ${e.port}}]`);
  if (!ingressOk) fixes.push(`an ingress rule on ${e.dst.label} in ${e.dst.namespace}: from: [${peer(e.src, e.dst)}], ports: [{protocol: ${e.protocol}, port: ${e.port}}]`);
  const labelNote = e.src.external || e.dst.external
    ? ' Select namespaces by kubernetes.io/metadata.name (set by the API server on every namespace) rather than by a label someone must add.'
    : '';
  return `Add a NetworkPolicy with ${fixes.join(' and ')}.${labelNote}`;
}
