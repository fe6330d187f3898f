import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1PersistentVolume, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/objects.ts';
import { expectedClaims, freshDirScript, LOCAL_PATH_DIR, reusableVolumes } from './kind-reset-volumes.ts';

const sts = {
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'postgres', namespace: 'app' },
  spec: { replicas: 2, volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { storageClassName: 'standard', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Gi' } } } }] },
} as unknown as KubeObject;
const pvcObject = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'redis-pvc', namespace: 'app' }, spec: { resources: { requests: { storage: '10Gi' } } } } as unknown as KubeObject;

const claim = (name: string, extra: { storage?: string; phase?: string; deleting?: boolean; namespace?: string } = {}): V1PersistentVolumeClaim => ({
  metadata: { name, namespace: extra.namespace ?? 'app', uid: `uid-${name}`, ...(extra.deleting ? { deletionTimestamp: new Date() } : {}) },
  spec: { storageClassName: 'standard', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: extra.storage ?? '100Gi' } }, volumeName: `pv-${name}` },
  status: { phase: extra.phase ?? 'Bound' },
});
const volume = (name: string, extra: { node?: string; path?: string; provisioner?: string; uid?: string } = {}): V1PersistentVolume => ({
  metadata: { name: `pv-${name}`, annotations: { 'pv.kubernetes.io/provisioned-by': extra.provisioner ?? 'rancher.io/local-path' } },
  spec: {
    persistentVolumeReclaimPolicy: 'Delete', claimRef: { name, namespace: 'app', uid: extra.uid ?? `uid-${name}` },
    hostPath: { path: extra.path ?? `${LOCAL_PATH_DIR}pvc-1_app_${name}` },
    nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [extra.node ?? 'w1'] }] }] } },
  },
  status: { phase: 'Bound' },
});

describe('expectedClaims', () => {
  it('names the manifests\' claims and those of the StatefulSets\' templates, one per replica', () => {
    expect([...expectedClaims([sts, pvcObject]).keys()]).toEqual(['app/data-postgres-0', 'app/data-postgres-1', 'app/redis-pvc']);
    expect(expectedClaims([sts]).get('app/data-postgres-1')).toEqual({ storageClassName: 'standard', storage: '100Gi', accessModes: ['ReadWriteOnce'] });
  });
});

describe('reusableVolumes', () => {
  const base = { expected: expectedClaims([sts, pvcObject]), nodes: ['w1', 'w2'], namespaces: ['app'] };

  it('keeps a Bound claim the manifests make again, on its local-path volume\'s node and directory', () => {
    const kept = reusableVolumes({ ...base, claims: [claim('data-postgres-0'), claim('redis-pvc', { storage: '10Gi' })], volumes: [volume('data-postgres-0', { node: 'w2' }), volume('redis-pvc')] });
    expect(kept).toEqual([
      { namespace: 'app', claim: 'data-postgres-0', node: 'w2', path: `${LOCAL_PATH_DIR}pvc-1_app_data-postgres-0` },
      { namespace: 'app', claim: 'redis-pvc', node: 'w1', path: `${LOCAL_PATH_DIR}pvc-1_app_redis-pvc` },
    ]);
  });

  it('keeps nothing the reset must delete as before', () => {
    const cases: [V1PersistentVolumeClaim, V1PersistentVolume, Partial<typeof base>?][] = [
      [claim('restore-scratch'), volume('restore-scratch')], // not in the manifests
      [claim('data-postgres-2'), volume('data-postgres-2')], // beyond the replicas
      [claim('data-postgres-0', { storage: '5Gi' }), volume('data-postgres-0')], // another size
      [claim('data-postgres-0', { phase: 'Pending' }), volume('data-postgres-0')],
      [claim('data-postgres-0', { deleting: true }), volume('data-postgres-0')],
      [claim('data-postgres-0'), volume('data-postgres-0', { provisioner: 'other.io/csi' })],
      [claim('data-postgres-0'), volume('data-postgres-0', { uid: 'someone-else' })],
      [claim('data-postgres-0'), volume('data-postgres-0', { path: '/var/lib/other/x' })],
      [claim('data-postgres-0'), volume('data-postgres-0', { path: `${LOCAL_PATH_DIR}../etc` })],
      [claim('data-postgres-0'), volume('data-postgres-0', { path: `${LOCAL_PATH_DIR}a/b` })],
      [claim('data-postgres-0'), volume('data-postgres-0', { node: 'elsewhere' })],
      [claim('data-postgres-0'), volume('data-postgres-0'), { namespaces: ['other'] }],
    ];
    for (const [c, v, extra] of cases) expect(reusableVolumes({ ...base, ...extra, claims: [c], volumes: [v] }), c.metadata?.name).toEqual([]);
    expect(reusableVolumes({ ...base, claims: [claim('data-postgres-0')], volumes: [] })).toEqual([]);
  });
});

describe('freshDirScript', () => {
  it('gives each directory a new empty one and removes the old one and an earlier reset\'s leftovers', async () => {
    const root = await mkdtemp(join(tmpdir(), 'fresh-dir-'));
    const dir = join(root, 'pvc-1');
    await mkdir(join(dir, 'pgdata'), { recursive: true });
    await writeFile(join(dir, 'pgdata', 'PG_VERSION'), '17');
    await mkdir(`${dir}.prodlike-old-0000`);
    const absent = join(root, 'pvc-2');
    await promisify(execFile)('sh', ['-c', freshDirScript('abcd'), 'sh', dir, absent]);
    expect((await readdir(root)).sort()).toEqual(['pvc-1', 'pvc-2']);
    expect(await readdir(dir)).toEqual([]);
    expect((await stat(dir)).mode & 0o777).toBe(0o777);
  });
});
