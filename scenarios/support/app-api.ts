import pg from 'pg';
import type { TestContext } from 'vitest';
import type { ApplicationApi, ApplicationConfig } from '../../src/config/schema.ts';
import { waitFor } from '../../src/core/wait.ts';
import { hrNow } from '../../src/measure/clock.ts';
import { Check, waitUntil } from '../../src/probe/index.ts';
import type { SentinelSink } from '../../src/measure/sentinel-writer.ts';
import { appRecordsReader } from '../../src/measure/sinks/app-records-reader.ts';
import { httpSentinelSink } from '../../src/measure/sinks/http-sentinel-sink.ts';
import { postgresSentinelSink } from '../../src/measure/sinks/postgres-sentinel-sink.ts';
import { requires, type SkippedScenario } from './requires.ts';
import type { ScenarioEnvironment } from './scenario-env.ts';

/**
 * The application as scenarios may use it: only what its configuration declares (`application:` in
 * prodlike.yaml, default the reference application's). Its health URL at the entry point is all every
 * application must offer. The rest — records, executions, files, work — is the reference application's own
 * API, which another application may offer under other paths or not at all: a scenario that needs it asks
 * `requireApi` (a skip with that reason), and RPO sentinels fall back to what prodlike writes into the data
 * stores itself (its own table, key prefix, object prefix).
 */
export interface Execution {
  id: string;
  /** hrNow()-comparable epoch ms when the app acknowledged it (202). */
  acceptedAt: number;
}

export const SETTLED = ['COMPLETED', 'FAILED'] as const;

/** prodlike's own table for PostgreSQL sentinels when the application has no records endpoint. */
export const SENTINEL_TABLE = 'prodlike_sentinel';
/** prodlike's own object prefix for object-store sentinels when the application has no files endpoint. */
export const SENTINEL_PREFIX = 'prodlike-sentinel/';

const WHAT: Record<ApplicationApi, string> = {
  records: 'records endpoint (writes acknowledged by the application)',
  executions: 'executions API (queued work it runs)',
  files: 'files endpoint (objects stored through the application)',
  work: 'CPU work endpoint to put load on',
};

/** Why a scenario cannot use this part of the application's API, or undefined when it is declared. */
export function apiMissing(application: ApplicationConfig, api: ApplicationApi, configFile = 'prodlike.yaml'): string | undefined {
  if (application.api[api]) return undefined;
  return `the application declares no ${WHAT[api]}: set application.api.${api} in ${configFile} if it has one`;
}

/**
 * Skips a scenario that needs part of the application's API it does not declare, recorded with its reason
 * (through `requires`, the one place scenarios skip); returns false then, true when the scenario can run.
 */
export function requireApi(ctx: TestContext, env: ScenarioEnvironment, api: ApplicationApi, scenario: SkippedScenario): boolean {
  const reason = apiMissing(env.config.application, api, env.loaded.file ?? 'prodlike.yaml (defaults)');
  return requires(ctx, env, scenario, reason === undefined ? true : undefined, reason ?? '');
}

