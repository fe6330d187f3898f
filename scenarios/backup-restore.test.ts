import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canBackup } from '../src/backup/common.ts';
import { describeChecksums, seedRows, seedTable, tableChecksums, type TableChecksums } from '../src/backup/pg-dump.ts';
import type { WalArchiveProcedure } from '../src/backup/procedure.ts';
import { redisChecksum, seedRedis } from '../src/backup/redis-backup.ts';
import { backupProcedures } from '../src/backup/select-procedure.ts';
import { currentSegment, disableWalArchiving, recoveryTargetTime, switchWal, waitArchived, waitShipped } from '../src/backup/wal-archive.ts';
import { resolveFrom } from '../src/config/load-config.ts';
import { findTarget, loadTargets, selectProfile } from '../src/config/load-targets.ts';
import { formatDuration } from '../src/core/duration.ts';
import { waitFor } from '../src/core/wait.ts';
import { hrNow } from '../src/measure/clock.ts';
import { SentinelWriter } from '../src/measure/sentinel-writer.ts';
import { redisSentinelSink } from '../src/measure/sinks/redis-sentinel-sink.ts';
import type { Timeline } from '../src/measure/timeline.ts';
import { evaluateTarget, type BoundedTarget, type Verdict } from '../src/measure/verdict.ts';
import { canEndpoint } from '../src/providers/provider.ts';
import { appApi, type AppApi } from './support/app-api.ts';
import { backupScenario, type BackupScenario } from './support/backup-scenario.ts';
import { deployedBackupSchedule } from './support/backup-schedule.ts';
import { scenarioSkipReason, startScenarioEnvironment, type ScenarioEnvironment } from './support/scenario-env.ts';
import { expectHeld } from './support/scenario-run.ts';

/**
 * The WAL procedure, or none with the reason when PRODLIKE_WAL=0 leaves the two WAL scenarios out (a skip): CI's
 * second application (scenarios-saasit) does, as scenarios-kind runs the same kind procedure in the same run (~5 min).
 */
const walArchive: typeof backupProcedures.walArchive = (ctx) => (process.env.PRODLIKE_WAL === '0'
  ? { procedure: undefined, reason: 'WAL archiving and point-in-time restore left out by PRODLIKE_WAL=0 (about 5 min on kind); unset it to run them' }
  : backupProcedures.walArchive(ctx));

/**
 * Backup/restore suite (issue #8): document 001's backup (`pg_dump | gzip` to object storage, the
 * `postgres-backup` CronJob's job) and its restore procedure (scale the app to 0, recreate, restore,
 * verify, scale up), run for real: RTO = destruction -> app ready with verified data; RPO = fault ->
 * newest surviving acknowledged write; plus the worst case the backup schedule implies. Also: files, Redis
 * (BGSAVE snapshot to MinIO, FLUSHALL, restore) and the design that meets document 004's 15 min RPO, WAL
 * archiving to MinIO with point-in-time restore (after an operator error) and after a lost disk.
 *
 * Each scenario is setup → assess → teardown around a procedure object (src/backup/procedure.ts), one per
 * data store with a docker and a kind implementation, chosen by the provider's capabilities
 * (src/backup/select-procedure.ts); where the provider has none, the scenario is skipped and recorded with
 * the reason (scenarios/support/backup-scenario.ts). The application's own API goes through app-api.ts.
 */
const skip = await scenarioSkipReason();
const SEED_ROWS = seedRows(); // PRODLIKE_SEED_PROFILE=ci (20 000 rows, default) | release (about 1 GB); PRODLIKE_SEED_ROWS overrides
const REDIS_SEED_KEYS = Number(process.env.PRODLIKE_REDIS_SEED_KEYS ?? 5000);
/** WAL design (not in document 001): a forced segment switch at least every minute bounds the unarchived WAL. */
const ARCHIVE_TIMEOUT_S = 60;
const SHIP_INTERVAL_S = 1;

