import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../src/core/wait.ts';
import { AvailabilityProbe, hrNow, httpCheck, redisCheck, s3Check, sqlCheck } from '../src/measure/index.ts';
import { clientObservedRto } from '../src/measure/outage.ts';
import { SentinelWriter } from '../src/measure/sentinel-writer.ts';
import { appRecordsReader } from '../src/measure/sinks/app-records-reader.ts';
import { httpSentinelSink } from '../src/measure/sinks/http-sentinel-sink.ts';
import { postgresSentinelSink } from '../src/measure/sinks/postgres-sentinel-sink.ts';
import { redisSentinelSink } from '../src/measure/sinks/redis-sentinel-sink.ts';
import { Timeline } from '../src/measure/timeline.ts';
import type { Verdict } from '../src/measure/verdict.ts';
import { DATABASE } from '../src/providers/docker/topology.ts';
import type { Kubectl } from '../src/providers/kind/kube-tools.ts';
import { canEndpoint, canKill, canLifecycle, canNodes, canScale, type Provider, type SupportsEndpoints, type SupportsKill } from '../src/providers/provider.ts';
import { buildScenarioResult } from '../src/report/scenario-result.ts';
import { pauseService, scaleService } from '../src/safety/faults.ts';
import { scenarioSkipReason, startScenarioEnvironment, type ScenarioEnvironment } from './support/scenario-env.ts';
import { watchProviderEvents } from './support/provider-events.ts';

/**
 * Failover suite (issue #8): kill each component the way a crash does, under steady traffic, and
 * measure what a client sees (probe every 100 ms) and what data survives (sentinel writers), against
 * the documented RTO/RPO of the selected profile (default onprem, document 001's DR table).
 */
const skip = await scenarioSkipReason();
const SETTLE_MS = 2_000; // steady traffic before the fault, so a baseline exists in the report
/**
 * How long a held fault (scaled to 0, paused) lasts: a parameter of the scenario, not a wait for a condition.
 * PRODLIKE_FAULT_HOLD_MS=8000 for all, or per scenario: `worker-lost=1000,redis-hang=600000`.
 */
const holdMs = (scenario: string): number => {
  const raw = process.env.PRODLIKE_FAULT_HOLD_MS ?? '';
  const byName = Object.fromEntries(raw.split(',').map((p) => p.split('=')).filter((p) => p.length === 2).map(([k, v]) => [k!.trim(), Number(v)]));
  const value = byName[scenario] ?? (raw.includes('=') ? NaN : Number(raw || NaN));
  return Number.isFinite(value) && value >= 0 ? value : 5_000;
};
const log = (message: string) => process.stdout.write(`[failover ${new Date().toISOString().slice(11, 23)}] ${message}\n`);

