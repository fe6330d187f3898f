import { run } from '../../core/exec.ts';
import { waitFor } from '../../core/wait.ts';
import type { Kubectl } from '../../kube/kubectl.ts';
import { KIND_CLUSTER_LABEL, KIND_ROLE_LABEL, OwnershipRefusedError } from '../../safety/ownership.ts';
import type { NodeInfo } from '../provider.ts';
import { nodeInfo, type NodeJson } from './cluster-views.ts';

/**
 * The kind cluster's nodes: as the API server sees them, and as Docker containers (a node loss is a
 * `docker stop` of its container). Every container operation first checks kind's labels, so only a node
 * of this cluster is ever touched; the provider adds its own ownership guard on top.
 */
export class KindNodes {
  constructor(readonly cluster: string, readonly kubectl: Kubectl) {}

  /** The nodes as the API server sees them (name, role, Ready), by name. */
  async list(): Promise<NodeInfo[]> {
    const list = await this.kubectl.json<{ items: NodeJson[] }>(['get', 'nodes']);
    return list.items.map(nodeInfo).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The node's Ready condition; undefined when the API server does not answer or has no such node. */
  async ready(name: string): Promise<boolean | undefined> {
    const node = await this.kubectl.json<NodeJson>(['get', 'node', name], { timeoutMs: 20_000 }).catch(() => undefined);
    return node ? nodeInfo(node).ready : undefined;
  }

  /**
   * The node container's kind role, after checking it carries kind's label for this cluster (refused
   * otherwise); undefined when there is no such container.
   */
  async container(operation: string, name: string): Promise<{ role: string } | undefined> {
    const r = await run('docker', ['inspect', '--format', `{{ index .Config.Labels "${KIND_CLUSTER_LABEL}" }}|{{ index .Config.Labels "${KIND_ROLE_LABEL}" }}`, name], { allowFailure: true, timeoutMs: 15_000 });
    if (r.exitCode !== 0) return undefined;
    const [cluster, role] = r.stdout.trim().split('|');
    if (cluster !== this.cluster) throw new OwnershipRefusedError(operation, `container ${name}`, `is not a node of kind cluster ${this.cluster} (label ${KIND_CLUSTER_LABEL}=${cluster || '(none)'})`, { node: name, cluster });
    return { role: role ?? '' };
  }

  /** `docker stop` of the node container, then (by default) wait until the API server marks it NotReady. */
  async stop(name: string, options: { waitNotReady?: boolean; timeoutMs?: number } = {}): Promise<{ node: string; at: number; notReadyAfterMs?: number | undefined }> {
    const at = Date.now();
    await run('docker', ['stop', name], { timeoutMs: 60_000 });
    if (options.waitNotReady === false) return { node: name, at };
    await waitFor(async () => ((await this.ready(name)) === false ? true : undefined), {
      timeoutMs: options.timeoutMs ?? 150_000, intervalMs: 1000, description: `node ${name} to be reported NotReady`,
    });
    return { node: name, at, notReadyAfterMs: Date.now() - at };
  }

  /** `docker start` of the node container, then wait until the API server marks it Ready. */
  async start(name: string, options: { timeoutMs?: number } = {}): Promise<{ node: string; readyAfterMs: number }> {
    const at = Date.now();
    await run('docker', ['start', name], { timeoutMs: 60_000 });
    await waitFor(async () => ((await this.ready(name)) === true ? true : undefined), {
      timeoutMs: options.timeoutMs ?? 180_000, intervalMs: 1000, description: `node ${name} to become Ready`,
    });
    return { node: name, readyAfterMs: Date.now() - at };
  }
}
