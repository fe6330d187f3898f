import { describe, expect, it } from 'vitest';
import type { ProbeAttempt, ProbeRecord } from '../measure/availability-probe.ts';
import { clientObservedRto } from '../measure/outage.ts';
import { compareCrossCheck, crossCheckRto, crossCheckWindow, parseCrossCheckLog, renderCrossCheckTable, type CrossCheckAttempt } from './crosscheck-compare.ts';
import { RESULTS_SCHEMA_VERSION, type RunResults } from './run-results.ts';
import { buildScenarioResult } from './scenario-result.ts';

// SYNTHETIC probe data, generated here: a Redis outage 10.0 s → 12.4 s after the scenario start.
const T0 = 1_700_000_000_000;
const FAULT = T0 + 10_000;

function prodlikeRecord(name: string, kind: string, target: string, down: [number, number] | null): ProbeRecord {
  const attempts: ProbeAttempt[] = [];
  for (let t = T0; t < T0 + 20_000; t += 100) {
    const failing = down !== null && t >= down[0] && t < down[1];
    attempts.push({ startedAt: t, endedAt: t + (failing ? 1 : 2), ok: !failing, latencyMs: failing ? 1 : 2, ...(failing ? { error: 'ECONNREFUSED' } : {}) });
  }
  return { name, kind, target, intervalMs: 100, timeoutMs: 1000, startedAt: T0, stoppedAt: T0 + 20_000, attempts, skippedTicks: 0 };
}

function crossAttempts(target: string, kind: string, down: [number, number] | null, offset = 0): CrossCheckAttempt[] {
  const out: CrossCheckAttempt[] = [];
  for (let t = T0 - 2000 + offset; t < T0 + 22_000; t += 50) {
    const failing = down !== null && t >= down[0] && t < down[1];
    out.push({ target, kind, startedAt: t, endedAt: t + (failing ? 0.5 : 1.5), ok: !failing, ...(failing ? { error: 'ECONNREFUSED' } : {}) });
  }
  return out;
}

function run(): RunResults {
  const scenario = buildScenarioResult({
    id: 'redis-kill',
    title: 'Redis killed',
    startedAt: T0,
    endedAt: T0 + 20_000,
    timeline: [{ at: FAULT, type: 'fault.injected', source: 'harness', subject: 'redis', detail: 'docker kill -s KILL' }],
    probes: [
      { record: prodlikeRecord('redis-ping', 'redis', 'PING redis://127.0.0.1:18583', [FAULT + 20, FAULT + 2420]), faultAt: FAULT },
      { record: prodlikeRecord('entry', 'http', 'GET http://127.0.0.1:18580/health/ready', null), faultAt: FAULT },
    ],
  });
  return { schemaVersion: RESULTS_SCHEMA_VERSION, runId: 'synthetic', dataOrigin: 'synthetic', startedAt: T0, endedAt: T0 + 20_000, tool: { name: 'prodlike', version: '0' }, scenarios: [scenario] };
}

function ndjson(attempts: CrossCheckAttempt[], targets: Array<{ name: string; kind: string; describe: string; probe?: string }>): string {
  return [JSON.stringify({ type: 'started', at: T0 - 2000, intervalMs: 50, timeoutMs: 1000, targets }), ...attempts.map((a) => JSON.stringify({ type: 'attempt', ...a })), '{"type":"stopp'].join('\n');
}

