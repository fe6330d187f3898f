import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { expect } from 'vitest';
import { resolveWorkload, type WorkloadRef } from '../../src/config/schema.ts';
import type { AvailabilityProbe } from '../../src/measure/availability-probe.ts';
import { Effects } from '../../src/measure/fault-effect.ts';
import { clientObservedRto, type AnalysisOptions, type RtoMeasurement } from '../../src/measure/outage.ts';
import { canEndpoint, canKill, serviceRef, type Provider, type SupportsEndpoints, type SupportsKill } from '../../src/providers/provider.ts';
import { compareCrossCheck, parseCrossCheckLog, renderCrossCheckTable } from '../../src/report/crosscheck-compare.ts';
import { readRunResults } from '../../src/report/report-writer.ts';
import { startCrossCheck, type CrossCheck } from '../../scripts/crosscheck/start.ts';
import { startAlertWatch, type AlertWatch, type ScenarioAlert } from './alert-watch.ts';
import { appApi } from './app-api.ts';
import { ENTRY_SLOW_MS, RECOVERY_WINDOW_MS, type InjectedFault, type ScenarioRun } from './scenario-run.ts';
import { startScenarioEnvironment, type ScenarioEnvironment } from './scenario-env.ts';

/**
 * How long a held fault (scaled to 0, paused) lasts: a parameter of the fault, set by the harness (never
 * counted in an RTO). PRODLIKE_FAULT_HOLD_MS=8000 for all, or per scenario: `worker-lost=1000,redis-hang=600000`.
 */
