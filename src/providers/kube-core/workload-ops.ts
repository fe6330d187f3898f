import type { KubeConfig } from '@kubernetes/client-node';
import { resolveWorkload, type ProdlikeConfig, type ResolvedWorkload, type WorkloadRef, type WorkloadRole } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import type { EventBus } from '../../core/events.ts';
import type { Kubectl } from '../../kube/kubectl.ts';
import type { KubeList, KubeObject, PodObject } from '../../kube/objects.ts';
import { KubeEventWatch } from '../../measure/kube-events.ts';
import type { TimelineEvent } from '../../measure/timeline.ts';
import type { ClusterEvent, EventWatchOptions, LogOptions, ProviderEventWatch, ReplicaStats } from '../provider.ts';
import { clusterEvent, hpaStatus, replicaStats, sortEvents, type EventJson, type HpaJson, type PodMetricsJson, type PodSpecJson } from '../kind/cluster-views.ts';
import { readKindLogs } from '../kind/kind-logs.ts';
import { selectorOf } from '../kind/kind-workloads.ts';

/**
 * The Kubernetes provider core both cluster back-ends share (kind: prodlike's own cluster; cluster: an
 * existing one): the configured workloads' operations through one explicit kubectl (kubeconfig + context).
 * No ownership check here: the providers guard first (kind: the cluster is ours; cluster: the namespace is),
 * then call these.
 */
export class KubeWorkloadOps {
  constructor(readonly kubectl: Kubectl, readonly config: ProdlikeConfig, readonly bus?: EventBus) {}

  /** A role's primary workload or `<role>/<name>`, an additional one (USAGE error for a name the configuration lacks). */
  workload(ref: WorkloadRef): ResolvedWorkload {
    return resolveWorkload(this.config, ref);
  }

  kubeConfig(): KubeConfig {
    return this.kubectl.kubeConfig();
  }

  async replicas(service: WorkloadRole): Promise<number> {
    const w = this.workload(service);
    const obj = await this.kubectl.json<KubeObject>(['-n', w.namespace, 'get', w.workload]);
    return typeof obj.spec?.replicas === 'number' ? obj.spec.replicas : 0;
  }

  /** Scales and waits for the rollout; an HPA on the workload is named (it overrides the count at its next sync). */
  async scale(service: WorkloadRole, count: number, source: string): Promise<void> {
    const w = this.workload(service);
    await this.kubectl.run(['-n', w.namespace, 'scale', w.workload, `--replicas=${count}`]);
    const [kindName, name] = w.workload.split('/');
    const hpas = await this.kubectl.json<{ items: HpaJson[] }>(['-n', w.namespace, 'get', 'hpa'], { allowFailure: true }).then((l) => l.items.map(hpaStatus), () => []);
    const hpa = hpas.find((h) => h.target === `${kindName}/${name}`);
    if (hpa) {
      this.bus?.emit({ kind: 'log', level: 'warn', source, message: `${service} is managed by HPA ${hpa.namespace}/${hpa.name} (${hpa.replicas.min}..${hpa.replicas.max}): it overrides a manual scale to ${count} at its next sync (about 15 s).` });
    }
    await this.kubectl.run(['-n', w.namespace, 'rollout', 'status', w.workload, '--timeout=300s'], { timeoutMs: 320_000 });
  }

  /** The pod that is `replica` of the service: its pods by name, those being deleted left out. */
  async pod(service: WorkloadRef, replica: number, operation: string): Promise<PodObject> {
    const w = this.workload(service);
    const pods = await this.kubectl.json<KubeList<PodObject>>(['-n', w.namespace, 'get', 'pods', '-l', selectorOf(w.selector)]);
    const pod = pods.items.filter((p) => !p.metadata.deletionTimestamp).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))[replica];
    if (!pod) throw new ProdlikeError('PROVIDER_FAILED', `No ${service} pod ${replica} to ${operation} (${pods.items.length} pod(s)).`, { hint: '`prodlike status` shows the replicas.' });
    return pod;
  }

  async exec(service: WorkloadRef, argv: string[], options: { replica?: number; timeoutMs?: number } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const w = this.workload(service);
    const r = await this.kubectl.run(['-n', w.namespace, 'exec', w.workload, '--', ...argv], { allowFailure: true, timeoutMs: options.timeoutMs ?? 60_000 });
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  }

  async logs(service: WorkloadRef, options: LogOptions = {}): Promise<string> {
    return readKindLogs(this.kubectl, this.workload(service), options);
  }

  /** Events of one namespace (or all), typed, oldest first. */
  async events(namespace?: string): Promise<ClusterEvent[]> {
    const list = await this.kubectl.json<{ items: EventJson[] }>(['get', 'events', ...(namespace ? ['-n', namespace] : ['-A'])]);
    return sortEvents(list.items.map(clusterEvent));
  }

  /** Per-pod CPU (percent of one core) and memory from the metrics API (metrics-server). */
  async stats(service: WorkloadRef): Promise<ReplicaStats[]> {
    const w = this.workload(service);
    const pods = await this.kubectl.json<{ items: PodSpecJson[] }>(['-n', w.namespace, 'get', 'pods', '-l', selectorOf(w.selector)]);
    const raw = await this.kubectl.run(['get', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/${w.namespace}/pods?labelSelector=${encodeURIComponent(selectorOf(w.selector))}`], { allowFailure: true, timeoutMs: 30_000 });
    if (raw.exitCode !== 0) {
      throw new ProdlikeError('PROVIDER_FAILED', `The metrics API has no pod metrics for ${service}: ${raw.stderr.trim().split('\n')[0] ?? ''}`, { hint: 'metrics-server needs about a minute after start; check `kubectl -n kube-system get deploy metrics-server`.' });
    }
    return replicaStats((JSON.parse(raw.stdout) as { items: PodMetricsJson[] }).items, pods.items);
  }

  /**
   * Kubernetes API watches of a namespace's Jobs and selected pods (deleted/terminating, scheduled, Ready,
   * restarted); times are when the watch event arrives. Watch errors come back from `stop()` as timeline notes.
   */
  async watchEvents(options: EventWatchOptions = {}): Promise<ProviderEventWatch> {
    const watch = new KubeEventWatch({ kubectl: this.kubectl, namespace: options.namespace ?? resolveWorkload(this.config, 'backend').namespace, podSelector: options.podSelector ?? '' });
    await watch.start().catch((error: unknown) => {
      watch.stop();
      throw error;
    });
    return {
      stop: async () => {
        const events = watch.stop();
        const notes: TimelineEvent[] = watch.errors.map((error) => ({ at: Date.now(), type: 'note', source: 'provider', subject: 'kubernetes watch', detail: error }));
        return [...events, ...notes];
      },
    };
  }
}