describe.skipIf(Boolean(skip))(`backup-restore${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let env: ScenarioEnvironment;
  let pgConfig: pg.ClientConfig;
  let app: AppApi;
  let walEnabled = false;
  /** Verdicts against document 004 (profile platform) whatever profile the run selected. */
  let platformVerdict: (id: string, measurement: Parameters<typeof evaluateTarget>[1]) => Verdict;

  /** archive_timeout as the server runs it (pg_settings), in seconds: the WAL bound is read, not assumed. */
  async function activeArchiveTimeoutS(admin: pg.ClientConfig): Promise<number> {
    const c = new pg.Client(admin);
    await c.connect();
    try {
      const { rows } = await c.query<{ setting: string }>("SELECT setting FROM pg_settings WHERE name = 'archive_timeout'");
      return Number(rows[0]?.setting);
    } finally {
      await c.end();
    }
  }

  /** Seeds `seed_items`, runs three executions through the app to completion; the reference checksums after. */
  async function seedPostgres(tables: string[]): Promise<TableChecksums> {
    await seedTable(pgConfig, 'seed_items', SEED_ROWS);
    // Retried on a connection error: the backend HPA (kind) scales an idle backend 3 -> 2 and a request can
    // land on the pod being terminated. Only acknowledged ids are followed; the reference state is taken once
    // they are finished (a running worker changes their rows).
    const executions = [];
    for (let i = 0; i < 3; i++) {
      executions.push(...await waitFor(() => app.submit(`backup-${i}`, 1, 1).catch(() => undefined), { timeoutMs: 60_000, intervalMs: 500, description: `execution backup-${i} to be accepted` }));
    }
    const states = await app.settled(executions, 'the seed executions to complete');
    expect(states, 'the seed executions').toEqual(executions.map(() => 'COMPLETED'));
    return tableChecksums(pgConfig, tables);
  }

  /** A sentinel writing records through the app at 5/s, started and acknowledged `n` times. */
  async function recordsSentinel(n: number): Promise<SentinelWriter> {
    const sentinel = new SentinelWriter(app.recordsSink().sink, { ratePerSecond: 5, name: 'app-records' });
    await sentinel.start();
    await sentinel.waitForAcked(n, { timeoutMs: 60_000, signal: env.signal });
    return sentinel;
  }

  beforeAll(async () => {
    env = await startScenarioEnvironment('backup-restore');
    if (!canEndpoint(env.provider)) throw new Error(`provider ${env.providerName} publishes no endpoints`);
    const ep = await env.provider.endpoint('postgres');
    pgConfig = { host: ep.host, port: ep.port, user: env.config.database.user, database: env.config.database.name, password: env.secrets.postgresPassword };
    app = appApi(env.entry, pgConfig, env.config.application);
    const targetsFile = await loadTargets(resolveFrom(env.loaded, env.config.targets.file));
    const platform = selectProfile(targetsFile, 'platform');
    platformVerdict = (id, measurement) => {
      const t = findTarget(platform, id);
      if (!t) throw new Error(`profile platform has no target ${id}`);
      return evaluateTarget(t, measurement, { file: targetsFile });
    };
  }, 600_000);

  afterAll(async () => {
    // A kept environment goes back to the default topology's PostgreSQL settings (no archiving).
    if (walEnabled && env && process.env.PRODLIKE_KEEP_ENV === '1' && canBackup(env.provider)) {
      await disableWalArchiving({ provider: env.provider, admin: { ...pgConfig, database: 'postgres' } })
        .catch((error: unknown) => process.stderr.write(`could not turn WAL archiving off again: ${String(error)}\n`));
    }
    await env?.teardown();
  }, 300_000);

  it('PostgreSQL: backup to MinIO, database destroyed, documented restore; data verified; RTO/RPO measured', (t) =>
    backupScenario(t, env, pgConfig, { id: 'backup.postgres', title: 'PostgreSQL: backup to MinIO, destroy, documented restore' }, backupProcedures.postgresDump, async (s, procedure) => {
      // Setup: a dataset (profile ci: small), its reference checksums, steady sentinel writes through the app.
      const verifyTables = ['seed_items', 'executions', 'files'];
      const before = await seedPostgres(verifyTables);
      const sentinel = s.use(await recordsSentinel(10));

      // The documented backup; acknowledged writes after it are the data a daily backup loses.
      await procedure.backup();
      await sentinel.waitForAcked(sentinel.ackedCount + 15, { timeoutMs: 60_000, signal: env.signal });
      const faultAt = await procedure.destroy();
      await sentinel.stop();
      const restored = await procedure.restore(verifyTables);
      const after = await tableChecksums(pgConfig, verifyTables);
      await procedure.resume();
      const readyAt = await app.ready('the app to be ready on the restored database');
      s.timeline.add({ at: readyAt, type: 'restore.completed', source: 'harness', subject: 'postgres', detail: 'app ready on verified data' });
      s.timeline.add({ at: readyAt, type: 'app.ready', source: 'harness', subject: 'backend' });
      const rpo = await sentinel.verify({ faultAt });

      // Assess: RTO = destruction -> app ready on verified data; RPO measured and implied by the schedule.
      const schedule = await deployedBackupSchedule(env);
      const platform = env.profile.name === 'platform';
      const rpoId = platform ? 'platform.rpo' : 'postgres.restore.rpo';
      const verdicts = [
        env.verdict(platform ? 'data-corruption.restore' : 'postgres.restore.rto', { value: readyAt - faultAt, note: `destruction -> app ready on verified data (${procedure.backupSummary()})` }),
        env.verdict(rpoId, { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `measured: writes after the backup were lost (${rpo.lostAcked.length})` }),
        { ...env.verdict(rpoId, { value: schedule.worstMs, note: `worst case implied by the schedule "${schedule.schedule}" of ${schedule.from}` }), targetId: `${rpoId}.schedule` },
      ];
      await s.record({
        title: procedure.title, verdicts, sentinels: [rpo],
        notes: procedure.notes({
          seedLine: `seed rows: ${SEED_ROWS}; verified tables: ${describeChecksums(after, before)}`,
          scheduleLine: `worst-case RPO implied by the schedule "${schedule.schedule}" (${schedule.from}): ${formatDuration(schedule.worstMs)}${schedule.suspended ? '; the CronJob is SUSPENDED: no scheduled backup runs' : ''}`,
          faultAt, before, verifyTables,
        }),
      });
      expect(after, describeChecksums(after, before)).toEqual(before);
      for (const tb of restored.counts ? verifyTables : []) expect(restored.counts?.[tb], `row count of ${tb} in postgres-0 after the restore`).toBe(before[tb]!.rows);
      // Writes acknowledged after the backup are lost by design of a dump-based restore: the RPO reports them.
      expect(rpo.lostAcked.length, 'writes acknowledged after the backup are lost by a dump restore').toBeGreaterThan(0);
      expect(rpo.lowerBound).toBe(false);
      expect(schedule.suspended, `${schedule.from} is suspended: no scheduled backup runs`).toBe(false);
      // onprem (24 h RPO, 30 min RTO) must hold; platform (RPO 15 min) is missed by a daily schedule — a failed
      // verdict recorded above (exit 1), and this check fails with it.
      expectHeld(verdicts);
    }), 900_000);

  it('Files: objects with checksums, mirrored to the backup bucket, deleted, restored, verified', (t) =>
    backupScenario(t, env, pgConfig, { id: 'backup.files', title: 'Files: backup, delete, restore, verify checksums' }, backupProcedures.filesMirror, async (s, procedure) => {
      const uploads: { id: string; sha256: string }[] = [];
      for (let i = 0; i < 10; i++) {
        const body = `file ${i} ${'y'.repeat(1000 + i)}`;
        uploads.push({ id: await app.upload(`f-${i}.txt`, body), sha256: createHash('sha256').update(body).digest('hex') });
      }
      const objects = await procedure.mirror();
      const faultAt = await procedure.destroy(objects);
      const broken = await app.download(uploads[0]!.id);
      expect(broken.status).not.toBe(200);
      await procedure.restore(objects);
      let verified = 0;
      for (const u of uploads) {
        const r = await app.download(u.id);
        if (r.status === 200 && createHash('sha256').update(r.body).digest('hex') === u.sha256) verified += 1;
      }
      const restoredAt = hrNow();
      s.timeline.add({ at: restoredAt, type: 'restore.completed', source: 'harness', subject: 'files', detail: `${verified}/${uploads.length} checksums verified` });
      // The restore is our own copy loop (backup bucket -> artifacts bucket, then a checksum per upload): its
      // duration is set by the harness, not a recovery the system performed, so it is reported, not held
      // against files.restore.rto / platform.rto.
      const documented = env.profile.name === 'platform' ? 'platform.rto' : 'files.restore.rto';
      const copyTime: BoundedTarget = { id: 'files.restore.copy-time', metric: 'duration', component: 'files', kind: 'report', unit: 'ms', source: { doc: 'prodlike', section: 'backup-restore: files restore copy loop' } };
      await s.record({
        title: procedure.title,
        verdicts: [evaluateTarget(copyTime, { value: restoredAt - faultAt, note: `harness-set: objects deleted -> copied back by this suite's loop and checksums verified; not a client-visible recovery, so not compared with ${documented}` }, { sourceLabel: 'harness-set figure (this suite\'s copy loop)' })],
        notes: [
          `${objects.length} objects mirrored; ${verified}/${uploads.length} uploads verified by sha256 after restore; a download failed with HTTP ${broken.status} while the objects were gone`,
          `restore time ${formatDuration(restoredAt - faultAt)} is the duration of this suite's own copy loop (reported only; ${documented} would need a restore the system performs)`,
        ],
      });
      expect(verified).toBe(uploads.length);
    }), 600_000);

  it('Redis: BGSAVE snapshot to MinIO, FLUSHALL, restore as the AOF base; keys verified; RTO/RPO measured', (t) =>
    backupScenario(t, env, pgConfig, { id: 'backup.redis', title: 'Redis: BGSAVE snapshot to MinIO, FLUSHALL, restore' }, backupProcedures.redisSnapshot, async (s, procedure) => {
      // Setup: a dataset and its reference checksum; a sentinel writing Redis keys at 10/s throughout.
      if (!canEndpoint(env.provider)) throw new Error(`provider ${env.providerName} publishes no endpoints`);
      const redisEp = await env.provider.endpoint('redis');
      const url = `redis://:${encodeURIComponent(env.secrets.redisPassword)}@${redisEp.host}:${redisEp.port}`;
      await seedRedis(url, REDIS_SEED_KEYS);
      const before = await redisChecksum(url, 'seed:*');
      const sentinel = s.use(new SentinelWriter(redisSentinelSink(url, { keyPrefix: 'backup-sentinel' }), { ratePerSecond: 10, name: 'redis-sentinel' }));
      await sentinel.start();
      await sentinel.waitForAcked(10, { timeoutMs: 30_000, signal: env.signal });

      // The snapshot; writes after it are what a snapshot restore loses (the RPO must count them).
      await procedure.backup(url);
      await sentinel.waitForAcked(sentinel.ackedCount + 20, { timeoutMs: 30_000, signal: env.signal });
      const faultAt = await procedure.destroy(url);
      const flushed = await redisChecksum(url, 'seed:*');
      await sentinel.stop();
      await procedure.restore(url);
      const after = await redisChecksum(url, 'seed:*');
      const verifiedAt = hrNow();
      s.timeline.add({ at: verifiedAt, type: 'restore.completed', source: 'harness', subject: 'redis', detail: `${after.keys} keys, checksum ${after.sha256 === before.sha256 ? 'verified' : 'MISMATCH'}` });
      const appReadyAt = await app.ready('the app to be ready on the restored Redis');
      s.timeline.add({ at: appReadyAt, type: 'app.ready', source: 'harness', subject: 'backend' });
      const rpo = await sentinel.verify({ faultAt });

      const verdicts = [
        env.verdict('redis.rto', { value: Math.max(verifiedAt, appReadyAt) - faultAt, note: 'FLUSHALL -> Redis restored from the MinIO snapshot, keys verified, app ready' }),
        env.verdict('redis.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `newest surviving sentinel before the flush; ${rpo.lostAcked.length} acknowledged writes after the snapshot lost` }),
      ];
      await s.record({
        title: procedure.title, verdicts, sentinels: [rpo],
        notes: procedure.notes({ seedLine: `seed keys: ${before.keys} (sha256 ${before.sha256.slice(0, 12)}); after FLUSHALL: ${flushed.keys}; after restore: ${after.keys} (sha256 ${after.sha256.slice(0, 12)} ${after.sha256 === before.sha256 ? '=' : '≠'} before)`, faultAt }),
      });
      expect(flushed.keys).toBe(0);
      expect(after).toEqual(before);
      expect(rpo.lowerBound).toBe(false);
      expect(rpo.lostAcked.length, 'writes acknowledged after the snapshot are lost by a snapshot restore').toBeGreaterThan(0);
      // Document 001's Redis targets (onprem) must hold; a profile without them reports them skipped (and says so).
      expectHeld(verdicts);
    }), 600_000);

  it('PostgreSQL WAL archiving to MinIO + point-in-time restore: the design that meets the platform 15 min RPO', (t) =>
    backupScenario(t, env, pgConfig, { id: 'backup.postgres-wal', title: 'PostgreSQL: WAL archiving to MinIO + point-in-time restore' }, walArchive, async (s, wal) => {
      const { enabled, sentinel, base } = await walSetup(s, wal);
      await sentinel.waitForAcked(sentinel.ackedCount + 15, { timeoutMs: 60_000, signal: env.signal });
      const verifyTables = ['seed_items', 'wal_items', 'files'];
      const before = await tableChecksums(pgConfig, verifyTables);

      // Disaster: every application table dropped (an operator error: DROP SCHEMA public CASCADE).
      const faultAt = hrNow();
      const killer = new pg.Client(pgConfig);
      await killer.connect();
      await killer.query('DROP SCHEMA public CASCADE');
      await killer.query('CREATE SCHEMA public');
      await killer.end();
      s.timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'postgres', detail: 'DROP SCHEMA public CASCADE (every table of ai_saas_db)' });
      s.timeline.add({ at: faultAt, type: 'data.destroyed', source: 'harness', subject: 'postgres' });

      // Restore: archive the segment holding the damage, app to 0, base + WAL replayed to the fault time.
      const switched = await switchWal(wal.admin);
      const shippedAt = await waitShipped(wal.s3, env.config.backup.bucket, switched.segment);
      s.timeline.add({ at: shippedAt, type: 'note', source: 'harness', subject: 'postgres', detail: `WAL segment ${switched.segment} in MinIO ${formatDuration(shippedAt - switched.at)} after pg_switch_wal()` });
      await sentinel.stop();
      await wal.quiesce();
      const shipped = await wal.stopShipping();
      s.timeline.mark('restore.started', 'harness', { subject: 'postgres', detail: `recovery_target_time = ${recoveryTargetTime(faultAt)}` });
      const pitr = await wal.restore(base, { targetTime: faultAt });
      s.timeline.add({ at: pitr.readyAt, type: 'note', source: 'harness', subject: 'postgres', detail: 'recovery done, promoted' });
      const after = await tableChecksums(pgConfig, verifyTables);
      const readyAt = await resumed(s.timeline, wal);
      const rpo = await sentinel.verify({ faultAt });

      // Assess against document 004 (platform), whatever profile the run selected, plus 001's when onprem.
      const rtoMs = readyAt - faultAt;
      const shipLagMs = shippedAt - switched.at;
      const archiveTimeoutS = await activeArchiveTimeoutS(wal.admin);
      const schedule = await deployedBackupSchedule(env);
      const impliedWorstMs = archiveTimeoutS * 1000 + SHIP_INTERVAL_S * 1000 + shipLagMs;
      const verdicts = [
        platformVerdict('platform.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `measured: PITR to the fault time; ${rpo.lostAcked.length} acknowledged writes lost` }),
        { ...platformVerdict('platform.rpo', { value: impliedWorstMs, note: `worst case when the server is lost with its local WAL: archive_timeout ${archiveTimeoutS} s (read from pg_settings) + ship interval ${SHIP_INTERVAL_S} s + measured ship lag ${formatDuration(shipLagMs)}` }), targetId: 'platform.rpo.wal-worst-case' },
        platformVerdict('data-corruption.restore', { value: rtoMs, note: 'damage -> app ready on the point-in-time restored, verified database' }),
        ...(env.profile.name === 'platform' ? [] : [
          env.verdict('postgres.restore.rto', { value: rtoMs, note: 'WAL/PITR restore' }),
          env.verdict('postgres.restore.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: 'WAL/PITR restore' }),
        ]),
      ];
      await s.record({
        title: 'PostgreSQL: WAL archiving to MinIO + point-in-time restore', verdicts, sentinels: [rpo],
        notes: [
          `verified tables: ${describeChecksums(after, before)} (wal_items was written after the base backup: it is back only through WAL replay)`,
          `base backup ${formatDuration(base.completedAt - base.startedAt)} (${base.bytes} bytes gzip tar, SHA-256 verified before the restore); ${pitr.segments} WAL segments fetched; restore job ${formatDuration(pitr.jobMs)}; PostgreSQL primary again ${formatDuration(pitr.readyAt - faultAt)} after the damage`,
          `PostgreSQL: ${pitr.recoveryLog.join(' | ') || '(no recovery log lines found)'}`,
          `the daily dump (schedule "${schedule.schedule}", ${schedule.from}) implies up to ${formatDuration(schedule.worstMs)} of loss against document 004's 15 min (backup.postgres under PRODLIKE_PROFILE=platform fails on it); continuous archiving bounds it by archive_timeout (${archiveTimeoutS} s as the server runs it) + shipping`,
          `settings: ${Object.entries(enabled.settings).map(([k, v]) => `${k}=${k === 'archive_command' ? '(cp to wal-archive/, atomic)' : v}`).join(', ')}; shipper: mc mirror every ${SHIP_INTERVAL_S} s${shipped.exitCode === 0 ? '' : ` (exit ${shipped.exitCode})`}`,
          'Fault choice: a transactional DROP SCHEMA, because recovery_target_time cannot stop inside DROP DATABASE (its files are removed by a WAL record replayed before its commit); for that use recovery_target_lsn taken before the drop.',
        ],
      });
      expect(after).toEqual(before);
      expect(rpo.lowerBound).toBe(false);
      expect(archiveTimeoutS, 'archive_timeout as the server runs it').toBe(ARCHIVE_TIMEOUT_S);
      expectHeld(verdicts);
    }), 900_000);

  it('PostgreSQL WAL archiving: server and its disk lost; the archived WAL bounds the loss (archive_timeout)', (t) =>
    backupScenario(t, env, pgConfig, { id: 'backup.postgres-wal-disk-loss', title: 'PostgreSQL: disk lost, restore from base backup + WAL archive' }, walArchive, async (s, wal) => {
      const { sentinel, base } = await walSetup(s, wal);
      const archiveTimeoutS = await activeArchiveTimeoutS(wal.admin);

      // archive_timeout at work: the segment being written now gets archived and shipped with no help.
      const segment = await currentSegment(wal.admin);
      const archivedAt = await waitArchived(wal.admin, segment, (archiveTimeoutS + 30) * 1000);
      const shippedAt = await waitShipped(wal.s3, env.config.backup.bucket, segment);
      s.timeline.add({ at: archivedAt, type: 'note', source: 'provider', subject: 'postgres', detail: `segment ${segment} archived by archive_timeout` });
      s.timeline.add({ at: shippedAt, type: 'note', source: 'harness', subject: 'postgres', detail: `segment ${segment} in MinIO` });
      // The seed tables are complete in that segment; the sentinel keeps writing into the next one.
      const verifyTables = ['seed_items', 'wal_items'];
      const before = await tableChecksums(pgConfig, verifyTables);
      await sentinel.waitForAcked(sentinel.ackedCount + 25, { timeoutMs: 60_000, signal: env.signal }); // not archived yet

      // Disaster: the server and its disk are gone; what it archives locally afterwards goes with the disk.
      const { faultAt, shipped } = await wal.loseDisk();
      s.timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'postgres', detail: 'server frozen, then stopped and its volume wiped (disk loss)' });
      s.timeline.add({ at: faultAt, type: 'data.destroyed', source: 'harness', subject: 'postgres' });
      await sentinel.stop();

      // Restore: base + every archived segment, replayed to the end of the archive.
      await wal.quiesce();
      s.timeline.mark('restore.started', 'harness', { subject: 'postgres', detail: 'base + WAL to the end of the archive' });
      const pitr = await wal.restore(base, { alreadyStopped: true });
      const after = await tableChecksums(pgConfig, verifyTables);
      const readyAt = await resumed(s.timeline, wal);
      const rpo = await sentinel.verify({ faultAt });

      const boundMs = archiveTimeoutS * 1000 + SHIP_INTERVAL_S * 1000 + (shippedAt - archivedAt);
      const verdicts = [
        platformVerdict('platform.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `disk lost ${formatDuration(faultAt - shippedAt)} after the last archived segment reached MinIO; ${rpo.lostAcked.length} acknowledged writes lost` }),
        platformVerdict('platform.rto', { value: readyAt - faultAt, note: 'disk lost -> app ready on the restored database' }),
      ];
      await s.record({
        title: 'PostgreSQL: disk lost, restore from base backup + WAL archive', verdicts, sentinels: [rpo],
        notes: [
          `verified tables: ${describeChecksums(after, before)}`,
          `the loss is what was written after the last segment archive_timeout (${archiveTimeoutS} s, read from pg_settings) shipped: measured ${formatDuration(rpo.rpoMs)}, bound ${formatDuration(boundMs)} (archive_timeout + ship interval + measured ship lag ${formatDuration(shippedAt - archivedAt)})`,
          `${pitr.segments} WAL segments fetched; restore job ${formatDuration(pitr.jobMs)}; PostgreSQL: ${pitr.recoveryLog.join(' | ') || '(no recovery log lines found)'}${shipped.exitCode === 0 ? '' : `; shipper exit ${shipped.exitCode}`}`,
        ],
      });
      expect(after).toEqual(before);
      expect(rpo.lowerBound).toBe(false);
      expect(rpo.lostAcked.length, 'writes after the last archived segment are lost with the disk').toBeGreaterThan(0);
      expect(rpo.rpoMs, `RPO ${rpo.rpoMs} ms must stay within archive_timeout + shipping (${boundMs} ms)`).toBeLessThanOrEqual(boundMs);
      expectHeld(verdicts);
    }), 900_000);

  /**
   * The WAL scenarios' setup: continuous archiving on (ALTER SYSTEM + one restart the first time) and the
   * shipper, data, a steady sentinel through the app, the base backup, then data (wal_items) that only the
   * WAL replay can bring back.
   */
  async function walSetup(s: BackupScenario, wal: WalArchiveProcedure) {
    walEnabled = true;
    const enabled = await wal.start(ARCHIVE_TIMEOUT_S, SHIP_INTERVAL_S);
    s.timeline.mark('note', 'harness', { subject: 'postgres', detail: `archive_mode=on, archive_timeout=${ARCHIVE_TIMEOUT_S}s${enabled.restarted ? ' (PostgreSQL restarted)' : ' (already active)'}` });
    if (enabled.restarted) await app.ready('the app to be ready after PostgreSQL restarted with archiving on');
    await seedTable(pgConfig, 'seed_items', SEED_ROWS);
    const sentinel = s.use(await recordsSentinel(5));
    const base = await wal.baseBackup();
    await seedTable(pgConfig, 'wal_items', 5000);
    return { enabled, sentinel, base };
  }

  /** The app scaled back after a WAL restore and ready on the restored database: when (on the timeline too). */
  async function resumed(timeline: Timeline, wal: { resume(): Promise<void> }): Promise<number> {
    await wal.resume();
    const readyAt = await app.ready('the app to be ready on the restored database');
    timeline.add({ at: readyAt, type: 'restore.completed', source: 'harness', subject: 'postgres', detail: 'app ready on verified data' });
    timeline.add({ at: readyAt, type: 'app.ready', source: 'harness', subject: 'backend' });
    return readyAt;
  }
});