describe.skipIf(Boolean(skip))(`failover${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let env: ScenarioEnvironment;
  let provider: Provider & SupportsKill & SupportsEndpoints;
  let pgConfig: pg.ClientConfig;
  let redisUrl: string;

  beforeAll(async () => {
    log('starting the environment');
    env = await startScenarioEnvironment('failover');
    log(`environment ${env.created ? 'created' : 'reused'}: ${env.entry}`);
    if (!canKill(env.provider) || !canEndpoint(env.provider)) throw new Error(`${env.providerName} provider cannot kill or publish endpoints`);
    provider = env.provider;
    const pgEp = await provider.endpoint('postgres');
    pgConfig = { host: pgEp.host, port: pgEp.port, user: DATABASE.user, database: DATABASE.name, password: env.secrets.postgresPassword };
    const redisEp = await provider.endpoint('redis');
    redisUrl = `redis://:${encodeURIComponent(env.secrets.redisPassword)}@${redisEp.host}:${redisEp.port}`;
  }, 600_000);

  afterAll(async () => {
    await env?.teardown();
  }, 300_000);

  const record = (input: Parameters<typeof buildScenarioResult>[0]) => env.recorder.addScenario(buildScenarioResult({ suite: 'failover', ...input }));
  const show = (verdicts: Verdict[]) => {
    for (const v of verdicts) process.stdout.write(`  ${v.targetId}: measured ${v.measured ?? '—'} ${v.unit} vs ${v.comparator ?? ''} ${v.limit ?? '—'} → ${v.verdict}${v.reason ? ` (${v.reason})` : ''}\n`);
  };

  // Faults that do not heal by themselves go through env.faults(): the undo is registered (and journalled in
  // .prodlike/<env>/faults.json) before the fault is applied, so Ctrl-C on `prodlike run` at any moment
  // heals it (src/providers/docker/failover-interrupt.safety.int.test.ts proves it).
  const submit = async (prefix: string, n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await fetch(`${env.entry}/api/executions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflowId: `${prefix}-${i}`, tier: 'free', payloadSize: 256, workUnits: 20 }) });
      if (r.status !== 202) throw new Error(`submitting an execution answered ${r.status}: ${await r.text()}`);
      ids.push(((await r.json()) as { id: string }).id);
    }
    return ids;
  };
  const settled = (ids: string[], description: string) => waitFor(async () => {
    const states = await Promise.all(ids.map(async (id) => ((await (await fetch(`${env.entry}/api/executions/${id}`)).json()) as { status: string }).status));
    return states.every((s) => s === 'COMPLETED' || s === 'FAILED') ? states : undefined;
  }, { timeoutMs: 240_000, intervalMs: 250, description });
  const completionLogs = async (ids: string[]) => {
    const client = new pg.Client(pgConfig);
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string; n: string }>(`SELECT execution_id::text AS id, count(*)::text AS n FROM execution_logs WHERE execution_id::text = ANY($1) AND event = 'completed' GROUP BY execution_id`, [ids]);
      return ids.map((id) => Number(rows.find((r) => r.id === id)?.n ?? 0));
    } finally {
      await client.end();
    }
  };

  it('worker lost (scaled to 0) while executions are queued: they wait in Redis and all complete exactly once when it is back', async (ctx) => {
    if (!canScale(env.provider)) return ctx.skip(`the ${env.providerName} provider cannot scale`);
    const scalable = env.provider;
    const startedAt = Date.now();
    const timeline = new Timeline();
    const events = await watchProviderEvents(env);
    const HOLD_MS = holdMs('worker-lost');
    const faultAt = hrNow();
    const fault = await scaleService(scalable, env.faults('failover.worker-lost'), 'worker', 0);
    timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'worker', detail: `scaled to 0 (undo registered: ${fault.description})` });
    log(`fault injected: worker scaled to 0 (holding ${HOLD_MS} ms; undo: ${fault.description})`);
    const ids = await submit('failover-worker-lost', 5);
    await new Promise((r) => setTimeout(r, HOLD_MS));
    const early = await Promise.all(ids.map(async (id) => ((await (await fetch(`${env.entry}/api/executions/${id}`)).json()) as { status: string }).status));
    const healAt = hrNow();
    await fault.run();
    const backAt = hrNow();
    timeline.add({ at: backAt, type: 'fault.healed', source: 'harness', subject: 'worker', detail: `${fault.description} in ${(backAt - healAt).toFixed(0)} ms` });
    log('fault healed: worker back');
    const states = await settled(ids, 'the executions queued while no worker ran to finish');
    const doneAt = hrNow();
    const logs = await completionLogs(ids);
    const lost = states.filter((s) => s !== 'COMPLETED').length;
    const verdicts = [
      env.verdict('pods.rto', { value: backAt - healAt, note: `worker Ready ${(backAt - healAt).toFixed(0)} ms after being scaled back; the ${ids.length} queued executions all settled ${((doneAt - backAt) / 1000).toFixed(1)} s later` }),
      env.verdict('pods.rpo', { value: lost === 0 ? 0 : Number.POSITIVE_INFINITY, note: `${ids.length - lost}/${ids.length} executions queued while no worker ran completed; completion log entries ${logs.join(',')}` }),
    ];
    show(verdicts);
    timeline.merge(await events.stop());
    record({ id: 'failover.worker-lost', title: 'Worker lost (scaled to 0) with executions queued', startedAt, endedAt: Date.now(), verdicts, timeline, notes: [`states while no worker ran: ${early.join(', ')}`, `states after: ${states.join(', ')}`] });
    expect(early.some((s) => s === 'COMPLETED'), `no worker ran, yet executions completed: ${early.join(',')}`).toBe(false);
    expect(states.every((s) => s === 'COMPLETED'), states.join(',')).toBe(true);
    expect(logs, 'each execution completes exactly once').toEqual(ids.map(() => 1));
    expect(verdicts.every((v) => v.verdict === 'pass')).toBe(true);
  }, 400_000);

  it('Redis hangs (process paused): acknowledged writes all survive and it answers again once resumed', async (ctx) => {
    if (!canLifecycle(env.provider)) return ctx.skip(`the ${env.providerName} provider cannot pause a service (docker only)`);
    const pausable = env.provider;
    const startedAt = Date.now();
    const timeline = new Timeline();
    const events = await watchProviderEvents(env);
    const HOLD_MS = holdMs('redis-hang');
    const probe = new AvailabilityProbe(redisCheck(redisUrl), { name: 'redis PING', intervalMs: 100, timeoutMs: 1000 }).start();
    const sentinel = new SentinelWriter(redisSentinelSink(redisUrl, { keyPrefix: 'sentinel:failover-pause' }), { ratePerSecond: 20 });
    await sentinel.start();
    const ids = await submit('failover-redis-pause', 3);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const faultAt = hrNow();
    const fault = await pauseService(pausable, env.faults('failover.redis-hang'), 'redis');
    timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'redis-0', detail: `paused (undo registered: ${fault.description})` });
    log(`fault injected: redis paused (holding ${HOLD_MS} ms; undo: ${fault.description})`);
    await new Promise((r) => setTimeout(r, HOLD_MS));
    const resumeAt = hrNow();
    await fault.run();
    timeline.add({ at: resumeAt, type: 'fault.healed', source: 'harness', subject: 'redis-0', detail: 'unpaused' });
    log('fault healed: redis resumed');
    await waitFor(async () => (probe.attempts.some((a) => a.ok && a.startedAt > resumeAt) ? true : undefined), { timeoutMs: 120_000, intervalMs: 100, description: 'Redis to answer PING after the resume' });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    await sentinel.stop();
    const rec = await probe.stop();
    const rpo = await sentinel.verify({ faultAt });
    const rto = clientObservedRto(rec.attempts, faultAt);
    const afterResume = (rec.attempts.find((a) => a.ok && a.startedAt > resumeAt)?.endedAt ?? resumeAt) - resumeAt;
    const states = await settled(ids, 'the executions queued before the Redis hang to finish');
    const verdicts = [
      env.verdict('redis.rto', { value: rto.rtoMs, lowerBound: rto.lowerBound, note: `includes the ${HOLD_MS} ms hang itself; PING answered ${afterResume.toFixed(0)} ms after the resume` }),
      env.verdict('redis.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `${rpo.lostAcked.length} acknowledged writes lost of ${rpo.ackedBeforeFault}` }),
    ];
    show(verdicts);
    timeline.merge(await events.stop());
    record({ id: 'failover.redis-hang', title: `Redis hangs (paused ${HOLD_MS} ms)`, startedAt, endedAt: Date.now(), verdicts, timeline, probes: [{ record: rec, faultAt }], sentinels: [rpo], notes: [`executions queued before the hang: ${states.join(', ')}`] });
    expect(rpo.lostAcked).toEqual([]);
    expect(states.every((s) => s === 'COMPLETED'), states.join(',')).toBe(true);
    expect(verdicts.every((v) => v.verdict === 'pass')).toBe(true);
  }, 400_000);

  it('backend replica crashes under steady traffic: no outage through the entry point, replacement Ready within the pod RTO, RPO 0', async () => {
    const startedAt = Date.now();
    const timeline = new Timeline();
    const events = await watchProviderEvents(env);
    const probe = new AvailabilityProbe(httpCheck(`${env.entry}/api/health/ready`), { name: 'entry /api/health/ready', intervalMs: 100, timeoutMs: 2000 }).start();
    const sentinel = new SentinelWriter(httpSentinelSink({ url: `${env.entry}/api/records`, readBack: appRecordsReader(pgConfig) }), { ratePerSecond: 10 });
    await sentinel.start();
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const before = (await provider.status()).services.find((s) => s.role === 'backend')!.replicas[0]!;
    const faultAt = hrNow();
    const kill = await provider.kill('backend', { replica: 0 });
    timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'backend-0', detail: `SIGKILL via ${kill.via}` });
    const readyAt = await waitFor(async () => {
      const r = (await provider.status()).services.find((s) => s.role === 'backend')!.replicas[0]!;
      return r.restarts > before.restarts && r.health === 'healthy' ? hrNow() : undefined;
    }, { timeoutMs: 180_000, intervalMs: 200, description: 'the crashed backend replica to be Ready again' });
    timeline.add({ at: readyAt, type: 'container.ready', source: 'provider', subject: 'backend-0' });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    await sentinel.stop();
    const record1 = await probe.stop();
    const rpo = await sentinel.verify({ faultAt });
    const rto = clientObservedRto(record1.attempts, faultAt);
    const verdicts = [
      env.verdict('pods.rto', { value: readyAt - faultAt, note: `replacement Ready ${(readyAt - faultAt).toFixed(0)} ms after the crash; client-observed outage ${rto.rtoMs.toFixed(0)} ms` }),
      env.verdict('pods.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound }),
    ];
    show(verdicts);
    timeline.merge(await events.stop());
    record({ id: 'failover.backend-crash', title: 'Backend replica crash (SIGKILL) under steady traffic', startedAt, endedAt: Date.now(), verdicts, timeline, probes: [{ record: record1, faultAt }], sentinels: [rpo], notes: [`client-observed outage through the entry point: ${rto.rtoMs.toFixed(0)} ms (${rto.outageObserved ? 'outage seen' : 'no failed request'})`, `kill: ${kill.via}`] });
    expect(rpo.lostAcked).toEqual([]);
    expect(verdicts.every((v) => v.verdict === 'pass')).toBe(true);
  }, 400_000);

  it('PostgreSQL crashes: select 1 and the app recover without an app restart, committed rows all survive', async () => {
    const startedAt = Date.now();
    const timeline = new Timeline();
    const events = await watchProviderEvents(env);
    log('postgres: probes and sentinel starting');
    const sqlProbe = new AvailabilityProbe(sqlCheck(pgConfig, { mode: 'per-attempt' }), { name: 'postgres select 1', intervalMs: 100, timeoutMs: 1000 }).start();
    const backendEp = await provider.endpoint('backend');
    const appProbe = new AvailabilityProbe(httpCheck(`http://${backendEp.host}:${backendEp.port}/health/ready`), { name: 'backend-0 /health/ready', intervalMs: 100, timeoutMs: 2000 }).start();
    const sentinel = new SentinelWriter(postgresSentinelSink(pgConfig, { table: 'sentinel_failover' }), { ratePerSecond: 10 });
    await sentinel.start();
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    // The earlier scenario crashed a backend replica: wait until every replica is healthy and their restart
    // counts have been stable for 3 s, so a late restart from before is not blamed on this fault.
    const restartsNow = async () => (await provider.status()).services.find((s) => s.role === 'backend')!.replicas;
    let stableSince = Date.now();
    let last = '';
    const backendRestarts = await waitFor(async () => {
      const replicas = await restartsNow();
      const key = replicas.map((r) => `${r.restarts}:${r.health}`).join(',');
      if (key !== last) [last, stableSince] = [key, Date.now()];
      return Date.now() - stableSince >= 3000 && replicas.every((r) => r.health === 'healthy') ? replicas.map((r) => r.restarts) : undefined;
    }, { timeoutMs: 60_000, intervalMs: 250, description: 'backend replicas healthy with stable restart counts' });
    log('postgres: killing');
    const faultAt = hrNow();
    const kill = await provider.kill('postgres');
    log(`postgres: killed via ${kill.via}`);
    timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'postgres', detail: `SIGKILL via ${kill.via}` });
    await waitFor(async () => {
      const c = new pg.Client({ ...pgConfig, connectionTimeoutMillis: 1000 });
      c.on('error', () => undefined);
      try {
        await c.connect();
        await c.query('select 1');
        return true;
      } catch {
        return undefined;
      } finally {
        await c.end().catch(() => undefined);
      }
    }, { timeoutMs: 180_000, intervalMs: 200, description: 'PostgreSQL to answer select 1 again' });
    log('postgres: select 1 answers again');
    await waitFor(async () => ((await fetch(`http://${backendEp.host}:${backendEp.port}/health/ready`).then((r) => r.status, () => 0)) === 200 ? true : undefined), { timeoutMs: 120_000, intervalMs: 200, description: 'the backend to be ready again' });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    await sentinel.stop();
    log('postgres: backend ready again; stopping probes');
    const [sql, app] = [await sqlProbe.stop(), await appProbe.stop()];
    log('postgres: verifying sentinel');
    const rpo = await sentinel.verify({ faultAt });
    const dbRto = clientObservedRto(sql.attempts, faultAt);
    const appRto = clientObservedRto(app.attempts, faultAt);
    const restartsAfter = (await provider.status()).services.find((s) => s.role === 'backend')!.replicas.map((r) => r.restarts);
    const verdicts = [
      env.verdict('pods.rto', { value: dbRto.rtoMs, lowerBound: dbRto.lowerBound, note: `PostgreSQL pod back and answering select 1 (client-observed); app ready again after ${appRto.rtoMs.toFixed(0)} ms` }),
      env.verdict('pods.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: 'committed rows on the volume' }),
    ];
    show(verdicts);
    timeline.merge(await events.stop());
    record({ id: 'failover.postgres-crash', title: 'PostgreSQL crash (SIGKILL)', startedAt, endedAt: Date.now(), verdicts, timeline, probes: [{ record: sql, faultAt }, { record: app, faultAt }], sentinels: [rpo], notes: [`backend restarts before/after: ${backendRestarts.join(',')} / ${restartsAfter.join(',')} (${restartsAfter.join(',') === backendRestarts.join(',') ? 'recovered without restarting' : 'a backend replica RESTARTED: the app did not ride out the database crash'})`] });
    expect(restartsAfter, `backend restarts before ${backendRestarts.join(',')} / after ${restartsAfter.join(',')}: a replica restarted during the PostgreSQL crash`).toEqual(backendRestarts);
    expect(rpo.lostAcked).toEqual([]);
    expect(verdicts.every((v) => v.verdict === 'pass')).toBe(true);
  }, 400_000);

  it('Redis crashes with AOF everysec: RTO within 5 min, acknowledged writes lost within the 1 min RPO, no execution lost', async () => {
    const startedAt = Date.now();
    const timeline = new Timeline();
    const events = await watchProviderEvents(env);
    const probe = new AvailabilityProbe(redisCheck(redisUrl), { name: 'redis PING', intervalMs: 100, timeoutMs: 1000 }).start();
    const sentinel = new SentinelWriter(redisSentinelSink(redisUrl, { keyPrefix: 'sentinel:failover' }), { ratePerSecond: 20 });
    await sentinel.start();
    // Executions queued right before the crash must all complete (reliable queue, document 000).
    const submitted: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${env.entry}/api/executions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflowId: `failover-redis-${i}`, tier: 'free', payloadSize: 256, workUnits: 20 }) });
      expect(r.status).toBe(202);
      submitted.push(((await r.json()) as { id: string }).id);
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const faultAt = hrNow();
    const kill = await provider.kill('redis');
    timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'redis', detail: `SIGKILL via ${kill.via}` });
    // Done once the client saw the outage end (3 successes in a row after a failure), or saw no failure at
    // all for 3 s: the last attempt alone may still be one from before the crash took effect.
    await waitFor(async () => {
      const seen = clientObservedRto(probe.attempts, faultAt);
      if (seen.outageObserved) return seen.lowerBound ? undefined : true;
      return hrNow() - faultAt > 3_000 ? true : undefined;
    }, { timeoutMs: 300_000, intervalMs: 200, description: 'Redis to answer PING again' });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    await sentinel.stop();
    const rec = await probe.stop();
    const rpo = await sentinel.verify({ faultAt });
    const rto = clientObservedRto(rec.attempts, faultAt);
    const finished = await waitFor(async () => {
      const states = await Promise.all(submitted.map(async (id) => ((await (await fetch(`${env.entry}/api/executions/${id}`)).json()) as { status: string }).status));
      return states.every((s) => s === 'COMPLETED' || s === 'FAILED') ? states : undefined;
    }, { timeoutMs: 180_000, intervalMs: 500, description: 'the executions queued before the Redis crash to finish' });
    const verdicts = [
      env.verdict('redis.rto', { value: rto.rtoMs, lowerBound: rto.lowerBound }),
      env.verdict('redis.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `${rpo.lostAcked.length} acknowledged writes lost of ${rpo.ackedBeforeFault}` }),
    ];
    show(verdicts);
    timeline.merge(await events.stop());
    record({ id: 'failover.redis-crash', title: 'Redis crash (SIGKILL), AOF everysec', startedAt, endedAt: Date.now(), verdicts, timeline, probes: [{ record: rec, faultAt }], sentinels: [rpo], notes: [`executions queued before the crash: ${finished.join(', ')}`] });
    expect(finished.every((s) => s === 'COMPLETED')).toBe(true);
    expect(verdicts.every((v) => v.verdict === 'pass')).toBe(true);
  }, 600_000);

  it('MinIO crashes: S3 fails then recovers; no acknowledged object is lost', async () => {
    const startedAt = Date.now();
    const timeline = new Timeline();
    const events = await watchProviderEvents(env);
    const minio = await provider.endpoint('minio');
    const probe = new AvailabilityProbe(s3Check({ endpoint: `http://${minio.host}:${minio.port}`, accessKey: env.secrets.minioAccessKey, secretKey: env.secrets.minioSecretKey, bucket: 'saasit-artifacts' }), { name: 'minio HEAD bucket', intervalMs: 100, timeoutMs: 1000 }).start();
    const uploaded: { id: string; body: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const body = `failover object ${i} ${Math.random()}`;
      const r = await fetch(`${env.entry}/api/files?filename=obj-${i}.txt`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
      if (r.status >= 300) throw new Error(`upload failed: ${r.status} ${await r.text()}`);
      uploaded.push({ id: ((await r.json()) as { id: string }).id, body });
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const faultAt = hrNow();
    const kill = await provider.kill('minio');
    timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'minio', detail: `SIGKILL via ${kill.via}` });
    await waitFor(async () => (probe.attempts.at(-1)?.ok && (probe.attempts.at(-1)?.startedAt ?? 0) > faultAt + 500 ? true : undefined), { timeoutMs: 300_000, intervalMs: 200, description: 'MinIO to answer again' });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const rec = await probe.stop();
    const rto = clientObservedRto(rec.attempts, faultAt);
    let lost = 0;
    for (const u of uploaded) {
      const r = await fetch(`${env.entry}/api/files/${u.id}?download=1`);
      const text = await r.text();
      if (r.status !== 200 || !text.includes(u.body)) lost += 1;
    }
    const verdicts = [env.verdict('files.restore.rto', { value: rto.rtoMs, lowerBound: rto.lowerBound, note: 'MinIO process crash (not a restore)' })];
    show(verdicts);
    timeline.merge(await events.stop());
    record({ id: 'failover.minio-crash', title: 'MinIO crash (SIGKILL)', startedAt, endedAt: Date.now(), verdicts, timeline, probes: [{ record: rec, faultAt }], notes: [`${uploaded.length - lost}/${uploaded.length} acknowledged objects readable after recovery`] });
    expect(lost).toBe(0);
  }, 600_000);

  it('worker crashes mid-execution: the execution completes exactly once', async () => {
    const startedAt = Date.now();
    const timeline = new Timeline();
    const events = await watchProviderEvents(env);
    const r = await fetch(`${env.entry}/api/executions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflowId: 'failover-worker', tier: 'free', payloadSize: 1024, workUnits: 400 }) });
    const { id } = (await r.json()) as { id: string };
    await waitFor(async () => ((((await (await fetch(`${env.entry}/api/executions/${id}`)).json()) as { status: string }).status === 'RUNNING') ? true : undefined), { timeoutMs: 60_000, intervalMs: 100, description: 'the execution to be RUNNING' });
    const faultAt = hrNow();
    const kill = await provider.kill('worker');
    timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: 'worker-0', detail: `SIGKILL mid-execution via ${kill.via}` });
    const done = await waitFor(async () => {
      const e = (await (await fetch(`${env.entry}/api/executions/${id}`)).json()) as { status: string };
      return e.status === 'COMPLETED' || e.status === 'FAILED' ? e : undefined;
    }, { timeoutMs: 240_000, intervalMs: 250, description: 'the interrupted execution to complete' });
    const completedAt = hrNow();
    const client = new pg.Client(pgConfig);
    await client.connect();
    const { rows } = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM execution_logs WHERE execution_id = $1 AND event = 'completed'`, [id]);
    await client.end();
    const verdicts = [env.verdict('pods.rpo', { value: done.status === 'COMPLETED' ? 0 : Number.POSITIVE_INFINITY, note: 'execution state survives a worker crash (0 = completed once)' })];
    timeline.merge(await events.stop());
    record({ id: 'failover.worker-crash', title: 'Worker crash mid-execution', startedAt, endedAt: Date.now(), verdicts, timeline, notes: [`execution ${id}: ${done.status} ${((completedAt - faultAt) / 1000).toFixed(1)} s after the crash; completion log entries: ${rows[0]?.n}`] });
    expect(done.status).toBe('COMPLETED');
    expect(Number(rows[0]?.n)).toBe(1);
  }, 400_000);

  it('worker node stopped (kind): what happens to its pods under the documented PDB/anti-affinity, and the time', async (ctx) => {
    const startedAt = Date.now();
    const kube = (env.provider as unknown as { kubectl?: Kubectl }).kubectl;
    if (!canNodes(env.provider) || !kube) {
      const reason = 'the docker provider has no nodes: node loss needs the kind provider (PRODLIKE_PROVIDER=kind)';
      record({ id: 'failover.node-stop', title: 'Worker node stopped', status: 'skipped', reason, startedAt, endedAt: Date.now() });
      return ctx.skip(reason);
    }
    const nodes = env.provider;
    // Observe for the pod RTO plus a margin: long enough to see whether Kubernetes replaces the pods
    // within the documented 2 minutes (default tolerations evict only after 300 s NotReady).
    const observeMs = Number(process.env.PRODLIKE_NODE_STOP_OBSERVE_MS ?? 130_000);
    type PodRow = { name: string; namespace: string; app: string; node: string; ready: boolean };
    const placement = async (): Promise<PodRow[]> => {
      const list = await kube.json<{ items: { metadata: { name: string; namespace: string; labels?: Record<string, string>; deletionTimestamp?: string }; spec: { nodeName?: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } }[] }>(['get', 'pods', '-A', '-l', 'app in (backend,frontend,worker,postgres,redis,minio)']);
      return list.items.filter((p) => p.status?.phase !== 'Succeeded').map((p) => ({
        name: p.metadata.name, namespace: p.metadata.namespace, app: p.metadata.labels?.app ?? '?', node: p.spec.nodeName ?? '(unscheduled)',
        ready: !p.metadata.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      }));
    };
    const before = await placement();
    const workers = (await nodes.nodes()).filter((n) => n.role !== 'control-plane');
    // The worker holding the most backend replicas: the documented HPA/PDB/anti-affinity are about the backend.
    const score = (node: string) => before.filter((p) => p.node === node && p.app === 'backend').length * 10 + before.filter((p) => p.node === node).length;
    const victim = [...workers].sort((a, b) => score(b.name) - score(a.name))[0];
    if (!victim) throw new Error('the cluster has no worker node to stop');
    const onVictim = before.filter((p) => p.node === victim.name);
    const desired = Object.fromEntries(['backend', 'frontend'].map((app) => [app, before.filter((p) => p.app === app).length]));
    log(`stopping ${victim.name}; on it: ${onVictim.map((p) => p.name).join(', ') || 'nothing'}`);

    const timeline = new Timeline();
    const events = await watchProviderEvents(env);
    const probe = new AvailabilityProbe(httpCheck(`${env.entry}/api/health/ready`), { name: 'entry /api/health/ready', intervalMs: 100, timeoutMs: 2000 }).start();
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const faultAt = hrNow();
    timeline.add({ at: faultAt, type: 'fault.injected', source: 'harness', subject: victim.name, detail: `docker stop of the node container (${onVictim.length} app pods on it)` });
    let restarted = false;
    try {
      const stopped = await nodes.stopNode(victim.name);
      timeline.add({ at: faultAt + (stopped.notReadyAfterMs ?? 0), type: 'node.stopped', source: 'provider', subject: victim.name, detail: `reported NotReady ${((stopped.notReadyAfterMs ?? 0) / 1000).toFixed(1)} s after the stop` });
      // Watch until every documented workload is back at its replica count on the remaining nodes, or the window ends.
      const seen = new Set(before.map((p) => p.name));
      const rescheduled: string[] = [];
      let recoveredAt: number | undefined;
      const deadline = faultAt + observeMs;
      while (hrNow() < deadline && recoveredAt === undefined) {
        const now = await placement();
        for (const p of now) {
          if (!seen.has(p.name)) {
            seen.add(p.name);
            rescheduled.push(`${p.name} -> ${p.node}`);
            timeline.add({ at: hrNow(), type: 'pod.scheduled', source: 'provider', subject: p.name, detail: `on ${p.node}` });
          }
        }
        const healthy = (app: string) => now.filter((p) => p.app === app && p.ready && p.node !== victim.name).length;
        const single = ['postgres', 'redis', 'minio', 'worker'].every((app) => now.some((p) => p.app === app && p.ready && p.node !== victim.name));
        if (healthy('backend') >= desired.backend! && healthy('frontend') >= desired.frontend! && single) {
          recoveredAt = hrNow();
          timeline.add({ at: recoveredAt, type: 'pod.ready', source: 'provider', subject: 'all workloads', detail: 'every workload at its replica count on the remaining nodes' });
        } else await new Promise((r) => setTimeout(r, 2_000));
      }
      const during = await placement();
      const lastProbe = await probe.stop();
      const rto = clientObservedRto(lastProbe.attempts, faultAt);
      const started = await nodes.startNode(victim.name);
      restarted = true;
      timeline.add({ at: hrNow(), type: 'node.ready', source: 'provider', subject: victim.name, detail: `Ready ${(started.readyAfterMs / 1000).toFixed(1)} s after docker start` });
      await waitFor(async () => ((await env.provider.status()).healthy ? true : undefined), { timeoutMs: 300_000, intervalMs: 2_000, description: `every workload Ready again after ${victim.name} came back` });
      const backAt = hrNow();
      const stuck = during.filter((p) => p.node === victim.name).map((p) => `${p.name}${p.ready ? '' : ' (not ready)'}`);
      // Not recovered within the window: the window is a lower bound of the recovery time ("at least").
      const measured = recoveredAt === undefined ? hrNow() - faultAt : recoveredAt - faultAt;
      const verdicts = [
        env.verdict('pods.rto', {
          value: measured,
          ...(recoveredAt === undefined ? { lowerBound: true } : {}),
          note: recoveredAt === undefined
            ? `pods on ${victim.name} were not replaced within ${(observeMs / 1000).toFixed(0)} s (${stuck.join(', ') || 'none'} still bound to it; the default 300 s NotReady toleration evicts them only later)`
            : `every workload back at its replica count on the remaining nodes ${(measured / 1000).toFixed(1)} s after the stop`,
        }),
      ];
      show(verdicts);
      timeline.merge(await events.stop());
      record({
        id: 'failover.node-stop', title: `Worker node stopped (${victim.name})`, startedAt, endedAt: Date.now(), verdicts, timeline, probes: [{ record: lastProbe, faultAt }],
        notes: [
          `placement before: ${onVictim.map((p) => p.name).join(', ') || 'no app pod'} on ${victim.name}`,
          `NotReady reported after ${((stopped.notReadyAfterMs ?? 0) / 1000).toFixed(1)} s; rescheduled within the window: ${rescheduled.join(', ') || 'none'}`,
          `client-observed outage through the entry point: ${!rto.outageObserved ? 'none (no failed request)' : rto.lowerBound ? `at least ${(rto.rtoMs / 1000).toFixed(1)} s (not recovered while the node was down)` : `${(rto.rtoMs / 1000).toFixed(1)} s`}`,
          `node Ready ${(started.readyAfterMs / 1000).toFixed(1)} s after docker start; every workload Ready again ${((backAt - faultAt) / 1000).toFixed(1)} s after the stop`,
        ],
      });
      log(`node-stop: NotReady after ${((stopped.notReadyAfterMs ?? 0) / 1000).toFixed(1)} s, recovered ${recoveredAt === undefined ? `not within the ${(measured / 1000).toFixed(0)} s window` : `after ${(measured / 1000).toFixed(1)} s`}, rescheduled: ${rescheduled.length}, client outage ${rto.lowerBound ? '≥ ' : ''}${rto.rtoMs.toFixed(0)} ms`);
      // What the harness guarantees: the node really went NotReady, came back, and the environment is whole again.
      expect(stopped.notReadyAfterMs).toBeGreaterThan(0);
      expect((await nodes.nodes()).every((n) => n.ready)).toBe(true);
      // Whether the documented design meets the pod RTO on node loss is the verdict above (exit 1 of
      // `prodlike run` when missed); as a test assertion only with PRODLIKE_STRICT_TARGETS=1.
      if (process.env.PRODLIKE_STRICT_TARGETS === '1') expect(verdicts.every((v) => v.verdict === 'pass')).toBe(true);
    } finally {
      if (!restarted) await nodes.startNode(victim.name).catch(() => undefined);
    }
  }, 900_000);
});
