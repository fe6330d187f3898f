import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client as MinioClient } from 'minio';
import pg from 'pg';
import { waitFor } from '../core/wait.ts';
import { hrNow } from '../measure/clock.ts';
import type { EnvironmentSecrets } from '../providers/docker/topology.ts';
import { assertJobOk, mcEnv, shq, type BackupProvider } from './common.ts';

/**
 * Continuous archiving + point-in-time recovery for PostgreSQL: the design that meets a 15-minute RPO
 * (document 004), where document 001's daily `pg_dump` implies up to 24 h of loss.
 *
 *   archive_mode=on, archive_command copies each completed WAL segment to `wal-archive/` on the data volume
 *   (outside PGDATA); archive_timeout forces a segment switch at least every N s on a quiet server, so N
 *   bounds what is not yet archived. A shipper (`mc mirror`, the MinIO image, a sidecar in Kubernetes terms)
 *   copies the archive to MinIO `<backup.bucket>/postgres/wal/`. A base backup (`pg_basebackup -Ft -z -X fetch`)
 *   goes to `<backup.bucket>/postgres/base/<id>/` with its SHA-256.
 *   Restore: stop PostgreSQL, fetch base + WAL from MinIO, verify the base's SHA-256, move the broken cluster
 *   aside, unpack the base, `recovery.signal` + restore_command + recovery_target_time, start; PostgreSQL
 *   replays the WAL up to the target and promotes.
 *
 * The settings go in with ALTER SYSTEM (postgresql.auto.conf, in PGDATA, so the base backup carries them):
 * the default topology's command line (document 001's postgresql.conf) is unchanged, and only an
 * environment that runs this procedure archives WAL. In Kubernetes the same settings belong in the
 * postgres-config ConfigMap, with the shipper as a sidecar sharing an archive volume.
 */

/** Where the postgres container mounts its volume (the volume's root); PGDATA is `<root>/pgdata`. */
export const PG_VOLUME_ROOT = '/var/lib/postgresql/data';
const ARCHIVE_DIR = `${PG_VOLUME_ROOT}/wal-archive`;
const ARCHIVE_TMP = `${PG_VOLUME_ROOT}/wal-tmp`;
const STAGING = `${PG_VOLUME_ROOT}/backup-staging`;
export const WAL_PREFIX = 'postgres/wal';
export const BASE_PREFIX = 'postgres/base';

/** The archiving settings. The copy is atomic (tmp + rename) and idempotent (same file again = success). */
export function walArchiveSettings(options: { archiveTimeoutSeconds: number }): Record<string, string> {
  return {
    wal_level: 'replica',
    archive_mode: 'on',
    archive_timeout: `${options.archiveTimeoutSeconds}s`,
    archive_command: `if [ -f ${ARCHIVE_DIR}/%f ]; then cmp -s %p ${ARCHIVE_DIR}/%f; else cp %p ${ARCHIVE_TMP}/%f && mv ${ARCHIVE_TMP}/%f ${ARCHIVE_DIR}/%f; fi`,
  };
}

const literal = (v: string) => `'${v.replaceAll("'", "''")}'`;

