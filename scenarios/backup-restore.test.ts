import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as MinioClient } from 'minio';
import pg from 'pg';
import type { SentinelVerification } from '../src/measure/sentinel-writer.ts';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { backupStore, canBackup, dataVolume, type BackupProvider } from '../src/backup/common.ts';
import { documentedRestore, kindBackupTarget, psqlInPod, runCronJobBackup } from '../src/backup/kind-pg-dump.ts';
import { backupRedisOnKind, restoreRedisOnKind } from '../src/backup/kind-redis.ts';
import { KubeEventWatch } from '../src/measure/kube-events.ts';
import { describeChecksums, seedRows, seedTable, tableChecksums } from '../src/backup/pg-dump.ts';
import { baseBackup, currentSegment, disableWalArchiving, enableWalArchiving, recoveryTargetTime, restorePointInTime, startWalShipper, switchWal, waitArchived, waitShipped, wipeVolume } from '../src/backup/wal-archive.ts';
import { resolveFrom } from '../src/config/load-config.ts';
import { findTarget, loadTargets, selectProfile } from '../src/config/load-targets.ts';
import { evaluateTarget, type BoundedTarget, type Verdict } from '../src/measure/verdict.ts';
import { cronInterval } from '../src/check/cron.ts';
import { loadManifests } from '../src/check/load-manifests.ts';
import { backupRedis, redisChecksum, restoreRedis, seedRedis } from '../src/backup/redis-backup.ts';
import { formatDuration } from '../src/core/duration.ts';
import { waitFor } from '../src/core/wait.ts';
import { hrNow } from '../src/measure/clock.ts';
import { SentinelWriter } from '../src/measure/sentinel-writer.ts';
import { appRecordsReader } from '../src/measure/sinks/app-records-reader.ts';
import { httpSentinelSink } from '../src/measure/sinks/http-sentinel-sink.ts';
import { Timeline } from '../src/measure/timeline.ts';
import { redisSentinelSink } from '../src/measure/sinks/redis-sentinel-sink.ts';
import { DATABASE } from '../src/providers/docker/topology.ts';
import { EnvironmentStore } from '../src/providers/environment-state.ts';
import { canEndpoint, canKubernetes, canLifecycle, canScale, type Provider, type SupportsEndpoints, type SupportsKubernetes, type SupportsLifecycle, type SupportsScale } from '../src/providers/provider.ts';
import { buildScenarioResult } from '../src/report/scenario-result.ts';
import { verifyBackup, writeChecksum } from '../src/safety/verify-backup.ts';
import { topologyImages } from '../src/providers/create-provider.ts';
import { watchProviderEvents } from './support/provider-events.ts';
import { scenarioSkipReason, startScenarioEnvironment, type ScenarioEnvironment } from './support/scenario-env.ts';

/**
 * Backup/restore suite (issue #8): document 001's backup (`pg_dump | gzip` to object storage, the
 * `postgres-backup` CronJob's job) and its restore procedure (scale the app to 0, recreate, restore,
 * verify, scale up), run for real: RTO = destruction -> app ready with verified data; RPO = fault ->
 * newest surviving acknowledged write; plus the worst case the backup schedule implies. Also: files, Redis
 * (BGSAVE snapshot to MinIO, FLUSHALL, restore) and the design that meets document 004's 15 min RPO, WAL
 * archiving to MinIO with point-in-time restore (after an operator error) and after a lost disk.
 * Procedures live in src/backup/; container events (docker events) are merged into each timeline.
 */
const skip = await scenarioSkipReason();
const ON_DOCKER = (process.env.PRODLIKE_PROVIDER ?? 'docker') === 'docker';
/** Tests that exist on the docker provider only: not defined on kind (no placeholder skip). */
const itOnDocker = ON_DOCKER ? it : () => undefined;
const SEED_ROWS = seedRows(); // PRODLIKE_SEED_PROFILE=ci (20 000 rows, default) | release (about 1 GB); PRODLIKE_SEED_ROWS overrides
const REDIS_SEED_KEYS = Number(process.env.PRODLIKE_REDIS_SEED_KEYS ?? 5000);
/** The backup CronJob (kind/manifests/base/postgres-backup.yaml, doc 001 §Backup and Recovery); its schedule is read where it is deployed. */
const BACKUP_CRONJOB = 'postgres-backup';
/** What the kind variants need: the cluster (kubectl, kubeconfig), scaling and published endpoints. */
type KubeProvider = Provider & SupportsKubernetes & SupportsScale & SupportsEndpoints;
/** WAL design (not in document 001): a forced segment switch at least every minute bounds the unarchived WAL. */
const ARCHIVE_TIMEOUT_S = 60;
const SHIP_INTERVAL_S = 1;