/** The application's declared endpoints at the entry point `entry` (http://127.0.0.1:<port>). */
export function appApi(entry: string, pgConfig: pg.ClientConfig, application: ApplicationConfig) {
  const url = (api: ApplicationApi, suffix = '') => {
    const path = application.api[api];
    if (!path) throw new Error(apiMissing(application, api));
    return `${entry}${path}${suffix}`;
  };
  const status = async (id: string): Promise<string> => {
    const r = await fetch(url('executions', `/${id}`), { signal: AbortSignal.timeout(5000) });
    if (r.status !== 200) throw new Error(`GET ${url('executions', `/${id}`)} answered ${r.status}`);
    return ((await r.json()) as { status: string }).status;
  };
  return {
    /** The user-facing health URL. */
    health: `${entry}${application.health}`,
    has: (api: ApplicationApi) => Boolean(application.api[api]),
    /** Waits until the health URL answers 200; returns when (hrNow). */
    ready: async (description: string, timeoutMs = 180_000) => {
      await waitUntil(Check.http(`${entry}${application.health}`), { timeoutMs, intervalMs: 200, attemptTimeoutMs: 5000, description });
      return hrNow();
    },
    status,
    async submit(prefix: string, n: number, workUnits = 20): Promise<Execution[]> {
      const out: Execution[] = [];
      for (let i = 0; i < n; i++) {
        const r = await fetch(url('executions'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflowId: `${prefix}-${i}`, tier: 'free', payloadSize: 256, workUnits }), signal: AbortSignal.timeout(5000) });
        if (r.status !== 202) throw new Error(`submitting an execution answered ${r.status}: ${await r.text()}`);
        out.push({ id: ((await r.json()) as { id: string }).id, acceptedAt: Date.now() });
      }
      return out;
    },
    statuses: (executions: readonly Execution[]) => Promise.all(executions.map((e) => status(e.id))),
    /** Waits until every execution is COMPLETED or FAILED; returns their states. */
    settled: (executions: readonly Execution[], description: string, timeoutMs = 240_000) => waitFor(async () => {
      const states = await Promise.all(executions.map((e) => status(e.id)));
      return states.every((s) => (SETTLED as readonly string[]).includes(s)) ? states : undefined;
    }, { timeoutMs, intervalMs: 250, description }),
    /** How many `completed` log entries each execution has (exactly-once check). */
    async completions(executions: readonly Execution[]): Promise<number[]> {
      const client = new pg.Client(pgConfig);
      await client.connect();
      try {
        const ids = executions.map((e) => e.id);
        const { rows } = await client.query<{ id: string; n: string }>(`SELECT execution_id::text AS id, count(*)::text AS n FROM execution_logs WHERE execution_id::text = ANY($1) AND event = 'completed' GROUP BY execution_id`, [ids]);
        return ids.map((id) => Number(rows.find((r) => r.id === id)?.n ?? 0));
      } finally {
        await client.end();
      }
    },
    /**
     * A PostgreSQL sentinel sink: records acknowledged by the application through its records endpoint when
     * it declares one, otherwise rows prodlike commits itself into its own table. `what` says which.
     */
    recordsSink(table = SENTINEL_TABLE): { sink: SentinelSink; what: string } {
      if (application.api.records) {
        return { sink: httpSentinelSink({ url: url('records'), readBack: appRecordsReader(pgConfig) }), what: `records acknowledged by the application (POST ${application.api.records})` };
      }
      return { sink: postgresSentinelSink(pgConfig, { table }), what: `rows prodlike committed into its own table ${table} (the application declares no records endpoint)` };
    },
    /** Stores a file through the application's files endpoint; returns its id. */
    async upload(filename: string, body: string): Promise<string> {
      const r = await fetch(url('files', `?filename=${encodeURIComponent(filename)}`), { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
      if (r.status >= 300) throw new Error(`upload of ${filename} answered ${r.status}: ${await r.text()}`);
      return ((await r.json()) as { id: string }).id;
    },
    /** Reads a file back through the application: its status and body. */
    async download(id: string): Promise<{ status: number; body: string }> {
      const r = await fetch(url('files', `/${id}?download=1`));
      return { status: r.status, body: await r.text() };
    },
  };
}
export type AppApi = ReturnType<typeof appApi>;

/**
 * RPO of work the app acknowledged: 0 when nothing acknowledged was lost, otherwise how long the oldest lost
 * item had been acknowledged when it was found lost (a finite, positive figure that fails an RPO of 0).
 */
export function lostWorkRpo(executions: readonly Execution[], states: readonly string[], checkedAt = Date.now()): { value: number; lost: string[] } {
  const lost = executions.filter((_, i) => states[i] !== 'COMPLETED');
  if (lost.length === 0) return { value: 0, lost: [] };
  return { value: Math.max(1, checkedAt - Math.min(...lost.map((e) => e.acceptedAt))), lost: lost.map((e) => e.id) };
}
