import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ProbeCheck } from '../probe/check.ts';
import { AvailabilityProbe } from './availability-probe.ts';

/** In-process checks: the probe's own scheduling and bookkeeping are under test here, not a service. */
function check(run: (signal: AbortSignal) => Promise<void>): ProbeCheck & { closed: number } {
  const c = {
    kind: 'test',
    target: 'in-process function',
    closed: 0,
    run,
    async close() {
      c.closed += 1;
    },
  };
  return c;
}

describe('AvailabilityProbe', () => {
  it('starts attempts on a fixed schedule and records them with high-resolution timestamps', async () => {
    const c = check(async () => undefined);
    const probe = new AvailabilityProbe(c, { intervalMs: 20, name: 'fast' }).start();
    await delay(400);
    const record = await probe.stop();
    expect(record).toMatchObject({ name: 'fast', kind: 'test', target: 'in-process function', intervalMs: 20, timeoutMs: 1000, skippedTicks: 0 });
    expect(record.attempts.length).toBeGreaterThanOrEqual(15);
    expect(record.attempts.length).toBeLessThanOrEqual(22);
    const gaps = record.attempts.slice(1).map((a, i) => a.startedAt - record.attempts[i]!.startedAt);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    expect(mean).toBeGreaterThan(17);
    expect(mean).toBeLessThan(23);
    expect(record.attempts.every((a) => a.ok && a.endedAt >= a.startedAt && a.latencyMs === a.endedAt - a.startedAt)).toBe(true);
    // Sub-millisecond resolution: not every timestamp is a whole millisecond.
    expect(record.attempts.some((a) => !Number.isInteger(a.startedAt))).toBe(true);
    expect(Math.abs(record.startedAt - Date.now())).toBeLessThan(1000);
    expect(c.closed).toBe(1);
  });

  it('keeps sampling a hanging target, records timeouts and skips ticks beyond maxInFlight', async () => {
    const c = check((signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted by signal')))));
    const probe = new AvailabilityProbe(c, { intervalMs: 10, timeoutMs: 100, maxInFlight: 3 }).start();
    await delay(300);
    const record = await probe.stop();
    expect(record.attempts.length).toBeGreaterThanOrEqual(6);
    for (const a of record.attempts) {
      expect(a.ok).toBe(false);
      expect(a.error).toBe('timeout: no answer within 100 ms');
      expect(a.latencyMs).toBeGreaterThanOrEqual(99);
    }
    expect(record.skippedTicks).toBeGreaterThan(0);
  });

  it('abandons a check that ignores the signal at the timeout', async () => {
    const probe = new AvailabilityProbe(check(() => new Promise(() => undefined)), { intervalMs: 50, timeoutMs: 60 }).start();
    await delay(120);
    const record = await probe.stop();
    expect(record.attempts.length).toBeGreaterThanOrEqual(2);
    expect(record.attempts.every((a) => !a.ok && a.latencyMs < 200)).toBe(true);
  });

  it('records the error of a failing check and calls onAttempt', async () => {
    const seen: boolean[] = [];
    let n = 0;
    const c = check(async () => {
      n += 1;
      if (n % 2 === 0) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    });
    const probe = new AvailabilityProbe(c, { intervalMs: 10, onAttempt: (a) => seen.push(a.ok) }).start();
    await delay(100);
    const record = await probe.stop();
    expect(record.attempts.some((a) => a.error === 'connect ECONNREFUSED 127.0.0.1:1')).toBe(true);
    expect(seen).toHaveLength(record.attempts.length);
  });

  it('refuses misuse with a message saying what to do', async () => {
    expect(() => new AvailabilityProbe(check(async () => undefined), { intervalMs: 0 })).toThrow(/intervalMs must be > 0/);
    const probe = new AvailabilityProbe(check(async () => undefined));
    await expect(probe.stop()).rejects.toThrow(/call start\(\) first/);
    probe.start();
    expect(() => probe.start()).toThrow(/create a new probe/);
    const [a, b] = await Promise.all([probe.stop(), probe.stop()]);
    expect(a).toBe(b);
  });
});
