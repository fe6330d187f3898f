import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client as MinioClient } from 'minio';
import { createClient } from 'redis';
import { waitFor } from '../core/wait.ts';
import { hrNow } from '../measure/clock.ts';
import type { Timeline } from '../measure/timeline.ts';
import { verifyBackup, writeChecksum, type VerifiedBackup } from '../safety/verify-backup.ts';
import { assertJobOk, sha256Of, type BackupProvider } from './common.ts';

/**
 * Redis backup and restore (document 001: Redis runs with AOF everysec; "Continuous (AOF)", RPO 1 min,
 * RTO 5 min). Backup = a BGSAVE snapshot (RDB) copied off the data volume to MinIO. Restore = the snapshot
 * put back as the base of Redis 7's multi-part AOF, because with `appendonly yes` Redis loads the AOF and
 * ignores dump.rdb: stop Redis, replace `appendonlydir/` by {base RDB + manifest}, start, wait for loading.
 */

type RedisClient = ReturnType<typeof createClient>;

async function withRedis<T>(url: string, work: (c: RedisClient) => Promise<T>): Promise<T> {
  const c = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await work(c);
  } finally {
    c.destroy();
  }
}

/**
 * The fault: FLUSHALL (an operator error; the AOF logs it too, so AOF replay alone cannot undo it), put on
 * the timeline as the fault and the destruction of the data; returns when it was issued (hrNow).
 */
export async function flushRedis(url: string, timeline: Timeline): Promise<number> {
  const faultAt = hrNow();
  await withRedis(url, (c) => c.flushAll());
  timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'redis', detail: 'FLUSHALL' });
  timeline.add({ at: faultAt, type: 'data.destroyed', source: 'harness', subject: 'redis' });
  return faultAt;
}

/** Writes `count` keys `<prefix>:<i>` with deterministic values, in pipelined batches. */
export async function seedRedis(url: string, count: number, prefix = 'seed'): Promise<void> {
  await withRedis(url, async (c) => {
    for (let i = 0; i < count; i += 500) {
      const multi = c.multi();
      for (let j = i; j < Math.min(count, i + 500); j++) multi.set(`${prefix}:${j}`, sha256Of(`${prefix}-${j}`).repeat(2));
      await multi.exec();
    }
  });
}

/** Number of keys matching `match` and a SHA-256 over the sorted `key\tvalue` lines. */
export async function redisChecksum(url: string, match = 'seed:*'): Promise<{ keys: number; sha256: string }> {
  return withRedis(url, async (c) => {
    const keys: string[] = [];
    for await (const batch of c.scanIterator({ MATCH: match, COUNT: 1000 })) keys.push(...(Array.isArray(batch) ? batch : [batch]));
    keys.sort();
    const lines: string[] = [];
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const values = await c.mGet(chunk);
      chunk.forEach((k, j) => lines.push(`${k}\t${values[j] ?? ''}`));
    }
    return { keys: keys.length, sha256: sha256Of(lines.join('\n')) };
  });
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/** BGSAVE and wait for it to finish (`rdb_saves` grows, status ok). Returns when it completed. */
export async function snapshotRedis(url: string, options: { timeoutMs?: number } = {}): Promise<{ startedAt: number; completedAt: number }> {
  return withRedis(url, async (c) => {
    const saves = Number(infoField(await c.info('persistence'), 'rdb_saves') ?? 0);
    const startedAt = hrNow();
    await c.sendCommand(['BGSAVE', 'SCHEDULE']);
    const completedAt = await waitFor(async () => {
      const info = await c.info('persistence');
      if (Number(infoField(info, 'rdb_saves') ?? 0) <= saves || infoField(info, 'rdb_bgsave_in_progress') !== '0') return undefined;
      if (infoField(info, 'rdb_last_bgsave_status') !== 'ok') throw new Error(`BGSAVE failed: rdb_last_bgsave_status=${infoField(info, 'rdb_last_bgsave_status')}`);
      return hrNow();
    }, { timeoutMs: options.timeoutMs ?? 120_000, intervalMs: 50, description: 'the Redis BGSAVE to complete' });
    return { startedAt, completedAt };
  });
}

export interface RedisBackup {
  objectName: string;
  bytes: number;
  sha256: string;
  /** The snapshot's point in time (BGSAVE completed). */
  snapshotAt: number;
}

/**
 * The backup: BGSAVE, then a job on the Redis volume copies dump.rdb to `work/` (a host folder), and the
 * host uploads it with its SHA-256 as object metadata (`redis/dump-<iso>.rdb`).
 */
