import type { Client as MinioClient } from 'minio';
import type pg from 'pg';
import type { ProdlikeConfig, WorkloadRole } from '../config/schema.ts';
import type { Timeline } from '../measure/timeline.ts';
import type { EnvironmentSecrets, TopologyImages } from '../providers/docker/topology.ts';
import type { Provider, ProviderEventWatch } from '../providers/provider.ts';
import type { TableChecksums } from './pg-dump.ts';
import type { BaseBackup, PitrResult } from './wal-archive.ts';

/**
 * Backup/restore procedures as objects (issue #15): one interface per data store, a docker and a kind
 * implementation of each, chosen by the provider's capabilities (src/backup/select-procedure.ts). A
 * procedure does what document 001 §Backup and Recovery prescribes for its store on its provider — back up
 * to MinIO, destroy, restore — and writes its own steps onto the scenario's timeline; the scenario around it
 * seeds data, runs the sentinel, measures and judges. Every figure (RTO, RPO) is defined by the scenario,
 * not the procedure: a procedure only says when it did what.
 */
export interface ProcedureContext {
  provider: Provider;
  config: ProdlikeConfig;
  secrets: EnvironmentSecrets;
  /** The scenario's timeline: procedures add their backup/fault/restore steps to it. */
  timeline: Timeline;
  /** A private working folder, writable by job containers (mode 0777), removed after the scenario. */
  work: string;
  /** PostgreSQL of the environment on its published endpoint, as the application's database. */
  postgres: pg.ClientConfig;
  /** Aborted on Ctrl-C/SIGTERM. */
  signal: AbortSignal;
  /** The ownership guard of the scenario's fault context: throws for anything not this environment's. */
  guard: ((operation: string, service?: WorkloadRole) => Promise<void>) | undefined;
  /** The images the environment runs (job containers use them). */
  images(): Promise<TopologyImages>;
}

/** What every procedure offers besides its steps. */
export interface ProcedureBase {
  /** The scenario title on this provider. */
  readonly title: string;
  /** The provider's events for the scenario's timeline, opened now (the pods and Jobs this procedure touches). */
  watch(): Promise<ProviderEventWatch>;
  /** Removes what the procedure left behind (a Job); never fails the scenario. */
  cleanup(): Promise<void>;
}

/** A backup object stored in MinIO with its SHA-256. */
export interface StoredBackup {
  /** hrNow() when the backup started and when it was stored (the recovery point is before completedAt). */
  startedAt: number;
  completedAt: number;
  bucket: string;
  objectName: string;
  bytes: number;
}

/** Document 001 §2: `pg_dump | gzip` to MinIO, the database destroyed, the documented restore. */
export interface PostgresDumpProcedure extends ProcedureBase {
  /** The documented backup, stored in MinIO with its checksum (backup.started/completed on the timeline). */
  backup(): Promise<StoredBackup>;
  /** Destroys the application's database; returns the fault time (hrNow). */
  destroy(): Promise<number>;
  /** Fetch + verify the backup, app to 0, recreate the database, restore. `counts`: row counts the procedure took itself. */
  restore(verifyTables: readonly string[]): Promise<{ counts?: Record<string, number> }>;
  /** Scales the application back to what it ran before the restore. */
  resume(): Promise<void>;
  /** "backup 1.2 s, 3456 bytes": what the RTO note says of the backup. */
  backupSummary(): string;
  /** The scenario's notes: `seedLine` and `scheduleLine` are the scenario's, the rest the procedure's. */
  notes(r: { seedLine: string; scheduleLine: string; faultAt: number; before: TableChecksums; verifyTables: readonly string[] }): string[];
}

/** Document 001 §3: a Redis snapshot (BGSAVE) to MinIO, FLUSHALL, the snapshot restored as the AOF base. */
export interface RedisSnapshotProcedure extends ProcedureBase {
  /** BGSAVE, the snapshot stored in MinIO; `snapshotAt` is the recovery point. */
  backup(url: string): Promise<StoredBackup & { snapshotAt: number }>;
  /** FLUSHALL; returns the fault time (hrNow). */
  destroy(url: string): Promise<number>;
  /** Fetch + verify the snapshot, Redis stopped, the snapshot installed, Redis started; `readyAt` when it answers. */
  restore(url: string): Promise<{ readyAt: number }>;
  notes(r: { seedLine: string; faultAt: number }): string[];
}

/** The files (MinIO artifacts bucket): mirrored into the backup bucket, deleted, copied back. */
export interface FilesMirrorProcedure extends ProcedureBase {
  /** Copies every object of the artifacts bucket to the backup bucket; their names. */
  mirror(): Promise<string[]>;
  /** Deletes the mirrored objects from the artifacts bucket; returns the fault time (hrNow). */
  destroy(objects: readonly string[]): Promise<number>;
  /** Copies them back from the backup bucket. */
  restore(objects: readonly string[]): Promise<void>;
}

/**
 * Continuous WAL archiving to MinIO and the point-in-time restore (not in document 001: the design that
 * meets document 004's 15 min RPO; src/backup/wal-archive.ts): archive_command into PostgreSQL's own volume,
 * a shipper mirroring it to MinIO, a base backup, and the restore of base + WAL. Each step is one call; the
 * scenario decides the fault and measures.
 */
export interface WalArchiveProcedure extends AsyncDisposable {
  /** The backup bucket's client (on MinIO's published endpoint); set by `start`. */
  readonly s3: MinioClient;
  /** PostgreSQL's admin connection (database `postgres`) on its published endpoint. */
  readonly admin: pg.ClientConfig;
  /** The provider's events for the scenario's timeline, opened now. */
  watch(): Promise<ProviderEventWatch>;
  /** archive_mode on (ALTER SYSTEM + one restart the first time), then the shipper to MinIO every `shipIntervalS`. */
  start(archiveTimeoutSeconds: number, shipIntervalS: number): Promise<{ restarted: boolean; settings: Record<string, string> }>;
  /** Stops the shipper after one last pass (once); its result. */
  stopShipping(): Promise<{ exitCode: number; logs: string }>;
  /** `pg_basebackup` uploaded to MinIO with its SHA-256 (backup.started/completed on the timeline). */
  baseBackup(): Promise<BaseBackup>;
  /** The server and its disk lost: frozen first so nothing written after `faultAt` reaches MinIO, stopped, its volume wiped. */
  loseDisk(): Promise<{ faultAt: number; shipped: { exitCode: number } }>;
  /** The application to 0 (worker, backend), scaled back by `resume`. */
  quiesce(): Promise<void>;
  /** Base + WAL from MinIO replayed to `targetTime` (or to the end of the archive), promoted. */
  restore(base: BaseBackup, options?: { targetTime?: number; alreadyStopped?: boolean }): Promise<PitrResult>;
  resume(): Promise<void>;
  /** Stops the shipper and removes what the procedure left behind; never fails the scenario. */
  cleanup(): Promise<void>;
}
