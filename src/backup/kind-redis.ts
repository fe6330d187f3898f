import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Client as MinioClient } from 'minio';
import { waitFor } from '../core/wait.ts';
import { kubectlStream } from '../kube/kubectl.ts';
import { verifyBackup, writeChecksum, type VerifiedBackup } from '../safety/verify-backup.ts';
import { rolePod, type KindBackupTarget } from './kind-pg-dump.ts';
import { fetchVerifiedSnapshot, snapshotRedis, waitRedisReady, type RedisBackup } from './redis-backup.ts';

/**
 * Redis backup and restore on the kind provider. Document 001 §3 backs up with `redis-cli SAVE` in the pod
 * and `kubectl cp <namespace>/redis-0:/data/dump.rdb`; Redis is a Deployment there (no pod `redis-0`), so the
 * pod is looked up by its label. Backup = BGSAVE + dump.rdb read out of the pod + uploaded to MinIO with its
 * SHA-256. Restore = the same as on docker (src/backup/redis-backup.ts): with `appendonly yes` Redis loads the
 * AOF and ignores dump.rdb, so the snapshot becomes the base of a fresh multi-part AOF, written into redis-pvc
 * by a short-lived pod while the Deployment is scaled to 0.
 */

export const REDIS_RESTORE_POD = 'redis-restore';

/** The script run in the restore pod: the verified snapshot (already at /data/restore.rdb) as the AOF base. */
export const REDIS_RESTORE_SCRIPT = [
  'set -e',
  'rm -rf /data/appendonlydir.restore /data/appendonlydir.before-restore',
  'mkdir /data/appendonlydir.restore',
  'cp /data/restore.rdb /data/appendonlydir.restore/appendonly.aof.1.base.rdb',
  "printf 'file appendonly.aof.1.base.rdb seq 1 type b\\n' > /data/appendonlydir.restore/appendonly.aof.manifest",
  'if [ -d /data/appendonlydir ]; then mv /data/appendonlydir /data/appendonlydir.before-restore; fi',
  'mv /data/appendonlydir.restore /data/appendonlydir',
  'mv /data/restore.rdb /data/dump.rdb',
  'chmod 700 /data/appendonlydir',
].join('\n');

/** A pod that mounts redis-pvc and idles, admitted by Pod Security "restricted" (the Redis pod's own identity). */
export function restorePodManifest(options: { image: string; namespace: string; claim: string; name?: string }): object {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: options.name ?? REDIS_RESTORE_POD, namespace: options.namespace, labels: { app: 'redis-restore', 'app.kubernetes.io/part-of': 'prodlike', 'app.kubernetes.io/managed-by': 'prodlike' } },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'restore', image: options.image, imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done'],
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '200m', memory: '256Mi' } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: options.claim } }],
    },
  };
}

type KubectlLike = KindBackupTarget['kubectl'];

/** Runs kubectl with a binary stdin and/or stdout file (kubectl exec -i … / cat). */
async function kubectlFiles(kubectl: KubectlLike, args: string[], io: { stdinFile?: string; stdoutFile?: string; timeoutMs?: number }): Promise<void> {
  const r = await kubectlStream(kubectl, args, {
    ...(io.stdinFile ? { stdin: createReadStream(io.stdinFile) } : {}),
    ...(io.stdoutFile ? { stdout: createWriteStream(io.stdoutFile) } : {}),
    timeoutMs: io.timeoutMs ?? 5 * 60_000,
    allowFailure: true,
  });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.exitCode}: ${r.stderr.trim().split('\n').slice(-10).join('\n')}`);
}

/** BGSAVE (through the probe NodePort), then dump.rdb read out of the Redis pod and uploaded with its SHA-256. */
export async function backupRedisOnKind(t: KindBackupTarget, options: { s3: MinioClient; url: string; work: string }): Promise<RedisBackup & { pod: string; image: string; claim: string }> {
  const ns = t.namespace;
  await t.guard('copy dump.rdb out of the Redis pod', 'redis');
  const snapshot = await snapshotRedis(options.url);
  // The Redis container (the one serving the role's port) and the claim it keeps /data on (redis-pvc in document 001).
  const pod = await rolePod(t, '/data');
  if (!pod.claim) throw new Error(`the Redis pod ${pod.name} keeps no PersistentVolumeClaim at /data: a snapshot restore needs Redis's data on a volume that outlives the pod`);
  const file = join(options.work, 'dump.rdb');
  await kubectlFiles(t.kubectl, ['-n', ns, 'exec', pod.name, '-c', pod.container, '--', 'cat', '/data/dump.rdb'], { stdoutFile: file });
  const sha256 = await writeChecksum(file);
  const verified = await verifyBackup(file, { sha256, gzip: false });
  const objectName = `redis/dump-${new Date(snapshot.completedAt).toISOString().replaceAll(':', '')}.rdb`;
  await options.s3.fPutObject(t.bucket, objectName, file, { 'x-amz-meta-sha256': sha256 });
  return { objectName, bytes: verified.bytes, sha256, snapshotAt: snapshot.completedAt, pod: pod.name, image: pod.image, claim: pod.claim };
}

