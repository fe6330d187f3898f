import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { formatDuration } from '../core/duration.ts';
import { hrNow } from '../measure/clock.ts';
import type { Provider, ProviderEventWatch, SupportsScale } from '../providers/provider.ts';
import { canWatchEvents } from '../providers/provider.ts';
import { verifyBackup, writeChecksum } from '../safety/verify-backup.ts';
import { backupStore, type BackupProvider } from './common.ts';
import type { PostgresDumpProcedure, ProcedureContext, StoredBackup } from './procedure.ts';

/** The provider this procedure runs on: job containers, exec, lifecycle, endpoints (canBackup) and scaling. */
export type DockerDumpProvider = Provider & BackupProvider & SupportsScale;

/** The provider's own event watch (docker: the environment's containers), or none. */
export function providerWatch(provider: Provider): Promise<ProviderEventWatch> {
  return canWatchEvents(provider) ? provider.watchEvents() : Promise.resolve({ stop: async () => [] });
}

/**
 * Document 001's PostgreSQL backup on the docker provider: `pg_dump | gzip` by a job container on the
 * environment network (what the backup CronJob's pod, `backup.postgres.cronJob`, does on kind), uploaded to MinIO with its
 * SHA-256; the database dropped; the restore procedure: fetch + verify the backup BEFORE anything else, the
 * app scaled to 0, the database recreated, the dump restored by a job container (ON_ERROR_STOP), app back up.
 */
export class DockerPgDumpProcedure implements PostgresDumpProcedure {
  readonly title = 'PostgreSQL: backup to MinIO, destroy, documented restore';
  readonly #ctx: ProcedureContext;
  readonly #provider: DockerDumpProvider;
  #backup: (StoredBackup & { sha256: string }) | undefined;
  #verifiedMs = 0;
  #restoreMs = 0;
  #backendReplicas = 1;

  constructor(ctx: ProcedureContext, provider: DockerDumpProvider) {
    this.#ctx = ctx;
    this.#provider = provider;
  }

  watch(): Promise<ProviderEventWatch> {
    return providerWatch(this.#provider);
  }

  async backup(): Promise<StoredBackup> {
    const { timeline, work, secrets } = this.#ctx;
    const images = await this.#ctx.images();
    const startedAt = hrNow();
    timeline.add({ at: startedAt, type: 'backup.started', source: 'harness', subject: 'postgres' });
    const dump = await this.#provider.runJob({
      name: 'pg-dump', image: images.postgres,
      // No pipe: a failing pg_dump must fail the job (POSIX sh has no pipefail; the official image is alpine).
      command: ['sh', '-c', 'pg_dump --clean --if-exists -f /backup/postgres.sql && gzip -f /backup/postgres.sql'],
      env: { ...this.#pgEnv(), PGPASSWORD: secrets.postgresPassword }, mounts: [{ host: work, container: '/backup' }],
    });
    if (dump.exitCode !== 0) throw new Error(`backup job failed (exit ${dump.exitCode}): ${dump.logs}`);
    const file = join(work, 'postgres.sql.gz');
    const sha256 = await writeChecksum(file);
    const s3 = await backupStore(this.#provider, secrets, this.#ctx.config.backup.bucket);
    const objectName = `postgres/backup-${new Date().toISOString().slice(0, 10)}-${Date.now()}.sql.gz`;
    await s3.fPutObject(this.#ctx.config.backup.bucket, objectName, file, { 'x-amz-meta-sha256': sha256 });
    const completedAt = hrNow();
    const bytes = (await stat(file)).size;
    timeline.add({ at: completedAt, type: 'backup.completed', source: 'harness', subject: 'postgres', detail: `${bytes} bytes, sha256 ${sha256.slice(0, 12)}…` });
    this.#backup = { startedAt, completedAt, bucket: this.#ctx.config.backup.bucket, objectName, bytes, sha256 };
    return this.#backup;
  }

  /** libpq's environment for a job on the environment network: the configured Service, port, user and database. */
  #pgEnv(): Record<string, string> {
    const [host, port] = this.#provider.jobAddress('postgres').split(':') as [string, string];
    return { PGHOST: host, PGPORT: port, PGUSER: this.#ctx.config.database.user, PGDATABASE: this.#ctx.config.database.name };
  }

  async destroy(): Promise<number> {
    const faultAt = hrNow();
    const admin = new pg.Client({ ...this.#ctx.postgres, database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE ${this.#ctx.config.database.name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
    this.#ctx.timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'postgres', detail: `DROP DATABASE ${this.#ctx.config.database.name} WITH (FORCE)` });
    return faultAt;
  }

  async restore(): Promise<{ counts?: Record<string, number> }> {
    const backup = this.#required();
    const { work, secrets } = this.#ctx;
    const s3 = await backupStore(this.#provider, secrets, this.#ctx.config.backup.bucket);
    const file = join(work, 'restore.sql.gz');
    await s3.fGetObject(backup.bucket, backup.objectName, file);
    const stored = await s3.statObject(backup.bucket, backup.objectName);
    this.#verifiedMs = (await verifyBackup(file, { sha256: stored.metaData.sha256 ?? backup.sha256 })).durationMs;
    this.#backendReplicas = await this.#provider.replicas('backend');
    await this.#provider.scale('worker', 0);
    await this.#provider.scale('backend', 0);
    const admin = new pg.Client({ ...this.#ctx.postgres, database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${this.#ctx.config.database.name}`);
    } finally {
      await admin.end();
    }
    const images = await this.#ctx.images();
    const restore = await this.#provider.runJob({
      name: 'postgres-restore', image: images.postgres,
      command: ['sh', '-c', 'gunzip -c /backup/restore.sql.gz | psql -v ON_ERROR_STOP=1 -q'],
      env: { ...this.#pgEnv(), PGPASSWORD: secrets.postgresPassword }, mounts: [{ host: work, container: '/backup' }],
    });
    if (restore.exitCode !== 0) throw new Error(`restore job failed (exit ${restore.exitCode}): ${restore.logs}`);
    this.#restoreMs = restore.durationMs;
    return {};
  }

  async resume(): Promise<void> {
    await this.#provider.scale('backend', this.#backendReplicas);
    await this.#provider.scale('worker', 1);
  }

  async cleanup(): Promise<void> {}

  backupSummary(): string {
    const b = this.#required();
    return `backup ${formatDuration(b.completedAt - b.startedAt)}, ${b.bytes} bytes`;
  }

  notes(r: { seedLine: string; scheduleLine: string }): string[] {
    const b = this.#required();
    return [
      r.seedLine,
      `backup ${formatDuration(b.completedAt - b.startedAt)} (${b.bytes} bytes gzip, verified sha256 + gzip before the restore in ${formatDuration(this.#verifiedMs)}); restore job ${formatDuration(this.#restoreMs)}`,
      r.scheduleLine,
    ];
  }

  #required(): StoredBackup & { sha256: string } {
    if (!this.#backup) throw new Error('the PostgreSQL backup has not run yet');
    return this.#backup;
  }
}
