import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as MinioClient } from 'minio';
import pg from 'pg';
import { CronExpressionParser } from 'cron-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDuration } from '../src/core/duration.ts';
import { waitFor } from '../src/core/wait.ts';
import { hrNow } from '../src/measure/clock.ts';
import { SentinelWriter } from '../src/measure/sentinel-writer.ts';
import { appRecordsReader } from '../src/measure/sinks/app-records-reader.ts';
import { httpSentinelSink } from '../src/measure/sinks/http-sentinel-sink.ts';
import { Timeline } from '../src/measure/timeline.ts';
import { DockerProvider } from '../src/providers/docker/docker-provider.ts';
import { DATABASE } from '../src/providers/docker/topology.ts';
import { canEndpoint, canScale } from '../src/providers/provider.ts';
import { buildScenarioResult } from '../src/report/scenario-result.ts';
import { verifyBackup, writeChecksum } from '../src/safety/verify-backup.ts';
import { topologyImages } from '../src/providers/create-provider.ts';
import { scenarioSkipReason, startScenarioEnvironment, type ScenarioEnvironment } from './support/scenario-env.ts';

/**
 * Backup/restore suite (issue #8): document 001's backup (`pg_dump | gzip` to object storage, the
 * `postgres-backup` CronJob's job) and its restore procedure (scale the app to 0, recreate, restore,
 * verify, scale up), run for real: RTO = destruction -> app ready with verified data; RPO = fault ->
 * newest surviving acknowledged write; plus the worst case the backup schedule implies.
 */
const skip = await scenarioSkipReason();
const SEED_ROWS = Number(process.env.PRODLIKE_SEED_ROWS ?? 20_000); // profile ci; release: ~1 GB
const BACKUP_SCHEDULE = '0 2 * * *'; // kind/manifests/base/postgres-backup.yaml (doc 001 §Backup and Recovery)

async function tableChecksums(config: pg.ClientConfig, tables: string[]): Promise<Record<string, { rows: number; md5: string }>> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    const out: Record<string, { rows: number; md5: string }> = {};
    for (const t of tables) {
      const { rows } = await client.query<{ n: string; md5: string }>(`SELECT count(*)::text AS n, coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS md5 FROM ${t} t`);
      out[t] = { rows: Number(rows[0]!.n), md5: rows[0]!.md5 };
    }
    return out;
  } finally {
    await client.end();
  }
}

/** The longest gap between two runs of a cron schedule over a year: the worst-case RPO it implies. */
function worstCaseInterval(expr: string): number {
  const it = CronExpressionParser.parse(expr, { currentDate: new Date('2026-01-01T00:00:00Z'), tz: 'UTC' });
  let prev = it.next().getTime();
  let worst = 0;
  for (let i = 0; i < 400; i++) {
    const next = it.next().getTime();
    worst = Math.max(worst, next - prev);
    prev = next;
  }
  return worst;
}

