import { resolveWorkload, type ProdlikeConfig, type WorkloadRole } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import { waitFor } from '../../core/wait.ts';
import type { Kubectl } from '../../kube/kubectl.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { ownLabels, PRODLIKE_LABELS } from '../../safety/ownership.ts';
import { toApplyList } from './kind-workloads.ts';
import { EXPORTERS, MONITORING_NAMESPACE, PROMETHEUS } from './monitoring-config.ts';
import { isolatedForIngress } from './policy-isolation.ts';

/**
 * The network-policy add-on of the kind provider (issue #20): sigs.k8s.io/kube-network-policies, the agent kind's own
 * kindnet embeds, as a DaemonSet on every node, so the manifests' NetworkPolicies are enforced as in production. It
 * watches Pods, Namespaces and NetworkPolicies and programs an nftables table in each node's network namespace that
 * sends the first packet of every flow from or to a pod to user space (NFQUEUE), where the agent accepts or drops it by
 * the policies; established flows are accepted in the kernel.
 *
 * Offline its image is built from the Go module proxy (node image stage kube-network-policies), patched to queue with
 * the xtables NFQUEUE target through nft_compat instead of nft's `queue` expression: this VM's kernel lacks
 * CONFIG_NFT_QUEUE but has nft_compat and xt_NFQUEUE (fixtures/images/kind-node/build-kube-network-policies.sh).
 * Online it is the upstream image, which needs CONFIG_NFT_QUEUE.
 *
 * It changes no route and no iptables rule of prodlike-cni (the guard that keeps cluster traffic off the host's
 * default route): it adds its own nftables table only. Fail-closed as upstream's install.yaml (no --fail-open): while
 * the agent is down, new pod flows on that node are dropped, as with an enforcing CNI whose agent died.
 */

/** The add-on's namespace (prodlike's own, kept by `reset`: it carries no environment label). */
export const NETWORK_POLICY_NAMESPACE = 'prodlike-network-policy';
export const NETWORK_POLICY_AGENT = 'kube-network-policies';
/** The nftables table the agent programs (inet family) in every node. */
export const NETWORK_POLICY_TABLE = 'kube-network-policies';
/** The nfqueue the agent reads (its default, 100, is what kindnet's embedded copy uses: another number avoids a clash). */
export const NETWORK_POLICY_QUEUE = 98;
const METRICS_PORT = 9080;
const LABELS = { [PRODLIKE_LABELS.managed]: 'true', 'app.kubernetes.io/managed-by': 'prodlike', 'app.kubernetes.io/part-of': 'prodlike' };
const POD_LABELS = { 'app.kubernetes.io/name': NETWORK_POLICY_AGENT, 'app.kubernetes.io/component': 'network-policy' };

export interface NetworkPolicyAddonOptions {
  image: string;
}

/** Whether `up` installs the add-on: kind, and `networkPolicies.enforce` (default true). */
export function networkPolicyEnforced(config: ProdlikeConfig): boolean {
  return config.networkPolicies.enforce;
}

