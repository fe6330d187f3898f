import { kubeConfigFor, type KubeTarget } from '../kube/kubectl.ts';
import { conditionTrue, type JobObject, type PodObject, type WatchPhase } from '../kube/objects.ts';
import { WatchFeed } from '../kube/reopening-watch.ts';
import { percentile } from './k6-points.ts';
import type { Series } from './series.ts';
import { hrNow } from './clock.ts';
import type { TimelineEvent } from './timeline.ts';

/**
 * Job start latency of document 000's execution model (EXECUTION_MODE=job: one Kubernetes Job per
 * execution, in the executions namespace), measured from the Kubernetes API: a watch on the Jobs and one on their
 * pods. Per Job:
 *
 *   Job created → pod created → pod scheduled → container started → Job complete (or failed)
 *
 * Times are when the watch event arrived here (`hrNow()`, ms): the API's own timestamps have one-second
 * resolution (kept in the event detail). "Container started" is the first status showing the container
 * running (or already terminated, when the kubelet's first report came after it finished: then the
 * container's own `startedAt` from the API is used, with its one-second resolution). The kind nodes are
 * containers on this host, so both clocks are the host's.
 *
 * `JobLatencyTracker` is the pure part (objects in, milestones, stats, timeline events and series out)
 * and is unit-tested; `JobWatch` feeds it from real watches.
 */

/** The milestones of one Job (epoch ms, watch arrival unless said otherwise). */
export interface JobMilestones {
  job: string;
  /** The `executionId` label of doc 000's template. */
  executionId?: string | undefined;
  /** creationTimestamp of the Job (API, one-second resolution). */
  createdApi?: number | undefined;
  created?: number | undefined;
  podCreated?: number | undefined;
  scheduled?: number | undefined;
  started?: number | undefined;
  /** `started` came from the container's startedAt (API, 1 s resolution): the first status seen was already terminated. */
  startedFromApi?: boolean | undefined;
  completed?: number | undefined;
  failed?: number | undefined;
  /** Pods the Job created (more than one: retries, backoffLimit 3 in the template). */
  pods: string[];
  node?: string | undefined;
  /** Last waiting reason seen (ContainerCreating, ErrImageNeverPull…). */
  waitingReason?: string | undefined;
}

export interface LatencyStats {
  count: number;
  p50?: number | undefined;
  p95?: number | undefined;
  max?: number | undefined;
  min?: number | undefined;
}

export interface JobLatencyReport {
  /** Jobs created after tracking started. */
  tracked: number;
  completed: number;
  failed: number;
  /** Neither complete nor failed when the report was taken. */
  unfinished: number;
  /** Job created → pod scheduled (Job controller + scheduler). */
  scheduling: LatencyStats;
  /** Job created → container started: the Job start latency. */
  start: LatencyStats;
  /** Container started → Job complete (the execution itself, plus the Job controller noticing). */
  run: LatencyStats;
  /** Job created → Job complete. */
  total: LatencyStats;
  /** Most Jobs active (created, not finished) at once. */
  peakActive: number;
  /** Start latencies whose container start came from the API's 1 s timestamp. */
  startedFromApi: number;
  jobs: JobMilestones[];
}

export function latencyStats(values: readonly number[]): LatencyStats {
  if (values.length === 0) return { count: 0 };
  return { count: values.length, p50: percentile(values, 50), p95: percentile(values, 95), max: Math.max(...values), min: Math.min(...values) };
}

const parseTime = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);

/** The Job a pod belongs to (labels the Job controller sets). */
export function jobOfPod(pod: PodObject): string | undefined {
  const l = pod.metadata.labels ?? {};
  return l['batch.kubernetes.io/job-name'] ?? l['job-name'];
}

interface Record_ extends JobMilestones {
  baseline: boolean;
}

/**
 * Jobs and pods in, milestones out. Jobs created before `startTracking()` (earlier runs: the template
 * keeps finished Jobs for an hour) are the baseline and are left out, also when a re-opened watch replays
 * them later.
 */
export class JobLatencyTracker {
  readonly #jobs = new Map<string, Record_>();
  readonly #active: Series['points'] = [];
  #trackingSince: number | undefined;
  #activeNow = 0;
  #peakActive = 0;