describe('cross-check comparison', () => {
  it('computes its own outage: first failure after the fault → end of the first success after it', () => {
    const attempts = crossAttempts('redis', 'redis', [FAULT, FAULT + 2400]);
    const w = crossCheckWindow(attempts, FAULT, T0 + 20_000);
    expect(w).toEqual({ start: FAULT, end: FAULT + 2400 + 1.5, recovered: true });
    expect(crossCheckWindow(crossAttempts('redis', 'redis', null), FAULT, T0 + 20_000)).toBeNull();
    const open = crossCheckWindow(crossAttempts('redis', 'redis', [FAULT, T0 + 30_000]), FAULT, T0 + 20_000);
    expect(open).toMatchObject({ recovered: false });
  });

  it('matches targets to prodlike probes by kind and port and reports the difference per scenario', () => {
    const text = ndjson([...crossAttempts('redis', 'redis', [FAULT + 10, FAULT + 2460]), ...crossAttempts('entry', 'http', null)], [
      { name: 'redis', kind: 'redis', describe: 'PING redis://127.0.0.1:18583 (new connection, raw RESP)' },
      { name: 'entry', kind: 'http', describe: 'GET http://127.0.0.1:18580/health/ready (new connection)' },
    ]);
    const log = parseCrossCheckLog(text); // the cut-off last line is ignored
    expect(log.attempts.length).toBeGreaterThan(900);
    const rows = compareCrossCheck(run(), log);
    expect(rows).toHaveLength(2);
    const redis = rows.find((r) => r.target === 'redis')!;
    expect(redis).toMatchObject({ scenario: 'redis-kill', probe: 'redis-ping', within: true });
    expect(redis.prodlikeOutageMs).toBeCloseTo(2402, 0); // 20 → 2420 ms, closed by a 2 ms success
    expect(redis.crossOutageMs).toBeCloseTo(2451.5, 0);
    expect(redis.differenceMs).toBeCloseTo(49.5, 0);
    const entry = rows.find((r) => r.target === 'entry')!;
    expect(entry).toMatchObject({ probe: 'entry', crossOutageMs: 0, prodlikeOutageMs: 0, differenceMs: 0, within: true });
    const table = renderCrossCheckTable(rows);
    expect(table).toContain('| redis-kill | redis — docker kill -s KILL (');
    expect(table).toMatch(/redis ↔ redis-ping \| 2452 ms \| 2402 ms \| \+50 ms \| yes/);
  });

  it('flags a difference beyond the tolerance and says how the windows differ', () => {
    const log = parseCrossCheckLog(ndjson(crossAttempts('redis', 'redis', [FAULT + 10, FAULT + 3000]), [{ name: 'redis', kind: 'redis', describe: 'PING redis://127.0.0.1:18583' }]));
    const [row] = compareCrossCheck(run(), log);
    expect(row).toMatchObject({ within: false });
    expect(row!.differenceMs).toBeGreaterThan(500);
    expect(row!.explanation).toBe("cross-check outage starts −50 ms and ends +500 ms relative to prodlike's") // grid: cross every 50 ms, prodlike every 100 ms;
    expect(renderCrossCheckTable([row!])).toContain('| NO |');
  });

  it('says when a side is missing: no matching probe, no attempts, no failure', () => {
    const http = parseCrossCheckLog(ndjson(crossAttempts('db', 'postgres', [FAULT, FAULT + 500]), [{ name: 'db', kind: 'postgres', describe: 'select 1 on postgres://app@127.0.0.1:18584/app' }]));
    expect(compareCrossCheck(run(), http)[0]).toMatchObject({ probe: null, within: false, explanation: expect.stringContaining('--map') });
    const mapped = compareCrossCheck(run(), parseCrossCheckLog(ndjson(crossAttempts('r', 'redis', null), [{ name: 'r', kind: 'redis', describe: 'x' }])), { map: { r: 'redis-ping' } })[0]!;
    expect(mapped).toMatchObject({ probe: 'redis-ping', crossOutageMs: 0, within: false, explanation: expect.stringContaining('cross-check saw no failure') });
    const late = parseCrossCheckLog(ndjson([], [{ name: 'redis', kind: 'redis', describe: 'PING redis://127.0.0.1:18583' }]));
    expect(compareCrossCheck(run(), late)[0]).toMatchObject({ crossOutageMs: null, within: false, explanation: expect.stringContaining('no attempt') });
  });

  it('recomputes the verdict\'s RTO by the stated rule with its own code; it agrees with src/measure on a flapping recovery and on slow answers', () => {
    // A recovery that flaps at its start (two replicas behind one Service, one still failing), then slow
    // answers, then a sustained run: the case where "first failure → first success" and the RTO part ways.
    const pattern = (t: number): { ok: boolean; latency: number } => {
      const rel = t - FAULT;
      if (rel < 3900) return { ok: true, latency: 2 };
      if (rel < 4800) return { ok: Math.floor(rel / 100) % 2 === 0, latency: 3 };
      if (rel < 15_000) return { ok: false, latency: 1 };
      if (rel < 16_000) return { ok: true, latency: 1500 };
      return { ok: true, latency: 3 };
    };
    const cross: CrossCheckAttempt[] = [];
    const own: ProbeAttempt[] = [];
    for (let t = T0; t < T0 + 40_000; t += 50) {
      const { ok, latency } = pattern(t);
      cross.push({ target: 'entry', kind: 'http', startedAt: t, endedAt: t + latency, ok });
      own.push({ startedAt: t, endedAt: t + latency, ok, latencyMs: latency });
    }
    const rule = { sustainedMs: 2000, slowMs: 1000 };
    const measured = clientObservedRto(own, FAULT, { sustainedMs: 2000, slowThresholdMs: 1000 });
    const recomputed = crossCheckRto(cross, FAULT, T0 + 40_000, rule);
    expect(recomputed).toEqual({ ms: measured.rtoMs, lowerBound: false });
    expect(recomputed.ms).toBeCloseTo(16_003, 0); // after the slow answers, not at the first success (3 900 ms)
    // The plain outage window stops at the first success, the RTO does not.
    expect(crossCheckWindow(cross, FAULT, T0 + 40_000, 1000)!.end - FAULT).toBeLessThan(4100);
    // Not recovered before the end: a lower bound, as prodlike's.
    expect(crossCheckRto(cross, FAULT, FAULT + 10_000, rule)).toMatchObject({ lowerBound: true });
    expect(crossCheckRto(cross.filter((a) => a.ok && a.endedAt - a.startedAt < 1000), FAULT, T0 + 40_000, rule)).toEqual({ ms: 0, lowerBound: false });
  });
});