export const holdMs = (scenario: string, fallback = 5_000): number => {
  const raw = process.env.PRODLIKE_FAULT_HOLD_MS ?? '';
  const byName = Object.fromEntries(raw.split(',').map((p) => p.split('=')).filter((p) => p.length === 2).map(([k, v]) => [k!.trim(), Number(v)]));
  const value = byName[scenario] ?? (raw.includes('=') ? NaN : Number(raw || NaN));
  return Number.isFinite(value) && value >= 0 ? value : fallback;
};
export const log = (message: string) => process.stdout.write(`[failover ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** "1.9 s (recovered)", "at least 130.0 s (not recovered)", "none (no failed request)". */
export const outageText = (rto: RtoMeasurement) => (!rto.outageObserved ? 'none (no failed or slow request)' : `${rto.lowerBound ? 'at least ' : ''}${seconds(rto.rtoMs)}${rto.falseRecoveries ? `, ${rto.falseRecoveries} false recover${rto.falseRecoveries === 1 ? 'y' : 'ies'}` : ''}`);

/** What every failover scenario shares: the environment and its endpoints, the cross-check, the alert watch, and the crash step. */
export type FailoverSuite = Awaited<ReturnType<typeof aroundEnvironment>>;

/**
 * Starts (or reuses) the failover environment with what the suite's scenarios need around it: an independent
 * cross-check probe process beside the whole suite and, on kind with the monitoring add-on, the documented
 * alerts watched on Prometheus. `finish()` judges the alerts left for the suite's end, tears the environment
 * down and writes the cross-check table next to the report.
 */
export async function startFailoverSuite(): Promise<FailoverSuite> {
  log('starting the environment');
  const env: ScenarioEnvironment = await startScenarioEnvironment('failover');
  log(`environment ${env.created ? 'created' : 'reused'}: ${env.entry}`);
  try {
    return await aroundEnvironment(env);
  } catch (error) {
    // Whatever was started before the failure is not left behind (the suite's afterAll has no handle to it).
    await env.teardown().catch(() => undefined);
    throw error;
  }
}

async function aroundEnvironment(env: ScenarioEnvironment) {
  if (!canKill(env.provider) || !canEndpoint(env.provider)) throw new Error(`${env.providerName} provider cannot kill or publish endpoints`);
  const provider: Provider & SupportsKill & SupportsEndpoints = env.provider;
  const pgEp = await provider.endpoint('postgres');
  const database = env.config.database;
  const pgConfig: pg.ClientConfig = { host: pgEp.host, port: pgEp.port, user: database.user, database: database.name, password: env.secrets.postgresPassword };
  const redisEp = await provider.endpoint('redis');
  const redisUrl = `redis://:${encodeURIComponent(env.secrets.redisPassword)}@${redisEp.host}:${redisEp.port}`;
  const app = appApi(env.entry, pgConfig, env.config.application);
  // The probe names the cross-check compares with (each scenario that has one).
  const PROBES = {
    entry: `entry GET ${env.config.application.health} (user-facing)`,
    redis: 'redis: PING, a new connection while down (server accepts connections)',
    postgres: 'postgres: new connection + select 1 (server accepts connections)',
    s3: 'minio: HEAD bucket',
  };
  // An independent probe in its own process (scripts/crosscheck: new connection per attempt, 1 s timeout,
  // no code shared with src/measure) beside the whole suite; its outages are compared with prodlike's in finish().
  const minio = await provider.endpoint('minio');
  const cross: CrossCheck = await startCrossCheck({
    outFile: join(env.recorder.path, 'crosscheck.ndjson'),
    intervalMs: 100,
    targets: [
      { name: 'entry', kind: 'http', url: app.health, expectStatus: 200, probe: PROBES.entry },
      { name: 'redis', kind: 'redis', url: redisUrl, probe: PROBES.redis },
      { name: 'postgres', kind: 'postgres', url: `postgres://${database.user}:${encodeURIComponent(env.secrets.postgresPassword)}@${pgEp.host}:${pgEp.port}/${database.name}`, probe: PROBES.postgres },
      { name: 's3', kind: 's3', endpoint: `http://${minio.host}:${minio.port}`, accessKey: env.secrets.minioAccessKey, secretKey: env.secrets.minioSecretKey, bucket: env.config.objectStore.bucket, probe: PROBES.s3 },
    ],
  });
  const watching = await startAlertWatch(env).catch(async (error: unknown) => { await cross.stop(); throw error; });
  /** The documented alerts (issue #21): kind with the monitoring add-on; undefined elsewhere. */
  const alerts: AlertWatch | undefined = watching.watch;
  log(alerts ? `documented alerts watched on Prometheus (scrape = evaluation = ${env.config.monitoring.interval}, margin ${alerts.timing.marginMs / 1000} s): ${alerts.rules.map((r) => r.alert).join(', ')}` : `no alert verdicts: ${watching.reason}`);

  /** The replicas of a role's primary workload, or of `<role>/<name>`, an additional one (topology.<role>.additional). */
  const replicasOf = async (ref: WorkloadRef) => (await provider.status()).services.find((s) => serviceRef(s) === ref)?.replicas ?? [];
  const restartsOf = async (ref: WorkloadRef, replica?: number) => {
    const replicas = await replicasOf(ref);
    return replica === undefined ? replicas.reduce((sum, r) => sum + r.restarts, 0) : (replicas[replica]?.restarts ?? 0);
  };
  /** RTO of one probe, with the analysis options it was started with (entry: slow answers are failures). */
  const rtoOf = (probe: AvailabilityProbe, faultAt: number, analysis: AnalysisOptions = {}) => clientObservedRto(probe.attempts, faultAt, { sustainedMs: RECOVERY_WINDOW_MS, ...analysis });
  const entryRto = (probe: AvailabilityProbe, faultAt: number) => rtoOf(probe, faultAt, { slowThresholdMs: ENTRY_SLOW_MS });

  return {
    env, provider, pgConfig, redisUrl, app, alerts, PROBES, replicasOf, restartsOf, rtoOf, entryRto,
    userFacing: (probe: AvailabilityProbe, faultAt: number) => `user-facing outage at the entry point (${probe.target}, answers over ${ENTRY_SLOW_MS} ms count as failures): ${outageText(entryRto(probe, faultAt))}`,
    /**
     * Which documented alerts a scenario's fault was meant to raise, judged (alert-watch.ts) and printed; notes for the
     * report. A crash keeps rate(restarts[15m]) > 0 for 15 min: PodCrashLooping is judged at the end of the suite.
     */
    judgeAlerts: async (scenario: string, expected: ScenarioAlert[]) => {
      if (!alerts) return { rows: [], notes: [] };
      const { rows, table } = await alerts.scenario(scenario, expected);
      log(`documented alerts, ${scenario}:\n${table}`);
      return { rows, notes: rows.map((r) => `alert ${r.alert}: ${r.verdict} (${r.reason})${r.note ? ` [${r.note}]` : ''}`) };
    },
    crashLooping: (ref: WorkloadRef, pod: string | undefined, at: number): ScenarioAlert => ({
      alert: 'PodCrashLooping', labels: { namespace: resolveWorkload(env.config, ref).namespace, ...(pod ? { pod } : {}) }, conditionAt: at, note: 'ONE restart: rate(restarts[15m]) > 0 holds for 15 min',
    }),
    /** Every alert judged in a scenario must PASS (the broken rule aside, which must be caught as never fired). */
    expectAlerts: (rows: { alert: string; verdict: string; reason: string }[]) => {
      for (const row of rows) expect(`${row.alert}: ${row.verdict} ${row.reason}`).toMatch(row.alert === 'RedisDownWrongJob' ? /: FAIL never fired/ : /: PASS /);
    },
    /**
     * Kills a service the way a crash does. Its effect is the service's restart count rising — the process
     * died and was started again — read from the provider, not inferred from a probe: a probe can also fail
     * from load alone (the no-op fault test caught exactly that), so a probe failure never proves a crash.
     */
    crash: async (s: ScenarioRun, role: WorkloadRef, options: { replica?: number; within?: number } = {}): Promise<InjectedFault> => {
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
    },
    /** The crashed replica is back: restarted in place and Ready, or (pod killed) replaced and every replica Ready. */
    backAfterCrash: async (role: WorkloadRef, before: { id: string; name: string; restarts: number }) => {
      const service = (await provider.status()).services.find((x) => serviceRef(x) === role);
      const replicas = service?.replicas ?? [];
      const same = replicas.find((r) => r.id === before.id);
      if (same) return same.restarts > before.restarts && same.health === 'healthy';
      return replicas.filter((r) => r.health === 'healthy').length >= Math.max(1, service?.desired ?? 1);
    },
    /** The alerts left for the suite's end judged and written, the environment torn down, the cross-check table written. */
    finish: async () => {
      await cross.stop();
      if (alerts) {
        const done = await alerts.finish();
        const text = `# Documented alerts (document 001 §High Availability 6) per scenario\n\nPrometheus scrape and evaluation every ${env.config.monitoring.interval}; an alert meant for a fault must fire within for: + scrape + evaluation + ${alerts.timing.marginMs / 1000} s (the recorded up{job=…}'s evaluation, the exporter's 2 s timeout, 1 s poll) after the fault; times are relative to the fault.\n\n${done.table}\n${done.errors.length ? `\nwatcher errors: ${done.errors.join('; ')}\n` : ''}`;
        await writeFile(join(env.recorder.path, 'alerts.md'), text);
        process.stdout.write(`\n${text}\n`);
      }
      await env.teardown();
      // The cross-check table goes next to the report: per scenario and target, its outage vs prodlike's.
      const rows = compareCrossCheck(await readRunResults(env.recorder.path), parseCrossCheckLog(await readFile(cross.outFile, 'utf8'), cross.outFile)).filter((r) => r.probe !== null);
      const table = renderCrossCheckTable(rows);
      await writeFile(join(env.recorder.path, 'crosscheck.md'), `# Cross-check: an independent probe process vs prodlike's probes\n\nA separate process (scripts/crosscheck/probe.mjs) probed the same targets every 100 ms with a new connection and a 1 s timeout. Its outage runs from its first failure after the fault to the end of its first success after that; prodlike's is the outage window of the named probe. Answers slower than the probe's threshold (entry: ${ENTRY_SLOW_MS} ms) are failures on both sides. The RTO columns hold the figure verdicts use — fault to the first answer of ${RECOVERY_WINDOW_MS / 1000} s of unbroken successes after the first failure — recomputed from the cross-check's attempts by the comparer's own code, next to the RTO prodlike reported. A row outside ±250 ms says what differs.\n\n${table}\n`);
      process.stdout.write(`\ncross-check (independent probe process) vs prodlike, ${env.providerName}:\n${table}\n`);
    },
  };
}