export async function backupRedis(options: { provider: BackupProvider; s3: MinioClient; bucket: string; url: string; image: string; volume: string; work: string }): Promise<RedisBackup> {
  const snapshot = await snapshotRedis(options.url);
  const copy = await options.provider.runJob({
    name: 'redis-backup', image: options.image,
    command: ['sh', '-c', 'cp /data/dump.rdb /backup/dump.rdb && chmod 644 /backup/dump.rdb'],
    mounts: [{ host: options.volume, container: '/data:ro' }, { host: options.work, container: '/backup' }],
  });
  assertJobOk('redis backup job', copy);
  const file = join(options.work, 'dump.rdb');
  const sha256 = await writeChecksum(file);
  const verified = await verifyBackup(file, { sha256, gzip: false });
  const objectName = `redis/dump-${new Date(snapshot.completedAt).toISOString().replaceAll(':', '')}.rdb`;
  await options.s3.fPutObject(options.bucket, objectName, file, { 'x-amz-meta-sha256': sha256 });
  return { objectName, bytes: verified.bytes, sha256, snapshotAt: snapshot.completedAt };
}

/** Waits until Redis answers PING and has finished loading its dataset; returns when. */
export async function waitRedisReady(url: string, timeoutMs = 120_000): Promise<number> {
  return waitFor(async () => {
    try {
      return await withRedis(url, async (c) => ((await c.ping()) === 'PONG' && infoField(await c.info('persistence'), 'loading') === '0' ? hrNow() : undefined));
    } catch {
      return undefined;
    }
  }, { timeoutMs, intervalMs: 100, description: 'Redis to answer PING with its dataset loaded' });
}

/**
 * Downloads a Redis snapshot from the backup bucket into `work/restore.rdb` and verifies it against the
 * SHA-256 recorded on the object, before anything is stopped or overwritten (both providers' restores).
 */
export async function fetchVerifiedSnapshot(s3: MinioClient, bucket: string, objectName: string, work: string): Promise<{ file: string; verified: VerifiedBackup }> {
  const file = join(work, 'restore.rdb');
  await s3.fGetObject(bucket, objectName, file);
  const stat = await s3.statObject(bucket, objectName);
  const expected = stat.metaData.sha256 as string | undefined;
  if (!expected) throw new Error(`backup object ${objectName} has no sha256 metadata: refusing to restore an unverifiable backup`);
  return { file, verified: await verifyBackup(file, { sha256: expected, gzip: false }) };
}

/**
 * The restore: fetch the object, verify its SHA-256 BEFORE touching Redis, stop Redis, install the snapshot
 * as the AOF base (the old `appendonlydir/` is kept as `appendonlydir.before-restore`), start, wait ready.
 */
export async function restoreRedis(options: { provider: BackupProvider; s3: MinioClient; bucket: string; url: string; image: string; volume: string; work: string; objectName: string }): Promise<{ verified: VerifiedBackup; readyAt: number; jobMs: number }> {
  const { file, verified } = await fetchVerifiedSnapshot(options.s3, options.bucket, options.objectName, options.work);
  await copyFile(file, join(options.work, 'restore-verified.rdb'));
  await options.provider.stop('redis');
  const job = await options.provider.runJob({
    name: 'redis-restore', image: options.image,
    command: ['sh', '-c', [
      'set -e',
      'rm -rf /data/appendonlydir.restore /data/appendonlydir.before-restore',
      'mkdir /data/appendonlydir.restore',
      'cp /backup/restore-verified.rdb /data/appendonlydir.restore/appendonly.aof.1.base.rdb',
      "printf 'file appendonly.aof.1.base.rdb seq 1 type b\\n' > /data/appendonlydir.restore/appendonly.aof.manifest",
      'if [ -d /data/appendonlydir ]; then mv /data/appendonlydir /data/appendonlydir.before-restore; fi',
      'mv /data/appendonlydir.restore /data/appendonlydir',
      'cp /backup/restore-verified.rdb /data/dump.rdb',
      'chown -R redis:redis /data && chmod 700 /data/appendonlydir',
    ].join('\n')],
    mounts: [{ host: options.volume, container: '/data' }, { host: options.work, container: '/backup' }],
  });
  assertJobOk('redis restore job', job);
  await options.provider.start('redis');
  const readyAt = await waitRedisReady(options.url);
  return { verified, readyAt, jobMs: job.durationMs };
}
