import { run } from '../../core/exec.ts';
import type { Kubectl } from '../../kube/kubectl.ts';
import type { KubeList } from '../../kube/objects.ts';
import { KIND_CLUSTER_LABEL } from '../../safety/ownership.ts';
import type { ClusterStatus, NodeInfo } from '../provider.ts';
import { hpaStatus, partitionRules, pvcStatus, rulesToDelete, type HpaJson, type PvcJson } from './cluster-views.ts';
import { ingressNotices } from './ingress-controller.ts';
import { networkPolicyNotices } from './network-policy-addon.ts';

/**
 * The cluster's network and nodes as prodlike sees them: the cluster view of `status`, and a network partition on kind: prodlike-cni (ptp) does not enforce NetworkPolicy, so the cut is iptables
 * DROP rules in FORWARD of every node for the pods' IPs, marked with a comment so heal removes exactly those.
 */

/** Running node containers of `cluster` (by kind's label). */
export async function nodeContainers(cluster: string): Promise<string[]> {
  const r = await run('docker', ['ps', '--filter', `label=${KIND_CLUSTER_LABEL}=${cluster}`, '--format', '{{.Names}}'], { timeoutMs: 15_000 });
  return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean).sort();
}

/** Adds the DROP rules for `ips` to every node (a rule already there is not added twice). */
export async function cutPodIps(nodes: readonly string[], ips: readonly string[], comment: string): Promise<void> {
  for (const node of nodes) {
    for (const rule of partitionRules([...ips], comment)) {
      const exists = await run('docker', ['exec', node, 'iptables', '-C', ...rule], { allowFailure: true, timeoutMs: 15_000 });
      if (exists.exitCode !== 0) await run('docker', ['exec', node, 'iptables', '-I', ...rule.slice(0, 1), '1', ...rule.slice(1)], { timeoutMs: 15_000 });
    }
  }
}

/** Removes the rules carrying `comment` from every node. */
export async function healPodIps(nodes: readonly string[], comments: string | readonly string[]): Promise<void> {
  await Promise.all(nodes.map(async (node) => {
    const listing = await run('docker', ['exec', node, 'iptables', '-S', 'FORWARD'], { allowFailure: true, timeoutMs: 15_000 });
    if (listing.exitCode !== 0) return;
    for (const comment of typeof comments === 'string' ? [comments] : comments) {
      for (const rule of rulesToDelete(listing.stdout, comment)) await run('docker', ['exec', node, 'iptables', '-D', ...rule], { allowFailure: true, timeoutMs: 15_000 });
    }
  }));
}

/** Nodes, HPAs (current/target), PVCs and who enforces NetworkPolicies (the network-policy add-on or nobody), for `status`. */
export async function clusterStatus(kubectl: Kubectl, cluster: string, nodes: () => Promise<NodeInfo[]>): Promise<ClusterStatus> {
  const [nodeList, hpas, pvcs, cni] = await Promise.all([
    nodes().catch(() => []),
    kubectl.json<KubeList<HpaJson>>(['get', 'hpa', '-A']).then((l) => l.items.map(hpaStatus), () => []),
    kubectl.json<KubeList<PvcJson>>(['get', 'pvc', '-A']).then((l) => l.items.map(pvcStatus), () => []),
    run('docker', ['exec', `${cluster}-control-plane`, 'sh', '-c', 'cat /etc/cni/net.d/*.conflist 2>/dev/null'], { allowFailure: true, timeoutMs: 15_000 }).then((r) => r.stdout, () => ''),
  ]);
  const notices: string[] = [];
  // The offline CNI (prodlike-cni, ptp) has no policy engine: the network-policy add-on enforces, when installed.
  if (cni.includes('"ptp"') || cni.includes('prodlike')) notices.push(...(await networkPolicyNotices(kubectl)));
  notices.push(...(await ingressNotices(kubectl)));
  for (const h of hpas) if (h.metrics.some((m) => m.current === undefined)) notices.push(`HPA ${h.namespace}/${h.name} has no metrics yet (<unknown>): metrics-server needs about a minute after start.`);
  return { nodes: nodeList, hpas, pvcs, notices };
}
