import type { KubeTarget } from '../kube/kubectl.ts';
import { kubeConfigFor } from '../kube/kubectl.ts';
import { conditionTrue, type EndpointSliceObject, type HpaObject, type PodObject, type WatchPhase } from '../kube/objects.ts';
import { WatchFeed } from '../kube/reopening-watch.ts';
import type { Series } from './series.ts';
import { hrNow } from './clock.ts';
import type { TimelineEvent } from './timeline.ts';

/**
 * Kubernetes API watches for the HPA suite: the HorizontalPodAutoscaler's status (CPU utilisation,
 * desiredReplicas), the workload's pods (scheduled, Ready) and the Service's EndpointSlices (endpoints
 * ready), turned into timeline events and series for the run report.
 *
 * Times are when the watch event arrived here (`hrNow()`, ms), not the API's own timestamps, which
 * have one-second resolution; the API timestamp is kept in the event detail. Both clocks are the
 * host's (kind nodes are containers on it).
 *
 * `HpaTracker` is the pure part (objects in, events and series out) and is unit-tested; `KubeWatch`
 * feeds it from real watches.
 */

/** The utilisation target of a resource metric in an HPA spec (e.g. cpu → 70). */
export function hpaTargetUtilization(hpa: HpaObject, resource: 'cpu' | 'memory'): number | undefined {
  return hpa.spec.metrics?.find((m) => m.type === 'Resource' && m.resource?.name === resource)?.resource?.target.averageUtilization;
}

/** Current average utilisation of a resource metric from the HPA's status, when it has one. */
export function hpaCurrentUtilization(hpa: HpaObject, resource: 'cpu' | 'memory'): number | undefined {
  const v = hpa.status?.currentMetrics?.find((m) => m.type === 'Resource' && m.resource?.name === resource)?.resource?.current.averageUtilization;
  return typeof v === 'number' ? v : undefined;
}

interface PodState {
  name: string;
  /** Present before tracking started (baseline): no scheduled/ready events for it. */
  baseline: boolean;
  scheduled: boolean;
  ready: boolean;
  deleted: boolean;
}

export interface HpaTrackerOptions {
  /** Subject for the HPA's events, e.g. `backend-hpa`. */
  hpaName: string;
  /** Subject for the endpoint count events: the scaled role's Service name. */
  serviceName: string;
}

/**
 * Turns a stream of HPA, pod and EndpointSlice objects into timeline events and series:
 *   metric.crossed        CPU utilisation reported at or above the HPA's target (once per excursion)
 *   hpa.desired-changed   desiredReplicas changed (value = new desired)
 *   replicas.changed      ready endpoints of the Service changed (value = count)
 *   pod.scheduled / pod.ready / pod.deleted   per pod created after tracking started
 *   endpoint.ready        a pod's endpoint became ready in the Service (per pod)
 * Series: CPU utilisation %, desiredReplicas, currentReplicas, Ready pods, ready endpoints.
 */
