import { run } from '../../core/exec.ts';
import { KIND_CLUSTER_LABEL } from '../../safety/ownership.ts';
import { partitionRules, rulesToDelete } from './cluster-views.ts';

/**
 * A network partition on kind: prodlike-cni (ptp) does not enforce NetworkPolicy, so the cut is iptables
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
export async function healPodIps(nodes: readonly string[], comment: string): Promise<void> {
  for (const node of nodes) {
    const listing = await run('docker', ['exec', node, 'iptables', '-S', 'FORWARD'], { allowFailure: true, timeoutMs: 15_000 });
    if (listing.exitCode !== 0) continue;
    for (const rule of rulesToDelete(listing.stdout, comment)) await run('docker', ['exec', node, 'iptables', '-D', ...rule], { allowFailure: true, timeoutMs: 15_000 });
  }
}
