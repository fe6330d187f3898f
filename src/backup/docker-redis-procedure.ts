import { formatDuration } from '../core/duration.ts';
import { hrNow } from '../measure/clock.ts';
import type { ProviderEventWatch } from '../providers/provider.ts';
import { backupStore, dataVolume } from './common.ts';
import { providerWatch, type DockerDumpProvider } from './docker-pg-dump-procedure.ts';
import type { ProcedureContext, RedisSnapshotProcedure, StoredBackup } from './procedure.ts';
import { backupRedis, flushRedis, restoreRedis, type RedisBackup } from './redis-backup.ts';

/**
 * Document 001 §3 on the docker provider: BGSAVE, dump.rdb copied off the Redis volume by a job container
 * to MinIO with its SHA-256; FLUSHALL; restore: fetch + verify the snapshot, stop Redis, install it as the
 * AOF base on the volume, start Redis.
 */
export class DockerRedisProcedure implements RedisSnapshotProcedure {
  readonly title = 'Redis: BGSAVE snapshot to MinIO, FLUSHALL, restore';
  readonly #ctx: ProcedureContext;
  readonly #provider: DockerDumpProvider;
  #backup: RedisBackup | undefined;
  #restore: { readyAt: number; jobMs: number } | undefined;

  constructor(ctx: ProcedureContext, provider: DockerDumpProvider) {
    this.#ctx = ctx;
    this.#provider = provider;
  }

  watch(): Promise<ProviderEventWatch> {
    return providerWatch(this.#provider);
  }

  async backup(url: string): Promise<StoredBackup & { snapshotAt: number }> {
    const { timeline } = this.#ctx;
    const images = await this.#ctx.images();
    const s3 = await backupStore(this.#provider, this.#ctx.secrets, this.#ctx.config.backup.bucket);
    const startedAt = hrNow();
    timeline.add({ at: startedAt, type: 'backup.started', source: 'harness', subject: 'redis' });
    const backup = await backupRedis({ provider: this.#provider, bucket: this.#ctx.config.backup.bucket, s3, url, image: images.redis, volume: dataVolume(this.#ctx.config.name, 'redis'), work: this.#ctx.work });
    timeline.add({ at: backup.snapshotAt, type: 'note', source: 'harness', subject: 'redis', detail: 'BGSAVE completed (the recovery point)' });
    const completedAt = hrNow();
    timeline.add({ at: completedAt, type: 'backup.completed', source: 'harness', subject: 'redis', detail: `${backup.objectName}, ${backup.bytes} bytes` });
    this.#backup = backup;
    return { ...backup, startedAt, completedAt, bucket: this.#ctx.config.backup.bucket };
  }

  async destroy(url: string): Promise<number> {
    return flushRedis(url, this.#ctx.timeline);
  }

  async restore(url: string): Promise<{ readyAt: number }> {
    const backup = this.#required();
    const images = await this.#ctx.images();
    const s3 = await backupStore(this.#provider, this.#ctx.secrets, this.#ctx.config.backup.bucket);
    this.#ctx.timeline.add({ at: hrNow(), type: 'restore.started', source: 'harness', subject: 'redis' });
    this.#restore = await restoreRedis({ provider: this.#provider, bucket: this.#ctx.config.backup.bucket, s3, url, image: images.redis, volume: dataVolume(this.#ctx.config.name, 'redis'), work: this.#ctx.work, objectName: backup.objectName });
    return this.#restore;
  }

  async cleanup(): Promise<void> {}

  notes(r: { seedLine: string; faultAt: number }): string[] {
    const backup = this.#required();
    return [
      r.seedLine,
      `snapshot ${backup.bytes} bytes, verified by SHA-256 before Redis was stopped; restore job ${formatDuration(this.#restore?.jobMs ?? NaN)}; Redis ready ${this.#restore ? formatDuration(this.#restore.readyAt - r.faultAt) : '?'} after the flush`,
      'The RPO of a snapshot design is the snapshot interval: the measured value is the time between this run\'s snapshot and the flush. Document 001\'s 1 min RPO ("Continuous (AOF)") holds for a crash (AOF everysec, see failover.redis-crash), not for a FLUSHALL, which the AOF replays too: meeting it for operator errors needs a snapshot to MinIO at least every minute.',
    ];
  }

  #required(): RedisBackup {
    if (!this.#backup) throw new Error('the Redis backup has not run yet');
    return this.#backup;
  }
}