/** The add-on's objects: namespace, RBAC for what the agent watches, and the DaemonSet. */
export function networkPolicyObjects(options: NetworkPolicyAddonOptions): (KubeObject & Record<string, unknown>)[] {
  const meta = (name: string, namespaced = true) => ({ name, ...(namespaced ? { namespace: NETWORK_POLICY_NAMESPACE } : {}), labels: LABELS });
  const role = `prodlike-${NETWORK_POLICY_AGENT}`;
  return [
    // Pod Security "privileged": the agent runs in the node's network namespace with NET_ADMIN (nftables, nfqueue).
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NETWORK_POLICY_NAMESPACE, labels: { ...LABELS, 'pod-security.kubernetes.io/enforce': 'privileged' } } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(NETWORK_POLICY_AGENT) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(role, false),
      // What the agent's informers list and watch (cmd/main.go without the admin-network-policy flags).
      rules: [
        { apiGroups: [''], resources: ['pods', 'namespaces'], verbs: ['list', 'watch'] },
        { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta(role, false),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: NETWORK_POLICY_AGENT, namespace: NETWORK_POLICY_NAMESPACE }],
    },
    {
      apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta(NETWORK_POLICY_AGENT),
      spec: {
        selector: { matchLabels: POD_LABELS },
        // One node at a time: a node's pods are unprotected (fail-closed: cut off) only while its own agent restarts.
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels: { ...POD_LABELS, ...LABELS } },
          spec: {
            hostNetwork: true,
            dnsPolicy: 'ClusterFirstWithHostNet',
            serviceAccountName: NETWORK_POLICY_AGENT,
            priorityClassName: 'system-node-critical',
            // Every node, the control plane included (the monitoring and ingress add-ons run there).
            tolerations: [{ operator: 'Exists' }],
            terminationGracePeriodSeconds: 10,
            containers: [{
              name: NETWORK_POLICY_AGENT,
              image: options.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/netpol'],
              args: [
                '--hostname-override=$(NODE_NAME)',
                `--nfqueue-id=${NETWORK_POLICY_QUEUE}`,
                `--metrics-bind-address=:${METRICS_PORT}`,
                // The node's containerd (Debian's 1.6 offline) has no NRI socket; pod addresses come from the API.
                '--disable-nri=true',
                // Kernels from 6.12 have the conntrack fix this works around (DNS answers queued at prerouting).
                '--netfilter-bug-1766-fix=false',
                // 1: no line per packet (2 logs every verdict, costly under load).
                '--v=1',
              ],
              env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
              ports: [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
              readinessProbe: { httpGet: { path: '/metrics', port: METRICS_PORT }, periodSeconds: 2, failureThreshold: 3 },
              resources: { requests: { cpu: '50m', memory: '50Mi' }, limits: { memory: '256Mi' } },
              securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN'] } },
            }],
          },
        },
      },
    },
  ];
}

/**
 * prodlike's own NetworkPolicies for its add-ons' traffic into the application's namespaces, which the manifests'
 * policies (written for the application) deny: the monitoring add-on's PostgreSQL and Redis exporters to their data
 * store's port, and Prometheus to the backend's port (its /metrics). One policy per role, in the role's namespace and
 * with its selector and port from the configuration, admitting only that add-on pod from the add-on's namespace, and
 * only where the manifests isolate the role's pods (policy-isolation.ts): elsewhere nothing needs admitting. The
 * manifests' own policies are never edited. Labelled as this environment's (`reset` removes them with the namespace
 * and `up` applies them again with the manifests).
 */
export function addonNetworkPolicies(config: ProdlikeConfig, rendered: readonly KubeObject[]): KubeObject[] {
  if (!config.monitoring.enabled) return [];
  const admit: { role: WorkloadRole; from: string }[] = [
    { role: 'postgres', from: EXPORTERS.postgres.name },
    { role: 'redis', from: EXPORTERS.redis.name },
    { role: 'backend', from: PROMETHEUS.name },
  ];
  return admit.flatMap(({ role, from }) => {
    const w = resolveWorkload(config, role);
    if (!w.enabled || w.port <= 0 || !isolatedForIngress(rendered, w.namespace, w.selector)) return [];
    return [{
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
      metadata: { name: `prodlike-monitoring-${role}`, namespace: w.namespace, labels: ownLabels(config.name) },
      spec: {
        podSelector: { matchLabels: { ...w.selector } },
        policyTypes: ['Ingress'],
        ingress: [{
          from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': MONITORING_NAMESPACE } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': from } } }],
          ports: [{ protocol: 'TCP', port: w.port }],
        }],
      },
    }];
  });
}

interface DaemonSetStatus { metadata: { generation?: number }; status?: { observedGeneration?: number; desiredNumberScheduled?: number; numberReady?: number; updatedNumberScheduled?: number } }

