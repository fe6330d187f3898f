import { resolveWorkload, type ProdlikeConfig } from '../../config/schema.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { ownLabels } from '../../safety/ownership.ts';
import { ACCESS_NODEPORTS, ACCESS_ROLES, type AccessRole } from './cluster-config.ts';
import { isolatedForIngress } from './policy-isolation.ts';

/**
 * Docker's default address pools, from which the kind network's node addresses come. Pod addresses
 * (10.244.0.0/16) are in neither, so other pods stay denied.
 */
export const NODE_ADDRESS_BLOCKS = ['172.16.0.0/12', '192.168.0.0/16'] as const;

/** A host-access NodePort Service (one port). */
export type AccessService = KubeObject & {
  kind: 'Service';
  spec: { type: 'NodePort'; selector: Record<string, string>; ports: { name: string; protocol: 'TCP'; port: number; targetPort: number; nodePort: number }[] };
};
/** A host-access NetworkPolicy: ingress from ipBlocks on one port. */
export type AccessNetworkPolicy = KubeObject & {
  kind: 'NetworkPolicy';
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: ['Ingress'];
    ingress: { from: { ipBlock: { cidr: string } }[]; ports: { protocol: 'TCP'; port: number }[] }[];
  };
};
export type AccessObject = AccessService | AccessNetworkPolicy;

/** Name of prodlike's host-access Service and NetworkPolicy of a role. */
export function accessName(role: AccessRole): string {
  return `prodlike-access-${role}`;
}

/**
 * Host access to a kind environment, made by prodlike itself: a team's manifests need not carry any.
 * For each of the frontend, the backend, PostgreSQL, Redis and MinIO that is enabled and has a port, in
 * the role's namespace, with the role's selector and port from the configuration (resolveWorkload):
 *
 * - a NodePort Service `prodlike-access-<role>` on the role's fixed NodePort (ACCESS_NODEPORTS), which
 *   kind/cluster.yaml and kindPortMappings map to 127.0.0.1 only (ports.entry, entry+1, entry+3/+4/+5).
 *   WHY: the documented entry is an ingress controller; when none is installed (or while it starts), the
 *   frontend's and the backend's Services give the same two destinations on fixed ports (the backend's
 *   without the Ingress' `/api` prefix: the API's own paths, /health/ready). The stateful services'
 *   Services are for the scenarios, which measure what a client sees (`select 1`, Redis PING, S3 HEAD
 *   every 100 ms) from the host through the same kube-proxy path a pod would use, so a killed pod's
 *   replacement is reached without reconnecting a port-forward (which dies with the pod it picked).
 *   Separate Services, so the manifests' own Services (ClusterIP, headless, sticky) stay as they are. The Service
 *   selects `selector` plus `accessSelector` (a replicated store's leader, e.g. Patroni's spilo-role=master).
 *   kube-proxy serves a NodePort on every node: mapping it on the control plane is enough.
 * - a NetworkPolicy `prodlike-access-<role>` admitting ingress on that port to the role's pods from node
 *   addresses only (NODE_ADDRESS_BLOCKS). WHY: NodePort traffic reaches the pods from a node address
 *   (kube-proxy masquerades it), which the manifests' own policies (other pods and namespaces) do not
 *   admit under a default-deny; pod addresses (10.244.0.0/16) are not included, so other pods stay denied.
 *   Given the rendered manifests, only for a role whose pods their policies already isolate for ingress
 *   (policy-isolation.ts): on pods nothing isolates (the frontend of document 001) the policy would itself isolate
 *   them, and with the network-policy add-on enforcing, every pod client (the ingress controller) would be cut off.
 *
 * Every object is labelled as prodlike's own for this environment. The kind provider applies them with
 * the rendered manifests (server-side apply, after the manifests' namespaces exist).
 */
export function accessObjects(config: ProdlikeConfig, rendered?: readonly KubeObject[]): AccessObject[] {
  return ACCESS_ROLES.flatMap((role): AccessObject[] => {
    const w = resolveWorkload(config, role);
    if (!w.enabled || w.port <= 0) return [];
    const needsPolicy = !rendered || isolatedForIngress(rendered, w.namespace, w.selector);
    const metadata = () => ({
      name: accessName(role),
      namespace: w.namespace,
      labels: ownLabels(config.name),
    });
    return [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: metadata(),
        spec: { type: 'NodePort', selector: { ...w.selector, ...w.accessSelector }, ports: [{ name: 'access', protocol: 'TCP', port: w.port, targetPort: w.port, nodePort: ACCESS_NODEPORTS[role] }] },
      },
      ...(needsPolicy ? [{
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: metadata(),
        spec: {
          podSelector: { matchLabels: { ...w.selector } },
          policyTypes: ['Ingress'],
          ingress: [{ from: NODE_ADDRESS_BLOCKS.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: 'TCP', port: w.port }] }],
        },
      } satisfies AccessNetworkPolicy] : []),
    ];
  });
}