describe.skipIf(Boolean(skip))(`backup-restore${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let env: ScenarioEnvironment;
  let pgConfig: pg.ClientConfig;

  beforeAll(async () => {
    env = await startScenarioEnvironment('backup-restore');
    const ep = await (env.provider as DockerProvider).endpoint('postgres');
    pgConfig = { host: ep.host, port: ep.port, user: DATABASE.user, database: DATABASE.name, password: env.secrets.postgresPassword };
  }, 600_000);

  afterAll(async () => {
    await env?.teardown();
  }, 300_000);

  it('PostgreSQL: backup to MinIO, database destroyed, documented restore; data verified; RTO/RPO measured', async (ctx) => {
    if (!(env.provider instanceof DockerProvider)) {
      const reason = 'the kind variant (CronJob triggered as a Job) is not built yet: issue #7/#8';
      env.recorder.addScenario(buildScenarioResult({ suite: 'backup-restore', id: 'backup.postgres', title: 'PostgreSQL backup and restore', status: 'skipped', reason, startedAt: Date.now(), endedAt: Date.now() }));
      ctx.skip(reason);
      return;
    }
    const provider = env.provider;
    if (!canScale(provider) || !canEndpoint(provider)) throw new Error('provider cannot scale');
    const startedAt = Date.now();
    const timeline = new Timeline();
    const images = await topologyImages((await provider.store.readState())!.imageSource);
    const work = await mkdtemp(join(tmpdir(), 'prodlike-backup-'));
    await chmod(work, 0o777); // the job runs as the image's user (postgres, uid 999), like the CronJob's pod

    // 1. Seed a dataset (profile ci: small) and take the reference checksums.
    const seed = new pg.Client(pgConfig);
    await seed.connect();
    await seed.query(`CREATE TABLE IF NOT EXISTS seed_items (id bigint PRIMARY KEY, payload text NOT NULL, n integer NOT NULL)`);
    await seed.query(`INSERT INTO seed_items SELECT g, md5(g::text) || repeat('x', 64), g % 1000 FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING`, [SEED_ROWS]);
    await seed.end();
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
    await new Promise((r) => setTimeout(r, 2000));

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
    await new Promise((r) => setTimeout(r, 3000)); // writes after the backup: the data a daily backup loses

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
    const rtoMs = readyAt - faultAt;
    const scheduleRpoMs = worstCaseInterval(BACKUP_SCHEDULE);
    const verdicts = [
      env.verdict(env.profile.name === 'platform' ? 'data-corruption.restore' : 'postgres.restore.rto', { value: rtoMs, note: `destruction -> app ready on verified data (backup ${formatDuration(backupDoneAt - backupAt)}, ${dumpBytes} bytes)` }),
      env.verdict(env.profile.name === 'platform' ? 'platform.rpo' : 'postgres.restore.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `measured: writes after the backup were lost (${rpo.lostAcked.length})` }),
      { ...env.verdict(env.profile.name === 'platform' ? 'platform.rpo' : 'postgres.restore.rpo', { value: scheduleRpoMs, note: `worst case implied by the CronJob schedule "${BACKUP_SCHEDULE}"` }), targetId: `${env.profile.name === 'platform' ? 'platform.rpo' : 'postgres.restore.rpo'}.schedule` },
    ];
    for (const v of verdicts) process.stdout.write(`  ${v.targetId}: ${v.measured} ${v.unit} vs ${v.comparator} ${v.limit} → ${v.verdict}\n`);
    env.recorder.addScenario(buildScenarioResult({
      suite: 'backup-restore', id: 'backup.postgres', title: 'PostgreSQL: backup to MinIO, destroy, documented restore', startedAt, endedAt: Date.now(), verdicts, timeline, sentinels: [rpo],
      notes: [
        `seed rows: ${SEED_ROWS}; verified tables: ${verifiedTables.map((t) => `${t} ${after[t]!.rows} rows md5 ${after[t]!.md5.slice(0, 8)} ${after[t]!.md5 === before[t]!.md5 ? '=' : '≠'} before`).join('; ')}`,
        `backup ${formatDuration(backupDoneAt - backupAt)} (${dumpBytes} bytes gzip, verified sha256 + gzip before the restore in ${formatDuration(verified.durationMs)}); restore job ${formatDuration(restore.durationMs)}`,
        `worst-case RPO implied by the schedule "${BACKUP_SCHEDULE}": ${formatDuration(scheduleRpoMs)}`,
      ],
    }));
    expect(after).toEqual(before);
    // Writes acknowledged after the backup are lost by design of a dump-based restore: the RPO reports them.
    expect(rpo.lostAcked.length).toBeGreaterThan(0);
    expect(rpo.lowerBound).toBe(false);
    // The measured verdicts must hold for onprem (24 h RPO, 30 min RTO); platform (RPO 15 min) must fail
    // honestly on the schedule: a daily dump cannot meet it.
    if (env.profile.name === 'platform') expect(verdicts[2]!.verdict).toBe('fail');
    else expect(verdicts.every((v) => v.verdict === 'pass')).toBe(true);
  }, 900_000);

  it('Files: objects with checksums, mirrored to the backup bucket, deleted, restored, verified', async () => {
    const provider = env.provider as DockerProvider;
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
    const verdicts = [env.verdict(env.profile.name === 'platform' ? 'platform.rto' : 'files.restore.rto', { value: restoredAt - faultAt, note: 'objects deleted -> restored and checksums verified' })];
    env.recorder.addScenario(buildScenarioResult({ suite: 'backup-restore', id: 'backup.files', title: 'Files: backup, delete, restore, verify checksums', startedAt, endedAt: Date.now(), verdicts, timeline, notes: [`${objects.length} objects mirrored; ${verified}/${uploads.length} uploads verified by sha256 after restore`] }));
    expect(verified).toBe(uploads.length);
  }, 600_000);

  it('Redis: RDB/AOF copy to MinIO, flush, restore (not built yet)', (ctx) => {
    const reason = 'Redis restore (stop, replace dump/AOF in the volume, start) is not built yet; tracked in issue #8';
    env.recorder.addScenario(buildScenarioResult({ suite: 'backup-restore', id: 'backup.redis', title: 'Redis backup and restore', status: 'skipped', reason, startedAt: Date.now(), endedAt: Date.now() }));
    ctx.skip(reason);
  });

  it('WAL archiving to MinIO with point-in-time restore, the design that meets a 15 min RPO (not built yet)', (ctx) => {
    const reason = 'WAL archiving (archive_command + base backup, PITR) is not built yet; tracked in issue #8';
    env.recorder.addScenario(buildScenarioResult({ suite: 'backup-restore', id: 'backup.postgres-wal', title: 'PostgreSQL WAL archiving + PITR', status: 'skipped', reason, startedAt: Date.now(), endedAt: Date.now() }));
    ctx.skip(reason);
  });
});