/**
 * Fetch + verify the snapshot BEFORE touching Redis; `scaleRedis(0)`; a restore pod on redis-pvc receives the
 * file and installs it as the AOF base; the pod is deleted; `scaleRedis(1)`; waits until Redis has loaded it.
 * `scaleRedis` is the scenario's (registered, guarded) provider.scale.
 */
export async function restoreRedisOnKind(t: KindBackupTarget, options: { s3: MinioClient; url: string; work: string; objectName: string; image: string; claim: string; scaleRedis: (n: number) => Promise<void> }): Promise<{ verified: VerifiedBackup; readyAt: number; podMs: number }> {
  const ns = t.namespace;
  const { file, verified } = await fetchVerifiedSnapshot(options.s3, t.bucket, options.objectName, options.work);
  await t.guard(`restore ${options.claim}`, 'redis');
  await options.scaleRedis(0);
  // Scaled to 0 is not gone: a terminating Redis still writes dump.rdb and the AOF on SIGTERM. Wait until no pod is left.
  await waitFor(async () => ((await t.kubectl.json<{ items: unknown[] }>(['-n', ns, 'get', 'pods', '-l', t.selector])).items.length === 0 ? true : undefined), { timeoutMs: 120_000, intervalMs: 250, description: 'the Redis pod to be gone' });
  const podStarted = performance.now();
  await t.kubectl.run(['-n', ns, 'delete', 'pod', REDIS_RESTORE_POD, '--ignore-not-found', '--wait=true'], { allowFailure: true });
  await t.kubectl.run(['apply', '-f', '-'], { input: JSON.stringify(restorePodManifest({ image: options.image, namespace: ns, claim: options.claim })) });
  try {
    await t.kubectl.run(['-n', ns, 'wait', '--for=condition=Ready', `pod/${REDIS_RESTORE_POD}`, '--timeout=180s'], { timeoutMs: 200_000 });
    await kubectlFiles(t.kubectl, ['-n', ns, 'exec', '-i', REDIS_RESTORE_POD, '-c', 'restore', '--', 'sh', '-c', 'cat > /data/restore.rdb'], { stdinFile: file });
    const check = await t.kubectl.run(['-n', ns, 'exec', REDIS_RESTORE_POD, '-c', 'restore', '--', 'sh', '-c', 'wc -c < /data/restore.rdb'], { timeoutMs: 30_000 });
    if (Number(check.stdout.trim()) !== verified.bytes) throw new Error(`restore.rdb in the pod has ${check.stdout.trim()} bytes, the verified snapshot ${verified.bytes}`);
    await t.kubectl.run(['-n', ns, 'exec', REDIS_RESTORE_POD, '-c', 'restore', '--', 'sh', '-c', REDIS_RESTORE_SCRIPT], { timeoutMs: 60_000 });
  } finally {
    await t.kubectl.run(['-n', ns, 'delete', 'pod', REDIS_RESTORE_POD, '--ignore-not-found', '--wait=true', '--grace-period=0', '--force'], { allowFailure: true, timeoutMs: 120_000 });
  }
  const podMs = performance.now() - podStarted;
  await options.scaleRedis(1);
  const readyAt = await waitFor(async () => (await waitRedisReady(options.url, 5_000).catch(() => undefined)), { timeoutMs: 180_000, intervalMs: 200, description: 'Redis to be ready on the restored snapshot' });
  return { verified, readyAt, podMs };
}
