import { describe, expect, it } from 'vitest';
import { isolatedForIngress, selectorMatches } from '../providers/kind/policy-isolation.ts';
import { ownLabels } from '../safety/ownership.ts';
import { minioAddress, WAL_HELPER_CTL, walHelperObjects, walHelperScript, type WalHelperSpec } from './kind-wal.ts';
import { pitrRestoreScript, recoveryLogLines, walShipperScript } from './wal-archive.ts';

const spec: WalHelperSpec = {
  env: 'walk', namespace: 'app-backend', claim: 'postgres-data-postgres-0', image: 'prodlike.local/minio:dev', uid: 999, gid: 999,
  minio: { namespace: 'app-backend', service: 'minio-service', port: 9000, selector: { app: 'minio' } }, minioIsolated: true,
  mcHost: 'http://k:s@minio-service.app-backend.svc.cluster.local:9000', bucket: 'backups', intervalSeconds: 1,
};
interface Policy { podSelector: { matchLabels: Record<string, string> }; egress: { to: { namespaceSelector?: unknown; podSelector: { matchLabels: Record<string, string> } }[] }[]; ingress: { from: { namespaceSelector?: unknown; podSelector: { matchLabels: Record<string, string> } }[] }[] }
interface PodSpec { volumes: unknown[]; securityContext: unknown; containers: { securityContext: unknown; envFrom: { secretRef: { name: string } }[]; command: string[] }[] }
type Obj = { kind: string; metadata: { name: string; namespace: string; labels: Record<string, string> }; spec: Policy & PodSpec; stringData?: Record<string, string> };

describe('walHelperObjects', () => {
  const objects = walHelperObjects(spec) as unknown as Obj[];
  const pod = objects.find((o) => o.kind === 'Pod')!;
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');

  it('every object carries the environment\'s ownership labels; the pod is applied last', () => {
    for (const o of objects) expect(o.metadata.labels).toMatchObject(ownLabels('walk'));
    expect(objects.map((o) => o.kind)).toEqual(['Secret', 'NetworkPolicy', 'NetworkPolicy', 'Pod']);
  });

  it('the pod mounts PostgreSQL\'s claim as PostgreSQL\'s user under Pod Security "restricted", the mc alias from the Secret, never in argv', () => {
    expect(pod.spec.volumes).toEqual([{ name: 'pgvol', persistentVolumeClaim: { claimName: 'postgres-data-postgres-0' } }]);
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } });
    const c = pod.spec.containers[0];
    expect(c!.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c!.envFrom[0]!.secretRef.name).toBe(objects[0]!.metadata.name);
    expect(objects[0]!.stringData).toEqual({ MC_HOST_backup: spec.mcHost });
    expect(JSON.stringify(c!.command)).not.toContain('k:s@');
  });

  it('the policies admit the helper (and nothing else) to MinIO\'s port, both ways, and to the cluster DNS, without touching the documented ones', () => {
    const [egress, ingress] = policies;
    expect(selectorMatches(egress!.spec.podSelector, pod.metadata.labels)).toBe(true);
    expect(egress!.spec.egress).toEqual([
      { to: [{ podSelector: { matchLabels: { app: 'minio' } } }], ports: [{ protocol: 'TCP', port: 9000 }] },
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
    ]);
    expect(ingress!.spec.podSelector).toEqual({ matchLabels: { app: 'minio' } });
    expect(selectorMatches(ingress!.spec.ingress[0]!.from[0]!.podSelector, pod.metadata.labels)).toBe(true);
    expect(selectorMatches(ingress!.spec.ingress[0]!.from[0]!.podSelector, { app: 'backend' })).toBe(false);
    expect(isolatedForIngress(policies as never, 'app-backend', { app: 'minio' })).toBe(true);
    expect(policies.every((p) => p.metadata.name.startsWith('prodlike-'))).toBe(true);
  });

  it('adds no policy on MinIO when nothing isolates it: one would cut the application and the host off (examples/saasit)', () => {
    const open = walHelperObjects({ ...spec, minioIsolated: false }) as unknown as Obj[];
    expect(open.map((o) => o.kind)).toEqual(['Secret', 'NetworkPolicy', 'Pod']);
    expect(open.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name)).toEqual([policies[0]!.metadata.name]);
  });

  it('MinIO in another namespace: each side names the other\'s namespace', () => {
    const other = walHelperObjects({ ...spec, minio: { ...spec.minio, namespace: 'storage' } }) as unknown as Obj[];
    const [egress, ingress] = other.filter((o) => o.kind === 'NetworkPolicy');
    expect(egress!.spec.egress[0]!.to[0]!.namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'storage' } });
    expect(ingress!.metadata.namespace).toBe('storage');
    expect(ingress!.spec.ingress[0]!.from[0]!.namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'app-backend' } });
    expect(minioAddress({ ...spec.minio, namespace: 'storage' })).toBe('minio-service.storage.svc.cluster.local:9000');
  });
});

describe('the helper\'s scripts', () => {
  it('ships until stop, says it stopped, then idles for the exec steps', () => {
    const s = walHelperScript('backups', 2);
    expect(s).toContain(walShipperScript({ bucket: 'backups', intervalSeconds: 2, ctl: WAL_HELPER_CTL }));
    expect(s).toContain(`touch ${WAL_HELPER_CTL}/stopped`);
    expect(s.indexOf('stopped')).toBeLessThan(s.indexOf('while :'));
    expect(() => walShipperScript({ bucket: 'b', intervalSeconds: 0.5, ctl: '/c' })).toThrow(RangeError);
  });

  it('the restore: verified before anything is touched, recovery settings to the target, owned by PostgreSQL\'s user', () => {
    const at = Date.UTC(2026, 11, 4, 20, 30, 0, 123) + 0.456;
    const s = pitrRestoreScript({ bucket: 'backups', basePrefix: 'postgres/base/X', targetTime: at, owner: '999:999' });
    const lines = s.split('\n');
    const verify = lines.findIndex((l) => l.includes('sha256sum -c'));
    expect(verify).toBeGreaterThan(0);
    expect(verify).toBeLessThan(lines.findIndex((l) => l.includes('mv /pgvol/pgdata')));
    expect(s).toContain("recovery_target_time = '\\''2026-12-04 20:30:00.123456+00'\\''");
    expect(s).toContain('chown -R 999:999');
    expect(pitrRestoreScript({ bucket: 'b', basePrefix: 'p', owner: '70:70' })).not.toContain('recovery_target_time');
    expect(() => pitrRestoreScript({ bucket: 'b', basePrefix: 'p', owner: 'postgres' })).toThrow(RangeError);
  });

  it('the recovery log: from the last recovery start, prefixes removed', () => {
    const log = ['LOG:  starting archive recovery', 'LOG:  redo done at 0/1', 'x', '2026 UTC [1] LOG:  starting point-in-time recovery to 2026', 'LOG:  recovery stopping before commit of transaction 9', 'LOG:  selected new timeline ID: 3'].join('\n');
    expect(recoveryLogLines(log)).toEqual(['starting point-in-time recovery to 2026', 'recovery stopping before commit of transaction 9', 'selected new timeline ID: 3']);
  });
});
