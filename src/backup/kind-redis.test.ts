import { describe, expect, it } from 'vitest';
import { REDIS_RESTORE_SCRIPT, restorePodManifest } from './kind-redis.ts';

describe('kind Redis restore pod', () => {
  it('is admitted by Pod Security "restricted" and mounts redis-pvc', () => {
    const pod = restorePodManifest({ image: 'prodlike.local/redis:7', namespace: 'app-backend', claim: 'redis-pvc' }) as { metadata: { namespace: string }; spec: { securityContext: Record<string, unknown>; containers: { securityContext: { allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } } }[]; volumes: { persistentVolumeClaim: { claimName: string } }[] } };
    expect(pod.metadata.namespace).toBe('app-backend');
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.spec.containers[0]!.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(pod.spec.volumes[0]!.persistentVolumeClaim.claimName).toBe('redis-pvc');
    // the snapshot becomes the base of a fresh multi-part AOF; the old AOF is kept aside, never deleted first
    expect(REDIS_RESTORE_SCRIPT).toContain("'file appendonly.aof.1.base.rdb seq 1 type b\\n' > /data/appendonlydir.restore/appendonly.aof.manifest");
    expect(REDIS_RESTORE_SCRIPT.indexOf('mv /data/appendonlydir /data/appendonlydir.before-restore')).toBeLessThan(REDIS_RESTORE_SCRIPT.indexOf('mv /data/appendonlydir.restore /data/appendonlydir'));
    expect(REDIS_RESTORE_SCRIPT.split('\n')[0]).toBe('set -e');
  });
});
