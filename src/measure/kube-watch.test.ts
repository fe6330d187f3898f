import { describe, expect, it } from 'vitest';
import type { EndpointSliceObject, HpaObject, PodObject } from '../kube/objects.ts';
import { HpaTracker, hpaCurrentUtilization, hpaTargetUtilization } from './kube-watch.ts';

const hpa = (cpu: number | undefined, desired: number, current = desired): HpaObject => ({
  metadata: { name: 'backend-hpa' },
  spec: { minReplicas: 2, maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }] },
  status: { currentReplicas: current, desiredReplicas: desired, currentMetrics: cpu === undefined ? null : [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: cpu } } }] },
});
const pod = (name: string, scheduled: boolean, ready: boolean): PodObject => ({
  metadata: { name },
  spec: scheduled ? { nodeName: 'worker' } : {},
  status: { conditions: [...(scheduled ? [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] : []), { type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const slice = (ready: Record<string, boolean>): EndpointSliceObject => ({
  metadata: { name: 'backend-service-abc' },
  endpoints: Object.entries(ready).map(([name, r]) => ({ conditions: { ready: r }, targetRef: { kind: 'Pod', name } })),
});

describe('HpaTracker', () => {
  it('reads target and current utilisation from an autoscaling/v2 HPA', () => {
    expect(hpaTargetUtilization(hpa(50, 2), 'cpu')).toBe(70);
    expect(hpaCurrentUtilization(hpa(50, 2), 'cpu')).toBe(50);
    expect(hpaCurrentUtilization(hpa(undefined, 2), 'cpu')).toBeUndefined();
    expect(hpaTargetUtilization(hpa(50, 2), 'memory')).toBeUndefined();
  });

  it('emits nothing for the baseline, then the scale-up sequence in order', () => {
    const t = new HpaTracker({ hpaName: 'backend-hpa', serviceName: 'backend-service' });
    t.onHpa('ADDED', hpa(5, 2), 0);
    t.onPod('ADDED', pod('a', true, true), 1);
    t.onPod('ADDED', pod('b', true, true), 2);
    t.onEndpointSlice('ADDED', slice({ a: true, b: true }), 3);
    t.startTracking();
    expect(t.events).toEqual([]);
    expect(t.readyEndpoints).toBe(2);

    t.onHpa('MODIFIED', hpa(40, 2), 10);
    t.onHpa('MODIFIED', hpa(180, 2), 20); // crossed
    t.onHpa('MODIFIED', hpa(200, 2), 25); // still above: no second crossing
    t.onHpa('MODIFIED', hpa(200, 4, 2), 30); // desired 2→4
    t.onPod('ADDED', pod('c', false, false), 31);
    t.onPod('MODIFIED', pod('c', true, false), 32);
    t.onPod('MODIFIED', pod('c', true, true), 40);
    t.onEndpointSlice('MODIFIED', slice({ a: true, b: true, c: false }), 39);
    t.onEndpointSlice('MODIFIED', slice({ a: true, b: true, c: true }), 41);

    expect(t.events.map((e) => [e.at, e.type, e.subject, e.value])).toEqual([
      [20, 'metric.crossed', 'cpu', 180],
      [30, 'hpa.desired-changed', 'backend-hpa', 4],
      [32, 'pod.scheduled', 'c', undefined],
      [40, 'pod.ready', 'c', undefined],
      [41, 'endpoint.ready', 'c', undefined],
      [41, 'replicas.changed', 'backend-service', 3],
    ]);
    expect(t.cpuPeak).toBe(200);
    expect(t.desiredReplicas).toBe(4);
    expect(t.readyPods).toBe(3);
    const names = t.series().map((s) => s.name);
    expect(names).toContain('desiredReplicas (HPA status)');
    expect(t.series().find((s) => s.name.startsWith('CPU'))!.name).toContain('target 70%');
    expect(t.series().find((s) => s.name.startsWith('ready endpoints'))!.points.map((p) => p.value)).toEqual([2, 3]);
  });

  it('a new crossing needs the CPU to drop below target first; deletions are events', () => {
    const t = new HpaTracker({ hpaName: 'h', serviceName: 's' });
    t.onHpa('ADDED', hpa(90, 2), 0); // above before tracking: baseline, no event
    t.startTracking();
    t.onHpa('MODIFIED', hpa(95, 2), 1);
    t.onHpa('MODIFIED', hpa(30, 2), 2);
    t.onHpa('MODIFIED', hpa(71, 2), 3);
    t.onPod('ADDED', pod('x', true, true), 4);
    t.onPod('DELETED', pod('x', true, true), 5);
    expect(t.events.map((e) => [e.at, e.type])).toEqual([[1, 'metric.crossed'], [3, 'metric.crossed'], [4, 'pod.scheduled'], [4, 'pod.ready'], [5, 'pod.deleted']]);
  });

  it('counts endpoints across several slices and drops a deleted slice', () => {
    const t = new HpaTracker({ hpaName: 'h', serviceName: 's' });
    t.startTracking();
    t.onEndpointSlice('ADDED', { ...slice({ a: true }), metadata: { name: 's1' } }, 1);
    t.onEndpointSlice('ADDED', { ...slice({ b: true, c: false }), metadata: { name: 's2' } }, 2);
    expect(t.readyEndpoints).toBe(2);
    t.onEndpointSlice('DELETED', { ...slice({}), metadata: { name: 's2' } }, 3);
    expect(t.readyEndpoints).toBe(1);
  });
});
