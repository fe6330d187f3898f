/**
 * NetworkPolicy evaluation (networking.k8s.io/v1 semantics) for one connection between two pods:
 * traffic passes when the source pod's egress allows it AND the destination pod's ingress allows it.
 *
 * - A pod is isolated for a direction when at least one policy in its namespace selects it
 *   (podSelector) and lists that direction in policyTypes; an isolated pod accepts only what the union
 *   of the rules of those policies allows.
 * - A rule without peers matches every peer; without ports, every port. A peer with only podSelector
 *   selects pods of the policy's namespace; only namespaceSelector, every pod of the matching
 *   namespaces; both, the matching pods of the matching namespaces. ipBlock matches pod traffic only
 *   when its CIDR contains the pod network (and no `except` cuts into it).
 * - Ports match protocol (default TCP) and number, a range (endPort), or a named port resolved on
 *   the destination pod's containers.
 */
import { isEmptySelector, selectorMatches, type Labels } from './label-selector.ts';
import { describeRef, type ContainerPort, type NetworkPolicy, type NetworkPolicyPeer, type NetworkPolicyPort, type ObjectRef } from './model.ts';

export interface PodEndpoint {
  /** Display name: "backend", "ingress-nginx controller". */
  label: string;
  /** The workload (or the component outside the manifests) it stands for. */
  ref: ObjectRef;
  namespace: string;
  labels: Labels;
  namespaceLabels: Labels;
  ports: ContainerPort[];
  /** Not in the manifests: an assumed component (ingress controller, CoreDNS). */
  external: boolean;
  hostNetwork?: boolean;
}

export interface DirectionVerdict {
  allowed: boolean;
  /** Policies that isolate the pod in this direction. */
  isolatedBy: string[];
  /** Policies with a rule that admits the connection. */
  allowedBy: string[];
}

export interface ConnectionVerdict {
  allowed: boolean;
  egress: DirectionVerdict;
  ingress: DirectionVerdict;
}

export interface EvaluateOptions {
  /** The cluster's pod network (kind: 10.244.0.0/16). */
  podCidr?: string;
}

export const KIND_POD_CIDR = '10.244.0.0/16';

export function evaluateConnection(
  policies: readonly NetworkPolicy[],
  src: PodEndpoint,
  dst: PodEndpoint,
  port: number,
  protocol: string,
  options: EvaluateOptions = {},
): ConnectionVerdict {
  const podCidr = options.podCidr ?? KIND_POD_CIDR;
  // Host-network pods are not subject to pod NetworkPolicies on their side.
  const egress = src.hostNetwork
    ? { allowed: true, isolatedBy: [], allowedBy: [] }
    : direction(policies, src, 'Egress', (rulePeers) => peerMatches(rulePeers, dst, src.namespace, podCidr), dst, port, protocol);
  const ingress = dst.hostNetwork
    ? { allowed: true, isolatedBy: [], allowedBy: [] }
    : direction(policies, dst, 'Ingress', (rulePeers) => peerMatches(rulePeers, src, dst.namespace, podCidr), dst, port, protocol);
  return { allowed: egress.allowed && ingress.allowed, egress, ingress };
}

function direction(
  policies: readonly NetworkPolicy[],
  pod: PodEndpoint,
  type: 'Ingress' | 'Egress',
  matchPeers: (peers: NetworkPolicyPeer[] | undefined) => boolean,
  dst: PodEndpoint,
  port: number,
  protocol: string,
): DirectionVerdict {
  const selecting = policies.filter((p) => p.namespace === pod.namespace && p.policyTypes.includes(type) && selectorMatches(p.podSelector, pod.labels));
  if (selecting.length === 0) return { allowed: true, isolatedBy: [], allowedBy: [] };
  const allowedBy: string[] = [];
  for (const p of selecting) {
    const rules = type === 'Ingress' ? p.ingress : p.egress;
    if (rules.some((r) => matchPeers(r.peers) && portMatches(r.ports, dst.ports, port, protocol))) allowedBy.push(p.name);
  }
  return { allowed: allowedBy.length > 0, isolatedBy: selecting.map((p) => p.name), allowedBy };
}

/** Does any peer of a rule (in a policy of `policyNamespace`) select `other`? */
function peerMatches(peers: NetworkPolicyPeer[] | undefined, other: PodEndpoint, policyNamespace: string, podCidr: string): boolean {
  if (peers === undefined) return true;
  return peers.some((peer) => {
    if (peer.ipBlock) return other.hostNetwork ? false : cidrCovers(peer.ipBlock.cidr, peer.ipBlock.except, podCidr);
    const nsOk = peer.namespaceSelector ? selectorMatches(peer.namespaceSelector, other.namespaceLabels) : other.namespace === policyNamespace;
    if (!nsOk) return false;
    return peer.podSelector ? selectorMatches(peer.podSelector, other.labels) : true;
  });
}

function portMatches(rulePorts: NetworkPolicyPort[] | undefined, dstPorts: ContainerPort[], port: number, protocol: string): boolean {
  if (rulePorts === undefined) return true;
  return rulePorts.some((p) => {
    if (p.protocol.toUpperCase() !== protocol.toUpperCase()) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'number') return p.endPort !== undefined ? port >= p.port && port <= p.endPort : port === p.port;
    return dstPorts.some((c) => c.name === p.port && c.containerPort === port && c.protocol.toUpperCase() === protocol.toUpperCase());
  });
}

/** Does `cidr` minus `except` contain the whole of `inner`? (IPv4 only; IPv6 blocks never match.) */
export function cidrCovers(cidr: string, except: readonly string[], inner: string): boolean {
  const outer = parseCidr(cidr);
  const target = parseCidr(inner);
  if (!outer || !target) return false;
  if (!contains(outer, target)) return false;
  return !except.some((e) => {
    const ex = parseCidr(e);
    return ex !== undefined && overlaps(ex, target);
  });
}

interface Cidr {
  base: number;
  bits: number;
}

function parseCidr(text: string): Cidr | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return undefined;
  const ip = ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
  return { base: bits === 0 ? 0 : (ip & (~0 << (32 - bits))) >>> 0, bits };
}

function contains(outer: Cidr, inner: Cidr): boolean {
  if (outer.bits > inner.bits) return false;
  const mask = outer.bits === 0 ? 0 : (~0 << (32 - outer.bits)) >>> 0;
  return ((inner.base & mask) >>> 0) === outer.base;
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a);
}

export function explainVerdict(v: ConnectionVerdict, src: PodEndpoint, dst: PodEndpoint, port: number, protocol: string): string {
  const parts: string[] = [];
  if (!v.egress.allowed) {
    parts.push(`egress of ${src.label} (${src.namespace}) is isolated by ${v.egress.isolatedBy.join(', ')} and no egress rule there allows ${dst.label} (${dst.namespace}) port ${port}/${protocol}`);
  }
  if (!v.ingress.allowed) {
    parts.push(`ingress of ${dst.label} (${dst.namespace}) is isolated by ${v.ingress.isolatedBy.join(', ')} and no ingress rule there admits ${src.label} (${src.namespace}) on port ${port}/${protocol}`);
  }
  return parts.join('; ');
}

export function describeEndpoint(e: PodEndpoint): string {
  return e.external ? `${e.label} (${e.namespace}, not in the manifests)` : describeRef(e.ref);
}

export function selectorIsEverything(p: NetworkPolicy): boolean {
  return isEmptySelector(p.podSelector);
}
