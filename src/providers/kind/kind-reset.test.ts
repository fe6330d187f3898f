import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects.ts';
import type { Kubectl } from '../../kube/kubectl.ts';
import { emptyNamespaces, resetNamespaces, type NamespaceApi } from './kind-reset.ts';

const obj = (kind: string, name: string, namespace?: string): KubeObject => ({ apiVersion: 'v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) } }) as KubeObject;

describe('resetNamespaces', () => {
  it('removes the namespaces the manifests create or use, and prodlike\'s own; keeps the cluster\'s', () => {
    const objects = [obj('Namespace', 'team-api'), obj('Deployment', 'api', 'team-api'), obj('Service', 'db', 'team-data'), obj('ConfigMap', 'dns', 'kube-system'), obj('ClusterRole', 'reader'), obj('Deployment', 'x', 'default')];
    expect(resetNamespaces(objects, ['prodlike-load'])).toEqual({ remove: ['prodlike-load', 'team-api', 'team-data'], kept: ['default', 'kube-system'] });
  });

  it('names nothing for manifests without namespaced objects', () => {
    expect(resetNamespaces([obj('ClusterRole', 'reader')])).toEqual({ remove: [], kept: [] });
  });
});

describe('emptyNamespaces', () => {
  /** A cluster of namespaces with objects; deletes are recorded, and a deleted controller is gone from the next poll on. */
  const fake = (objects: Record<string, string[]>, options: { podsComeBackOnce?: string } = {}) => {
    const calls: string[] = [];
    const state = Object.fromEntries(Object.entries(objects).map(([ns, items]) => [ns, [...items]]));
    let reborn = false;
    const api: NamespaceApi = {
      namespaces: async () => Object.keys(state),
      deleteControllers: async (ns) => {
        calls.push(`controllers ${ns}`);
        state[ns] = state[ns]!.filter((i) => i.startsWith('Pod/') || i.startsWith('PersistentVolumeClaim/'));
      },
      deletePods: async (ns) => {
        calls.push(`pods ${ns}`);
        state[ns] = state[ns]!.filter((i) => !i.startsWith('Pod/'));
        if (ns === options.podsComeBackOnce && !reborn) {
          reborn = true;
          state[ns]!.push('Pod/late');
        }
      },
      deleteTypes: async (ns, types, keep = []) => {
        calls.push(`types ${ns} ${types.join(',')}${keep.length ? ` keeping ${keep.join(',')}` : ''}`);
        if (types.includes('persistentvolumeclaims')) state[ns] = state[ns]!.filter((i) => !i.startsWith('PersistentVolumeClaim/') || keep.includes(i.slice('PersistentVolumeClaim/'.length)));
        return types.filter((t) => t.endsWith('.example.com'));
      },
      left: async (ns, keep = []) => state[ns]!.filter((i) => !keep.includes(i.slice('PersistentVolumeClaim/'.length))),
    };
    const kubectl = {
      kubeConfig: () => { throw new Error('not used with an api'); },
      run: async (args: string[]) => {
        if (args[0] === 'api-resources') return { exitCode: 0, stdout: 'pods\nconfigmaps\npersistentvolumeclaims\ndeployments.apps\nevents\nwidgets.example.com\n', stderr: '', durationMs: 1 };
        calls.push(`kubectl ${args.join(' ')}`);
        return { exitCode: 0, stdout: '', stderr: '', durationMs: 1 };
      },
    } as unknown as Kubectl;
    return { api, kubectl, calls, state };
  };

  it('deletes controllers before pods and the other types, leaves to kubectl the types without a call, and returns once nothing is left', async () => {
    const { api, kubectl, calls, state } = fake({ 'team-api': ['Deployment/api', 'ReplicaSet/api-1', 'Pod/api-1-x', 'PersistentVolumeClaim/data'], other: ['Pod/keep'] });
    expect(await emptyNamespaces(kubectl, ['team-api', 'absent'], { api, intervalMs: 1 })).toEqual(['team-api']);
    expect(calls.indexOf('controllers team-api')).toBeLessThan(calls.indexOf('pods team-api'));
    expect(calls.indexOf('controllers team-api')).toBeLessThan(calls.indexOf('types team-api configmaps,persistentvolumeclaims,widgets.example.com'));
    expect(calls).toContain('kubectl -n team-api delete widgets.example.com --all --wait=false');
    expect(calls.some((c) => c.includes('other'))).toBe(false);
    expect(state['team-api']).toEqual([]);
    expect(state.other).toEqual(['Pod/keep']);
  });

  it('keeps the claims of keepClaims, and waits for nothing of them', async () => {
    const { api, kubectl, calls, state } = fake({ 'team-api': ['StatefulSet/db', 'Pod/db-0', 'PersistentVolumeClaim/data-db-0', 'PersistentVolumeClaim/scratch'], other: ['PersistentVolumeClaim/data-db-0'] });
    await emptyNamespaces(kubectl, ['team-api', 'other'], { api, intervalMs: 1, keepClaims: ['team-api/data-db-0'] });
    expect(calls).toContain('types team-api configmaps,persistentvolumeclaims,widgets.example.com keeping data-db-0');
    expect(calls).toContain('types other configmaps,persistentvolumeclaims,widgets.example.com');
    expect(state['team-api']).toEqual(['PersistentVolumeClaim/data-db-0']);
    expect(state.other).toEqual([]);
  });

  it('deletes a pod that appears after the first delete again', async () => {
    const { api, kubectl, calls, state } = fake({ ns: ['Job/restore', 'Pod/restore-x'] }, { podsComeBackOnce: 'ns' });
    await emptyNamespaces(kubectl, ['ns'], { api, intervalMs: 1 });
    expect(calls.filter((c) => c === 'pods ns')).toHaveLength(2);
    expect(state.ns).toEqual([]);
  });

  it('names nothing when none of the namespaces exists', async () => {
    const { api, kubectl, calls } = fake({ other: ['Pod/x'] });
    expect(await emptyNamespaces(kubectl, ['gone'], { api, intervalMs: 1 })).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('times out naming what is left', async () => {
    const { api, kubectl } = fake({ ns: ['Pod/x'] });
    const stuck: NamespaceApi = { ...api, deletePods: async () => undefined, left: async () => ['PersistentVolumeClaim/held'] };
    await expect(emptyNamespaces(kubectl, ['ns'], { api: stuck, intervalMs: 1, timeoutMs: 20 })).rejects.toThrow(/namespaces ns to be emptied/);
  });
});