describe.skipIf(Boolean(skip))(`backup-restore${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let env: ScenarioEnvironment;
  let pgConfig: pg.ClientConfig;
  let walEnabled = false;
  /** Verdicts against document 004 (profile platform) whatever profile the run selected. */
  let platformVerdict: (id: string, measurement: Parameters<typeof evaluateTarget>[1]) => Verdict;

  /**
   * The backup schedule as deployed, read, never assumed: on kind the CronJob in the cluster; the docker
   * provider runs no CronJob, so there it is the CronJob of the manifests the kind provider applies
   * (`manifests` in prodlike.yaml, rendered with kustomize). Its longest interval is the worst-case RPO.
   */
  async function deployedBackupSchedule(): Promise<{ schedule: string; worstMs: number; from: string; suspended: boolean }> {
    let spec: { schedule?: string; timeZone?: string; suspend?: boolean } | undefined;
    let from: string;
    if (canKubernetes(env.provider)) {
      spec = (await env.provider.kubectl.json<{ spec: { schedule: string; timeZone?: string; suspend?: boolean } }>(['-n', 'app-backend', 'get', 'cronjob', BACKUP_CRONJOB])).spec;
      from = `cronjob/${BACKUP_CRONJOB} as deployed in the cluster`;
    } else {
      const loaded = await loadManifests(resolveFrom(env.loaded, env.config.manifests), { relativeTo: env.loaded.baseDir });
      spec = loaded.manifests.workloads.find((w) => w.kind === 'CronJob' && w.name === BACKUP_CRONJOB);
      from = `CronJob ${BACKUP_CRONJOB} of ${loaded.source} (${loaded.renderedWith}; the docker provider runs no CronJob: this is the schedule the kind deployment applies)`;
    }
    if (!spec?.schedule) throw new Error(`no schedule for CronJob ${BACKUP_CRONJOB} (${from})`);
    return { schedule: spec.schedule, worstMs: cronInterval(spec.schedule, spec.timeZone).maxIntervalMs, from, suspended: spec.suspend === true };
  }

  /** The docker variants' provider: the backup procedures' jobs, exec and lifecycle, plus scaling and pause. */
  function dockerProvider(): Provider & BackupProvider & SupportsScale & SupportsLifecycle {
    if (!canBackup(env.provider) || !canScale(env.provider) || !canLifecycle(env.provider)) throw new Error(`this variant runs on the docker provider; the environment is ${env.providerName}`);
    return env.provider;
  }

  /** The kind variants' provider (a Kubernetes cluster that scales and publishes endpoints); undefined elsewhere. */
  function kubernetesProvider(): KubeProvider | undefined {
    const provider = env.provider;
    if (!canKubernetes(provider)) return undefined;
    if (!canScale(provider) || !canEndpoint(provider)) throw new Error(`the kind variants scale services and reach their endpoints; provider ${env.providerName} cannot`);
    return provider;
  }

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

  /**
   * Every target verdict must pass. A skip is accepted only where the selected profile has no such target
   * (its reason says so); report-only figures (kind 'report') are not targets.
   */
  function expectHeld(verdicts: readonly Verdict[]): void {
    for (const v of verdicts) {
      const what = `${v.targetId}: measured ${v.measured} ${v.unit} vs ${v.comparator} ${v.limit}${v.reason ? ` (${v.reason})` : ''}`;
      if (v.targetKind === 'report') expect(v.measured, what).not.toBeNull();
      else if (v.verdict === 'skipped' && v.measured === null && /^profile \S+ has no target/.test(v.reason ?? '')) continue;
      else expect(v.verdict, what).toBe('pass');
    }
  }

  beforeAll(async () => {
    env = await startScenarioEnvironment('backup-restore');
    if (!canEndpoint(env.provider)) throw new Error(`provider ${env.providerName} publishes no endpoints`);
    const ep = await env.provider.endpoint('postgres');
    pgConfig = { host: ep.host, port: ep.port, user: DATABASE.user, database: DATABASE.name, password: env.secrets.postgresPassword };
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

  /**
   * The kind variant of backup.postgres: the real `postgres-backup` CronJob triggered as a Job (pg_dump | gzip,
   * uploaded to MinIO by its second container), the database dropped, and document 001 §2's restore script run
   * against the cluster (app scaled to 0, psql in postgres-0 to recreate, the dump piped through `kubectl exec -i`,
   * counts, scale up). Same result shape as the docker variant; Kubernetes Job/pod events on the timeline.
   */
  async function postgresDumpOnKind(provider: KubeProvider): Promise<void> {
    const startedAt = Date.now();
    const timeline = new Timeline();
    const faults = env.faults('backup.postgres');
    const guard = faults.guard;
    if (!guard) throw new Error('the scenario environment has no ownership guard');
    const target = kindBackupTarget(env.config, 'postgres', { kubectl: provider.kubectl, guard });
    const watch = new KubeEventWatch({ kubectl: provider.kubectl, namespace: 'app-backend', podSelector: 'app in (backend,worker,postgres,postgres-backup)' });
    await watch.start();
    let watching = true;
    onTestFinished(() => {
      if (watching) watch.stop();
    });
    const work = await mkdtemp(join(tmpdir(), 'prodlike-backup-kind-'));
    onTestFinished(() => rm(work, { recursive: true, force: true }));
    const s3 = await backupStore(provider, env.secrets);
    const appReady = (what: string) => waitFor(async () => ((await fetch(`${env.entry}/api/health/ready`).then((r) => r.status, () => 0)) === 200 ? hrNow() : undefined), { timeoutMs: 180_000, intervalMs: 200, description: what });

    // 1. Seed a dataset (profile ci: small) and take the reference checksums once the seed executions finished.
    await seedTable(pgConfig, 'seed_items', SEED_ROWS);
    const executions: string[] = [];
    for (let i = 0; i < 3; i++) {
      // Retried on a connection error: the backend HPA scales an idle backend 3 -> 2 (minReplicas) and a
      // request can land on the pod being terminated ("other side closed"). Only acknowledged ids are followed.
      const id = await waitFor(async () => {
        const r = await fetch(`${env.entry}/api/executions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflowId: `backup-${i}`, tier: 'free', payloadSize: 128, workUnits: 1 }) });
        return r.ok ? ((await r.json()) as { id: string }).id : undefined;
      }, { timeoutMs: 60_000, intervalMs: 500, description: `execution backup-${i} to be accepted` });
      executions.push(id);
    }
    await waitFor(async () => {
      const states = await Promise.all(executions.map(async (id) => ((await (await fetch(`${env.entry}/api/executions/${id}`)).json()) as { status: string }).status));
      return states.every((st) => st === 'COMPLETED') ? true : undefined;
    }, { timeoutMs: 240_000, intervalMs: 500, description: 'the seed executions to complete' });
    const verifiedTables = ['seed_items', 'executions', 'files'];
    const before = await tableChecksums(pgConfig, verifiedTables);

    // 2. Steady sentinel writes through the app (entry NodePort) for the whole scenario.
    const sentinel = new SentinelWriter(httpSentinelSink({ url: `${env.entry}/api/records`, readBack: appRecordsReader(pgConfig) }), { ratePerSecond: 5, name: 'app-records' });
    try {
      await sentinel.start();
      await sentinel.waitForAcked(10, { timeoutMs: 60_000, signal: env.signal });

      // 3. The documented backup: the CronJob's own Job (pg_dump | gzip, then mc cp to MinIO), waited on its condition.
      const backupAt = hrNow();
      timeline.add({ at: backupAt, type: 'backup.started', source: 'harness', subject: 'postgres', detail: 'kubectl create job --from=cronjob/postgres-backup' });
      const backup = await runCronJobBackup(target, { signal: env.signal });
      const bucket = backup.bucket ?? 'saasit-backups';
      // The checksum is recorded when the backup completes: the restore verifies the object against it.
      const backupFile = join(work, 'backup.sql.gz');
      await s3.fGetObject(bucket, backup.objectName!, backupFile);
      const sha256 = await writeChecksum(backupFile);
      const dumpBytes = (await s3.statObject(bucket, backup.objectName!)).size;
      const backupDoneAt = backup.completedAt;
      timeline.add({ at: backupDoneAt, type: 'backup.completed', source: 'harness', subject: 'postgres', detail: `Job ${backup.job}: s3://${bucket}/${backup.objectName}, ${dumpBytes} bytes, sha256 ${sha256.slice(0, 12)}…` });
      // Writes after the backup: the data a daily dump loses.
      const ackedAtBackup = sentinel.ackedCount;
      await sentinel.waitForAcked(ackedAtBackup + 15, { timeoutMs: 60_000, signal: env.signal });

      // 4. Disaster: the database is destroyed (psql in postgres-0, behind the ownership guard).
      await guard(`drop database ${DATABASE.name}`, 'postgres');
      const faultAt = hrNow();
      await psqlInPod(target, ['-c', `DROP DATABASE ${DATABASE.name} WITH (FORCE);`]);
      timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'postgres', detail: `DROP DATABASE ${DATABASE.name} WITH (FORCE) (kubectl exec postgres-0 -- psql)` });
      timeline.add({ at: faultAt, type: 'data.destroyed', source: 'harness', subject: 'postgres' });

      // 5. Document 001 §2: fetch + verify the backup BEFORE anything else, scale the app to 0 (the document
      //    scales only the backend; the worker holds connections too), recreate, restore, count, scale up.
      const restoreFile = join(work, 'restore.sql.gz');
      await s3.fGetObject(bucket, backup.objectName!, restoreFile);
      const verified = await verifyBackup(restoreFile, { sha256 });
      await sentinel.stop();
      const backendReplicas = await provider.replicas('backend');
      const workerReplicas = await provider.replicas('worker');
      timeline.mark('restore.started', 'harness', { subject: 'postgres', detail: `backend ${backendReplicas} and worker ${workerReplicas} scaled to 0` });
      // Both at once, as an operator would (`kubectl scale deployment/backend deployment/worker --replicas=0`).
      await Promise.all([provider.scale('worker', 0), provider.scale('backend', 0)]);
      const restored = await documentedRestore(target, { file: restoreFile, database: DATABASE.name, verifyTables: verifiedTables });
      for (const st of restored.steps) timeline.add({ at: st.at, type: 'note', source: 'harness', subject: 'postgres', detail: st.step });
      const after = await tableChecksums(pgConfig, verifiedTables);
      await Promise.all([provider.scale('backend', backendReplicas), provider.scale('worker', workerReplicas)]);
      const readyAt = await appReady('the app to be ready on the restored database');
      timeline.add({ at: readyAt, type: 'restore.completed', source: 'harness', subject: 'postgres', detail: 'app ready on verified data' });
      timeline.add({ at: readyAt, type: 'app.ready', source: 'harness', subject: 'backend' });

      const rpo = await sentinel.verify({ faultAt });
      watching = false;
      timeline.merge(watch.stop());
      await guard(`delete job ${backup.job}`, 'postgres');
      await provider.kubectl.run(['-n', 'app-backend', 'delete', 'job', backup.job, '--ignore-not-found', '--wait=false'], { allowFailure: true });

      const rtoMs = readyAt - faultAt;
      const backupMs = backupDoneAt - backupAt;
      const schedule = await deployedBackupSchedule();
      const platform = env.profile.name === 'platform';
      const verdicts = [
        env.verdict(platform ? 'data-corruption.restore' : 'postgres.restore.rto', { value: rtoMs, note: `destruction -> app ready on verified data (backup Job ${formatDuration(backupMs)}, ${dumpBytes} bytes)` }),
        env.verdict(platform ? 'platform.rpo' : 'postgres.restore.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `measured: writes after the backup were lost (${rpo.lostAcked.length})` }),
        { ...env.verdict(platform ? 'platform.rpo' : 'postgres.restore.rpo', { value: schedule.worstMs, note: `worst case implied by the schedule "${schedule.schedule}" of ${schedule.from}` }), targetId: `${platform ? 'platform.rpo' : 'postgres.restore.rpo'}.schedule` },
      ];
      for (const v of verdicts) process.stdout.write(`  ${v.targetId}: ${v.measured} ${v.unit} vs ${v.comparator} ${v.limit} → ${v.verdict}\n`);
      const countsOk = verifiedTables.every((tb) => restored.counts[tb] === before[tb]!.rows);
      env.recorder.addScenario(buildScenarioResult({
        suite: 'backup-restore', id: 'backup.postgres', title: 'PostgreSQL: CronJob backup to MinIO, destroy, documented restore (kind)', startedAt, endedAt: Date.now(), verdicts, timeline, sentinels: [rpo],
        notes: [
          `seed rows: ${SEED_ROWS}; verified tables: ${describeChecksums(after, before)}; row counts in postgres-0 (document step 4): ${verifiedTables.map((tb) => `${tb} ${restored.counts[tb] ?? '?'}`).join(', ')}${countsOk ? '' : ' (MISMATCH)'}`,
          `backup: Job ${backup.job} from cronjob/postgres-backup, create -> Complete ${formatDuration(backupMs)} (${backup.containers.map((c) => `${c.container} ${formatDuration(c.ms)}`).join(', ') || 'container times unknown'}; the rest is pod scheduling and start); s3://${bucket}/${backup.objectName} ${dumpBytes} bytes gzip (job log: ${backup.bytes ?? '?'} bytes); verified sha256 + gzip before the restore in ${formatDuration(verified.durationMs)}`,
          `restore: gunzip | kubectl exec -i postgres-0 -- psql ${formatDuration(restored.restoreMs)}; PostgreSQL restored ${formatDuration(restored.steps.at(-1)!.at - faultAt)} after the drop; backend ${backendReplicas} and worker ${workerReplicas} replicas scaled back together`,
          `worst-case RPO implied by the schedule "${schedule.schedule}" (${schedule.from}): ${formatDuration(schedule.worstMs)}${schedule.suspended ? '; the CronJob is SUSPENDED: no scheduled backup runs' : ''}`,
          'Document 001 §2 as written: scales only the backend (the worker keeps connections, so its DROP DATABASE without FORCE fails); pipes the dump into psql without ON_ERROR_STOP (a failed restore exits 0); counts `users`, a table the reference app does not have. Run here with the worker scaled too, ON_ERROR_STOP=1, and the app\'s own tables counted.',
          ...(watch.errors.length ? [`Kubernetes watch errors: ${watch.errors.join('; ')}`] : []),
          'CPU: 2 shared cores (another helper and the lead work on the same host): durations are pessimistic.',
        ],
      }));
      expect(after, describeChecksums(after, before)).toEqual(before);
      for (const tb of verifiedTables) expect(restored.counts[tb], `row count of ${tb} in postgres-0 after the restore`).toBe(before[tb]!.rows);
      expect(rpo.lostAcked.length, 'writes acknowledged after the backup are lost by a dump restore').toBeGreaterThan(0);
      expect(rpo.lowerBound).toBe(false);
      expect(schedule.suspended, `${schedule.from} is suspended: no scheduled backup runs`).toBe(false);
      // Platform (document 004, RPO 15 min): the daily schedule misses it — recorded above as a failed verdict (exit 1).
      expectHeld(verdicts);
    } finally {
      await sentinel.close().catch(() => undefined);
    }
  }

  /**
   * The kind variant of backup.redis: BGSAVE, dump.rdb read out of the Redis pod (document 001 §3 uses
   * `kubectl cp redis-0:/data/dump.rdb`; Redis is a Deployment, its pod is found by label) to MinIO with its
   * SHA-256; FLUSHALL; restore with Redis scaled to 0 and a restore pod writing the snapshot into redis-pvc as
   * the AOF base; keys verified. Same result shape as the docker variant.
   */
  async function redisOnKind(provider: KubeProvider): Promise<void> {
    const startedAt = Date.now();
    const timeline = new Timeline();
    const faults = env.faults('backup.redis');
    const guard = faults.guard;
    if (!guard) throw new Error('the scenario environment has no ownership guard');
    const target = kindBackupTarget(env.config, 'redis', { kubectl: provider.kubectl, guard });
    const watch = new KubeEventWatch({ kubectl: provider.kubectl, namespace: 'app-backend', podSelector: 'app in (redis,redis-restore)' });
    await watch.start();
    let watching = true;
    onTestFinished(() => {
      if (watching) watch.stop();
    });
    const work = await mkdtemp(join(tmpdir(), 'prodlike-redis-backup-kind-'));
    onTestFinished(() => rm(work, { recursive: true, force: true }));
    const redisEp = await provider.endpoint('redis');
    const url = `redis://:${encodeURIComponent(env.secrets.redisPassword)}@${redisEp.host}:${redisEp.port}`;
    const s3 = await backupStore(provider, env.secrets);

    // 1. A dataset and its reference checksum; a sentinel writing Redis keys at 10/s throughout.
    await seedRedis(url, REDIS_SEED_KEYS);
    const before = await redisChecksum(url, 'seed:*');
    const sentinel = new SentinelWriter(redisSentinelSink(url, { keyPrefix: 'backup-sentinel' }), { ratePerSecond: 10, name: 'redis-sentinel' });
    try {
      await sentinel.start();
      await sentinel.waitForAcked(10, { timeoutMs: 30_000, signal: env.signal });

      // 2. The backup: BGSAVE, dump.rdb out of the pod, to MinIO with its SHA-256.
      const backupAt = hrNow();
      timeline.add({ at: backupAt, type: 'backup.started', source: 'harness', subject: 'redis' });
      const backup = await backupRedisOnKind(target, { s3, url, work });
      timeline.add({ at: backup.snapshotAt, type: 'note', source: 'harness', subject: 'redis', detail: 'BGSAVE completed (the recovery point)' });
      const backupDoneAt = hrNow();
      timeline.add({ at: backupDoneAt, type: 'backup.completed', source: 'harness', subject: 'redis', detail: `${backup.objectName}, ${backup.bytes} bytes (from pod ${backup.pod})` });
      const ackedAtBackup = sentinel.ackedCount;
      await sentinel.waitForAcked(ackedAtBackup + 20, { timeoutMs: 30_000, signal: env.signal });

      // 3. Disaster: FLUSHALL (an operator error; the AOF logs it too, so AOF replay alone cannot undo it).
      await guard('FLUSHALL', 'redis');
      const faultAt = hrNow();
      const { createClient } = await import('redis');
      const admin = createClient({ url });
      admin.on('error', () => undefined);
      await admin.connect();
      await admin.flushAll();
      admin.destroy();
      timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'redis', detail: 'FLUSHALL' });
      timeline.add({ at: faultAt, type: 'data.destroyed', source: 'harness', subject: 'redis' });
      const flushed = await redisChecksum(url, 'seed:*');

      // 4. Restore: fetch + verify, Redis to 0, snapshot into redis-pvc as the AOF base, Redis to 1, verify keys.
      await sentinel.stop();
      timeline.mark('restore.started', 'harness', { subject: 'redis' });
      const restore = await restoreRedisOnKind(target, { s3, url, work, objectName: backup.objectName, image: backup.image, scaleRedis: (n) => provider.scale('redis', n) });
      const after = await redisChecksum(url, 'seed:*');
      const verifiedAt = hrNow();
      timeline.add({ at: verifiedAt, type: 'restore.completed', source: 'harness', subject: 'redis', detail: `${after.keys} keys, checksum ${after.sha256 === before.sha256 ? 'verified' : 'MISMATCH'}` });
      const appReadyAt = await waitFor(async () => ((await fetch(`${env.entry}/api/health/ready`).then((r) => r.status, () => 0)) === 200 ? hrNow() : undefined), { timeoutMs: 180_000, intervalMs: 200, description: 'the app to be ready on the restored Redis' });
      timeline.add({ at: appReadyAt, type: 'app.ready', source: 'harness', subject: 'backend' });
      const rpo: SentinelVerification = await sentinel.verify({ faultAt });
      watching = false;
      timeline.merge(watch.stop());

      const rtoMs = Math.max(verifiedAt, appReadyAt) - faultAt;
      const verdicts = [
        env.verdict('redis.rto', { value: rtoMs, note: 'FLUSHALL -> Redis restored from the MinIO snapshot, keys verified, app ready' }),
        env.verdict('redis.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `newest surviving sentinel before the flush; ${rpo.lostAcked.length} acknowledged writes after the snapshot lost` }),
      ];
      for (const v of verdicts) process.stdout.write(`  ${v.targetId}: ${v.measured} ${v.unit} vs ${v.comparator} ${v.limit} → ${v.verdict}\n`);
      env.recorder.addScenario(buildScenarioResult({
        suite: 'backup-restore', id: 'backup.redis', title: 'Redis: BGSAVE snapshot to MinIO, FLUSHALL, restore (kind)', startedAt, endedAt: Date.now(), verdicts, timeline, sentinels: [rpo],
        notes: [
          `seed keys: ${before.keys} (sha256 ${before.sha256.slice(0, 12)}); after FLUSHALL: ${flushed.keys}; after restore: ${after.keys} (sha256 ${after.sha256.slice(0, 12)} ${after.sha256 === before.sha256 ? '=' : '≠'} before)`,
          `backup ${formatDuration(backupDoneAt - backupAt)}: snapshot ${backup.bytes} bytes read out of pod ${backup.pod}, verified by SHA-256 before Redis was scaled to 0; restore pod on redis-pvc ${formatDuration(restore.podMs)}; Redis ready ${formatDuration(restore.readyAt - faultAt)} after the flush`,
          'Document 001 §3 as written: `kubectl exec redis-0 -- redis-cli SAVE` and `kubectl cp app-backend/redis-0:/data/dump.rdb`; Redis is a Deployment (no pod redis-0), and with appendonly yes a copied-back dump.rdb is ignored at start (the AOF wins): the snapshot has to become the AOF base.',
          'The RPO of a snapshot design is the snapshot interval: the measured value is the time between this run\'s snapshot and the flush. Document 001\'s 1 min RPO ("Continuous (AOF)") holds for a crash, not for a FLUSHALL, which the AOF replays too.',
          ...(watch.errors.length ? [`Kubernetes watch errors: ${watch.errors.join('; ')}`] : []),
          'CPU: 2 shared cores (another helper and the lead work on the same host): durations are pessimistic.',
        ],
      }));
      expect(flushed.keys).toBe(0);
      expect(after).toEqual(before);
      expect(rpo.lowerBound).toBe(false);
      expect(rpo.lostAcked.length, 'writes acknowledged after the snapshot are lost by a snapshot restore').toBeGreaterThan(0);
      expectHeld(verdicts);
    } finally {
      await sentinel.close().catch(() => undefined);
    }
  }

  it('PostgreSQL: backup to MinIO, database destroyed, documented restore; data verified; RTO/RPO measured', async () => {
    const kube = kubernetesProvider();
    if (kube) {
      await postgresDumpOnKind(kube);
      return;
    }
    const provider = dockerProvider();
    const startedAt = Date.now();
    const timeline = new Timeline();
    const events = await watchProviderEvents(env);
    const images = await topologyImages((await new EnvironmentStore(env.loaded.baseDir, env.config.name).readState())!.imageSource);
    const work = await mkdtemp(join(tmpdir(), 'prodlike-backup-'));
    await chmod(work, 0o777); // the job runs as the image's user (postgres, uid 999), like the CronJob's pod
    onTestFinished(() => rm(work, { recursive: true, force: true }));

    // 1. Seed a dataset (profile ci: small) and take the reference checksums.
    await seedTable(pgConfig, 'seed_items', SEED_ROWS);
    const executions: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${env.entry}/api/executions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflowId: `backup-${i}`, tier: 'free', payloadSize: 128, workUnits: 1 }) });
      executions.push(((await r.json()) as { id: string }).id);
    }
    // The reference state is taken once the executions are finished: a running worker changes their rows.
    await waitFor(async () => {
      const states = await Promise.all(executions.map(async (id) => ((await (await fetch(`${env.entry}/api/executions/${id}`)).json()) as { status: string }).status));
      return states.every((st) => st === 'COMPLETED') ? true : undefined;
    }, { timeoutMs: 120_000, intervalMs: 250, description: 'the seed executions to complete' });
    const verifiedTables = ['seed_items', 'executions', 'files'];
    const before = await tableChecksums(pgConfig, verifiedTables);

    // 2. Steady sentinel writes through the app for the whole scenario.
    const sentinel = new SentinelWriter(httpSentinelSink({ url: `${env.entry}/api/records`, readBack: appRecordsReader(pgConfig) }), { ratePerSecond: 5 });
    await sentinel.start();
    await sentinel.waitForAcked(10, { timeoutMs: 60_000, signal: env.signal });

    // 3. The documented backup: pg_dump | gzip, by a job container on the environment network, then to MinIO.
    const backupAt = hrNow();
    timeline.add({ at: backupAt, type: 'backup.started', source: 'harness', subject: 'postgres' });
    const dump = await provider.runJob({
      name: 'postgres-backup', image: images.postgres,
      // No pipe: a failing pg_dump must fail the job (POSIX sh has no pipefail; the official image is alpine).
      command: ['sh', '-c', 'pg_dump -h postgres-service -U postgres -d ai_saas_db --clean --if-exists -f /backup/postgres.sql && gzip -f /backup/postgres.sql'],
      env: { PGPASSWORD: env.secrets.postgresPassword }, mounts: [{ host: work, container: '/backup' }],
    });
    if (dump.exitCode !== 0) throw new Error(`backup job failed (exit ${dump.exitCode}): ${dump.logs}`);
    const backupFile = join(work, 'postgres.sql.gz');
    const sha256 = await writeChecksum(backupFile);
    const minioEp = await provider.endpoint('minio');
    const s3 = new MinioClient({ endPoint: minioEp.host, port: minioEp.port, useSSL: false, accessKey: env.secrets.minioAccessKey, secretKey: env.secrets.minioSecretKey });
    if (!(await s3.bucketExists('saasit-backups'))) await s3.makeBucket('saasit-backups');
    const objectName = `postgres/backup-${new Date().toISOString().slice(0, 10)}-${Date.now()}.sql.gz`;
    await s3.fPutObject('saasit-backups', objectName, backupFile, { 'x-amz-meta-sha256': sha256 });
    const backupDoneAt = hrNow();
    const dumpBytes = (await readFile(backupFile)).length;
    timeline.add({ at: backupDoneAt, type: 'backup.completed', source: 'harness', subject: 'postgres', detail: `${dumpBytes} bytes, sha256 ${sha256.slice(0, 12)}…` });
    // Acknowledged writes after the backup: the data a daily backup loses (waited on, not slept for).
    await sentinel.waitForAcked(sentinel.ackedCount + 15, { timeoutMs: 60_000, signal: env.signal });

    // 4. Disaster: the database is destroyed.
    const faultAt = hrNow();
    const admin = new pg.Client({ ...pgConfig, database: 'postgres' });
    await admin.connect();
    await admin.query(`DROP DATABASE ${DATABASE.name} WITH (FORCE)`);
    timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'postgres', detail: 'DROP DATABASE ai_saas_db WITH (FORCE)' });

    // 5. Document 001's restore procedure: fetch + verify the backup BEFORE anything else, scale the app to
    //    0, recreate the database, restore, verify the data, scale up.
    const restoreFile = join(work, 'restore.sql.gz');
    await s3.fGetObject('saasit-backups', objectName, restoreFile);
    const stat = await s3.statObject('saasit-backups', objectName);
    const verified = await verifyBackup(restoreFile, { sha256: stat.metaData.sha256 ?? sha256 });
    const backendReplicas = await provider.replicas('backend');
    await sentinel.stop();
    await provider.scale('worker', 0);
    await provider.scale('backend', 0);
    await admin.query(`CREATE DATABASE ${DATABASE.name}`);
    await admin.end();
    const restore = await provider.runJob({
      name: 'postgres-restore', image: images.postgres,
      command: ['sh', '-c', 'gunzip -c /backup/restore.sql.gz | psql -h postgres-service -U postgres -d ai_saas_db -v ON_ERROR_STOP=1 -q'],
      env: { PGPASSWORD: env.secrets.postgresPassword }, mounts: [{ host: work, container: '/backup' }],
    });
    if (restore.exitCode !== 0) throw new Error(`restore job failed (exit ${restore.exitCode}): ${restore.logs}`);
    const after = await tableChecksums(pgConfig, verifiedTables);
    await provider.scale('backend', backendReplicas);
    await provider.scale('worker', 1);
    const readyAt = await waitFor(async () => ((await fetch(`${env.entry}/api/health/ready`).then((r) => r.status, () => 0)) === 200 ? hrNow() : undefined), { timeoutMs: 120_000, intervalMs: 200, description: 'the app to be ready on the restored database' });
    timeline.add({ at: readyAt, type: 'restore.completed', source: 'harness', subject: 'postgres', detail: 'app ready on verified data' });

    const rpo = await sentinel.verify({ faultAt });
    timeline.merge(await events.stop());
    const rtoMs = readyAt - faultAt;
    const schedule = await deployedBackupSchedule();
    const verdicts = [
      env.verdict(env.profile.name === 'platform' ? 'data-corruption.restore' : 'postgres.restore.rto', { value: rtoMs, note: `destruction -> app ready on verified data (backup ${formatDuration(backupDoneAt - backupAt)}, ${dumpBytes} bytes)` }),
      env.verdict(env.profile.name === 'platform' ? 'platform.rpo' : 'postgres.restore.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `measured: writes after the backup were lost (${rpo.lostAcked.length})` }),
      { ...env.verdict(env.profile.name === 'platform' ? 'platform.rpo' : 'postgres.restore.rpo', { value: schedule.worstMs, note: `worst case implied by the schedule "${schedule.schedule}" of ${schedule.from}` }), targetId: `${env.profile.name === 'platform' ? 'platform.rpo' : 'postgres.restore.rpo'}.schedule` },
    ];
    for (const v of verdicts) process.stdout.write(`  ${v.targetId}: ${v.measured} ${v.unit} vs ${v.comparator} ${v.limit} → ${v.verdict}\n`);
    env.recorder.addScenario(buildScenarioResult({
      suite: 'backup-restore', id: 'backup.postgres', title: 'PostgreSQL: backup to MinIO, destroy, documented restore', startedAt, endedAt: Date.now(), verdicts, timeline, sentinels: [rpo],
      notes: [
        `seed rows: ${SEED_ROWS}; verified tables: ${describeChecksums(after, before)}`,
        `backup ${formatDuration(backupDoneAt - backupAt)} (${dumpBytes} bytes gzip, verified sha256 + gzip before the restore in ${formatDuration(verified.durationMs)}); restore job ${formatDuration(restore.durationMs)}`,
        `worst-case RPO implied by the schedule "${schedule.schedule}" (${schedule.from}): ${formatDuration(schedule.worstMs)}${schedule.suspended ? '; the CronJob is SUSPENDED: no scheduled backup runs' : ''}`,
      ],
    }));
    expect(after).toEqual(before);
    // Writes acknowledged after the backup are lost by design of a dump-based restore: the RPO reports them.
    expect(rpo.lostAcked.length).toBeGreaterThan(0);
    expect(rpo.lowerBound).toBe(false);
    expect(schedule.suspended, `${schedule.from} is suspended: no scheduled backup runs`).toBe(false);
    // onprem (24 h RPO, 30 min RTO) must hold; platform (RPO 15 min) is missed by a daily schedule — a failed
    // verdict recorded above (exit 1), and this check fails with it.
    expectHeld(verdicts);
  }, 900_000);

  it('Files: objects with checksums, mirrored to the backup bucket, deleted, restored, verified', async () => {
    const provider = env.provider;
    if (!canEndpoint(provider)) throw new Error(`provider ${env.providerName} publishes no endpoints`);
    const startedAt = Date.now();
    const timeline = new Timeline();
    const minioEp = await provider.endpoint('minio');
    const s3 = new MinioClient({ endPoint: minioEp.host, port: minioEp.port, useSSL: false, accessKey: env.secrets.minioAccessKey, secretKey: env.secrets.minioSecretKey });
    const uploads: { id: string; sha256: string }[] = [];
    for (let i = 0; i < 10; i++) {
      const body = `file ${i} ${'y'.repeat(1000 + i)}`;
      const r = await fetch(`${env.entry}/api/files?filename=f-${i}.txt`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
      expect(r.status).toBe(201);
      uploads.push({ id: ((await r.json()) as { id: string }).id, sha256: createHash('sha256').update(body).digest('hex') });
    }
    if (!(await s3.bucketExists('saasit-backups'))) await s3.makeBucket('saasit-backups');
    const objects: string[] = [];
    for await (const o of s3.listObjectsV2('saasit-artifacts', '', true)) if (o.name) objects.push(o.name);
    const backupAt = hrNow();
    for (const name of objects) await s3.copyObject('saasit-backups', `files/${name}`, `/saasit-artifacts/${name}`);
    timeline.add({ at: backupAt, type: 'backup.completed', source: 'harness', subject: 'files', detail: `${objects.length} objects` });
    const faultAt = hrNow();
    await s3.removeObjects('saasit-artifacts', objects);
    timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'files', detail: `deleted ${objects.length} objects` });
    const broken = await fetch(`${env.entry}/api/files/${uploads[0]!.id}?download=1`);
    expect(broken.status).not.toBe(200);
    for (const name of objects) await s3.copyObject('saasit-artifacts', name, `/saasit-backups/files/${name}`);
    let verified = 0;
    for (const u of uploads) {
      const r = await fetch(`${env.entry}/api/files/${u.id}?download=1`);
      const body = Buffer.from(await r.arrayBuffer());
      if (r.status === 200 && createHash('sha256').update(body).digest('hex') === u.sha256) verified += 1;
    }
    const restoredAt = hrNow();
    timeline.add({ at: restoredAt, type: 'restore.completed', source: 'harness', subject: 'files', detail: `${verified}/${uploads.length} checksums verified` });
    // The restore is our own copy loop (backup bucket -> artifacts bucket, then a checksum per upload): its
    // duration is set by the harness, not a recovery the system performed, so it is reported, not held
    // against files.restore.rto / platform.rto.
    const documented = env.profile.name === 'platform' ? 'platform.rto' : 'files.restore.rto';
    const copyTime: BoundedTarget = { id: 'files.restore.copy-time', metric: 'duration', component: 'files', kind: 'report', unit: 'ms', source: { doc: 'prodlike', section: 'backup-restore: files restore copy loop' } };
    const verdicts = [evaluateTarget(copyTime, { value: restoredAt - faultAt, note: `harness-set: objects deleted -> copied back by this suite's loop and checksums verified; not a client-visible recovery, so not compared with ${documented}` }, { sourceLabel: 'harness-set figure (this suite\'s copy loop)' })];
    env.recorder.addScenario(buildScenarioResult({
      suite: 'backup-restore', id: 'backup.files', title: 'Files: backup, delete, restore, verify checksums', startedAt, endedAt: Date.now(), verdicts, timeline,
      notes: [
        `${objects.length} objects mirrored; ${verified}/${uploads.length} uploads verified by sha256 after restore; a download failed with HTTP ${broken.status} while the objects were gone`,
        `restore time ${formatDuration(restoredAt - faultAt)} is the duration of this suite's own copy loop (reported only; ${documented} would need a restore the system performs)`,
      ],
    }));
    expect(verified).toBe(uploads.length);
  }, 600_000);

  it('Redis: BGSAVE snapshot to MinIO, FLUSHALL, restore as the AOF base; keys verified; RTO/RPO measured', async () => {
    const kube = kubernetesProvider();
    if (kube) {
      await redisOnKind(kube);
      return;
    }
    const provider = dockerProvider();
    const startedAt = Date.now();
    const timeline = new Timeline();
    const events = await watchProviderEvents(env);
    const images = await topologyImages((await new EnvironmentStore(env.loaded.baseDir, env.config.name).readState())!.imageSource);
    const work = await mkdtemp(join(tmpdir(), 'prodlike-redis-backup-'));
    await chmod(work, 0o777);
    onTestFinished(() => rm(work, { recursive: true, force: true }));
    const redisEp = await provider.endpoint('redis');
    const url = `redis://:${encodeURIComponent(env.secrets.redisPassword)}@${redisEp.host}:${redisEp.port}`;
    const volume = dataVolume(env.config.name, 'redis');
    const s3 = await backupStore(provider, env.secrets);

    // 1. A dataset and its reference checksum; a sentinel writing Redis keys at 10/s throughout.
    await seedRedis(url, REDIS_SEED_KEYS);
    const before = await redisChecksum(url, 'seed:*');
    const sentinel = new SentinelWriter(redisSentinelSink(url, { keyPrefix: 'backup-sentinel' }), { ratePerSecond: 10, name: 'redis-sentinel' });
    await sentinel.start();
    await sentinel.waitForAcked(10, { timeoutMs: 30_000, signal: env.signal });

    // 2. The backup: BGSAVE, dump.rdb off the volume, to MinIO with its SHA-256.
    const backupAt = hrNow();
    timeline.add({ at: backupAt, type: 'backup.started', source: 'harness', subject: 'redis' });
    const backup = await backupRedis({ provider, s3, url, image: images.redis, volume, work });
    timeline.add({ at: backup.snapshotAt, type: 'note', source: 'harness', subject: 'redis', detail: 'BGSAVE completed (the recovery point)' });
    timeline.add({ at: hrNow(), type: 'backup.completed', source: 'harness', subject: 'redis', detail: `${backup.objectName}, ${backup.bytes} bytes` });
    // Writes after the snapshot: what a snapshot restore loses (the RPO must count them).
    await sentinel.waitForAcked(sentinel.ackedCount + 20, { timeoutMs: 30_000, signal: env.signal });

    // 3. Disaster: FLUSHALL (an operator error; the AOF logs it too, so AOF replay alone cannot undo it).
    const faultAt = hrNow();
    const { createClient } = await import('redis');
    const admin = createClient({ url });
    admin.on('error', () => undefined);
    await admin.connect();
    await admin.flushAll();
    admin.destroy();
    timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'redis', detail: 'FLUSHALL' });
    timeline.add({ at: faultAt, type: 'data.destroyed', source: 'harness', subject: 'redis' });
    const flushed = await redisChecksum(url, 'seed:*');

    // 4. Restore: fetch + verify the snapshot, stop Redis, install it as the AOF base, start, verify keys.
    await sentinel.stop();
    timeline.add({ at: hrNow(), type: 'restore.started', source: 'harness', subject: 'redis' });
    const restore = await restoreRedis({ provider, s3, url, image: images.redis, volume, work, objectName: backup.objectName });
    const after = await redisChecksum(url, 'seed:*');
    const verifiedAt = hrNow();
    timeline.add({ at: verifiedAt, type: 'restore.completed', source: 'harness', subject: 'redis', detail: `${after.keys} keys, checksum ${after.sha256 === before.sha256 ? 'verified' : 'MISMATCH'}` });
    const appReadyAt = await waitFor(async () => ((await fetch(`${env.entry}/api/health/ready`).then((r) => r.status, () => 0)) === 200 ? hrNow() : undefined), { timeoutMs: 120_000, intervalMs: 200, description: 'the app to be ready on the restored Redis' });
    timeline.add({ at: appReadyAt, type: 'app.ready', source: 'harness', subject: 'backend' });
    const rpo: SentinelVerification = await sentinel.verify({ faultAt });
    await sentinel.close();
    timeline.merge(await events.stop());

    const rtoMs = Math.max(verifiedAt, appReadyAt) - faultAt;
    const verdicts = [
      env.verdict('redis.rto', { value: rtoMs, note: 'FLUSHALL -> Redis restored from the MinIO snapshot, keys verified, app ready' }),
      env.verdict('redis.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `newest surviving sentinel before the flush; ${rpo.lostAcked.length} acknowledged writes after the snapshot lost` }),
    ];
    for (const v of verdicts) process.stdout.write(`  ${v.targetId}: ${v.measured} ${v.unit} vs ${v.comparator} ${v.limit} → ${v.verdict}\n`);
    env.recorder.addScenario(buildScenarioResult({
      suite: 'backup-restore', id: 'backup.redis', title: 'Redis: BGSAVE snapshot to MinIO, FLUSHALL, restore', startedAt, endedAt: Date.now(), verdicts, timeline, sentinels: [rpo],
      notes: [
        `seed keys: ${before.keys} (sha256 ${before.sha256.slice(0, 12)}); after FLUSHALL: ${flushed.keys}; after restore: ${after.keys} (sha256 ${after.sha256.slice(0, 12)} ${after.sha256 === before.sha256 ? '=' : '≠'} before)`,
        `snapshot ${backup.bytes} bytes, verified by SHA-256 before Redis was stopped; restore job ${formatDuration(restore.jobMs)}; Redis ready ${formatDuration(restore.readyAt - faultAt)} after the flush`,
        'The RPO of a snapshot design is the snapshot interval: the measured value is the time between this run\'s snapshot and the flush. Document 001\'s 1 min RPO ("Continuous (AOF)") holds for a crash (AOF everysec, see failover.redis-crash), not for a FLUSHALL, which the AOF replays too: meeting it for operator errors needs a snapshot to MinIO at least every minute.',
      ],
    }));
    expect(flushed.keys).toBe(0);
    expect(after).toEqual(before);
    expect(rpo.lowerBound).toBe(false);
    expect(rpo.lostAcked.length, 'writes acknowledged after the snapshot are lost by a snapshot restore').toBeGreaterThan(0);
    // Document 001's Redis targets (onprem) must hold; a profile without them reports them skipped (and says so).
    expectHeld(verdicts);
  }, 600_000);

  // The WAL archiving variants exist on the docker provider only (the kind variant is issue #8's): on kind
  // they are not defined at all rather than skipped as placeholders.
  itOnDocker('PostgreSQL WAL archiving to MinIO + point-in-time restore: the design that meets the platform 15 min RPO', async () => {
    const provider = dockerProvider();
    const startedAt = Date.now();
    const timeline = new Timeline();
    const events = await watchProviderEvents(env);
    const images = await topologyImages((await new EnvironmentStore(env.loaded.baseDir, env.config.name).readState())!.imageSource);
    const work = await mkdtemp(join(tmpdir(), 'prodlike-wal-'));
    await chmod(work, 0o777);
    onTestFinished(() => rm(work, { recursive: true, force: true }));
    const volume = dataVolume(env.config.name, 'postgres');
    const s3 = await backupStore(provider, env.secrets);
    const admin: pg.ClientConfig = { ...pgConfig, database: 'postgres' };
    const appReady = (what: string) => waitFor(async () => ((await fetch(`${env.entry}/api/health/ready`).then((r) => r.status, () => 0)) === 200 ? hrNow() : undefined), { timeoutMs: 180_000, intervalMs: 200, description: what });

    // 1. Continuous archiving on (ALTER SYSTEM + one restart the first time) and the shipper to MinIO.
    walEnabled = true;
    const enabled = await enableWalArchiving({ provider, admin, archiveTimeoutSeconds: ARCHIVE_TIMEOUT_S });
    timeline.mark('note', 'harness', { subject: 'postgres', detail: `archive_mode=on, archive_timeout=${ARCHIVE_TIMEOUT_S}s${enabled.restarted ? ' (PostgreSQL restarted)' : ' (already active)'}` });
    await appReady('the app to be ready after PostgreSQL restarted with archiving on');
    const shipper = startWalShipper({ provider, image: images.minio, volume, work, secrets: env.secrets, intervalSeconds: SHIP_INTERVAL_S });
    let shipperStopped = false;
    const sentinel = new SentinelWriter(httpSentinelSink({ url: `${env.entry}/api/records`, readBack: appRecordsReader(pgConfig) }), { ratePerSecond: 5, name: 'app-records' });
    try {
      // 2. Data, a steady sentinel through the app, then the base backup.
      await seedTable(pgConfig, 'seed_items', SEED_ROWS);
      await sentinel.start();
      await sentinel.waitForAcked(5, { timeoutMs: 60_000, signal: env.signal });
      timeline.mark('backup.started', 'harness', { subject: 'postgres', detail: 'pg_basebackup' });
      const base = await baseBackup({ provider, s3, image: images.minio, volume, secrets: env.secrets });
      timeline.mark('backup.completed', 'harness', { subject: 'postgres', detail: `${base.prefix}/base.tar.gz, ${base.bytes} bytes` });

      // 3. Data written after the base backup: only the WAL replay can bring it back.
      await seedTable(pgConfig, 'wal_items', 5000);
      await sentinel.waitForAcked(sentinel.ackedCount + 15, { timeoutMs: 60_000, signal: env.signal });
      const verifiedTables = ['seed_items', 'wal_items', 'files'];
      const before = await tableChecksums(pgConfig, verifiedTables);

      // 4. Disaster: every application table dropped (an operator error: DROP SCHEMA public CASCADE).
      const faultAt = hrNow();
      const killer = new pg.Client(pgConfig);
      await killer.connect();
      await killer.query('DROP SCHEMA public CASCADE');
      await killer.query('CREATE SCHEMA public');
      await killer.end();
      timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'postgres', detail: 'DROP SCHEMA public CASCADE (every table of ai_saas_db)' });
      timeline.add({ at: faultAt, type: 'data.destroyed', source: 'harness', subject: 'postgres' });

      // 5. Restore: archive the segment holding the damage, app to 0, base + WAL replayed to the fault time.
      const switched = await switchWal(admin);
      const shippedAt = await waitShipped(s3, switched.segment);
      timeline.add({ at: shippedAt, type: 'note', source: 'harness', subject: 'postgres', detail: `WAL segment ${switched.segment} in MinIO ${formatDuration(shippedAt - switched.at)} after pg_switch_wal()` });
      await sentinel.stop();
      const backendReplicas = await provider.replicas('backend');
      await provider.scale('worker', 0);
      await provider.scale('backend', 0);
      const shipped = await shipper.stop();
      shipperStopped = true;
      timeline.mark('restore.started', 'harness', { subject: 'postgres', detail: `recovery_target_time = ${recoveryTargetTime(faultAt)}` });
      const pitr = await restorePointInTime({ provider, image: images.minio, volume, secrets: env.secrets, base, targetTime: faultAt, admin: pgConfig });
      timeline.add({ at: pitr.readyAt, type: 'note', source: 'harness', subject: 'postgres', detail: 'recovery done, promoted' });
      const after = await tableChecksums(pgConfig, verifiedTables);
      await provider.scale('backend', backendReplicas);
      await provider.scale('worker', 1);
      const readyAt = await appReady('the app to be ready on the restored database');
      timeline.add({ at: readyAt, type: 'restore.completed', source: 'harness', subject: 'postgres', detail: 'app ready on verified data' });
      timeline.add({ at: readyAt, type: 'app.ready', source: 'harness', subject: 'backend' });
      const rpo = await sentinel.verify({ faultAt });
      timeline.merge(await events.stop());

      // 6. Verdicts against document 004 (platform), whatever profile the run selected, plus 001's when onprem.
      const rtoMs = readyAt - faultAt;
      const shipLagMs = shippedAt - switched.at;
      const archiveTimeoutS = await activeArchiveTimeoutS(admin);
      const schedule = await deployedBackupSchedule();
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
      for (const v of verdicts) process.stdout.write(`  ${v.targetId}: ${v.measured} ${v.unit} vs ${v.comparator} ${v.limit} → ${v.verdict}\n`);
      env.recorder.addScenario(buildScenarioResult({
        suite: 'backup-restore', id: 'backup.postgres-wal', title: 'PostgreSQL: WAL archiving to MinIO + point-in-time restore', startedAt, endedAt: Date.now(), verdicts, timeline, sentinels: [rpo],
        notes: [
          `verified tables: ${describeChecksums(after, before)} (wal_items was written after the base backup: it is back only through WAL replay)`,
          `base backup ${formatDuration(base.completedAt - base.startedAt)} (${base.bytes} bytes gzip tar, SHA-256 verified before the restore); ${pitr.segments} WAL segments fetched; restore job ${formatDuration(pitr.jobMs)}; PostgreSQL primary again ${formatDuration(pitr.readyAt - faultAt)} after the damage`,
          `PostgreSQL: ${pitr.recoveryLog.join(' | ') || '(no recovery log lines found)'}`,
          `the daily dump (schedule "${schedule.schedule}", ${schedule.from}) implies up to ${formatDuration(schedule.worstMs)} of loss against document 004's 15 min (backup.postgres under PRODLIKE_PROFILE=platform fails on it); continuous archiving bounds it by archive_timeout (${archiveTimeoutS} s as the server runs it) + shipping`,
          `settings: ${Object.entries(enabled.settings).map(([k, v]) => `${k}=${k === 'archive_command' ? '(cp to wal-archive/, atomic)' : v}`).join(', ')}; shipper: mc mirror every ${SHIP_INTERVAL_S} s${shipped.exitCode === 0 ? '' : ` (exit ${shipped.exitCode})`}`,
          'Fault choice: a transactional DROP SCHEMA, because recovery_target_time cannot stop inside DROP DATABASE (its files are removed by a WAL record replayed before its commit); for that use recovery_target_lsn taken before the drop.',
        ],
      }));
      expect(after).toEqual(before);
      expect(rpo.lowerBound).toBe(false);
      expect(archiveTimeoutS, 'archive_timeout as the server runs it').toBe(ARCHIVE_TIMEOUT_S);
      expectHeld(verdicts);
    } finally {
      await sentinel.close().catch(() => undefined);
      if (!shipperStopped) await shipper.stop().catch(() => undefined);
    }
  }, 900_000);

  itOnDocker('PostgreSQL WAL archiving: server and its disk lost; the archived WAL bounds the loss (archive_timeout)', async () => {
    const provider = dockerProvider();
    const startedAt = Date.now();
    const timeline = new Timeline();
    const events = await watchProviderEvents(env);
    const images = await topologyImages((await new EnvironmentStore(env.loaded.baseDir, env.config.name).readState())!.imageSource);
    const work = await mkdtemp(join(tmpdir(), 'prodlike-wal-loss-'));
    await chmod(work, 0o777);
    onTestFinished(() => rm(work, { recursive: true, force: true }));
    const volume = dataVolume(env.config.name, 'postgres');
    const s3 = await backupStore(provider, env.secrets);
    const admin: pg.ClientConfig = { ...pgConfig, database: 'postgres' };
    const appReady = (what: string) => waitFor(async () => ((await fetch(`${env.entry}/api/health/ready`).then((r) => r.status, () => 0)) === 200 ? hrNow() : undefined), { timeoutMs: 180_000, intervalMs: 200, description: what });

    walEnabled = true;
    const enabled = await enableWalArchiving({ provider, admin, archiveTimeoutSeconds: ARCHIVE_TIMEOUT_S });
    if (enabled.restarted) await appReady('the app to be ready after PostgreSQL restarted with archiving on');
    const shipper = startWalShipper({ provider, image: images.minio, volume, work, secrets: env.secrets, intervalSeconds: SHIP_INTERVAL_S });
    let shipperStopped = false;
    const sentinel = new SentinelWriter(httpSentinelSink({ url: `${env.entry}/api/records`, readBack: appRecordsReader(pgConfig) }), { ratePerSecond: 5, name: 'app-records' });
    try {
      await seedTable(pgConfig, 'seed_items', SEED_ROWS);
      await sentinel.start();
      await sentinel.waitForAcked(5, { timeoutMs: 60_000, signal: env.signal });
      timeline.mark('backup.started', 'harness', { subject: 'postgres', detail: 'pg_basebackup' });
      const base = await baseBackup({ provider, s3, image: images.minio, volume, secrets: env.secrets });
      timeline.mark('backup.completed', 'harness', { subject: 'postgres', detail: `${base.prefix}/base.tar.gz, ${base.bytes} bytes` });
      await seedTable(pgConfig, 'wal_items', 5000);
      const archiveTimeoutS = await activeArchiveTimeoutS(admin);

      // 1. archive_timeout at work: the segment being written now gets archived and shipped with no help.
      const segment = await currentSegment(admin);
      const archivedAt = await waitArchived(admin, segment, (archiveTimeoutS + 30) * 1000);
      const shippedAt = await waitShipped(s3, segment);
      timeline.add({ at: archivedAt, type: 'note', source: 'provider', subject: 'postgres', detail: `segment ${segment} archived by archive_timeout` });
      timeline.add({ at: shippedAt, type: 'note', source: 'harness', subject: 'postgres', detail: `segment ${segment} in MinIO` });
      // The seed tables are complete in that segment; the sentinel keeps writing into the next one.
      const verifiedTables = ['seed_items', 'wal_items'];
      const before = await tableChecksums(pgConfig, verifiedTables);
      await sentinel.waitForAcked(sentinel.ackedCount + 25, { timeoutMs: 60_000, signal: env.signal }); // not archived yet

      // 2. Disaster: the server and its disk are gone (PGDATA, pg_wal and the local archive). Frozen first
      //    (docker pause) while the shipper (its sidecar) dies, so nothing written after the fault reaches
      //    MinIO. A plain stop would not do: on a clean shutdown PostgreSQL switches and archives the last
      //    segment, and a live shipper would upload it. What it archives locally afterwards goes with the disk.
      const faultAt = hrNow();
      await provider.pause('postgres');
      const shipped = await shipper.stop();
      shipperStopped = true;
      await provider.unpause('postgres');
      await provider.stop('postgres');
      await wipeVolume({ provider, image: images.minio, volume });
      timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'postgres', detail: 'server frozen, then stopped and its volume wiped (disk loss)' });
      timeline.add({ at: faultAt, type: 'data.destroyed', source: 'harness', subject: 'postgres' });
      await sentinel.stop();

      // 3. Restore: base + every archived segment, replayed to the end of the archive.
      const backendReplicas = await provider.replicas('backend');
      await provider.scale('worker', 0);
      await provider.scale('backend', 0);
      timeline.mark('restore.started', 'harness', { subject: 'postgres', detail: 'base + WAL to the end of the archive' });
      const pitr = await restorePointInTime({ provider, image: images.minio, volume, secrets: env.secrets, base, admin: pgConfig, alreadyStopped: true });
      const after = await tableChecksums(pgConfig, verifiedTables);
      await provider.scale('backend', backendReplicas);
      await provider.scale('worker', 1);
      const readyAt = await appReady('the app to be ready on the restored database');
      timeline.add({ at: readyAt, type: 'restore.completed', source: 'harness', subject: 'postgres', detail: 'app ready on verified data' });
      timeline.add({ at: readyAt, type: 'app.ready', source: 'harness', subject: 'backend' });
      const rpo = await sentinel.verify({ faultAt });
      timeline.merge(await events.stop());

      const boundMs = archiveTimeoutS * 1000 + SHIP_INTERVAL_S * 1000 + (shippedAt - archivedAt);
      const verdicts = [
        platformVerdict('platform.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `disk lost ${formatDuration(faultAt - shippedAt)} after the last archived segment reached MinIO; ${rpo.lostAcked.length} acknowledged writes lost` }),
        platformVerdict('platform.rto', { value: readyAt - faultAt, note: 'disk lost -> app ready on the restored database' }),
      ];
      for (const v of verdicts) process.stdout.write(`  ${v.targetId}: ${v.measured} ${v.unit} vs ${v.comparator} ${v.limit} → ${v.verdict}\n`);
      env.recorder.addScenario(buildScenarioResult({
        suite: 'backup-restore', id: 'backup.postgres-wal-disk-loss', title: 'PostgreSQL: disk lost, restore from base backup + WAL archive', startedAt, endedAt: Date.now(), verdicts, timeline, sentinels: [rpo],
        notes: [
          `verified tables: ${describeChecksums(after, before)}`,
          `the loss is what was written after the last segment archive_timeout (${archiveTimeoutS} s, read from pg_settings) shipped: measured ${formatDuration(rpo.rpoMs)}, bound ${formatDuration(boundMs)} (archive_timeout + ship interval + measured ship lag ${formatDuration(shippedAt - archivedAt)})`,
          `${pitr.segments} WAL segments fetched; restore job ${formatDuration(pitr.jobMs)}; PostgreSQL: ${pitr.recoveryLog.join(' | ') || '(no recovery log lines found)'}${shipped.exitCode === 0 ? '' : `; shipper exit ${shipped.exitCode}`}`,
        ],
      }));
      expect(after).toEqual(before);
      expect(rpo.lowerBound).toBe(false);
      expect(rpo.lostAcked.length, 'writes after the last archived segment are lost with the disk').toBeGreaterThan(0);
      expect(rpo.rpoMs, `RPO ${rpo.rpoMs} ms must stay within archive_timeout + shipping (${boundMs} ms)`).toBeLessThanOrEqual(boundMs);
      expectHeld(verdicts);
    } finally {
      await sentinel.close().catch(() => undefined);
      if (!shipperStopped) await shipper.stop().catch(() => undefined);
    }
  }, 900_000);
});
