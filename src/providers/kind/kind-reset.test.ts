import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects.ts';
import { resetNamespaces } from './kind-reset.ts';

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
