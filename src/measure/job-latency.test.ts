import { describe, expect, it } from 'vitest';
import type { JobObject, PodObject as JobPodObject } from '../kube/objects.ts';
import { JobLatencyTracker, jobOfPod, latencyStats } from './job-latency.ts';

const T0 = Date.parse('2026-01-01T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const job = (name: string, createdAt: number, condition?: 'Complete' | 'Failed'): JobObject => ({
  metadata: { name, namespace: 'saasit-executions', creationTimestamp: iso(Math.floor(createdAt / 1000) * 1000), labels: { app: 'saasit-executor', executionId: name.replace('execution-', '') } },
  status: condition ? { conditions: [{ type: condition, status: 'True' }] } : { active: 1 },
});

type PodState = 'pending' | 'scheduled' | 'creating' | 'running' | 'terminated';
const pod = (jobName: string, state: PodState, createdAt: number, startedAt?: number): JobPodObject => ({
  metadata: { name: `${jobName}-x1`, creationTimestamp: iso(Math.floor(createdAt / 1000) * 1000), labels: { 'batch.kubernetes.io/job-name': jobName, 'job-name': jobName } },
  spec: state === 'pending' ? {} : { nodeName: 'prodlike-worker' },
  status: {
    conditions: state === 'pending' ? [{ type: 'PodScheduled', status: 'False' }] : [{ type: 'PodScheduled', status: 'True' }],
    containerStatuses: state === 'pending' || state === 'scheduled' ? null : [{
      name: 'executor',
      state: state === 'creating' ? { waiting: { reason: 'ContainerCreating' } } : state === 'running' ? { running: { startedAt: iso(startedAt ?? createdAt) } } : { terminated: { exitCode: 0, startedAt: iso(startedAt ?? createdAt), finishedAt: iso(createdAt + 5000) } },
    }],
  },
});

describe('latencyStats', () => {
  it('gives p50/p95/max with k6-style interpolation, and only a count when empty', () => {
    expect(latencyStats([])).toEqual({ count: 0 });
    const s = latencyStats([1000, 2000, 3000, 4000, 5000]);
    expect(s).toMatchObject({ count: 5, p50: 3000, max: 5000, min: 1000 });
    expect(s.p95).toBeCloseTo(4800);
  });
});

