import { formatDuration } from '../core/duration.ts';
import { hrNow } from '../measure/clock.ts';
import type { ProviderEventWatch } from '../providers/provider.ts';
import { backupStore } from './common.ts';
import { kindBackupTarget, type KindBackupTarget } from './kind-pg-dump.ts';
import { CPU_NOTE, kubeWatch, requiredGuard, type KubeProvider } from './kind-pg-dump-procedure.ts';
import { backupRedisOnKind, restoreRedisOnKind } from './kind-redis.ts';
import type { ProcedureContext, RedisSnapshotProcedure, StoredBackup } from './procedure.ts';
import { flushRedis } from './redis-backup.ts';

/**
 * Document 001 §3 on kind: BGSAVE, dump.rdb read out of the Redis pod (the document uses `kubectl cp
 * redis-0:/data/dump.rdb`; Redis is a Deployment, its pod is found by label) to MinIO with its SHA-256;
 * FLUSHALL behind the ownership guard; restore with Redis scaled to 0 and a restore pod writing the snapshot
 * into redis-pvc as the AOF base.
 */
export class KindRedisProcedure implements RedisSnapshotProcedure {
  readonly title = 'Redis: BGSAVE snapshot to MinIO, FLUSHALL, restore (kind)';
  readonly #ctx: ProcedureContext;
  readonly #provider: KubeProvider;
  readonly #target: KindBackupTarget;
  #watch: { errors: () => string[] } | undefined;
  #backup: (StoredBackup & { snapshotAt: number; pod: string; image: string; claim: string }) | undefined;
  #restore: { readyAt: number; podMs: number } | undefined;

  constructor(ctx: ProcedureContext, provider: KubeProvider) {
    this.#ctx = ctx;
    this.#provider = provider;
    this.#target = kindBackupTarget(ctx.config, 'redis', { kubectl: provider.kubectl, guard: requiredGuard(ctx) });
  }

  async watch(): Promise<ProviderEventWatch> {
    const watch = await kubeWatch(this.#provider, this.#target, '');
    this.#watch = watch;
    return watch;
  }

  async backup(url: string): Promise<StoredBackup & { snapshotAt: number }> {
    const { timeline } = this.#ctx;
    const s3 = await backupStore(this.#provider, this.#ctx.secrets, this.#ctx.config.backup.bucket);
    const startedAt = hrNow();
    timeline.add({ at: startedAt, type: 'backup.started', source: 'harness', subject: 'redis' });
    const backup = await backupRedisOnKind(this.#target, { s3, url, work: this.#ctx.work });
    timeline.add({ at: backup.snapshotAt, type: 'note', source: 'harness', subject: 'redis', detail: 'BGSAVE completed (the recovery point)' });
    const completedAt = hrNow();
    timeline.add({ at: completedAt, type: 'backup.completed', source: 'harness', subject: 'redis', detail: `${backup.objectName}, ${backup.bytes} bytes (from pod ${backup.pod})` });
    this.#backup = { ...backup, startedAt, completedAt, bucket: this.#ctx.config.backup.bucket };
    return this.#backup;
  }

  async destroy(url: string): Promise<number> {
    await this.#target.guard('FLUSHALL', 'redis');
    return flushRedis(url, this.#ctx.timeline);
  }

  async restore(url: string): Promise<{ readyAt: number }> {
    const backup = this.#required();
    const s3 = await backupStore(this.#provider, this.#ctx.secrets, this.#ctx.config.backup.bucket);
    this.#ctx.timeline.mark('restore.started', 'harness', { subject: 'redis' });
    this.#restore = await restoreRedisOnKind(this.#target, { s3, url, work: this.#ctx.work, objectName: backup.objectName, image: backup.image, claim: backup.claim, scaleRedis: (n) => this.#provider.scale('redis', n) });
    return this.#restore;
  }

  async cleanup(): Promise<void> {}

  notes(r: { seedLine: string; faultAt: number }): string[] {
    const b = this.#required();
    const errors = this.#watch?.errors() ?? [];
    return [
      r.seedLine,
      `backup ${formatDuration(b.completedAt - b.startedAt)}: snapshot ${b.bytes} bytes read out of pod ${b.pod}, verified by SHA-256 before Redis was scaled to 0; restore pod on redis-pvc ${formatDuration(this.#restore?.podMs ?? NaN)}; Redis ready ${this.#restore ? formatDuration(this.#restore.readyAt - r.faultAt) : '?'} after the flush`,
      'Document 001 §3 as written: `kubectl exec redis-0 -- redis-cli SAVE` and `kubectl cp <namespace>/redis-0:/data/dump.rdb`; Redis is a Deployment (no pod redis-0), and with appendonly yes a copied-back dump.rdb is ignored at start (the AOF wins): the snapshot has to become the AOF base.',
      'The RPO of a snapshot design is the snapshot interval: the measured value is the time between this run\'s snapshot and the flush. Document 001\'s 1 min RPO ("Continuous (AOF)") holds for a crash, not for a FLUSHALL, which the AOF replays too.',
      ...(errors.length ? [`Kubernetes watch errors: ${errors.join('; ')}`] : []),
      CPU_NOTE,
    ];
  }

  #required(): StoredBackup & { snapshotAt: number; pod: string; image: string; claim: string } {
    if (!this.#backup) throw new Error('the Redis backup has not run yet');
    return this.#backup;
  }
}