export class HpaTracker {
  readonly events: TimelineEvent[] = [];
  readonly #o: HpaTrackerOptions;
  readonly #pods = new Map<string, PodState>();
  readonly #slices = new Map<string, EndpointSliceObject>();
  readonly #readyEndpoints = new Set<string>();
  readonly #series = {
    cpu: [] as Series['points'],
    memory: [] as Series['points'],
    desired: [] as Series['points'],
    current: [] as Series['points'],
    podsReady: [] as Series['points'],
    endpoints: [] as Series['points'],
  };
  #started = false;
  #cpuAbove = false;
  #desired: number | undefined;
  #current: number | undefined;
  #cpu: number | undefined;
  #cpuPeak: number | undefined;
  #cpuTarget: number | undefined;
  #hpa: HpaObject | undefined;
  #endpointCount: number | undefined;

  constructor(options: HpaTrackerOptions) {
    this.#o = options;
  }

  /**
   * Ends the baseline: pods known so far are the starting replicas (no per-pod events for them);
   * from now on changes become timeline events.
   */
  startTracking(): void {
    for (const p of this.#pods.values()) p.baseline = true;
    this.#started = true;
  }

  get hpa(): HpaObject | undefined {
    return this.#hpa;
  }
  get desiredReplicas(): number | undefined {
    return this.#desired;
  }
  get currentReplicas(): number | undefined {
    return this.#current;
  }
  get cpuUtilization(): number | undefined {
    return this.#cpu;
  }
  /** Highest CPU utilisation the HPA reported since tracking started. */
  get cpuPeak(): number | undefined {
    return this.#cpuPeak;
  }
  get readyEndpoints(): number {
    return this.#readyEndpoints.size;
  }
  get readyPods(): number {
    return [...this.#pods.values()].filter((p) => p.ready && !p.deleted).length;
  }

  #emit(event: TimelineEvent): void {
    if (this.#started) this.events.push(event);
  }

  onHpa(phase: WatchPhase, hpa: HpaObject, at = hrNow()): void {
    if (phase === 'DELETED') return;
    this.#hpa = hpa;
    this.#cpuTarget = hpaTargetUtilization(hpa, 'cpu');
    const cpu = hpaCurrentUtilization(hpa, 'cpu');
    const memory = hpaCurrentUtilization(hpa, 'memory');
    if (cpu !== undefined) {
      this.#series.cpu.push({ at, value: cpu });
      this.#cpu = cpu;
      if (this.#started) this.#cpuPeak = Math.max(this.#cpuPeak ?? 0, cpu);
      const target = this.#cpuTarget;
      if (target !== undefined) {
        if (cpu >= target && !this.#cpuAbove && this.#started) {
          this.#emit({ at, type: 'metric.crossed', source: 'provider', subject: 'cpu', value: cpu, detail: `HPA reports CPU ${cpu}% of requests, at or above its ${target}% target` });
        }
        // Only a started excursion counts; before tracking the state is the baseline.
        this.#cpuAbove = this.#started ? cpu >= target : false;
      }
    }
    if (memory !== undefined) this.#series.memory.push({ at, value: memory });
    const desired = hpa.status?.desiredReplicas;
    if (desired !== undefined && desired !== this.#desired) {
      if (this.#desired !== undefined) {
        this.#emit({ at, type: 'hpa.desired-changed', source: 'provider', subject: this.#o.hpaName, value: desired, detail: `desiredReplicas ${this.#desired}→${desired} (CPU ${cpu ?? '?'}%, currentReplicas ${hpa.status?.currentReplicas ?? '?'}${hpa.status?.lastScaleTime ? `, lastScaleTime ${hpa.status.lastScaleTime}` : ''})` });
      }
      this.#desired = desired;
      this.#series.desired.push({ at, value: desired });
    }
    const current = hpa.status?.currentReplicas;
    if (current !== undefined && current !== this.#current) {
      this.#current = current;
      this.#series.current.push({ at, value: current });
    }
  }

  onPod(phase: WatchPhase, pod: PodObject, at = hrNow()): void {
    const name = pod.metadata.name;
    let state = this.#pods.get(name);
    if (!state) {
      state = { name, baseline: !this.#started, scheduled: false, ready: false, deleted: false };
      this.#pods.set(name, state);
    }
    const before = this.readyPods;
    if (phase === 'DELETED') {
      if (!state.deleted) {
        state.deleted = true;
        this.#emit({ at, type: 'pod.deleted', source: 'provider', subject: name });
      }
    } else {
      const scheduled = conditionTrue(pod.status?.conditions, 'PodScheduled');
      if (scheduled && !state.scheduled) {
        state.scheduled = true;
        if (!state.baseline) this.#emit({ at, type: 'pod.scheduled', source: 'provider', subject: name, detail: `on ${pod.spec?.nodeName ?? '?'} (API: ${scheduled.lastTransitionTime ?? '?'})` });
      }
      const ready = conditionTrue(pod.status?.conditions, 'Ready');
      if (ready && !state.ready) {
        state.ready = true;
        if (!state.baseline) this.#emit({ at, type: 'pod.ready', source: 'provider', subject: name, detail: `API: ${ready.lastTransitionTime ?? '?'}` });
      } else if (!ready && state.ready) {
        state.ready = false;
      }
    }
    const after = this.readyPods;
    if (after !== before || this.#series.podsReady.length === 0) this.#series.podsReady.push({ at, value: after });
  }

  onEndpointSlice(phase: WatchPhase, slice: EndpointSliceObject, at = hrNow()): void {
    if (phase === 'DELETED') this.#slices.delete(slice.metadata.name);
    else this.#slices.set(slice.metadata.name, slice);
    const ready = new Set<string>();
    for (const s of this.#slices.values()) {
      for (const e of s.endpoints ?? []) {
        if (e.conditions?.ready === true && e.targetRef?.name) ready.add(e.targetRef.name);
      }
    }
    for (const podName of ready) {
      if (!this.#readyEndpoints.has(podName)) {
        const pod = this.#pods.get(podName);
        // A pod unknown to the pod watch (arrived first) is new unless tracking has not started.
        if (this.#started && !(pod?.baseline ?? false)) this.#emit({ at, type: 'endpoint.ready', source: 'provider', subject: podName, detail: `${this.#o.serviceName} endpoint ready` });
      }
    }
    this.#readyEndpoints.clear();
    for (const p of ready) this.#readyEndpoints.add(p);
    if (ready.size !== this.#endpointCount) {
      if (this.#endpointCount !== undefined) this.#emit({ at, type: 'replicas.changed', source: 'provider', subject: this.#o.serviceName, value: ready.size, detail: `ready endpoints ${this.#endpointCount}→${ready.size}` });
      this.#endpointCount = ready.size;
      this.#series.endpoints.push({ at, value: ready.size });
    }
  }

  /** Series for the report, with names saying where each number comes from. */
  series(): Series[] {
    const out: Series[] = [
      { name: `CPU utilisation of requests (HPA status${this.#cpuTarget !== undefined ? `, target ${this.#cpuTarget}%` : ''})`, unit: '%', shape: 'line', points: this.#series.cpu },
      { name: 'desiredReplicas (HPA status)', unit: 'replicas', shape: 'step', points: this.#series.desired },
      { name: 'currentReplicas (HPA status)', unit: 'replicas', shape: 'step', points: this.#series.current },
      { name: 'Ready pods (pod watch)', unit: 'pods', shape: 'step', points: this.#series.podsReady },
      { name: 'ready endpoints (EndpointSlices)', unit: 'endpoints', shape: 'step', points: this.#series.endpoints },
    ];
    if (this.#series.memory.length) out.push({ name: 'memory utilisation of requests (HPA status)', unit: '%', shape: 'line', points: this.#series.memory });
    return out.filter((s) => s.points.length > 0);
  }
}

export interface KubeWatchOptions extends KubeTarget {
  namespace: string;
  hpaName: string;
  /** Label selector of the workload's pods, e.g. `app=backend`. */
  podSelector: string;
  /** The Service whose EndpointSlices are watched (label kubernetes.io/service-name). */
  serviceName: string;
}

/**
 * Real watches (HPA, pods, EndpointSlices) feeding an HpaTracker. Watches the API server closes are
 * re-opened until `stop()` (ReopeningWatch); a watch that cannot be opened at all fails `start()`.
 */
export class KubeWatch extends WatchFeed {
  readonly tracker: HpaTracker;
  readonly #o: KubeWatchOptions;

  constructor(options: KubeWatchOptions) {
    super(kubeConfigFor(options));
    this.#o = options;
    this.tracker = new HpaTracker({ hpaName: options.hpaName, serviceName: options.serviceName });
  }

  /** Opens the three watches and waits until the HPA and the endpoints have been seen once. */
  async start(options: { timeoutMs?: number } = {}): Promise<void> {
    const ns = this.#o.namespace;
    const t = this.tracker;
    await this.watch.open<HpaObject>(`/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers`, { fieldSelector: `metadata.name=${this.#o.hpaName}` }, (p, o) => t.onHpa(p, o));
    await this.watch.open<PodObject>(`/api/v1/namespaces/${ns}/pods`, { labelSelector: this.#o.podSelector }, (p, o) => t.onPod(p, o));
    await this.watch.open<EndpointSliceObject>(`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, { labelSelector: `kubernetes.io/service-name=${this.#o.serviceName}` }, (p, o) => t.onEndpointSlice(p, o));
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    while (!(t.hpa && t.readyEndpoints > 0)) {
      if (Date.now() > deadline) throw new Error(`no HPA ${this.#o.hpaName} or no ready endpoint of ${this.#o.serviceName} seen within ${options.timeoutMs ?? 30_000} ms${this.errors.length ? `: ${this.errors.join('; ')}` : ''}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