describe('JobLatencyTracker', () => {
  it('maps pods to their Job through the Job controller labels', () => {
    expect(jobOfPod(pod('execution-a', 'pending', T0))).toBe('execution-a');
    expect(jobOfPod({ metadata: { name: 'x', labels: { 'job-name': 'old-style' } } })).toBe('old-style');
    expect(jobOfPod({ metadata: { name: 'x' } })).toBeUndefined();
  });

  it('measures Job created → scheduled → container started → complete from watch arrival times', () => {
    const t = new JobLatencyTracker();
    t.startTracking(T0);
    t.onJob('ADDED', job('execution-a', T0 + 100), T0 + 100);
    t.onPod('ADDED', pod('execution-a', 'pending', T0 + 150), T0 + 150);
    t.onPod('MODIFIED', pod('execution-a', 'scheduled', T0 + 150), T0 + 180);
    t.onPod('MODIFIED', pod('execution-a', 'creating', T0 + 150), T0 + 400);
    t.onPod('MODIFIED', pod('execution-a', 'running', T0 + 150), T0 + 2100);
    t.onPod('MODIFIED', pod('execution-a', 'terminated', T0 + 150), T0 + 4000);
    t.onJob('MODIFIED', job('execution-a', T0 + 100, 'Complete'), T0 + 4600);

    const [m] = t.jobs;
    expect(m).toMatchObject({ job: 'execution-a', executionId: 'a', created: T0 + 100, podCreated: T0 + 150, scheduled: T0 + 180, started: T0 + 2100, completed: T0 + 4600, node: 'prodlike-worker', pods: ['execution-a-x1'] });
    const r = t.report();
    expect(r).toMatchObject({ tracked: 1, completed: 1, failed: 0, unfinished: 0, peakActive: 1, startedFromApi: 0 });
    expect(r.scheduling.p50).toBe(80);
    expect(r.start.p50).toBe(2000);
    expect(r.run.p50).toBe(2500);
    expect(r.total.max).toBe(4500);
    expect(t.settled(1)).toBe(true);
    expect(t.timelineEvents().map((e) => [e.type, e.at - T0])).toEqual([
      ['job.created', 100],
      ['pod.scheduled', 180],
      ['container.started', 2100],
      ['job.completed', 4600],
    ]);
    const active = t.series().find((s) => s.name.startsWith('execution Jobs active'))!;
    expect(active.points.map((p) => p.value)).toEqual([0, 1, 0]);
  });

  it('leaves out Jobs from before tracking started, also when a re-opened watch replays them', () => {
    const t = new JobLatencyTracker();
    t.onJob('ADDED', job('execution-old', T0 - 60_000, 'Complete'), T0 - 10);
    t.startTracking(T0);
    t.onJob('ADDED', job('execution-older', T0 - 120_000, 'Complete'), T0 + 5); // replay after a re-list
    t.onPod('ADDED', pod('execution-older', 'terminated', T0 - 120_000), T0 + 6);
    t.onJob('ADDED', job('execution-new', T0 + 1000), T0 + 1000);
    expect(t.jobs.map((j) => j.job)).toEqual(['execution-new']);
    expect(t.settled()).toBe(false);
    expect(t.report()).toMatchObject({ tracked: 1, unfinished: 1 });
  });

  it('takes the container startedAt from the API when the first status seen is already terminated', () => {
    const t = new JobLatencyTracker();
    t.startTracking(T0);
    t.onJob('ADDED', job('execution-b', T0 + 200), T0 + 200);
    // The first pod status seen is already terminated (a short run between two kubelet reports).
    t.onPod('MODIFIED', pod('execution-b', 'terminated', T0 + 300, T0 + 2000), T0 + 6000);
    const [m] = t.jobs;
    expect(m!.started).toBe(T0 + 2000);
    expect(m!.startedFromApi).toBe(true);
    expect(m!.scheduled).toBe(T0 + 2000);
    expect(t.report().startedFromApi).toBe(1);
  });

  it('counts a pod seen before its Job, failed Jobs, retries and the peak of active Jobs', () => {
    const t = new JobLatencyTracker();
    t.startTracking(T0);
    t.onPod('ADDED', pod('execution-c', 'pending', T0 + 10), T0 + 20); // pod before the Job event
    t.onJob('ADDED', job('execution-c', T0 + 10), T0 + 30);
    t.onJob('ADDED', job('execution-d', T0 + 40), T0 + 40);
    t.onPod('MODIFIED', { ...pod('execution-d', 'creating', T0 + 50), metadata: { ...pod('execution-d', 'creating', T0 + 50).metadata, name: 'execution-d-x2' } }, T0 + 60);
    t.onPod('MODIFIED', pod('execution-d', 'creating', T0 + 50), T0 + 70);
    t.onJob('MODIFIED', job('execution-d', T0 + 40, 'Failed'), T0 + 9000);
    const r = t.report();
    expect(r).toMatchObject({ tracked: 2, completed: 0, failed: 1, unfinished: 1, peakActive: 2 });
    const c = r.jobs.find((j) => j.job === 'execution-c')!;
    expect(c.created).toBe(T0 + 30);
    expect(c.podCreated).toBe(T0 + 20);
    const d = r.jobs.find((j) => j.job === 'execution-d')!;
    expect(d.pods).toHaveLength(2);
    expect(d.waitingReason).toBe('ContainerCreating');
    expect(t.timelineEvents().filter((e) => e.type === 'job.failed')[0]!.detail).toContain('ContainerCreating');
  });
});
