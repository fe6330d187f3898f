/** HPAs, NetworkPolicies, LimitRanges and Ingresses, with the API defaults the rules depend on. */
import { parseLabelSelector } from './label-selector.ts';
import type { Hpa, RbacBinding, RbacRole, HpaBehavior, HpaMetric, HpaScalingRules, Ingress, K8sObject, LimitRangeContainer, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyRule } from './model-types.ts';
import { cpuMillis, parseQuantity } from '../core/quantity.ts';
import { arr, intOrString, isRecord, num, rec, str } from './yaml-fields.ts';

export function parseHpa(o: K8sObject, spec: Record<string, unknown>): Hpa {
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

export function parseNetworkPolicy(o: K8sObject, spec: Record<string, unknown>): NetworkPolicy {
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

export function parseLimitRange(spec: Record<string, unknown>): LimitRangeContainer {
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

export function ingressBackends(spec: Record<string, unknown>): Ingress['backends'] {
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

export function parseRbacRole(o: K8sObject): RbacRole {
  const strings = (x: unknown) => arr(x).map(String);
  return {
    kind: o.kind,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    name: o.name,
    rules: arr(o.raw.rules).map((r) => {
      const x = rec(r);
      return { apiGroups: strings(x.apiGroups), resources: strings(x.resources), verbs: strings(x.verbs), resourceNames: strings(x.resourceNames) };
    }),
  };
}

export function parseRbacBinding(o: K8sObject): RbacBinding {
  const ref = rec(o.raw.roleRef);
  return {
    kind: o.kind,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    name: o.name,
    roleRef: { kind: str(ref.kind) ?? 'Role', name: str(ref.name) ?? '' },
    subjects: arr(o.raw.subjects).map((s) => {
      const x = rec(s);
      return { kind: str(x.kind) ?? '', name: str(x.name) ?? '', ...(str(x.namespace) ? { namespace: str(x.namespace)! } : {}) };
    }),
  };
}
