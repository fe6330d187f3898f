import type { Client as MinioClient } from 'minio';
import pg from 'pg';
import { hrNow } from '../measure/clock.ts';
import type { TopologyImages } from '../providers/docker/topology.ts';
import type { ProviderEventWatch, SupportsLifecycle } from '../providers/provider.ts';
import { backupStore, dataVolume } from './common.ts';
import { providerWatch, type DockerDumpProvider } from './docker-pg-dump-procedure.ts';
import type { ProcedureContext, WalArchiveProcedure } from './procedure.ts';
import { baseBackup, enableWalArchiving, restorePointInTime, startWalShipper, wipeVolume, type BaseBackup, type PitrResult, type WalShipper } from './wal-archive.ts';

/** What continuous archiving needs: job containers on the PostgreSQL volume, exec, lifecycle (pause, stop), scaling. */
export type WalProvider = DockerDumpProvider & SupportsLifecycle;

/**
 * Continuous WAL archiving to MinIO and the point-in-time restore (not in document 001: the design that
 * meets document 004's 15 min RPO), on the docker provider only: `archive_command` writes into the data
 * volume, a shipper job container mirrors it to MinIO, the base backup and the restore are job containers on
 * that volume. Each step is one call; the scenario decides the fault and measures.
 */
export class DockerWalProcedure implements WalArchiveProcedure {
  readonly #ctx: ProcedureContext;
  readonly #provider: WalProvider;
  readonly #volume: string;
  #images: TopologyImages | undefined;
  #s3: MinioClient | undefined;
  #shipper: WalShipper | undefined;
  #shipped: Promise<{ exitCode: number; logs: string }> | undefined;
  #backendReplicas = 1;

  constructor(ctx: ProcedureContext, provider: WalProvider) {
    this.#ctx = ctx;
    this.#provider = provider;
    this.#volume = dataVolume(ctx.config.name, 'postgres');
  }

  /** The backup bucket's client (on MinIO's published endpoint). */
  get s3(): MinioClient {
    if (!this.#s3) throw new Error('the WAL procedure has not been started');
    return this.#s3;
  }

  /** PostgreSQL's admin connection (database `postgres`). */
  get admin(): pg.ClientConfig {
    return { ...this.#ctx.postgres, database: 'postgres' };
  }

  watch(): Promise<ProviderEventWatch> {
    return providerWatch(this.#provider);
  }

  /** archive_mode on (ALTER SYSTEM + one restart the first time), then the shipper to MinIO every `shipIntervalS`. */
  async start(archiveTimeoutSeconds: number, shipIntervalS: number): Promise<{ restarted: boolean; settings: Record<string, string> }> {
    this.#images = await this.#ctx.images();
    this.#s3 = await backupStore(this.#provider, this.#ctx.secrets, this.#ctx.config.backup.bucket);
    const enabled = await enableWalArchiving({ provider: this.#provider, admin: this.admin, archiveTimeoutSeconds });
    this.#shipper = startWalShipper({ provider: this.#provider, bucket: this.#ctx.config.backup.bucket, image: this.#images.minio, volume: this.#volume, work: this.#ctx.work, secrets: this.#ctx.secrets, intervalSeconds: shipIntervalS });
    return enabled;
  }

  /** Stops the shipper after one last pass (once); its job's result. */
  stopShipping(): Promise<{ exitCode: number; logs: string }> {
    if (!this.#shipper) return Promise.resolve({ exitCode: 0, logs: '' });
    this.#shipped ??= this.#shipper.stop();
    return this.#shipped;
  }

  /** `pg_basebackup` uploaded to MinIO with its SHA-256 (backup.started/completed on the timeline). */
  async baseBackup(): Promise<BaseBackup> {
    const { timeline } = this.#ctx;
    timeline.mark('backup.started', 'harness', { subject: 'postgres', detail: 'pg_basebackup' });
    const base = await baseBackup({ provider: this.#provider, bucket: this.#ctx.config.backup.bucket, s3: this.s3, image: this.#minio(), volume: this.#volume, secrets: this.#ctx.secrets });
    timeline.mark('backup.completed', 'harness', { subject: 'postgres', detail: `${base.prefix}/base.tar.gz, ${base.bytes} bytes` });
    return base;
  }

  /**
   * The server and its disk lost (PGDATA, pg_wal and the local archive). Frozen first (docker pause) while the
   * shipper dies, so nothing written after the fault reaches MinIO: a plain stop would not do (on a clean
   * shutdown PostgreSQL switches and archives the last segment, and a live shipper would upload it).
   */
  async loseDisk(): Promise<{ faultAt: number; shipped: { exitCode: number } }> {
    const faultAt = hrNow();
    await this.#provider.pause('postgres');
    const shipped = await this.stopShipping();
    await this.#provider.unpause('postgres');
    await this.#provider.stop('postgres');
    await wipeVolume({ provider: this.#provider, image: this.#minio(), volume: this.#volume });
    return { faultAt, shipped };
  }

  /** App to 0 (worker, then backend), to be scaled back by `resume`. */
  async quiesce(): Promise<void> {
    this.#backendReplicas = await this.#provider.replicas('backend');
    await this.#provider.scale('worker', 0);
    await this.#provider.scale('backend', 0);
  }

  /** Base + WAL from MinIO replayed to `targetTime` (or to the end of the archive), promoted. */
  restore(base: BaseBackup, options: { targetTime?: number; alreadyStopped?: boolean } = {}): Promise<PitrResult> {
    return restorePointInTime({ provider: this.#provider, bucket: this.#ctx.config.backup.bucket, image: this.#minio(), volume: this.#volume, secrets: this.#ctx.secrets, base, admin: this.#ctx.postgres, ...options });
  }

  async resume(): Promise<void> {
    await this.#provider.scale('backend', this.#backendReplicas);
    await this.#provider.scale('worker', 1);
  }

  /** Stops the shipper if the scenario did not. */
  async cleanup(): Promise<void> {
    await this.stopShipping().catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.cleanup();
  }

  #minio(): string {
    if (!this.#images) throw new Error('the WAL procedure has not been started');
    return this.#images.minio;
  }
}
