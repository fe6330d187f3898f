import { describe, expect, it } from 'vitest';
import { clusterStatusText } from '../../cli/render.ts';
import {
  clusterEvent, hpaStatus, nodeInfo, parseQuantity, partitionComment, partitionRules, pvcStatus, replicaStats, replicaStatus, rulesToDelete, sortEvents,
} from './cluster-views.ts';

describe('kind cluster views (pure)', () => {
  it('reads nodes: role from the control-plane label, Ready from the condition', () => {
    expect(nodeInfo({ metadata: { name: 'cp', labels: { 'node-role.kubernetes.io/control-plane': '' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }))
      .toEqual({ name: 'cp', role: 'control-plane', ready: true });
    expect(nodeInfo({ metadata: { name: 'w' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } })).toEqual({ name: 'w', role: 'worker', ready: false });
  });

  it('reads pods as replicas: healthy when Ready, starting while Pending, restarts summed over containers', () => {
    expect(replicaStatus({ metadata: { name: 'b-1' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'a', restartCount: 2 }, { name: 'b', restartCount: 1 }] } }))
      .toEqual({ id: 'b-1', name: 'b-1', health: 'healthy', state: 'Running', restarts: 3 });
    expect(replicaStatus({ metadata: { name: 'b-2' }, status: { phase: 'Pending', conditions: null, containerStatuses: null } })).toMatchObject({ health: 'starting', restarts: 0 });
    expect(replicaStatus({ metadata: { name: 'b-3' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } })).toMatchObject({ health: 'unhealthy', state: 'Running' });
    expect(replicaStatus({ metadata: { name: 'b-4' } })).toMatchObject({ health: 'unhealthy', state: 'Unknown', restarts: 0 });
  });

  it('types events (core/v1 and events.k8s.io shapes) and sorts them oldest first', () => {
    const a = clusterEvent({ metadata: { namespace: 'app-backend' }, involvedObject: { kind: 'Pod', name: 'p' }, type: 'Warning', reason: 'BackOff', message: 'x ', count: 3, lastTimestamp: '2026-01-01T00:00:02Z' });
    const b = clusterEvent({ metadata: { namespace: 'app-backend', creationTimestamp: '2026-01-01T00:00:00Z' }, regarding: { kind: 'Node', name: 'n' }, note: 'y', eventTime: '2026-01-01T00:00:01Z', lastTimestamp: null });
    expect(a).toEqual({ namespace: 'app-backend', object: { kind: 'Pod', name: 'p' }, type: 'Warning', reason: 'BackOff', message: 'x', count: 3, lastSeen: '2026-01-01T00:00:02Z' });
    expect(b.lastSeen).toBe('2026-01-01T00:00:01Z');
    expect(sortEvents([a, b]).map((e) => e.object.name)).toEqual(['n', 'p']);
  });

  it('reads HPAs (current/target per resource; no metrics yet = undefined) and PVCs', () => {
    const h = hpaStatus({
      metadata: { name: 'backend-hpa', namespace: 'app-backend' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'backend' }, minReplicas: 2, maxReplicas: 10, metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } },
      ] },
      status: { currentReplicas: 3, desiredReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 4 } } }] },
    });
    expect(h).toEqual({ namespace: 'app-backend', name: 'backend-hpa', target: 'deployment/backend', replicas: { current: 3, desired: 3, min: 2, max: 10 }, metrics: [{ resource: 'cpu', current: 4, target: 70 }, { resource: 'memory', current: undefined, target: 80 }] });
    const pvc = pvcStatus({ metadata: { name: 'redis-pvc', namespace: 'app-backend' }, spec: { storageClassName: 'standard' }, status: { phase: 'Bound', capacity: { storage: '10Gi' } } });
    const text = clusterStatusText({ nodes: [{ name: 'cp', role: 'control-plane', ready: true }], hpas: [h], pvcs: [pvc], notices: ['NetworkPolicies are applied but NOT enforced'] });
    expect(text).toContain('cpu 4%/70%, memory <unknown>/80%');
    expect(text).toContain('app-backend/redis-pvc');
    expect(text).toContain('⚠ NetworkPolicies are applied but NOT enforced');
  });

  it('turns metrics API pod metrics into ReplicaStats (percent of one core, working set, summed limits)', () => {
    expect(parseQuantity('250m')).toBeCloseTo(0.25);
    expect(parseQuantity('1500000n')).toBeCloseTo(0.0015);
    expect(parseQuantity('128Mi')).toBe(128 * 1024 ** 2);
    expect(parseQuantity('2Gi')).toBe(2 * 1024 ** 3);
    const stats = replicaStats(
      [{ metadata: { name: 'b-1' }, containers: [{ name: 'app', usage: { cpu: '5000000n', memory: '54000Ki' } }] }, { metadata: { name: 'other' }, containers: [] }],
      [{ metadata: { name: 'b-1' }, spec: { containers: [{ resources: { limits: { memory: '2Gi' } } }] } }],
    );
    expect(stats).toHaveLength(1);
    expect(stats[0]!.cpuPercent).toBeCloseTo(0.5);
    expect(stats[0]!).toMatchObject({ name: 'b-1', memoryBytes: 54000 * 1024, memoryLimitBytes: 2 * 1024 ** 3 });
  });

  it('partition rules carry a comment, and heal finds exactly those in `iptables -S`', () => {
    const comment = partitionComment('kindtest', 'backend');
    expect(partitionRules(['10.244.1.4'], comment)).toEqual([
      ['FORWARD', '-s', '10.244.1.4/32', '-m', 'comment', '--comment', comment, '-j', 'DROP'],
      ['FORWARD', '-d', '10.244.1.4/32', '-m', 'comment', '--comment', comment, '-j', 'DROP'],
    ]);
    const listing = [
      '-P FORWARD ACCEPT',
      '-A FORWARD -d 10.244.1.4/32 -m comment --comment "prodlike-partition:kindtest:backend" -j DROP',
      '-A FORWARD -s 10.244.2.3/32 -m comment --comment "prodlike-partition:kindtest:redis" -j DROP',
      '-A FORWARD -s 10.244.1.4/32 -m comment --comment prodlike-partition:kindtest:backend -j DROP',
      '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    ].join('\n');
    expect(rulesToDelete(listing, comment)).toEqual([
      ['FORWARD', '-d', '10.244.1.4/32', '-m', 'comment', '--comment', comment, '-j', 'DROP'],
      ['FORWARD', '-s', '10.244.1.4/32', '-m', 'comment', '--comment', comment, '-j', 'DROP'],
    ]);
  });
});
