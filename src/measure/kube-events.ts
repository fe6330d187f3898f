import { KubeConfig, Watch } from '@kubernetes/client-node';
import { hrNow } from '../measure/clock.ts';
import type { PodObject, WatchPhase } from '../measure/kube-watch.ts';
import type { TimelineEvent } from '../measure/timeline.ts';
import type { Kubectl } from '../providers/kind/kube-tools.ts';

/**
 * Kubernetes events of a backup/restore scenario on kind, for its timeline: the backup Job (created,
 * complete, failed) and the pods of the workloads the restore procedure scales (deleted, scheduled, Ready).
 * Times are when the watch event arrived here (`hrNow()`); the API's own timestamp (1 s resolution) is kept
 * in the detail. `BackupEventTracker` is the pure part (objects in, events out); `KubeBackupWatch` feeds it
 * from real watches.
 */

export interface JobObject {
  metadata: { name: string; namespace?: string; creationTimestamp?: string };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    completionTime?: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }>;
  };
}

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

interface ContainerStatusLike {
  name?: string;
  restartCount?: number;
  lastState?: { terminated?: { reason?: string; exitCode?: number; finishedAt?: string } };
}

export class BackupEventTracker {
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
    const statuses = ((pod.status as { containerStatuses?: ContainerStatusLike[] } | undefined)?.containerStatuses) ?? [];
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

export interface KubeBackupWatchOptions {
  kubectl: Pick<Kubectl, 'kubeconfig' | 'context' | 'json'>;
  namespace: string;
  /** Label selector of the pods to follow, e.g. `app in (backend,worker,postgres,postgres-backup)`. */
  podSelector: string;
}

/**
 * Watches of the namespace's Jobs and of the selected pods, feeding a BackupEventTracker. `start()` lists
 * both first (the baseline: what exists then makes no creation/Ready events), then opens the watches, whose
 * initial ADDED events for known objects are plain updates.
 */
export class KubeBackupWatch {
  readonly tracker = new BackupEventTracker();
  readonly errors: string[] = [];
  readonly #o: KubeBackupWatchOptions;
  readonly #watch: Watch;
  readonly #controllers = new Set<AbortController>();
  #stopped = false;

  constructor(options: KubeBackupWatchOptions) {
    this.#o = options;
    const kc = new KubeConfig();
    kc.loadFromFile(options.kubectl.kubeconfig);
    kc.setCurrentContext(options.kubectl.context);
    this.#watch = new Watch(kc);
  }

  async #open(path: string, query: Record<string, string>, handle: (phase: WatchPhase, obj: never) => void): Promise<void> {
    const controller = await this.#watch.watch(path, query,
      (phase, obj) => {
        if (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') handle(phase, obj as never);
      },
      (err: unknown) => {
        this.#controllers.delete(controller);
        if (this.#stopped) return;
        if (err && !(err instanceof Error && err.name === 'AbortError')) this.errors.push(`${path}: ${err instanceof Error ? err.message : String(err)}`);
        // Closed by the server (timeout) or a transient error: re-open; the re-list replays ADDED events.
        setTimeout(() => void this.#open(path, query, handle).catch((e: unknown) => this.errors.push(`${path}: ${(e as Error).message}`)), 500);
      });
    if (this.#stopped) controller.abort();
    else this.#controllers.add(controller);
  }

  async start(): Promise<void> {
    const ns = this.#o.namespace;
    const [jobs, pods] = await Promise.all([
      this.#o.kubectl.json<{ items: JobObject[] }>(['-n', ns, 'get', 'jobs']),
      this.#o.kubectl.json<{ items: PodObject[] }>(['-n', ns, 'get', 'pods', '-l', this.#o.podSelector]),
    ]);
    for (const j of jobs.items) this.tracker.onJob('ADDED', j);
    for (const p of pods.items) this.tracker.onPod('ADDED', p);
    this.tracker.startTracking();
    await this.#open(`/apis/batch/v1/namespaces/${ns}/jobs`, {}, (p, o) => this.tracker.onJob(p, o));
    await this.#open(`/api/v1/namespaces/${ns}/pods`, { labelSelector: this.#o.podSelector }, (p, o) => this.tracker.onPod(p, o));
  }

  /** Stops the watches and returns the events, oldest first. */
  stop(): TimelineEvent[] {
    this.#stopped = true;
    for (const c of this.#controllers) c.abort();
    this.#controllers.clear();
    return [...this.tracker.events].sort((a, b) => a.at - b.at);
  }
}
