import { describe, expect, it } from 'vitest';
import type { JobObject, PodObject } from '../kube/objects.ts';
import { KubeEventTracker } from './kube-events.ts';

const pod = (name: string, state: { scheduled?: boolean; ready?: boolean; deleting?: boolean } = {}): PodObject => ({
  metadata: { name, ...(state.deleting ? { deletionTimestamp: '2026-11-22T09:00:00Z' } : {}) },
  spec: state.scheduled ? { nodeName: 'w1' } : {},
  status: { conditions: [...(state.scheduled ? [{ type: 'PodScheduled', status: 'True' }] : []), { type: 'Ready', status: state.ready ? 'True' : 'False' }] },
});
const job = (name: string, condition?: 'Complete' | 'Failed'): JobObject => ({
  metadata: { name, creationTimestamp: '2026-11-22T09:00:00Z' },
  status: condition ? { conditions: [{ type: condition, status: 'True', reason: condition === 'Failed' ? 'BackoffLimitExceeded' : 'Completed' }], completionTime: '2026-11-22T09:00:10Z' } : { active: 1 },
});

describe('KubeEventTracker', () => {
  it('keeps the baseline out of the timeline, then reports the Job and the pods of the restore', () => {
    const t = new KubeEventTracker();
    t.onJob('ADDED', job('old-backup', 'Complete'), 0);
    t.onPod('ADDED', pod('backend-a', { scheduled: true, ready: true }), 0);
    t.startTracking();
    // the watch re-lists what the baseline already knows: no events
    t.onJob('ADDED', job('old-backup', 'Complete'), 1);
    t.onPod('ADDED', pod('backend-a', { scheduled: true, ready: true }), 1);
    expect(t.events).toEqual([]);

    t.onJob('ADDED', job('postgres-backup-x'), 10);
    t.onPod('ADDED', pod('postgres-backup-x-abc', { scheduled: true }), 11);
    t.onJob('MODIFIED', job('postgres-backup-x'), 12);
    t.onJob('MODIFIED', job('postgres-backup-x', 'Complete'), 20);
    t.onJob('MODIFIED', job('postgres-backup-x', 'Complete'), 21); // no second completion
    t.onPod('MODIFIED', pod('backend-a', { scheduled: true, ready: false, deleting: true }), 30);
    t.onPod('DELETED', pod('backend-a', { scheduled: true, deleting: true }), 35); // already reported
    t.onPod('ADDED', pod('backend-b'), 40);
    t.onPod('MODIFIED', pod('backend-b', { scheduled: true }), 41);
    t.onPod('MODIFIED', pod('backend-b', { scheduled: true, ready: true }), 50);

    expect(t.events.map((e) => [e.at, e.type, e.subject])).toEqual([
      [10, 'note', 'job/postgres-backup-x'],
      [11, 'pod.scheduled', 'postgres-backup-x-abc'],
      [20, 'note', 'job/postgres-backup-x'],
      [30, 'pod.deleted', 'backend-a'],
      [41, 'pod.scheduled', 'backend-b'],
      [50, 'pod.ready', 'backend-b'],
    ]);
    expect(t.events[0]!.detail).toContain('Job created');
    expect(t.events[2]!.detail).toContain('Job complete');
    expect(t.events.every((e) => e.source === 'provider')).toBe(true);
  });

  it('reports a failed Job with its reason', () => {
    const t = new KubeEventTracker();
    t.startTracking();
    t.onJob('ADDED', job('b'), 1);
    t.onJob('MODIFIED', job('b', 'Failed'), 2);
    expect(t.events[1]!.detail).toBe('Job failed: BackoffLimitExceeded');
  });

  it('reports a crashed container of a baseline pod: restart with its reason, not Ready, Ready again', () => {
    const t = new KubeEventTracker();
    const withRestarts = (p: PodObject, restartCount: number, terminated?: { reason: string; exitCode: number }): PodObject => ({
      ...p, status: { ...p.status, containerStatuses: [{ name: 'backend', restartCount, ...(terminated ? { lastState: { terminated } } : {}) }] } as PodObject['status'],
    });
    t.onPod('ADDED', withRestarts(pod('backend-a', { scheduled: true, ready: true }), 0), 0);
    t.startTracking();
    t.onPod('MODIFIED', withRestarts(pod('backend-a', { scheduled: true, ready: false }), 1, { reason: 'Error', exitCode: 1 }), 10);
    t.onPod('MODIFIED', withRestarts(pod('backend-a', { scheduled: true, ready: false }), 1, { reason: 'Error', exitCode: 1 }), 11);
    t.onPod('MODIFIED', withRestarts(pod('backend-a', { scheduled: true, ready: true }), 1, { reason: 'Error', exitCode: 1 }), 20);
    expect(t.events.map((e) => [e.at, e.type, e.subject, e.detail])).toEqual([
      [10, 'container.died', 'backend-a', 'restarted (1 restarts); last termination backend: Error, exit 1'],
      [10, 'note', 'backend-a', 'pod not Ready (a container stopped or fails its readiness probe)'],
      [20, 'pod.ready', 'backend-a', 'API: ?'],
    ]);
  });
});

