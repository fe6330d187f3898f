import { describe, expect, it } from 'vitest';
import type { PodObject } from '../../kube/objects.ts';
import type { ReplicaStatus } from '../provider.ts';
import { containerIdOf, ctrTaskArgv, parseTaskList, pauseTargetOf, pausedContainers, planResume, withPauseState } from './kind-pause.ts';

const ID = 'b369a627170f9e7fa076d21cdf15bbf982532ee632ee33e34baf744820c778c2';
const OTHER = 'd1922dcaf7976beb9b069eb96436c3e4522884c3a23a0822798354d900f166db';

const pod = (statuses: NonNullable<NonNullable<PodObject['status']>['containerStatuses']>, scheduled = true): PodObject => ({
  metadata: { name: 'redis-698d49df6b-fxqd7', namespace: 'app-backend' },
  spec: scheduled ? { nodeName: 'prodlike-demo-worker' } : {},
  status: { phase: 'Running', containerStatuses: statuses },
});

describe('kind pause: container ids and ctr', () => {
  it('reads the container id of a containerd containerID, nothing else', () => {
    expect(containerIdOf(`containerd://${ID}`)).toBe(ID);
    expect(containerIdOf(`cri-o://${ID}`)).toBeUndefined();
    expect(containerIdOf('containerd://')).toBeUndefined();
    expect(containerIdOf('containerd://abc; rm -rf /')).toBeUndefined();
    expect(containerIdOf(undefined)).toBeUndefined();
  });

  it('builds the docker exec argv of ctr in the CRI namespace', () => {
    expect(ctrTaskArgv('prodlike-demo-worker', 'pause', ID)).toEqual(['exec', 'prodlike-demo-worker', 'ctr', '--namespace', 'k8s.io', 'task', 'pause', ID]);
    expect(ctrTaskArgv('prodlike-demo-worker', 'resume', ID)).toEqual(['exec', 'prodlike-demo-worker', 'ctr', '--namespace', 'k8s.io', 'task', 'resume', ID]);
    expect(ctrTaskArgv('n', 'ls')).toEqual(['exec', 'n', 'ctr', '--namespace', 'k8s.io', 'task', 'ls']);
    expect(() => ctrTaskArgv('n', 'pause')).toThrow(/needs a container id/);
  });

  it('parses `ctr task ls`', () => {
    const out = `TASK                                                                PID    STATUS    \n${ID}    1748    PAUSED\n${OTHER}    698    RUNNING\nabc 0 WEIRD\n`;
    expect([...parseTaskList(out)]).toEqual([[ID, 'PAUSED'], [OTHER, 'RUNNING'], ['abc', 'UNKNOWN']]);
    expect(parseTaskList('TASK PID STATUS\n').size).toBe(0);
  });
});

describe('kind pause: target and resume plan', () => {
  it('targets the running containers of the pod on its node', () => {
    const target = pauseTargetOf(pod([
      { name: 'redis', containerID: `containerd://${ID}`, state: { running: { startedAt: 't' } } },
      { name: 'exporter', containerID: `containerd://${OTHER}`, state: { terminated: { exitCode: 1 } } },
    ]));
    expect(target).toEqual({ pod: 'redis-698d49df6b-fxqd7', node: 'prodlike-demo-worker', containers: [ID] });
  });

  it('refuses a pod without a running container or a node', () => {
    expect(() => pauseTargetOf(pod([{ name: 'redis', state: { waiting: { reason: 'ContainerCreating' } } }]))).toThrow(/no running container to pause/);
    expect(() => pauseTargetOf(pod([{ name: 'redis', containerID: `containerd://${ID}`, state: { running: {} } }], false))).toThrow(/not scheduled on a node/);
  });

  it('resumes only what is paused; a gone container or node is a no-op', () => {
    const tasks = new Map([[ID, 'PAUSED' as const], [OTHER, 'RUNNING' as const], ['c'.repeat(64), 'STOPPED' as const]]);
    expect(planResume([ID, OTHER, 'c'.repeat(64), 'd'.repeat(64)], tasks)).toEqual({ resume: [ID], running: [OTHER], gone: ['c'.repeat(64), 'd'.repeat(64)] });
    expect(planResume([ID], undefined)).toEqual({ resume: [], running: [], gone: [ID] });
  });

  it('reports a replica with a frozen container as paused and unhealthy', () => {
    const status: ReplicaStatus = { id: 'redis-0', name: 'redis-0', health: 'healthy', state: 'Running', restarts: 0 };
    const p = pod([{ name: 'redis', containerID: `containerd://${ID}`, state: { running: {} } }]);
    const none = new Map<string, string>();
    expect(withPauseState(status, p, { paused: new Set([ID]), unreadable: none })).toEqual({ ...status, state: 'paused', health: 'unhealthy' });
    expect(withPauseState(status, p, { paused: new Set([OTHER]), unreadable: none })).toBe(status);
    // A node that could not be read is said, not taken for "nothing paused".
    expect(withPauseState(status, p, { paused: new Set(), unreadable: new Map([['prodlike-demo-worker', 'exit 1']]) }).state).toBe('Running (pause state unknown: exit 1)');
  });

  it('asks a node that fails once more, then lists it as unreadable instead of dropping it', async () => {
    const calls = new Map<string, number>();
    const flaky = async (node: string) => {
      calls.set(node, (calls.get(node) ?? 0) + 1);
      if (node === 'n1' && calls.get(node) === 1) throw new Error('timed out');
      if (node === 'n2') throw new Error('exec failed');
      return new Map([[ID, 'PAUSED' as const], [OTHER, 'RUNNING' as const]]);
    };
    const states = await pausedContainers(['n1', 'n2', 'n1'], flaky);
    expect([...states.paused]).toEqual([ID]);
    expect([...states.unreadable]).toEqual([['n2', 'exec failed']]);
    expect([...calls]).toEqual([['n1', 2], ['n2', 2]]);
  });
});
