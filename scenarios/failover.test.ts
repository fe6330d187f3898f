import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../src/core/wait.ts';
import type { AvailabilityProbe } from '../src/measure/availability-probe.ts';
import { httpCheck, redisCheck, s3Check, sqlCheck } from '../src/probe/index.ts';
import { hrNow } from '../src/measure/clock.ts';
import { Effects } from '../src/measure/fault-effect.ts';
import { clientObservedRto, type AnalysisOptions, type RtoMeasurement } from '../src/measure/outage.ts';
import { SentinelWriter } from '../src/measure/sentinel-writer.ts';
import { postgresSentinelSink } from '../src/measure/sinks/postgres-sentinel-sink.ts';
import { redisSentinelSink } from '../src/measure/sinks/redis-sentinel-sink.ts';
import { resolveAdditional, resolveTopology, resolveWorkload, type ResolvedWorkload, type WorkloadRef, type WorkloadRole } from '../src/config/schema.ts';
import { canEndpoint, canKill, canKubernetes, canPause, canNodes, canScale, serviceRef, type Provider, type SupportsEndpoints, type SupportsKill } from '../src/providers/provider.ts';
import { compareCrossCheck, parseCrossCheckLog, renderCrossCheckTable } from '../src/report/crosscheck-compare.ts';
import { readRunResults } from '../src/report/report-writer.ts';
import { startCrossCheck, type CrossCheck } from '../scripts/crosscheck/start.ts';
import { pauseService, scaleService } from '../src/safety/faults.ts';
import { apiMissing, appApi, lostWorkRpo, requireApi } from './support/app-api.ts';
import { objectSentinels } from './support/object-sentinels.ts';
import { requires } from './support/requires.ts';
import { ENTRY_SLOW_MS, RECOVERY_WINDOW_MS, expectHeld, runScenario, showVerdicts, type ScenarioRun } from './support/scenario-run.ts';
import { scenarioSkipReason, startScenarioEnvironment, type ScenarioEnvironment } from './support/scenario-env.ts';
import { startAlertWatch, type AlertWatch, type ScenarioAlert } from './support/alert-watch.ts';

/**
 * Failover suite: crash, hang or remove each component under steady traffic and measure what clients see,
 * against the documented RTO/RPO of the selected profile (default onprem, document 001's DR table).
 *
 * Every scenario proves its own measurement (issue #14):
 * - a clean baseline is measured on every probe before the fault (2 s of successes), not assumed;
 * - sentinel writers wait for acknowledged writes before the fault;
 * - the fault must show an effect (a probe failing, a restart count rising, replicas at 0, a node NotReady)
 *   within a bound, or the scenario fails with FAULT_NO_EFFECT — never "RTO 0";
 * - "recovered" is a sustained window of 2 s of successes; RTOs are measured to the start of that window;
 * - every scenario probes the user-facing entry point too (answers slower than 1 s count as failures) and
 *   reports that outage beside the component's; data-store RTOs say which figure they are: "server accepts
 *   new connections" (a new connection per attempt) is held against the target, "a reconnecting client
 *   recovered" (one long-lived client) is reported beside it;
 * - a figure the harness sets itself (a hold time) is reported as such and never held against a target.
 */
const skip = await scenarioSkipReason();
/**
 * How long a held fault (scaled to 0, paused) lasts: a parameter of the fault, set by the harness (never
 * counted in an RTO). PRODLIKE_FAULT_HOLD_MS=8000 for all, or per scenario: `worker-lost=1000,redis-hang=600000`.
 */