  /** From now on new Jobs are measured; `at` (default now) also bounds API creation times of replays. */
  startTracking(at = hrNow()): void {
    for (const r of this.#jobs.values()) r.baseline = true;
    this.#trackingSince = at;
    this.#active.push({ at, value: 0 });
  }

  #record(job: string, createdApi: number | undefined): Record_ {
    let r = this.#jobs.get(job);
    if (!r) {
      // Created (API time, truncated to the second) a full second before tracking began: an earlier Job.
      const old = this.#trackingSince === undefined || (createdApi !== undefined && createdApi < this.#trackingSince - 1000);
      r = { job, pods: [], baseline: old };
      this.#jobs.set(job, r);
    }
    return r;
  }

  #finished(at: number): void {
    this.#activeNow = Math.max(0, this.#activeNow - 1);
    this.#active.push({ at, value: this.#activeNow });
  }

  onJob(phase: WatchPhase, job: JobObject, at = hrNow()): void {
    const createdApi = parseTime(job.metadata.creationTimestamp);
    const r = this.#record(job.metadata.name, createdApi);
    if (r.baseline) return;
    r.createdApi ??= createdApi;
    r.executionId ??= job.metadata.labels?.executionId;
    if (r.created === undefined) {
      r.created = at;
      this.#activeNow += 1;
      this.#peakActive = Math.max(this.#peakActive, this.#activeNow);
      this.#active.push({ at, value: this.#activeNow });
    }
    if (phase === 'DELETED') return;
    const done = r.completed !== undefined || r.failed !== undefined;
    if (!done && conditionTrue(job.status?.conditions, 'Complete')) {
      r.completed = at;
      this.#finished(at);
    } else if (!done && conditionTrue(job.status?.conditions, 'Failed')) {
      r.failed = at;
      this.#finished(at);
    }
  }

  onPod(phase: WatchPhase, pod: PodObject, at = hrNow()): void {
    const job = jobOfPod(pod);
    if (!job) return;
    // A pod may arrive before its Job's watch event: its Job's creation time is not known yet, the pod's is close.
    const r = this.#record(job, parseTime(pod.metadata.creationTimestamp));
    if (r.baseline) return;
    if (!r.pods.includes(pod.metadata.name)) r.pods.push(pod.metadata.name);
    r.podCreated ??= at;
    if (phase === 'DELETED') return;
    if (r.scheduled === undefined && conditionTrue(pod.status?.conditions, 'PodScheduled')) {
      r.scheduled = at;
      r.node = pod.spec?.nodeName;
    }
    for (const cs of pod.status?.containerStatuses ?? []) {
      const state = cs.state ?? {};
      if (state.waiting?.reason) r.waitingReason = state.waiting.reason;
      if (r.started !== undefined) continue;
      if (state.running) {
        r.started = at;
      } else if (state.terminated) {
        const api = parseTime(state.terminated.startedAt);
        r.started = api !== undefined ? Math.min(at, api) : at;
        r.startedFromApi = api !== undefined && api < at;
      }
    }
    // A container start needs a node: a pod first seen already running was scheduled no later than that.
    if (r.started !== undefined && (r.scheduled === undefined || r.scheduled > r.started)) r.scheduled = r.started;
  }

  /** Milestones of the Jobs created since tracking started, in creation order. */
  get jobs(): JobMilestones[] {
    return [...this.#jobs.values()].filter((r) => !r.baseline).map(({ baseline: _b, ...m }) => ({ ...m, pods: [...m.pods] })).sort((a, b) => (a.created ?? a.podCreated ?? 0) - (b.created ?? b.podCreated ?? 0));
  }

  /** True when every tracked Job has finished (and at least `atLeast` were tracked). */
  settled(atLeast = 0): boolean {
    const jobs = this.jobs;
    return jobs.length >= atLeast && jobs.every((j) => j.completed !== undefined || j.failed !== undefined);
  }

  report(): JobLatencyReport {
    const jobs = this.jobs;
    const diff = (pick: (j: JobMilestones) => [number | undefined, number | undefined]) => jobs.map(pick).filter((p): p is [number, number] => p[0] !== undefined && p[1] !== undefined).map(([a, b]) => Math.max(0, b - a));
    const origin = (j: JobMilestones) => j.created ?? j.podCreated;
    return {
      tracked: jobs.length,
      completed: jobs.filter((j) => j.completed !== undefined).length,
      failed: jobs.filter((j) => j.failed !== undefined).length,
      unfinished: jobs.filter((j) => j.completed === undefined && j.failed === undefined).length,
      scheduling: latencyStats(diff((j) => [origin(j), j.scheduled])),
      start: latencyStats(diff((j) => [origin(j), j.started])),
      run: latencyStats(diff((j) => [j.started, j.completed])),
      total: latencyStats(diff((j) => [origin(j), j.completed])),
      peakActive: this.#peakActive,
      startedFromApi: jobs.filter((j) => j.startedFromApi && j.started !== undefined).length,
      jobs,
    };
  }

  /** Timeline events per Job: job.created, pod.scheduled, container.started, job.completed / job.failed (subject: the Job). */
  timelineEvents(): TimelineEvent[] {
    const out: TimelineEvent[] = [];
    for (const j of this.jobs) {
      const origin = j.created ?? j.podCreated;
      const since = (t: number) => (origin === undefined ? '' : ` +${((t - origin) / 1000).toFixed(1)} s after the Job`);
      if (j.created !== undefined) out.push({ at: j.created, type: 'job.created', source: 'provider', subject: j.job, detail: `execution ${j.executionId ?? '?'} (API creationTimestamp ${j.createdApi !== undefined ? new Date(j.createdApi).toISOString() : '?'})` });
      if (j.scheduled !== undefined) out.push({ at: j.scheduled, type: 'pod.scheduled', source: 'provider', subject: j.job, detail: `pod ${j.pods[0] ?? '?'} on ${j.node ?? '?'}${since(j.scheduled)}` });
      if (j.started !== undefined) out.push({ at: j.started, type: 'container.started', source: 'provider', subject: j.job, detail: `executor container running${since(j.started)}${j.startedFromApi ? ' (container startedAt from the API, 1 s resolution)' : ''}` });
      if (j.completed !== undefined) out.push({ at: j.completed, type: 'job.completed', source: 'provider', subject: j.job, detail: `Complete${since(j.completed)}${j.pods.length > 1 ? `, ${j.pods.length} pods (retries)` : ''}` });
      if (j.failed !== undefined) out.push({ at: j.failed, type: 'job.failed', source: 'provider', subject: j.job, detail: `Failed${since(j.failed)}${j.waitingReason ? ` (last waiting reason ${j.waitingReason})` : ''}` });
    }
    return out.sort((a, b) => a.at - b.at);
  }

  /** Active Jobs over time, and each Job's start latency at its creation time. */
  series(): Series[] {
    const start = this.jobs.filter((j) => j.started !== undefined && (j.created ?? j.podCreated) !== undefined).map((j) => {
      const origin = (j.created ?? j.podCreated)!;
      return { at: origin, value: j.started! - origin };
    });
    return [
      { name: 'execution Jobs active (created, not finished; Job watch)', unit: 'jobs', shape: 'step' as const, points: [...this.#active] },
      { name: 'Job start latency per Job (Job created → container started), at Job creation', unit: 'ms', shape: 'line' as const, points: start },
    ].filter((s) => s.points.length > 0);
  }
}

export interface JobWatchOptions extends KubeTarget {
  /** The executions namespace (`executions.namespace` in prodlike.yaml; doc 000 §6). */
  namespace: string;
  /** Label selector of the execution Jobs and their pods (`executions.selector`; document 000's template labels them app=saasit-executor). */
  selector: string;
}

/** Real watches (Jobs, pods) feeding a JobLatencyTracker; watches the API server closes are re-opened until `stop()` (ReopeningWatch). */
export class JobWatch extends WatchFeed {
  readonly tracker = new JobLatencyTracker();
  readonly #o: JobWatchOptions;

  constructor(options: JobWatchOptions) {
    super(kubeConfigFor(options));
    this.#o = options;
  }

  /** Opens both watches, then starts tracking: Jobs already there are the baseline. */
  async start(): Promise<void> {
    const ns = this.#o.namespace;
    const t = this.tracker;
    const query = { labelSelector: this.#o.selector };
    await this.watch.open<JobObject>(`/apis/batch/v1/namespaces/${ns}/jobs`, query, (p, o) => t.onJob(p, o));
    await this.watch.open<PodObject>(`/api/v1/namespaces/${ns}/pods`, query, (p, o) => t.onPod(p, o));
    t.startTracking();
  }
}