/** Ready: the controller saw the current spec and every node it schedules on runs an updated, ready agent. */
export function daemonSetReady(ds: DaemonSetStatus): boolean {
  const s = ds.status ?? {};
  const desired = s.desiredNumberScheduled ?? 0;
  return desired > 0 && (s.observedGeneration ?? 0) >= (ds.metadata.generation ?? 1) && s.numberReady === desired && s.updatedNumberScheduled === desired;
}

/**
 * Applies the add-on and waits for the condition "agent ready on every node" (the DaemonSet's status), then for
 * "policy table programmed on every node" (`nftTable(node)` lists the agent's nftables table): a ready pod whose
 * rules the kernel refused would enforce nothing.
 */
export async function installNetworkPolicyAgent(kubectl: Kubectl, options: NetworkPolicyAddonOptions & {
  nodes: readonly string[];
  /** `nft list table inet kube-network-policies` in a node: true when the table exists. */
  nftTable: (node: string) => Promise<boolean>;
  progress?: (m: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}): Promise<void> {
  await kubectl.apply(toApplyList(networkPolicyObjects(options)));
  const timeoutMs = options.timeoutMs ?? 120_000;
  const hint = `Inspect with \`kubectl --kubeconfig ${kubectl.kubeconfig} -n ${NETWORK_POLICY_NAMESPACE} describe daemonset,pods\` and its logs; set networkPolicies.enforce: false in prodlike.yaml to run without enforcement.`;
  const signal = options.signal ? { signal: options.signal } : {};
  await waitFor(async () => {
    const ds = await kubectl.json<DaemonSetStatus>(['-n', NETWORK_POLICY_NAMESPACE, 'get', 'daemonset', NETWORK_POLICY_AGENT]);
    options.progress?.(`agent ready on ${ds.status?.numberReady ?? 0}/${ds.status?.desiredNumberScheduled ?? '?'} nodes`);
    return daemonSetReady(ds);
  }, { timeoutMs, intervalMs: 1000, description: `DaemonSet ${NETWORK_POLICY_NAMESPACE}/${NETWORK_POLICY_AGENT} (${options.image}) ready on every node`, hint, ...signal });
  const programmed = await waitFor(async () => {
    const tables = await Promise.all(options.nodes.map((n) => options.nftTable(n)));
    return tables.every(Boolean) ? tables.length : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500, description: `the agent's nftables table inet ${NETWORK_POLICY_TABLE} in every node (${options.nodes.join(', ')})`, hint, ...signal });
  options.progress?.(`policy table programmed in ${programmed} nodes`);
}

/** What `status` says about enforcement: the agent's DaemonSet when it runs, else that policies are not enforced. */
export async function networkPolicyNotices(kubectl: Kubectl): Promise<string[]> {
  const ds = await kubectl.json<DaemonSetStatus & { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }>(['-n', NETWORK_POLICY_NAMESPACE, 'get', 'daemonset', NETWORK_POLICY_AGENT]).catch(() => undefined);
  if (!ds) return ['NetworkPolicies are applied but NOT enforced (networkPolicies.enforce: false, or an environment made before the network-policy add-on): a default-deny that breaks production does not break here; partitions use iptables in the nodes.'];
  const image = ds.spec?.template?.spec?.containers?.[0]?.image ?? '?';
  return [`NetworkPolicies are enforced by kube-network-policies (${image}, ${ds.status?.numberReady ?? 0}/${ds.status?.desiredNumberScheduled ?? '?'} nodes ready, nfqueue ${NETWORK_POLICY_QUEUE}${image.startsWith('prodlike.local/') ? ' through the xtables NFQUEUE target: this kernel has no nft queue' : ''}).`];
}

/** A ProdlikeError for an add-on image the catalogue lacks. */
export function missingAgentImage(): ProdlikeError {
  return new ProdlikeError('CONFIG_INVALID', 'The image catalogue (fixtures/images/images.yaml) has no kindAddons.kube-network-policies entry: the network-policy add-on has no image.', {
    hint: 'Restore the kindAddons.kube-network-policies entry (online registry.k8s.io/networking/kube-network-policies:v0.8.0, offline prodlike.local/kube-network-policies:v0.8.0-xtnfqueue).',
  });
}
