import type { Kubectl } from '../kube/kubectl.ts';
import type { JobObject, KubeList, PodObject, WatchPhase } from '../kube/objects.ts';
import { WatchFeed } from '../kube/reopening-watch.ts';
import { hrNow } from './clock.ts';
import type { TimelineEvent } from './timeline.ts';

/**
 * Kubernetes events of a scenario on kind, for its timeline: the namespace's Jobs (created, complete,
 * failed; a backup Job) and the selected pods (deleted, scheduled, Ready, restarted). Times are when the
 * watch event arrived here (`hrNow()`); the API's own timestamp (1 s resolution) is kept in the detail.
 * `KubeEventTracker` is the pure part (objects in, events out); `KubeEventWatch` feeds it from real watches.
 */

interface PodState {
  baseline: boolean;
  scheduled: boolean;
  ready: boolean;
  deleted: boolean;
  /** Lost Ready while tracked: its return to Ready is an event even for a baseline pod (a crashed container). */
  lostReady: boolean;
  /** Sum of its containers' restart counts when last seen. */
  restarts?: number;
}

export class KubeEventTracker {
  readonly events: TimelineEvent[] = [];
  readonly #jobs = new Map<string, { baseline: boolean; done: boolean }>();
  readonly #pods = new Map<string, PodState>();
  #started = false;

  /** Objects seen so far are the baseline (no created/scheduled/ready events for them); changes from now on are events. */
  startTracking(): void {
    for (const j of this.#jobs.values()) j.baseline = true;
    for (const p of this.#pods.values()) p.baseline = true;
    this.#started = true;
  }

  #emit(event: TimelineEvent): void {
    if (this.#started) this.events.push(event);
  }

  onJob(phase: WatchPhase, job: JobObject, at = hrNow()): void {
    const name = job.metadata.name;
    let state = this.#jobs.get(name);
    if (!state) {
      state = { baseline: !this.#started, done: false };
      this.#jobs.set(name, state);
      if (!state.baseline && phase !== 'DELETED') this.#emit({ at, type: 'note', source: 'provider', subject: `job/${name}`, detail: `Job created (API: ${job.metadata.creationTimestamp ?? '?'})` });
    }
    if (phase === 'DELETED' || state.done) return;
    const terminal = job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (!terminal) return;
    state.done = true;
    if (state.baseline) return;
    const detail = terminal.type === 'Complete'
      ? `Job complete (API: ${job.status?.completionTime ?? terminal.lastTransitionTime ?? '?'})`
      : `Job failed: ${terminal.reason ?? '?'}${terminal.message ? ` (${terminal.message})` : ''}`;
    this.#emit({ at, type: 'note', source: 'provider', subject: `job/${name}`, detail });
  }

  onPod(phase: WatchPhase, pod: PodObject, at = hrNow()): void {
    const name = pod.metadata.name;
    let state = this.#pods.get(name);
    if (!state) {
      state = { baseline: !this.#started, scheduled: false, ready: false, deleted: false, lostReady: false };
      this.#pods.set(name, state);
    }
    if (phase === 'DELETED') {
      if (!state.deleted) {
        state.deleted = true;
        this.#emit({ at, type: 'pod.deleted', source: 'provider', subject: name });
      }
      return;
    }
    // A pod being deleted (graceful termination): reported once, when it starts. Its deletionTimestamp is
    // the end of the grace period (request time + terminationGracePeriodSeconds), not the request time.
    if (pod.metadata.deletionTimestamp && !state.deleted) {
      state.deleted = true;
      this.#emit({ at, type: 'pod.deleted', source: 'provider', subject: name, detail: `terminating (grace period ends ${pod.metadata.deletionTimestamp})` });
      return;
    }
    const condition = (type: string) => pod.status?.conditions?.find((c) => c.type === type && c.status === 'True');
    const scheduled = condition('PodScheduled');
    if (scheduled && !state.scheduled) {
      state.scheduled = true;
      if (!state.baseline) this.#emit({ at, type: 'pod.scheduled', source: 'provider', subject: name, detail: `on ${pod.spec?.nodeName ?? '?'} (API: ${scheduled.lastTransitionTime ?? '?'})` });
    }
    // A container restart (crash, OOM, liveness kill): the restart count grows; the last termination says why.
    const statuses = pod.status?.containerStatuses ?? [];
    const restarts = statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0);
    if (state.restarts !== undefined && restarts > state.restarts) {
      const why = statuses.filter((c) => c.lastState?.terminated).map((c) => `${c.name ?? 'container'}: ${c.lastState!.terminated!.reason ?? '?'}, exit ${c.lastState!.terminated!.exitCode ?? '?'}`).join('; ');
      this.#emit({ at, type: 'container.died', source: 'provider', subject: name, detail: `restarted (${restarts} restarts)${why ? `; last termination ${why}` : ''}`, value: restarts });
    }
    state.restarts = restarts;
    const ready = condition('Ready');
    if (ready && !state.ready) {
      state.ready = true;
      if (!state.baseline || state.lostReady) this.#emit({ at, type: 'pod.ready', source: 'provider', subject: name, detail: `API: ${ready.lastTransitionTime ?? '?'}` });
      state.lostReady = false;
    } else if (!ready) {
      if (state.ready && this.#started) {
        state.lostReady = true;
        this.#emit({ at, type: 'note', source: 'provider', subject: name, detail: 'pod not Ready (a container stopped or fails its readiness probe)' });
      }
      state.ready = false;
    }
  }
}

export interface KubeEventWatchOptions {
  kubectl: Pick<Kubectl, 'kubeconfig' | 'context' | 'json' | 'kubeConfig'>;
  namespace: string;
  /** Label selector of the pods to follow, e.g. `app in (backend,worker,postgres)`; empty: all the namespace's pods. */
  podSelector: string;
}

/**
 * Watches of the namespace's Jobs and of the selected pods, feeding a KubeEventTracker. `start()` lists
 * both first (the baseline: what exists then makes no creation/Ready events), then opens the watches, whose
 * initial ADDED events for known objects are plain updates.
 */
export class KubeEventWatch extends WatchFeed {
  readonly tracker = new KubeEventTracker();
  readonly #o: KubeEventWatchOptions;

  constructor(options: KubeEventWatchOptions) {
    super(options.kubectl.kubeConfig());
    this.#o = options;
  }

  async start(): Promise<void> {
    const ns = this.#o.namespace;
    const [jobs, pods] = await Promise.all([
      this.#o.kubectl.json<KubeList<JobObject>>(['-n', ns, 'get', 'jobs']),
      this.#o.kubectl.json<KubeList<PodObject>>(['-n', ns, 'get', 'pods', ...(this.#o.podSelector ? ['-l', this.#o.podSelector] : [])]),
    ]);
    for (const j of jobs.items) this.tracker.onJob('ADDED', j);
    for (const p of pods.items) this.tracker.onPod('ADDED', p);
    this.tracker.startTracking();
    await this.watch.open<JobObject>(`/apis/batch/v1/namespaces/${ns}/jobs`, {}, (p, o) => this.tracker.onJob(p, o));
    await this.watch.open<PodObject>(`/api/v1/namespaces/${ns}/pods`, this.#o.podSelector ? { labelSelector: this.#o.podSelector } : {}, (p, o) => this.tracker.onPod(p, o));
  }

  /** Stops the watches and returns the events, oldest first. */
  override stop(): TimelineEvent[] {
    super.stop();
    return [...this.tracker.events].sort((a, b) => a.at - b.at);
  }
}
