import type { KubeConfig } from '@kubernetes/client-node';
import type { EndpointSliceObject, ObjectMeta, WatchPhase } from '../../src/kube/objects.ts';
import { waitFor } from '../../src/core/wait.ts';
import { ReopeningWatch } from '../../src/kube/reopening-watch.ts';
import { hrNow } from '../../src/measure/clock.ts';

/**
 * Patroni's own view of who leads, and the Kubernetes endpoint the application connects through, as they change
 * during a failover (scenarios/postgres-ha.test.ts):
 * - the `leader` annotation of Patroni's leader object in its store (with the Kubernetes API as store and
 *   KUBERNETES_USE_CONFIGMAPS, the ConfigMap `<scope>-leader`; with Endpoints, the Endpoints `<scope>`);
 * - the ready endpoints of the application's Service (its EndpointSlices), which follow Patroni's role label.
 * Times are when the watch event arrived here (hrNow(), ms on the host's monotonic clock); the API's own
 * timestamps have one-second resolution.
 */
export interface LeaderSeen {
  at: number;
  /** The member named by the leader annotation; empty when the annotation is gone (no leader). */
  leader: string;
}

export interface EndpointsSeen {
  at: number;
  /** Pods behind the Service's ready endpoints, sorted. */
  pods: string[];
}

export interface PatroniWatchOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Patroni's scope (the StatefulSet's SCOPE). */
  scope: string;
  /** The Service the application uses (topology.postgres.service). */
  service: string;
  /** Where Patroni keeps its leader lock: ConfigMaps (KUBERNETES_USE_CONFIGMAPS) or Endpoints. */
  store: 'configmaps' | 'endpoints';
}

type Annotated = { metadata: ObjectMeta & { annotations?: Record<string, string> | null } };

export class PatroniWatch implements AsyncDisposable {
  readonly leaders: LeaderSeen[] = [];
  readonly endpoints: EndpointsSeen[] = [];
  readonly #o: PatroniWatchOptions;
  readonly #watch: ReopeningWatch;
  readonly #slices = new Map<string, string[]>();

  constructor(options: PatroniWatchOptions) {
    this.#o = options;
    this.#watch = new ReopeningWatch(options.kubeConfig, { reopenAfterMs: 200 });
  }

  get leaderObject(): string {
    return this.#o.store === 'configmaps' ? `${this.#o.scope}-leader` : this.#o.scope;
  }

  get errors(): string[] {
    return this.#watch.errors;
  }

  /** The current leader per Patroni, if any. */
  get leader(): string | undefined {
    return this.leaders.at(-1)?.leader || undefined;
  }

  /** The pods behind the Service now. */
  get endpointPods(): string[] {
    return this.endpoints.at(-1)?.pods ?? [];
  }

  /** Opens both watches and waits until a leader and a ready endpoint have been seen. */
  async start(options: { timeoutMs?: number } = {}): Promise<void> {
    const { namespace } = this.#o;
    await this.#watch.open<Annotated>(`/api/v1/namespaces/${namespace}/${this.#o.store}`, { fieldSelector: `metadata.name=${this.leaderObject}` }, (phase, obj) => this.#onLeader(phase, obj));
    await this.#watch.open<EndpointSliceObject>(`/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, { labelSelector: `kubernetes.io/service-name=${this.#o.service}` }, (phase, obj) => this.#onSlice(phase, obj));
    await waitFor(async () => {
      if (this.leader && this.endpointPods.length === 1 && this.endpointPods[0] === this.leader) return true;
      // Kept by waitFor as the timeout's cause: what was seen last.
      throw new Error(`${this.leaderObject}: leader ${this.leader ?? 'none'}, endpoints ${this.endpointPods.join(', ') || 'none'}${this.errors.length ? `; watch errors: ${this.errors.join('; ')}` : ''}`);
    }, { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 100, description: `a settled Patroni leader behind Service ${this.#o.service}` });
  }

  /** The first leader other than `previous` named after `after`. */
  newLeaderAfter(previous: string, after: number): LeaderSeen | undefined {
    return this.leaders.find((l) => l.at >= after && l.leader && l.leader !== previous);
  }

  /** The first time after `after` that the Service's only ready endpoint is `pod`. */
  endpointOnAfter(pod: string, after: number): EndpointsSeen | undefined {
    return this.endpoints.find((e) => e.at >= after && e.pods.length === 1 && e.pods[0] === pod);
  }

  /** The first time after `after` that the Service had no ready endpoint. */
  endpointEmptyAfter(after: number): EndpointsSeen | undefined {
    return this.endpoints.find((e) => e.at >= after && e.pods.length === 0);
  }

  #onLeader(phase: WatchPhase, obj: Annotated): void {
    const leader = phase === 'DELETED' ? '' : (obj.metadata.annotations?.leader ?? '');
    if (this.leaders.at(-1)?.leader !== leader) this.leaders.push({ at: hrNow(), leader });
  }

  #onSlice(phase: WatchPhase, obj: EndpointSliceObject): void {
    const name = obj.metadata.name ?? '';
    if (phase === 'DELETED') this.#slices.delete(name);
    else this.#slices.set(name, (obj.endpoints ?? []).filter((e) => e.conditions?.ready !== false).map((e) => e.targetRef?.name ?? '?'));
    const pods = [...new Set([...this.#slices.values()].flat())].sort();
    if (this.endpoints.at(-1)?.pods.join(',') !== pods.join(',')) this.endpoints.push({ at: hrNow(), pods });
  }

  stop(): void {
    this.#watch.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.stop();
  }
}