async function withPg<T>(config: pg.ClientConfig, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...config, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Waits until PostgreSQL accepts connections to `config.database` and is out of recovery. */
export async function waitPostgresPrimary(config: pg.ClientConfig, timeoutMs = 300_000): Promise<number> {
  return waitFor(async () => {
    try {
      return await withPg(config, async (c) => ((await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r === false ? hrNow() : undefined));
    } catch {
      return undefined;
    }
  }, { timeoutMs, intervalMs: 250, description: `PostgreSQL to accept connections to ${config.database ?? 'postgres'} as a primary` });
}

/**
 * Turns archiving on (ALTER SYSTEM) and restarts PostgreSQL when archive_mode changed (it needs a
 * restart). Idempotent: nothing happens when the settings are already active.
 */
export async function enableWalArchiving(options: { provider: Pick<BackupProvider, 'exec' | 'restart'>; admin: pg.ClientConfig; archiveTimeoutSeconds: number }): Promise<{ restarted: boolean; settings: Record<string, string> }> {
  const settings = walArchiveSettings(options);
  const mk = await options.provider.exec('postgres', ['sh', '-c', `mkdir -p ${ARCHIVE_DIR} ${ARCHIVE_TMP} ${STAGING} && chown postgres:postgres ${ARCHIVE_DIR} ${ARCHIVE_TMP}`]);
  if (mk.exitCode !== 0) throw new Error(`could not create the WAL archive folders: ${mk.stderr}`);
  const active = await withPg(options.admin, async (c) => {
    const { rows } = await c.query<{ name: string; setting: string }>(`SELECT name, setting FROM pg_settings WHERE name IN ('archive_mode', 'archive_command', 'archive_timeout', 'wal_level')`);
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  });
  const timeoutActive = active.archive_timeout === String(options.archiveTimeoutSeconds);
  if (active.archive_mode === 'on' && active.archive_command === settings.archive_command && active.wal_level === 'replica' && timeoutActive) return { restarted: false, settings };
  await withPg(options.admin, async (c) => {
    for (const [k, v] of Object.entries(settings)) await c.query(`ALTER SYSTEM SET ${k} = ${literal(v)}`);
    await c.query('SELECT pg_reload_conf()');
  });
  const restarted = active.archive_mode !== 'on' || active.wal_level !== 'replica';
  if (restarted) await options.provider.restart('postgres');
  await waitPostgresPrimary(options.admin);
  const mode = await withPg(options.admin, async (c) => (await c.query<{ archive_mode: string }>('SHOW archive_mode')).rows[0]?.archive_mode);
  if (mode !== 'on') throw new Error(`archive_mode is "${mode}" after the restart`);
  return { restarted, settings };
}

/**
 * Back to the default topology's behaviour: archiving off (ALTER SYSTEM RESET + restart) and the local
 * archive, staging folders and the cluster moved aside by a restore removed. For environments kept after
 * a run: an archive nobody ships grows by a 16 MB segment per archive_timeout on a busy server.
 */
export async function disableWalArchiving(options: { provider: BackupProvider; admin: pg.ClientConfig }): Promise<void> {
  await withPg(options.admin, async (c) => {
    for (const k of ['archive_mode', 'archive_command', 'archive_timeout', 'wal_level']) await c.query(`ALTER SYSTEM RESET ${k}`);
  });
  await options.provider.restart('postgres');
  await waitPostgresPrimary(options.admin);
  const rm = await options.provider.exec('postgres', ['sh', '-c', `cd ${PG_VOLUME_ROOT} && rm -rf wal-archive wal-tmp backup-staging restore-staging pgdata.before-restore`]);
  if (rm.exitCode !== 0) throw new Error(`could not remove the local WAL archive: ${rm.stderr}`);
}

/** `await using shipper = startWalShipper(…)` stops it on scope exit. */
export interface WalShipper extends AsyncDisposable {
  /** Stops after one last mirror pass; resolves with the shipper job's result. */
  stop(): Promise<{ exitCode: number; logs: string }>;
}

/**
 * The shipper's loop, where the volume is mounted at /pgvol with the `backup` mc alias: `wal-archive/` mirrored
 * to MinIO every `intervalSeconds` until the file `<ctl>/stop` appears, then one last pass; prints the last
 * mirror errors (in `<ctl>/shipper.err`).
 */
export function walShipperScript(options: { bucket: string; intervalSeconds: number; ctl: string }): string {
  const { ctl } = options;
  if (!Number.isInteger(options.intervalSeconds) || options.intervalSeconds < 1) throw new RangeError(`ship interval ${options.intervalSeconds} s must be a whole number of seconds >= 1`);
  const mirror = `mc mirror --quiet /pgvol/wal-archive backup/${options.bucket}/${WAL_PREFIX} >/dev/null 2>>${ctl}/shipper.err || echo "mirror failed at $(date -u +%FT%TZ)" >>${ctl}/shipper.err`;
  return `rm -f ${ctl}/stop; while [ ! -f ${ctl}/stop ]; do ${mirror}; sleep ${options.intervalSeconds}; done; ${mirror}; cat ${ctl}/shipper.err 2>/dev/null | tail -5; true`;
}

/**
 * Ships `wal-archive/` to MinIO every `intervalSeconds` (`mc mirror`, new files only) from a job container
 * mounting the data volume read-only. It runs until `stop()` (a flag file in the host folder `work`).
 */
export function startWalShipper(options: { provider: BackupProvider; bucket: string; image: string; volume: string; work: string; secrets: EnvironmentSecrets; intervalSeconds?: number; maxRunMs?: number }): WalShipper {
  const job = options.provider.runJob({
    name: 'wal-shipper', image: options.image,
    command: ['sh', '-c', walShipperScript({ bucket: options.bucket, intervalSeconds: options.intervalSeconds ?? 1, ctl: '/ctl' })],
    env: mcEnv(options.secrets, options.provider.jobAddress('minio')),
    mounts: [{ host: options.volume, container: '/pgvol:ro' }, { host: options.work, container: '/ctl' }],
    timeoutMs: options.maxRunMs ?? 60 * 60_000,
  });
  job.catch(() => undefined);
  const stop = async () => {
    await writeFile(join(options.work, 'stop'), '');
    return job;
  };
  return {
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}

/** Forces a segment switch (`pg_switch_wal()`) and returns the name of the segment just completed. */
export async function switchWal(admin: pg.ClientConfig): Promise<{ segment: string; at: number }> {
  return withPg(admin, async (c) => {
    const at = hrNow();
    const { rows } = await c.query<{ f: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS f');
    return { segment: rows[0]!.f, at };
  });
}

/** The WAL segment being written now (not archived yet). */
export async function currentSegment(admin: pg.ClientConfig): Promise<string> {
  return withPg(admin, async (c) => (await c.query<{ f: string }>('SELECT pg_walfile_name(pg_current_wal_lsn()) AS f')).rows[0]!.f);
}

/**
 * Waits until PostgreSQL itself archived `segment` (pg_stat_archiver), without forcing a switch: on a quiet
 * server that is archive_timeout at work. Returns when it was archived (PostgreSQL's time).
 */
export async function waitArchived(admin: pg.ClientConfig, segment: string, timeoutMs: number): Promise<number> {
  return waitFor(async () => {
    const row = await withPg(admin, async (c) => (await c.query<{ wal: string | null; at: Date | null }>('SELECT last_archived_wal AS wal, last_archived_time AS at FROM pg_stat_archiver')).rows[0]);
    const wal = row?.wal ?? '';
    // Segment names sort in WAL order (same timeline); history/backup files are longer and skipped.
    return /^[0-9A-F]{24}$/.test(wal) && wal >= segment && row?.at ? row.at.getTime() : undefined;
  }, { timeoutMs, intervalMs: 250, description: `PostgreSQL to archive WAL segment ${segment} by itself (archive_timeout)` });
}

/** Run where the volume is mounted at /pgvol: everything on it removed, and proven empty. */
export const WIPE_VOLUME_SCRIPT = 'find /pgvol -mindepth 1 -maxdepth 1 -exec rm -rf {} + && test -z "$(ls -A /pgvol)"';

/** The disk is gone: everything on the PostgreSQL volume (PGDATA, pg_wal, the local archive) removed. */
export async function wipeVolume(options: { provider: BackupProvider; image: string; volume: string }): Promise<void> {
  assertJobOk('wipe of the PostgreSQL volume', await options.provider.runJob({
    name: 'pg-disk-loss', image: options.image,
    command: ['sh', '-c', WIPE_VOLUME_SCRIPT],
    mounts: [{ host: options.volume, container: '/pgvol' }],
  }));
}

/** Waits until the segment is in MinIO; returns when it was seen. */
export async function waitShipped(s3: MinioClient, bucket: string, segment: string, timeoutMs = 180_000): Promise<number> {
  return waitFor(async () => ((await s3.statObject(bucket, `${WAL_PREFIX}/${segment}`).then(() => true, () => false)) ? hrNow() : undefined), { timeoutMs, intervalMs: 200, description: `WAL segment ${segment} to reach MinIO` });
}

/** The base backup's id: its start time, `20261204T200000Z`. */
export function baseBackupId(startedAt: number): string {
  return new Date(startedAt).toISOString().replaceAll(':', '').replace(/\.\d+Z$/, 'Z');
}

/** Run in the PostgreSQL container (local socket): `pg_basebackup` into the volume's staging folder, with its SHA-256. */
export function basebackupScript(id: string): string {
  const dir = `${STAGING}/${id}`;
  return `set -e; rm -rf ${dir}; mkdir -p ${dir}; pg_basebackup -U postgres -D ${dir} -Ft -z -X fetch --checkpoint=fast -l ${shq(`prodlike ${id}`)}; cd ${dir}; sha256sum base.tar.gz > base.tar.gz.sha256`;
}

/** Run where the volume is mounted at /pgvol with the `backup` mc alias: the staged base backup uploaded, then removed. */
export function baseUploadScript(id: string, bucket: string): string {
  return `set -e; mc cp --quiet --recursive /pgvol/backup-staging/${id}/ backup/${bucket}/${BASE_PREFIX}/${id}/ >/dev/null; rm -rf /pgvol/backup-staging/${id}`;
}

export interface BaseBackup {
  id: string;
  prefix: string;
  bytes: number;
  startedAt: number;
  completedAt: number;
}

/**
 * `pg_basebackup -Ft -z -X fetch --checkpoint=fast` inside the postgres container (the local socket allows
 * replication connections; over the network pg_hba does not), then a job uploads it to MinIO with its
 * SHA-256 (`base.tar.gz.sha256`) and removes the staging copy.
 */
export async function baseBackup(options: { provider: BackupProvider; s3: MinioClient; bucket: string; image: string; volume: string; secrets: EnvironmentSecrets }): Promise<BaseBackup> {
  const startedAt = hrNow();
  const id = baseBackupId(startedAt);
  const made = await options.provider.exec('postgres', ['sh', '-c', basebackupScript(id)], { timeoutMs: 30 * 60_000 });
  if (made.exitCode !== 0) throw new Error(`pg_basebackup failed (exit ${made.exitCode}): ${made.stderr || made.stdout}`);
  const prefix = `${BASE_PREFIX}/${id}`;
  const upload = await options.provider.runJob({
    name: 'pg-basebackup-upload', image: options.image,
    command: ['sh', '-c', baseUploadScript(id, options.bucket)],
    env: mcEnv(options.secrets, options.provider.jobAddress('minio')),
    mounts: [{ host: options.volume, container: '/pgvol' }],
  });
  assertJobOk('base backup upload', upload);
  const stat = await options.s3.statObject(options.bucket, `${prefix}/base.tar.gz`);
  return { id, prefix, bytes: stat.size, startedAt, completedAt: hrNow() };
}

/** PostgreSQL's `recovery_target_time` literal for an epoch-ms instant (UTC, microseconds). */
export function recoveryTargetTime(at: number): string {
  const us = Math.round(at * 1000);
  const d = new Date(Math.floor(us / 1000));
  const micros = String(us % 1_000_000).padStart(6, '0');
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}.${micros}+00`;
}

export interface PitrResult {
  /** Segments fetched from MinIO for the replay. */
  segments: number;
  jobMs: number;
  /** Primary again (recovery done, promoted). */
  readyAt: number;
  /** PostgreSQL's own account of where it stopped ("recovery stopping before commit … time …"). */
  recoveryLog: string[];
}

/**
 * The restore, run where PostgreSQL's volume is mounted at /pgvol (PostgreSQL stopped) with the `backup` mc
 * alias: base + WAL archive fetched from MinIO, the base's SHA-256 verified (nothing touched when it does not
 * match), the broken cluster moved to `pgdata.before-restore`, the base unpacked, recovery.signal and the
 * recovery settings written, the archive folders made again (gone with a lost disk), all owned by `owner`
 * (uid:gid PostgreSQL runs as). Prints `segments: N`.
 */
export function pitrRestoreScript(options: { bucket: string; basePrefix: string; targetTime?: number; owner: string }): string {
  if (!/^\d+:\d+$/.test(options.owner)) throw new RangeError(`owner "${options.owner}" must be uid:gid`);
  const R = '/pgvol/restore-staging';
  const recovery = [
    `restore_command = 'cp ${PG_VOLUME_ROOT}/restore-staging/wal/%f %p'`,
    ...(options.targetTime === undefined ? [] : [`recovery_target_time = '${recoveryTargetTime(options.targetTime)}'`, "recovery_target_action = 'promote'"]),
  ];
  return [
    'set -e',
    `rm -rf ${R}; mkdir -p ${R}/base ${R}/wal`,
    `mc cp --quiet --recursive backup/${options.bucket}/${options.basePrefix}/ ${R}/base/ >/dev/null`,
    `cd ${R}/base && sha256sum -c base.tar.gz.sha256`,
    `mc mirror --quiet backup/${options.bucket}/${WAL_PREFIX} ${R}/wal >/dev/null`,
    'rm -rf /pgvol/pgdata.before-restore',
    'if [ -d /pgvol/pgdata ]; then mv /pgvol/pgdata /pgvol/pgdata.before-restore; fi',
    `mkdir /pgvol/pgdata && tar -xzf ${R}/base/base.tar.gz -C /pgvol/pgdata`,
    'touch /pgvol/pgdata/recovery.signal',
    `printf '%s\\n' ${recovery.map(shq).join(' ')} >> /pgvol/pgdata/postgresql.auto.conf`,
    // After a lost disk the archive folders are gone too: archive_command needs them back.
    'mkdir -p /pgvol/wal-archive /pgvol/wal-tmp /pgvol/backup-staging',
    `chown -R ${options.owner} /pgvol/pgdata ${R} /pgvol/wal-archive /pgvol/wal-tmp && chmod 700 /pgvol/pgdata`,
    `echo "segments: $(ls ${R}/wal | grep -c '^[0-9A-F]\\{24\\}$' || true)"`,
  ].join('\n');
}

/** The recovery settings reset after the restore (postgresql.auto.conf as it was before it). */
export async function resetRecoverySettings(admin: pg.ClientConfig): Promise<void> {
  await withPg({ ...admin, database: 'postgres' }, async (c) => {
    for (const k of ['restore_command', 'recovery_target_time', 'recovery_target_action']) await c.query(`ALTER SYSTEM RESET ${k}`);
    await c.query('SELECT pg_reload_conf()');
  });
}

/** PostgreSQL's own account of its last recovery, from its log: where it started, stopped and promoted. */
export function recoveryLogLines(logs: string): string[] {
  const lines = logs.split('\n');
  const start = lines.map((l) => /starting (point-in-time|archive) recovery/.test(l)).lastIndexOf(true);
  return lines.slice(Math.max(0, start)).filter((l) => /recovery stopping|redo done|selected new timeline|archive recovery complete|starting (point-in-time|archive) recovery|last completed transaction/.test(l)).map((l) => l.replace(/^.*?(LOG|FATAL|ERROR):\s*/, '')).slice(-8);
}

/**
 * The point-in-time restore. Stops PostgreSQL; a job fetches the base backup and the WAL archive from
 * MinIO, verifies the base's SHA-256 (nothing is touched when it does not match), moves the broken cluster
 * to `pgdata.before-restore`, unpacks the base and writes the recovery settings; PostgreSQL is started,
 * replays to `targetTime` (or to the end of the archive without one) and promotes.
 */
export async function restorePointInTime(options: { provider: BackupProvider; bucket: string; image: string; volume: string; secrets: EnvironmentSecrets; base: Pick<BaseBackup, 'prefix'>; targetTime?: number; admin: pg.ClientConfig; alreadyStopped?: boolean }): Promise<PitrResult> {
  // Not stopped again when the server was lost with its disk (the caller stopped it).
  if (!options.alreadyStopped) await options.provider.stop('postgres');
  const job = await options.provider.runJob({
    name: 'pg-pitr-restore', image: options.image,
    command: ['sh', '-c', pitrRestoreScript({ bucket: options.bucket, basePrefix: options.base.prefix, ...(options.targetTime === undefined ? {} : { targetTime: options.targetTime }), owner: '999:999' })],
    env: mcEnv(options.secrets, options.provider.jobAddress('minio')),
    mounts: [{ host: options.volume, container: '/pgvol' }],
    timeoutMs: 30 * 60_000,
  });
  assertJobOk('point-in-time restore job', job);
  const segments = Number(/segments: (\d+)/.exec(job.logs)?.[1] ?? 0);
  await options.provider.start('postgres');
  const readyAt = await waitPostgresPrimary(options.admin);
  // The recovery settings did their job; leave postgresql.auto.conf as it was before the restore.
  await resetRecoverySettings(options.admin);
  const recoveryLog = recoveryLogLines(await options.provider.logs('postgres', { tail: 200 }).catch(() => ''));
  return { segments, jobMs: job.durationMs, readyAt, recoveryLog };
}