const holdMs = (scenario: string, fallback = 5_000): number => {
  const raw = process.env.PRODLIKE_FAULT_HOLD_MS ?? '';
  const byName = Object.fromEntries(raw.split(',').map((p) => p.split('=')).filter((p) => p.length === 2).map(([k, v]) => [k!.trim(), Number(v)]));
  const value = byName[scenario] ?? (raw.includes('=') ? NaN : Number(raw || NaN));
  return Number.isFinite(value) && value >= 0 ? value : fallback;
};
const log = (message: string) => process.stdout.write(`[failover ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** "1.9 s (recovered)", "at least 130.0 s (not recovered)", "none (no failed request)". */
const outageText = (rto: RtoMeasurement) => (!rto.outageObserved ? 'none (no failed or slow request)' : `${rto.lowerBound ? 'at least ' : ''}${seconds(rto.rtoMs)}${rto.falseRecoveries ? `, ${rto.falseRecoveries} false recover${rto.falseRecoveries === 1 ? 'y' : 'ies'}` : ''}`);

describe.skipIf(Boolean(skip))(`failover${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let env: ScenarioEnvironment;
  let provider: Provider & SupportsKill & SupportsEndpoints;
  let pgConfig: pg.ClientConfig;
  let redisUrl: string;
  let app: ReturnType<typeof appApi>;
  let cross: CrossCheck | undefined;
  /** The documented alerts (issue #21): kind with the monitoring add-on; undefined elsewhere. */
  let alerts: AlertWatch | undefined;
  /**
   * Which documented alerts a scenario's fault was meant to raise, judged (alert-watch.ts) and printed; notes for the
   * report. A crash keeps rate(restarts[15m]) > 0 for 15 min: PodCrashLooping is judged at the end of the suite.
   */
  const judgeAlerts = async (scenario: string, expected: ScenarioAlert[]) => {
    if (!alerts) return { rows: [], notes: [] };
    const { rows, table } = await alerts.scenario(scenario, expected);
    log(`documented alerts, ${scenario}:\n${table}`);
    return { rows, notes: rows.map((r) => `alert ${r.alert}: ${r.verdict} (${r.reason})${r.note ? ` [${r.note}]` : ''}`) };
  };
  const crashLooping = (ref: WorkloadRef, pod: string | undefined, at: number): ScenarioAlert => ({
    alert: 'PodCrashLooping', labels: { namespace: resolveWorkload(env.config, ref).namespace, ...(pod ? { pod } : {}) }, conditionAt: at, note: 'ONE restart: rate(restarts[15m]) > 0 holds for 15 min',
  });
  /** Every alert judged in a scenario must PASS (the broken rule aside, which must be caught as never fired). */
  const expectAlerts = (rows: { alert: string; verdict: string; reason: string }[]) => {
    for (const row of rows) expect(`${row.alert}: ${row.verdict} ${row.reason}`).toMatch(row.alert === 'RedisDownWrongJob' ? /: FAIL never fired/ : /: PASS /);
  };
  // The probe names the cross-check compares with (each scenario that has one).
  const PROBES = {
    entry: 'entry GET <application.health> (user-facing)',
    redis: 'redis: PING, a new connection while down (server accepts connections)',
    postgres: 'postgres: new connection + select 1 (server accepts connections)',
    s3: 'minio: HEAD bucket',
  };

  beforeAll(async () => {
    log('starting the environment');
    env = await startScenarioEnvironment('failover');
    log(`environment ${env.created ? 'created' : 'reused'}: ${env.entry}`);
    if (!canKill(env.provider) || !canEndpoint(env.provider)) throw new Error(`${env.providerName} provider cannot kill or publish endpoints`);
    provider = env.provider;
    const pgEp = await provider.endpoint('postgres');
    const database = env.config.database;
    pgConfig = { host: pgEp.host, port: pgEp.port, user: database.user, database: database.name, password: env.secrets.postgresPassword };
    const redisEp = await provider.endpoint('redis');
    redisUrl = `redis://:${encodeURIComponent(env.secrets.redisPassword)}@${redisEp.host}:${redisEp.port}`;
    app = appApi(env.entry, pgConfig, env.config.application);
    PROBES.entry = `entry GET ${env.config.application.health} (user-facing)`;
    // An independent probe in its own process (scripts/crosscheck: new connection per attempt, 1 s timeout,
    // no code shared with src/measure) beside the whole suite; its outages are compared with prodlike's below.
    const minio = await provider.endpoint('minio');
    cross = await startCrossCheck({
      outFile: join(env.recorder.path, 'crosscheck.ndjson'),
      intervalMs: 100,
      targets: [
        { name: 'entry', kind: 'http', url: app.health, expectStatus: 200, probe: PROBES.entry },
        { name: 'redis', kind: 'redis', url: redisUrl, probe: PROBES.redis },
        { name: 'postgres', kind: 'postgres', url: `postgres://${database.user}:${encodeURIComponent(env.secrets.postgresPassword)}@${pgEp.host}:${pgEp.port}/${database.name}`, probe: PROBES.postgres },
        { name: 's3', kind: 's3', endpoint: `http://${minio.host}:${minio.port}`, accessKey: env.secrets.minioAccessKey, secretKey: env.secrets.minioSecretKey, bucket: env.config.objectStore.bucket, probe: PROBES.s3 },
      ],
    });
    const watching = await startAlertWatch(env);
    alerts = watching.watch;
    log(alerts ? `documented alerts watched on Prometheus (scrape = evaluation = ${env.config.monitoring.interval}, margin ${alerts.timing.marginMs / 1000} s): ${alerts.rules.map((r) => r.alert).join(', ')}` : `no alert verdicts: ${watching.reason}`);
  }, 600_000);

  afterAll(async () => {
    await cross?.stop();
    if (alerts && env) {
      const done = await alerts.finish();
      const text = `# Documented alerts (document 001 §High Availability 6) per scenario\n\nPrometheus scrape and evaluation every ${env.config.monitoring.interval}; an alert meant for a fault must fire within for: + scrape + evaluation + ${alerts.timing.marginMs / 1000} s (the recorded up{job=…}'s evaluation, the exporter's 2 s timeout, 1 s poll) after the fault; times are relative to the fault.\n\n${done.table}\n${done.errors.length ? `\nwatcher errors: ${done.errors.join('; ')}\n` : ''}`;
      await writeFile(join(env.recorder.path, 'alerts.md'), text);
      process.stdout.write(`\n${text}\n`);
    }
    await env?.teardown();
    if (cross && env) {
      // The cross-check table goes next to the report: per scenario and target, its outage vs prodlike's.
      const rows = compareCrossCheck(await readRunResults(env.recorder.path), parseCrossCheckLog(await readFile(cross.outFile, 'utf8'), cross.outFile)).filter((r) => r.probe !== null);
      const table = renderCrossCheckTable(rows);
      await writeFile(join(env.recorder.path, 'crosscheck.md'), `# Cross-check: an independent probe process vs prodlike's probes\n\nA separate process (scripts/crosscheck/probe.mjs) probed the same targets every 100 ms with a new connection and a 1 s timeout. Its outage runs from its first failure after the fault to the end of its first success after that; prodlike's is the outage window of the named probe. Answers slower than the probe's threshold (entry: ${ENTRY_SLOW_MS} ms) are failures on both sides. The RTO columns hold the figure verdicts use — fault to the first answer of ${RECOVERY_WINDOW_MS / 1000} s of unbroken successes after the first failure — recomputed from the cross-check's attempts by the comparer's own code, next to the RTO prodlike reported. A row outside ±250 ms says what differs.\n\n${table}\n`);
      process.stdout.write(`\ncross-check (independent probe process) vs prodlike, ${env.providerName}:\n${table}\n`);
    }
  }, 300_000);

  /** The replicas of a role's primary workload, or of `<role>/<name>`, an additional one (topology.<role>.additional). */
  const replicasOf = async (ref: WorkloadRef) => (await provider.status()).services.find((s) => serviceRef(s) === ref)?.replicas ?? [];
  const restartsOf = async (ref: WorkloadRef, replica?: number) => {
    const replicas = await replicasOf(ref);
    return replica === undefined ? replicas.reduce((sum, r) => sum + r.restarts, 0) : (replicas[replica]?.restarts ?? 0);
  };
  /** RTO of one probe, with the analysis options it was started with (entry: slow answers are failures). */
  const rtoOf = (probe: AvailabilityProbe, faultAt: number, analysis: AnalysisOptions = {}) => clientObservedRto(probe.attempts, faultAt, { sustainedMs: RECOVERY_WINDOW_MS, ...analysis });
  const entryRto = (probe: AvailabilityProbe, faultAt: number) => rtoOf(probe, faultAt, { slowThresholdMs: ENTRY_SLOW_MS });
  const userFacing = (probe: AvailabilityProbe, faultAt: number) => `user-facing outage at the entry point (${probe.target}, answers over ${ENTRY_SLOW_MS} ms count as failures): ${outageText(entryRto(probe, faultAt))}`;
  /**
   * Kills a service the way a crash does. Its effect is the service's restart count rising — the process
   * died and was started again — read from the provider, not inferred from a probe: a probe can also fail
   * from load alone (the no-op fault test caught exactly that), so a probe failure never proves a crash.
   */
  const crash = async (s: ScenarioRun, role: WorkloadRef, options: { replica?: number; within?: number } = {}) => {
    const before = await restartsOf(role, options.replica);
    const name = `${role}${options.replica === undefined ? '' : `-${options.replica}`}`;
    let killed: { name: string; id?: string | undefined } | undefined;
    return s.inject({
      name: `${name} crash (SIGKILL)`,
      subject: name,
      apply: async () => {
        const victim = (await replicasOf(role))[options.replica ?? 0];
        const k = await provider.kill(role, options.replica === undefined ? {} : { replica: options.replica });
        killed = { name: k.killed, id: victim?.name === k.killed ? victim.id : undefined };
        return `SIGKILL via ${k.via}`;
      },
      // A provider without node access (cluster) kills the pod, not its container: the controller replaces it.
      effects: () => [
        Effects.increases(`${name} restart count`, before, () => restartsOf(role, options.replica)),
        // A StatefulSet's replacement has the same name: the pod's uid tells them apart.
        Effects.condition(`${name} pod replaced`, async () => (killed && !(await replicasOf(role)).some((r) => r.name === killed!.name && (killed!.id === undefined || r.id === killed!.id)) ? `pod ${killed.name} replaced` : undefined)),
      ],
      withinMs: options.within ?? 30_000,
    });
  };
  /** The crashed replica is back: restarted in place and Ready, or (pod killed) replaced and every replica Ready. */
  const backAfterCrash = async (role: WorkloadRef, before: { id: string; name: string; restarts: number }) => {
    const service = (await provider.status()).services.find((x) => serviceRef(x) === role);
    const replicas = service?.replicas ?? [];
    const same = replicas.find((r) => r.id === before.id);
    if (same) return same.restarts > before.restarts && same.health === 'healthy';
    return replicas.filter((r) => r.health === 'healthy').length >= Math.max(1, service?.desired ?? 1);
  };

  it('worker lost (scaled to 0) while executions are queued: they wait in Redis and all complete exactly once when it is back', async (ctx) => {
    const scenario = { suite: 'failover', id: 'failover.worker-lost', title: 'Worker lost (scaled to 0) with executions queued' };
    const scalable = requires(ctx, env, scenario, canScale(env.provider) ? env.provider : undefined, `the ${env.providerName} provider cannot scale`);
    if (!requireApi(ctx, env, 'executions', scenario)) return;
    await runScenario(env, { id: 'failover.worker-lost', title: 'Worker lost (scaled to 0) with executions queued' }, async (s) => {
      const entry = s.entryProbe();
      await s.baseline([entry]);
      const HOLD_MS = holdMs('worker-lost');
      let heal: (() => Promise<unknown>) | undefined;
      const fault = await s.inject({
        name: 'worker scaled to 0', subject: 'worker',
        apply: async () => {
          const handle = await scaleService(scalable, env.faults('failover.worker-lost'), 'worker', 0);
          heal = () => handle.run();
          return `scaled to 0 (undo registered: ${handle.description})`;
        },
        effects: () => [Effects.condition('no worker replica running', async () => ((await replicasOf('worker')).every((r) => r.health !== 'healthy') ? `worker replicas: ${(await replicasOf('worker')).length} (none healthy)` : undefined))],
      });
      log(`fault injected: worker scaled to 0 (${fault.effect.seen}); holding ${HOLD_MS} ms (a harness-set hold, not a measurement)`);
      const queued = await app.submit('failover-worker-lost', 5);
      await new Promise((r) => setTimeout(r, HOLD_MS));
      const early = await app.statuses(queued);
      const healAt = hrNow();
      await heal?.();
      s.timeline.add({ at: healAt, type: 'fault.healed', source: 'harness', subject: 'worker', detail: 'scaled back' });
      // Back in service = the first queued execution leaves QUEUED (what a client of the queue sees), not our scale call returning.
      const pickedUpAt = await waitFor(async () => ((await app.statuses(queued)).some((x) => x !== 'QUEUED') ? hrNow() : undefined), { timeoutMs: 300_000, intervalMs: 100, description: 'a queued execution to be picked up after the worker was scaled back' });
      s.timeline.add({ at: pickedUpAt, type: 'note', source: 'harness', subject: 'worker', detail: 'first queued execution picked up' });
      const states = await app.settled(queued, 'the executions queued while no worker ran to finish');
      const logs = await app.completions(queued);
      const rpo = lostWorkRpo(queued, states);
      const verdicts = [
        env.verdict('pods.rto', { value: pickedUpAt - healAt, note: `from the scale-back to the first queued execution picked up (worker start-up + pickup, seen through the API); the ${HOLD_MS} ms without a worker is set by the harness and not counted` }),
        env.verdict('pods.rpo', { value: rpo.value, note: `${queued.length - rpo.lost.length}/${queued.length} executions queued while no worker ran completed${rpo.lost.length ? `; lost: ${rpo.lost.join(', ')}` : ''}; completion log entries ${logs.join(',')}` }),
      ];
      showVerdicts(verdicts);
      await s.record({ verdicts, notes: [`states while no worker ran: ${early.join(', ')}`, `states after: ${states.join(', ')}`, userFacing(entry, fault.at)] });
      expect(early.some((x) => x === 'COMPLETED'), `no worker ran, yet executions completed: ${early.join(',')}`).toBe(false);
      expect(states.every((x) => x === 'COMPLETED'), states.join(',')).toBe(true);
      expect(logs, 'each execution completes exactly once').toEqual(queued.map(() => 1));
      expectHeld(verdicts);
    });
  }, 400_000);

  it('Redis hangs (process paused): it answers again once resumed, acknowledged writes all survive', async (ctx) => {
    // With the documented alerts watched, the hang outlasts RedisDown's window (for: 1m + intervals + margin): a hung
    // Redis stays Ready (its exec probes end "unknown"), so only clients and the alert can tell.
    const hold = holdMs('redis-hang', alerts ? alerts.windowEndMs('RedisDown') + 7_000 : 5_000);
    const pausable = requires(ctx, env, { suite: 'failover', id: 'failover.redis-hang', title: `Redis hangs (paused ${hold} ms)` }, canPause(env.provider) ? env.provider : undefined, `the ${env.providerName} provider cannot pause a single workload`);
    await runScenario(env, { id: 'failover.redis-hang', title: `Redis hangs (paused ${hold} ms)` }, async (s) => {
      const HOLD_MS = hold;
      const server = s.probe(redisCheck(redisUrl), { name: PROBES.redis });
      const client = s.probe(redisCheck(redisUrl, { mode: 'reconnecting' }), { name: 'redis: one reconnecting client with back-off (application-like)' });
      const entry = s.entryProbe();
      const sentinel = s.use(await new SentinelWriter(redisSentinelSink(redisUrl, { keyPrefix: 'sentinel:failover-pause' }), { ratePerSecond: 20 }).start());
      // Executions queued before the hang must all complete (when the application declares an executions API).
      const queued = app.has('executions') ? await app.submit('failover-redis-pause', 3) : [];
      await sentinel.waitForAcked(20, { signal: env.signal });
      await s.baseline([server, client, entry]);
      let resume: (() => Promise<unknown>) | undefined;
      const fault = await s.inject({
        name: 'redis paused', subject: 'redis-0',
        apply: async () => {
          const handle = await pauseService(pausable, env.faults('failover.redis-hang'), 'redis');
          resume = () => handle.run();
          return `paused (undo registered: ${handle.description})`;
        },
        // A pause leaves no restart behind: its effect is the provider reporting the process frozen AND the
        // server probe timing out after the fault (either alone could be our own call or load). On kind the
        // container is frozen in its node (ctr task pause); the kubelet's exec probes then end "unknown"
        // (runc refuses to exec in a paused container), so the pod stays Ready, stays in the Service's
        // endpoints and is not restarted however long the hold: only clients see the hang, as measured here.
        effects: (at) => [Effects.condition('redis reported paused and its server probe failing', async () => {
          const failed = await Effects.probeFails(server, at).observe();
          if (!failed) return undefined; // cheap first: the provider's status probes every service's health
          const replica = (await replicasOf('redis'))[0];
          if (replica?.state === 'paused') return `redis-0 ${replica.state}; ${failed}`;
          // Not yet, and said why: FAULT_NO_EFFECT then quotes what the provider reported while the probe failed.
          throw new Error(`probe failing but the provider reports redis-0 ${replica ? `${replica.id} ${replica.state}, ${replica.health}` : 'absent'}`);
        })],
        withinMs: Math.max(5_000, HOLD_MS),
      });
      log(`fault injected: redis paused (${fault.effect.seen}); holding ${HOLD_MS} ms (a harness-set hold, not a measurement)`);
      const left = fault.at + HOLD_MS - hrNow();
      if (left > 0) await new Promise((r) => setTimeout(r, left));
      const resumeAt = hrNow();
      await resume?.();
      s.timeline.add({ at: resumeAt, type: 'fault.healed', source: 'harness', subject: 'redis-0', detail: 'unpaused' });
      await s.recovered([server, client, entry], fault.at, { timeoutMs: 120_000 });
      await sentinel.stop();
      const rpo = await sentinel.verify({ faultAt: fault.at });
      const afterResume = (rto: RtoMeasurement) => (rto.sustainedSuccessAt ?? hrNow()) - resumeAt;
      const serverRto = rtoOf(server, fault.at);
      const states = queued.length ? await app.settled(queued, 'the executions queued before the Redis hang to finish') : [];
      const alerted = await judgeAlerts('failover.redis-hang', [
        { alert: 'RedisDown', labels: { job: 'redis' }, conditionAt: fault.at, conditionEndAt: resumeAt },
        // The broken rule is judged only when the hang outlasts RedisDown's window: with a shorter hold (e.g.
        // PRODLIKE_FAULT_HOLD_MS=redis-hang=5000) "never fired" would prove nothing about it.
        ...(alerts && HOLD_MS >= alerts.windowEndMs('RedisDown') ? [{ alert: 'RedisDownWrongJob', conditionAt: fault.at, conditionEndAt: resumeAt, note: 'broken on purpose: must be caught as never fired' }] : []),
      ]);
      const verdicts = [
        env.verdict('redis.rto', { value: Math.max(0, afterResume(serverRto)), lowerBound: serverRto.lowerBound, note: `server answering new connections ${seconds(afterResume(serverRto))} after the resume; the ${HOLD_MS} ms hang is set by the harness and not counted` }),
        env.verdict('redis.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `${rpo.lostAcked.length} acknowledged writes lost of ${rpo.ackedBeforeFault}` }),
      ];
      showVerdicts(verdicts);
      await s.record({
        verdicts, sentinels: [rpo],
        notes: [
          `effect: ${fault.effect.seen} (${seconds(fault.effect.afterMs)} after the pause)`,
          `reconnecting client recovered ${seconds(afterResume(rtoOf(client, fault.at)))} after the resume`,
          userFacing(entry, fault.at),
          queued.length ? `executions queued before the hang: ${states.join(', ')}` : `no executions queued: ${apiMissing(env.config.application, 'executions')}`,
          ...alerted.notes,
        ],
      });
      // The alert meant for the hang fires in its window; the broken rule is caught (never fired), not passed.
      expectAlerts(alerted.rows);
      expect(rpo.ackedBeforeFault).toBeGreaterThanOrEqual(20);
      expect(rpo.lostAcked).toEqual([]);
      expect(states.every((x) => x === 'COMPLETED'), states.join(',')).toBe(true);
      expectHeld(verdicts);
    });
  }, 400_000);

  it('backend replica crashes under steady traffic: replacement Ready within the pod RTO, RPO 0, user-facing outage measured', async () => {
    await runScenario(env, { id: 'failover.backend-crash', title: 'Backend replica crash (SIGKILL) under steady traffic' }, async (s) => {
      const entry = s.entryProbe();
      const records = app.recordsSink();
      const sentinel = s.use(await new SentinelWriter(records.sink, { ratePerSecond: 10 }).start());
      await sentinel.waitForAcked(10, { signal: env.signal });
      await s.baseline([entry]);
      const before = (await replicasOf('backend'))[0]!;
      const fault = await crash(s, 'backend', { replica: 0 });
      const readyAt = await waitFor(async () => ((await backAfterCrash('backend', before)) ? hrNow() : undefined), { timeoutMs: 180_000, intervalMs: 200, description: 'the crashed backend replica to be Ready again' });
      s.timeline.add({ at: readyAt, type: 'container.ready', source: 'provider', subject: 'backend-0' });
      await s.recovered([entry], fault.at, { timeoutMs: 60_000 });
      await sentinel.stop();
      const rpo = await sentinel.verify({ faultAt: fault.at });
      const verdicts = [
        env.verdict('pods.rto', { value: readyAt - fault.at, note: `the crashed replica restarted and reported Ready by the ${env.providerName} provider ${seconds(readyAt - fault.at)} after the kill (server back)` }),
        env.verdict('pods.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `${rpo.lostAcked.length} acknowledged of ${rpo.ackedBeforeFault} lost: ${records.what}` }),
      ];
      showVerdicts(verdicts);
      const alerted = await judgeAlerts('failover.backend-crash', [crashLooping('backend', before.name, fault.at)]);
      await s.record({ verdicts, sentinels: [rpo], notes: [`effect: ${fault.effect.seen}`, userFacing(entry, fault.at), ...alerted.notes] });
      expect(rpo.ackedBeforeFault).toBeGreaterThanOrEqual(10);
      expect(rpo.lostAcked).toEqual([]);
      expectHeld(verdicts);
    });
  }, 400_000);

  it('PostgreSQL crashes: the server and the app recover without an app restart, committed rows all survive', async () => {
    await runScenario(env, { id: 'failover.postgres-crash', title: 'PostgreSQL crash (SIGKILL)' }, async (s) => {
      // The earlier scenario crashed a backend replica: wait until every replica is healthy and their restart
      // counts have been stable for 3 s, so a late restart from before is not blamed on this fault.
      let stableSince = Date.now();
      let last = '';
      const backendRestarts = await waitFor(async () => {
        const replicas = await replicasOf('backend');
        const key = replicas.map((r) => `${r.restarts}:${r.health}`).join(',');
        if (key !== last) [last, stableSince] = [key, Date.now()];
        return Date.now() - stableSince >= 3000 && replicas.every((r) => r.health === 'healthy') ? replicas.map((r) => r.restarts) : undefined;
      }, { timeoutMs: 60_000, intervalMs: 250, description: 'backend replicas healthy with stable restart counts' });
      const server = s.probe(sqlCheck(pgConfig, { mode: 'per-attempt' }), { name: PROBES.postgres });
      const client = s.probe(sqlCheck(pgConfig), { name: 'postgres: long-lived client select 1 (reconnecting client)' });
      // The backend's own readiness path (topology.backend.health; document 001's /health/ready by default):
      // "the app is ready again", between the server back and users served at the entry.
      const backendEp = await provider.endpoint('backend');
      const backendHealth = resolveWorkload(env.config, 'backend').health;
      const appReady = backendHealth ? s.probe(httpCheck(`http://${backendEp.host}:${backendEp.port}${backendHealth}`), { name: `backend ${backendHealth} (app)`, timeoutMs: 2000 }) : undefined;
      const entry = s.entryProbe();
      const sentinel = s.use(await new SentinelWriter(postgresSentinelSink(pgConfig, { table: 'sentinel_failover' }), { ratePerSecond: 10 }).start());
      await sentinel.waitForAcked(10, { signal: env.signal });
      const probes = [server, client, ...(appReady ? [appReady] : []), entry];
      await s.baseline(probes);
      const pgPod = (await replicasOf('postgres'))[0]?.name;
      const fault = await crash(s, 'postgres');
      await s.recovered(probes, fault.at, { timeoutMs: 180_000 });
      await sentinel.stop();
      const rpo = await sentinel.verify({ faultAt: fault.at });
      const serverRto = rtoOf(server, fault.at);
      const restartsAfter = (await replicasOf('backend')).map((r) => r.restarts);
      // A crash shorter than for: 1m: PostgreSQLDown must NOT fire (pending at most).
      const alerted = await judgeAlerts('failover.postgres-crash', [{ alert: 'PostgreSQLDown', labels: { job: 'postgres' }, conditionAt: fault.at, conditionEndAt: fault.at + serverRto.rtoMs }, crashLooping('postgres', pgPod, fault.at)]);
      const verdicts = [
        env.verdict('pods.rto', { value: serverRto.rtoMs, lowerBound: serverRto.lowerBound, note: `PostgreSQL accepting new connections again (a new connection + select 1 per attempt), ${seconds(serverRto.rtoMs)} after the kill` }),
        env.verdict('pods.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `committed rows on the volume: ${rpo.lostAcked.length} of ${rpo.ackedBeforeFault} lost` }),
      ];
      showVerdicts(verdicts);
      await s.record({
        verdicts, sentinels: [rpo],
        notes: [
          `effect: ${fault.effect.seen}`,
          `reconnecting client (one long-lived connection) recovered after ${outageText(rtoOf(client, fault.at))}; ${appReady ? `the app's ${backendHealth} after ${outageText(rtoOf(appReady, fault.at))}` : 'no backend readiness path configured (topology.backend.health): the app itself not probed'}`,
          userFacing(entry, fault.at),
          `backend restarts before/after: ${backendRestarts.join(',')} / ${restartsAfter.join(',')} (${restartsAfter.join(',') === backendRestarts.join(',') ? 'recovered without restarting' : 'a backend replica RESTARTED: the app did not ride out the database crash'})`,
          ...alerted.notes,
        ],
      });
      expectAlerts(alerted.rows);
      expect(restartsAfter, `backend restarts before ${backendRestarts.join(',')} / after ${restartsAfter.join(',')}: a replica restarted during the PostgreSQL crash`).toEqual(backendRestarts);
      expect(rpo.ackedBeforeFault).toBeGreaterThanOrEqual(10);
      expect(rpo.lostAcked).toEqual([]);
      expectHeld(verdicts);
    });
  }, 400_000);

  it('Redis crashes with AOF everysec: RTO within 5 min, acknowledged writes lost within the 1 min RPO, no execution lost', async () => {
    await runScenario(env, { id: 'failover.redis-crash', title: 'Redis crash (SIGKILL), AOF everysec' }, async (s) => {
      const server = s.probe(redisCheck(redisUrl), { name: PROBES.redis });
      const client = s.probe(redisCheck(redisUrl, { mode: 'reconnecting' }), { name: 'redis: one reconnecting client with back-off (application-like)' });
      const entry = s.entryProbe();
      const sentinel = s.use(await new SentinelWriter(redisSentinelSink(redisUrl, { keyPrefix: 'sentinel:failover' }), { ratePerSecond: 20 }).start());
      // Executions queued right before the crash must all complete (reliable queue, document 000).
      const queued = app.has('executions') ? await app.submit('failover-redis', 5) : [];
      await sentinel.waitForAcked(20, { signal: env.signal });
      await s.baseline([server, client, entry]);
      const redisPod = (await replicasOf('redis'))[0]?.name;
      const fault = await crash(s, 'redis');
      await s.recovered([server, client, entry], fault.at, { timeoutMs: 300_000 });
      await sentinel.stop();
      const rpo = await sentinel.verify({ faultAt: fault.at });
      const serverRto = rtoOf(server, fault.at);
      const states = queued.length ? await app.settled(queued, 'the executions queued before the Redis crash to finish', 180_000) : [];
      const alerted = await judgeAlerts('failover.redis-crash', [{ alert: 'RedisDown', labels: { job: 'redis' }, conditionAt: fault.at, conditionEndAt: fault.at + serverRto.rtoMs }, crashLooping('redis', redisPod, fault.at)]);
      const verdicts = [
        env.verdict('redis.rto', { value: serverRto.rtoMs, lowerBound: serverRto.lowerBound, note: `Redis accepting new connections again (a new connection per attempt while it is down), ${seconds(serverRto.rtoMs)} after the kill` }),
        env.verdict('redis.rpo', { value: rpo.rpoMs, lowerBound: rpo.lowerBound, note: `${rpo.lostAcked.length} acknowledged writes lost of ${rpo.ackedBeforeFault}` }),
      ];
      showVerdicts(verdicts);
      await s.record({
        verdicts, sentinels: [rpo],
        notes: [
          `effect: ${fault.effect.seen}`,
          `reconnecting client (one long-lived connection with back-off) recovered after ${outageText(rtoOf(client, fault.at))}: what an application's client sees, which can lag the server`,
          userFacing(entry, fault.at),
          queued.length ? `executions queued before the crash: ${states.join(', ')}` : `no executions queued: ${apiMissing(env.config.application, 'executions')}`,
          ...alerted.notes,
        ],
      });
      expectAlerts(alerted.rows);
      expect(rpo.ackedBeforeFault).toBeGreaterThanOrEqual(20);
      expect(states.every((x) => x === 'COMPLETED'), states.join(',')).toBe(true);
      expectHeld(verdicts);
    });
  }, 600_000);

  it('MinIO crashes: S3 fails and recovers within the file-storage RTO; no acknowledged object is lost', async () => {
    await runScenario(env, { id: 'failover.minio-crash', title: 'MinIO crash (SIGKILL)' }, async (s) => {
      const minio = await provider.endpoint('minio');
      const s3 = s.probe(s3Check({ endpoint: `http://${minio.host}:${minio.port}`, accessKey: env.secrets.minioAccessKey, secretKey: env.secrets.minioSecretKey, bucket: env.config.objectStore.bucket }), { name: PROBES.s3 });
      const entry = s.entryProbe();
      const objects = objectSentinels(app, { endpoint: minio, accessKey: env.secrets.minioAccessKey, secretKey: env.secrets.minioSecretKey, bucket: env.config.objectStore.bucket });
      const uploaded: { id: string; body: string }[] = [];
      for (let i = 0; i < 5; i++) {
        const body = `failover object ${i} ${Math.random()}`;
        uploaded.push({ id: await objects.put(`obj-${i}.txt`, body), body });
      }
      await s.baseline([s3, entry]);
      const minioPod = (await replicasOf('minio'))[0]?.name;
      const fault = await crash(s, 'minio');
      await s.recovered([s3, entry], fault.at, { timeoutMs: 300_000 });
      const rto = rtoOf(s3, fault.at);
      let lost = 0;
      for (const u of uploaded) {
        const back = await objects.get(u.id);
        if (back.status !== 200 || !back.body.includes(u.body)) lost += 1;
      }
      const verdicts = [env.verdict('files.restore.rto', { value: rto.rtoMs, lowerBound: rto.lowerBound, note: `MinIO answering S3 again after a process crash (not a restore), ${seconds(rto.rtoMs)} after the kill` })];
      showVerdicts(verdicts);
      await s.record({ verdicts, notes: [`effect: ${fault.effect.seen}`, `${uploaded.length - lost}/${uploaded.length} acknowledged objects readable after recovery (${objects.what})`, userFacing(entry, fault.at), ...(await judgeAlerts('failover.minio-crash', [crashLooping('minio', minioPod, fault.at)])).notes] });
      expect(lost).toBe(0);
      expectHeld(verdicts);
    });
  }, 600_000);

  it('worker crashes mid-execution: the execution completes exactly once', async (ctx) => {
    if (!requireApi(ctx, env, 'executions', { id: 'failover.worker-crash', title: 'Worker crash mid-execution', suite: 'failover' })) return;
    await runScenario(env, { id: 'failover.worker-crash', title: 'Worker crash mid-execution' }, async (s) => {
      const entry = s.entryProbe();
      await s.baseline([entry]);
      const [execution] = await app.submit('failover-worker', 1, 400);
      await waitFor(async () => ((await app.status(execution!.id)) === 'RUNNING' ? true : undefined), { timeoutMs: 60_000, intervalMs: 100, description: 'the execution to be RUNNING' });
      const workerPod = (await replicasOf('worker'))[0]?.name;
      const fault = await crash(s, 'worker');
      const [state] = await app.settled([execution!], 'the interrupted execution to complete');
      const completedAt = hrNow();
      const [completions] = await app.completions([execution!]);
      const rpo = lostWorkRpo([execution!], [state!]);
      const verdicts = [env.verdict('pods.rpo', { value: rpo.value, note: 'execution state survives a worker crash (0 = completed once)' })];
      showVerdicts(verdicts);
      await s.record({ verdicts, notes: [`effect: ${fault.effect.seen}`, `execution ${execution!.id}: ${state} ${seconds(completedAt - fault.at)} after the crash; completion log entries: ${completions}`, userFacing(entry, fault.at), ...(await judgeAlerts('failover.worker-crash', [crashLooping('worker', workerPod, fault.at)])).notes] });
      expect(state).toBe('COMPLETED');
      expect(completions).toBe(1);
      expectHeld(verdicts);
    });
  }, 400_000);

  it('each additional data-store workload crashes (SIGKILL) under traffic: Ready again within the pod RTO, its role\'s primary keeps serving', async (ctx) => {
    // topology.<role>.additional: a read replica, a second database (document 000's RDS read replica in examples/saasit).
    const scenario = { suite: 'failover', id: 'failover.additional-crash', title: 'Additional data-store workloads crash (SIGKILL)' };
    const declared = resolveAdditional(env.config);
    const additional = requires(ctx, env, scenario, declared.length ? declared : undefined, 'the configuration declares no additional data-store workload (topology.<role>.additional)');
    requires(ctx, env, scenario, env.providerName === 'docker' ? undefined : true, 'the docker provider runs the reference topology without topology.<role>.additional (kind and cluster deploy them from the manifests)');
    // The primary each one belongs to, probed from the host as the other scenarios do: a replica's crash must not take it down.
    const primaryProbe = async (w: ResolvedWorkload) => {
      if (w.role === 'postgres') return { check: sqlCheck(pgConfig, { mode: 'per-attempt' }), name: PROBES.postgres };
      if (w.role === 'redis') return { check: redisCheck(redisUrl), name: PROBES.redis };
      const minio = await provider.endpoint('minio');
      return { check: s3Check({ endpoint: `http://${minio.host}:${minio.port}`, accessKey: env.secrets.minioAccessKey, secretKey: env.secrets.minioSecretKey, bucket: env.config.objectStore.bucket }), name: PROBES.s3 };
    };
    for (const w of additional) {
      const id = `failover.additional-crash.${w.role}-${w.instance}`;
      await runScenario(env, { id, title: `${w.ref} crash (SIGKILL): ${w.workload} in ${w.namespace}` }, async (s) => {
        const entry = s.entryProbe();
        const p = await primaryProbe(w);
        const primary = s.probe(p.check, { name: `${w.role} primary: ${p.name}` });
        await s.baseline([entry, primary]);
        const before = (await replicasOf(w.ref))[0];
        expect(before, `${w.ref} has no pod: is ${w.workload} in ${w.namespace} deployed with labels ${JSON.stringify(w.selector)}?`).toBeDefined();
        const fault = await crash(s, w.ref, { replica: 0 });
        // Server back as Kubernetes sees it: the container restarted (or the pod replaced) and its own readiness probe passing.
        const readyAt = await waitFor(async () => ((await backAfterCrash(w.ref, before!)) ? hrNow() : undefined), { timeoutMs: 180_000, intervalMs: 200, description: `the crashed ${w.ref} pod to be Ready again` });
        s.timeline.add({ at: readyAt, type: 'container.ready', source: 'provider', subject: w.ref });
        await s.recovered([entry], fault.at, { timeoutMs: 60_000 });
        const primaryRto = rtoOf(primary, fault.at);
        const alerted = await judgeAlerts(id, [crashLooping(w.ref, before!.name, fault.at)]);
        const verdicts = [
          env.verdict('pods.rto', { value: readyAt - fault.at, note: `${w.ref}'s pod restarted and Ready again (its own readiness probe, reported by the ${env.providerName} provider) ${seconds(readyAt - fault.at)} after the kill (server back; it has no host endpoint, so no client-side figure)` }),
        ];
        showVerdicts(verdicts);
        await s.record({
          verdicts,
          notes: [
            `effect: ${fault.effect.seen}`,
            `the ${w.role} primary (${p.name}) during ${w.ref}'s crash: outage ${outageText(primaryRto)}`,
            userFacing(entry, fault.at),
            ...alerted.notes,
          ],
        });
        expectAlerts(alerted.rows);
        expectHeld(verdicts);
      });
    }
  }, 900_000);

  it('worker node stopped (kind): what happens to its pods under the documented PDB/anti-affinity, and the time', async (ctx) => {
    const scenario = { suite: 'failover', id: 'failover.node-stop', title: 'Worker node stopped' };
    // PRODLIKE_NODE_STOP=0 leaves it out (a skip with this reason): CI's second application (scenarios-saasit) does,
    // as scenarios-kind measures the same kind node lifecycle and default tolerations in the same run (~155 s).
    requires(ctx, env, scenario, process.env.PRODLIKE_NODE_STOP === '0' ? undefined : true, 'node stop left out by PRODLIKE_NODE_STOP=0 (about 155 s: NotReady ~50 s + the 130 s observation window); unset it to run it');
    const nodes = requires(ctx, env, scenario, canNodes(env.provider) && canKubernetes(env.provider) ? env.provider : undefined, `the ${env.providerName} provider has no nodes: node loss needs the kind provider (PRODLIKE_PROVIDER=kind)`);
    const kube = nodes.kubectl;
    // Observe for the pod RTO plus a margin: long enough to see whether Kubernetes replaces the pods
    // within the documented 2 minutes (default tolerations evict only after 300 s NotReady).
    const observeMs = Number(process.env.PRODLIKE_NODE_STOP_OBSERVE_MS ?? 130_000);
    type PodRow = { name: string; app: string; node: string; ready: boolean };
    // Each pod is given its role by the configured namespace and selector (topology.<role>), not by our labels.
    const roles = resolveTopology(env.config).filter((w) => w.enabled);
    const roleOf = (namespace: string, labels: Record<string, string> = {}) => roles.find((w) => w.namespace === namespace && Object.entries(w.selector).every(([k, v]) => labels[k] === v))?.role;
    const placement = async (): Promise<PodRow[]> => {
      const list = await kube.json<{ items: { metadata: { name: string; namespace: string; labels?: Record<string, string>; deletionTimestamp?: string }; spec: { nodeName?: string }; status?: { phase?: string; conditions?: { type: string; status: string }[] } }[] }>(['get', 'pods', '-A']);
      return list.items.flatMap((p) => {
        const role = roleOf(p.metadata.namespace, p.metadata.labels);
        if (!role || p.status?.phase === 'Succeeded') return [];
        return [{
          name: p.metadata.name, app: role, node: p.spec.nodeName ?? '(unscheduled)',
          ready: !p.metadata.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
        }];
      });
    };
    await runScenario(env, { id: 'failover.node-stop', title: 'Worker node stopped' }, async (s) => {
      const before = await placement();
      const workers = (await nodes.nodes()).filter((n) => n.role !== 'control-plane');
      // The worker holding the most backend replicas: the documented HPA/PDB/anti-affinity are about the backend.
      const score = (node: string) => before.filter((p) => p.node === node && p.app === 'backend').length * 10 + before.filter((p) => p.node === node).length;
      const victim = [...workers].sort((a, b) => score(b.name) - score(a.name))[0];
      if (!victim) throw new Error('the cluster has no worker node to stop');
      const onVictim = before.filter((p) => p.node === victim.name);
      const desired = Object.fromEntries(['backend', 'frontend'].map((a) => [a, before.filter((p) => p.app === a).length]));
      log(`stopping ${victim.name}; on it: ${onVictim.map((p) => p.name).join(', ') || 'nothing'}`);
      const entry = s.entryProbe();
      await s.baseline([entry]);
      let restarted = false;
      try {
        const fault = await s.inject({
          name: `node ${victim.name} stopped`, subject: victim.name,
          apply: async () => {
            await nodes.stopNode(victim.name, { waitNotReady: false });
            return `docker stop of the node container (${onVictim.length} app pods on it)`;
          },
          effects: () => [Effects.condition(`node ${victim.name} NotReady`, async () => ((await nodes.nodes()).find((n) => n.name === victim.name)?.ready === false ? `${victim.name} reported NotReady` : undefined))],
          withinMs: 150_000,
        });
        s.timeline.add({ at: fault.effect.at, type: 'node.stopped', source: 'provider', subject: victim.name, detail: `reported NotReady ${seconds(fault.effect.afterMs)} after the stop` });
        // Watch until every documented workload is back at its replica count on the remaining nodes, or the window ends.
        const seen = new Set(before.map((p) => p.name));
        const rescheduled: string[] = [];
        let recoveredAt: number | undefined;
        const deadline = fault.at + observeMs;
        while (hrNow() < deadline && recoveredAt === undefined) {
          const now = await placement();
          for (const p of now.filter((x) => !seen.has(x.name))) {
            seen.add(p.name);
            rescheduled.push(`${p.name} -> ${p.node}`);
            s.timeline.add({ at: hrNow(), type: 'pod.scheduled', source: 'provider', subject: p.name, detail: `on ${p.node}` });
          }
          const healthy = (a: string) => now.filter((p) => p.app === a && p.ready && p.node !== victim.name).length;
          const single = roles.filter((w) => !['backend', 'frontend'].includes(w.role)).every((w) => now.some((p) => p.app === w.role && p.ready && p.node !== victim.name));
          if (healthy('backend') >= desired.backend! && healthy('frontend') >= desired.frontend! && single) {
            recoveredAt = hrNow();
            s.timeline.add({ at: recoveredAt, type: 'pod.ready', source: 'provider', subject: 'all workloads', detail: 'every workload at its replica count on the remaining nodes' });
          } else await new Promise((r) => setTimeout(r, 2_000));
        }
        const during = await placement();
        const entryDuring = entryRto(entry, fault.at);
        const started = await nodes.startNode(victim.name);
        restarted = true;
        s.timeline.add({ at: hrNow(), type: 'node.ready', source: 'provider', subject: victim.name, detail: `Ready ${seconds(started.readyAfterMs)} after docker start` });
        await waitFor(async () => ((await env.provider.status()).healthy ? true : undefined), { timeoutMs: 300_000, intervalMs: 2_000, description: `every workload Ready again after ${victim.name} came back` });
        const backAt = hrNow();
        // PostgreSQLDown / RedisDown are meant for this fault when the database ran on the stopped node (down for the whole
        // observation, longer than for: 1m); otherwise nothing is down and neither may fire.
        const onIt = (role: WorkloadRole) => onVictim.some((p) => p.app === role);
        const alerted = await judgeAlerts('failover.node-stop', (['postgres', 'redis'] as const).map((role) => ({
          alert: role === 'postgres' ? 'PostgreSQLDown' : 'RedisDown', labels: { job: role }, conditionAt: fault.at, conditionEndAt: onIt(role) ? backAt : fault.at,
          note: onIt(role) ? `${role} ran on ${victim.name}` : `${role} not on ${victim.name}`,
        })));
        const stuck = during.filter((p) => p.node === victim.name).map((p) => `${p.name}${p.ready ? '' : ' (not ready)'}`);
        // Not recovered within the window: the window is a lower bound of the recovery time ("at least").
        const measured = recoveredAt === undefined ? observeMs : recoveredAt - fault.at;
        const verdicts = [
          env.verdict('pods.rto', {
            value: measured,
            ...(recoveredAt === undefined ? { lowerBound: true } : {}),
            note: recoveredAt === undefined
              ? `pods on ${victim.name} were not replaced within the ${seconds(observeMs)} window (${stuck.join(', ') || 'none'} still bound to it; the default 300 s NotReady toleration evicts them only later)`
              : `every workload back at its replica count on the remaining nodes ${seconds(measured)} after the stop`,
          }),
        ];
        showVerdicts(verdicts);
        await s.record({
          title: `Worker node stopped (${victim.name})`, verdicts,
          notes: [
            `placement before: ${onVictim.map((p) => p.name).join(', ') || 'no app pod'} on ${victim.name}`,
            `NotReady reported after ${seconds(fault.effect.afterMs)}; rescheduled within the window: ${rescheduled.join(', ') || 'none'}`,
            `user-facing outage at the entry point while the node was down: ${outageText(entryDuring)}`,
            `node Ready ${seconds(started.readyAfterMs)} after docker start; every workload Ready again ${seconds(backAt - fault.at)} after the stop`,
            ...alerted.notes,
          ],
        });
        log(`node-stop: NotReady after ${seconds(fault.effect.afterMs)}, recovered ${recoveredAt === undefined ? `not within the ${seconds(observeMs)} window` : `after ${seconds(measured)}`}, rescheduled: ${rescheduled.length}, user-facing outage ${outageText(entryDuring)}`);
        // What the harness guarantees: the node really went NotReady (the fault's effect), came back, and the environment is whole again.
        expect((await nodes.nodes()).every((n) => n.ready)).toBe(true);
        expectAlerts(alerted.rows);
        // Whether the documented design meets the pod RTO on node loss is the verdict above (exit 1 of
        // `prodlike run` when missed); as a test assertion only with PRODLIKE_STRICT_TARGETS=1.
        if (process.env.PRODLIKE_STRICT_TARGETS === '1') expectHeld(verdicts);
      } finally {
        if (!restarted) await nodes.startNode(victim.name).catch(() => undefined);
      }
    });
  }, 900_000);
});
