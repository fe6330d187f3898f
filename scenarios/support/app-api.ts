import pg from 'pg';
import { waitFor } from '../../src/core/wait.ts';

/**
 * The reference application's own API (executions, files), which some scenarios use to show what a fault
 * did to work in flight. Any application can offer it; what only this app has stays here, not in src/.
 */
export interface Execution {
  id: string;
  /** hrNow()-comparable epoch ms when the app acknowledged it (202). */
  acceptedAt: number;
}

export const SETTLED = ['COMPLETED', 'FAILED'] as const;

export function appApi(entry: string, pgConfig: pg.ClientConfig) {
  const status = async (id: string): Promise<string> => {
    const r = await fetch(`${entry}/api/executions/${id}`, { signal: AbortSignal.timeout(5000) });
    if (r.status !== 200) throw new Error(`GET /api/executions/${id} answered ${r.status}`);
    return ((await r.json()) as { status: string }).status;
  };
  return {
    status,
    async submit(prefix: string, n: number, workUnits = 20): Promise<Execution[]> {
      const out: Execution[] = [];
      for (let i = 0; i < n; i++) {
        const r = await fetch(`${entry}/api/executions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflowId: `${prefix}-${i}`, tier: 'free', payloadSize: 256, workUnits }), signal: AbortSignal.timeout(5000) });
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
  };
}

/**
 * RPO of work the app acknowledged: 0 when nothing acknowledged was lost, otherwise how long the oldest lost
 * item had been acknowledged when it was found lost (a finite, positive figure that fails an RPO of 0).
 */
export function lostWorkRpo(executions: readonly Execution[], states: readonly string[], checkedAt = Date.now()): { value: number; lost: string[] } {
  const lost = executions.filter((_, i) => states[i] !== 'COMPLETED');
  if (lost.length === 0) return { value: 0, lost: [] };
  return { value: Math.max(1, checkedAt - Math.min(...lost.map((e) => e.acceptedAt))), lost: lost.map((e) => e.id) };
}
