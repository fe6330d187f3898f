import { describe, expect, it } from 'vitest';
import { ProdlikeError } from '../core/errors.ts';
import type { ProbeAttempt } from './availability-probe.ts';
import { hrNow } from './clock.ts';
import { Effects, awaitCleanBaseline, awaitEffect } from './fault-effect.ts';

const attempt = (startedAt: number, ok: boolean, latencyMs = 5): ProbeAttempt => ({ startedAt, endedAt: startedAt + latencyMs, ok, latencyMs, ...(ok ? {} : { error: 'ECONNREFUSED' }) });

describe('awaitEffect', () => {
  it('returns the first effect that shows, with what was seen', async () => {
    const faultAt = hrNow();
    const probe = { name: 'redis PING', attempts: [attempt(faultAt - 50, true), attempt(faultAt + 10, false)] };
    const seen = await awaitEffect('redis crash', [Effects.probeFails(probe, faultAt)], { faultAt, withinMs: 500, pollMs: 10 });
    expect(seen.description).toBe('redis PING fails');
    expect(seen.seen).toContain('ECONNREFUSED');
    expect(seen.afterMs).toBeGreaterThanOrEqual(0);
  });

  it('a failure that ended before the fault is not its effect', async () => {
    const faultAt = hrNow();
    const probe = { name: 'p', attempts: [attempt(faultAt - 100, false), attempt(faultAt + 5, true)] };
    await expect(awaitEffect('kill', [Effects.probeFails(probe, faultAt)], { faultAt, withinMs: 50, pollMs: 10 })).rejects.toMatchObject({ code: 'FAULT_NO_EFFECT' });
  });

  it('a fault that changed nothing fails with FAULT_NO_EFFECT naming every expected effect (exit 3)', async () => {
    const faultAt = hrNow();
    let restarts = 2;
    const error = await awaitEffect('backend crash', [
      Effects.probeFails({ name: 'entry', attempts: [attempt(faultAt + 1, true)] }, faultAt),
      Effects.increases('backend-0 restart count', restarts, async () => restarts),
    ], { faultAt, withinMs: 60, pollMs: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProdlikeError);
    expect((error as ProdlikeError).code).toBe('FAULT_NO_EFFECT');
    expect((error as ProdlikeError).exitCode).toBe(3);
    expect((error as Error).message).toMatch(/backend crash.*no observable effect.*entry fails; or backend-0 restart count above 2/);
    restarts = 3;
    await expect(awaitEffect('backend crash', [Effects.increases('backend-0 restart count', 2, async () => restarts)], { faultAt, withinMs: 60 })).resolves.toMatchObject({ seen: 'backend-0 restart count 2 → 3' });
  });

  it('errors while observing count as "not yet" and are named when nothing shows', async () => {
    const faultAt = hrNow();
    const error = await awaitEffect('node stop', [Effects.condition('node NotReady', async () => { throw new Error('apiserver unreachable'); })], { faultAt, withinMs: 30, pollMs: 10 }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain('while observing: node NotReady: apiserver unreachable');
  });

  it('a slow answer is an effect only when a threshold is given', async () => {
    const faultAt = hrNow();
    const probe = { name: 'entry', attempts: [attempt(faultAt + 1, true, 1500)] };
    await expect(awaitEffect('x', [Effects.probeFails(probe, faultAt)], { faultAt, withinMs: 30, pollMs: 10 })).rejects.toMatchObject({ code: 'FAULT_NO_EFFECT' });
    await expect(awaitEffect('x', [Effects.probeFails(probe, faultAt, { slowMs: 1000 })], { faultAt, withinMs: 30, pollMs: 10 })).resolves.toMatchObject({ seen: 'entry: answered in 1500 ms' });
  });
});

describe('awaitCleanBaseline', () => {
  const history = (from: number, to: number, ok: (t: number) => boolean) => {
    const out: ProbeAttempt[] = [];
    for (let t = from; t < to; t += 100) out.push(attempt(t, ok(t)));
    return out;
  };

  it('passes once every probe answered for the whole clean stretch', async () => {
    const now = hrNow();
    const probes = [{ name: 'a', intervalMs: 100, attempts: history(now - 3000, now, () => true) }];
    await expect(awaitCleanBaseline(probes, { cleanMs: 2000, timeoutMs: 100 })).resolves.toBeGreaterThan(0);
  });

  it('fails with BASELINE_MISSING naming the probe whose baseline was not clean', async () => {
    const now = hrNow();
    const probes = [
      { name: 'good', intervalMs: 100, attempts: history(now - 3000, now, () => true) },
      { name: 'postgres select 1', intervalMs: 100, attempts: history(now - 3000, now, (t) => t < now - 1400 || t > now - 1000) },
    ];
    const error = await awaitCleanBaseline(probes, { cleanMs: 2000, timeoutMs: 50 }).catch((e: unknown) => e as ProdlikeError);
    expect(error).toMatchObject({ code: 'BASELINE_MISSING' });
    expect((error as Error).message).toMatch(/postgres select 1 \(ECONNREFUSED\)/);
    expect((error as Error).message).not.toMatch(/good/);
  });

  it('judges each probe by its own slow threshold (slowMsOf), all over the same stretch', async () => {
    const now = hrNow();
    const slowHistory = (from: number, to: number, latencyMs: number) => { const out: ProbeAttempt[] = []; for (let t = from; t < to; t += 100) out.push(attempt(t, true, latencyMs)); return out; };
    const probes = [
      { name: 'entry', intervalMs: 100, attempts: slowHistory(now - 3000, now - 400, 300) },
      { name: 'sql', intervalMs: 100, attempts: slowHistory(now - 3000, now - 40, 30) },
    ];
    const slow = new Map([['entry', 500], ['sql', 50]]);
    await expect(awaitCleanBaseline(probes, { cleanMs: 2000, timeoutMs: 100, slowMsOf: (p) => slow.get(p.name) })).resolves.toBeGreaterThan(0);
    slow.set('entry', 200); // entry's 300 ms answers are slow for it: not clean, though sql is
    const error = await awaitCleanBaseline(probes, { cleanMs: 2000, timeoutMs: 30, slowMsOf: (p) => slow.get(p.name) }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/entry \(slow: 300 ms\)/);
    expect((error as Error).message).not.toMatch(/sql/);
  });

  it('a probe that barely ran is not a baseline', async () => {
    const now = hrNow();
    const probes = [{ name: 'new', intervalMs: 100, attempts: [attempt(now - 2500, true), attempt(now - 10, true)] }];
    await expect(awaitCleanBaseline(probes, { cleanMs: 2000, timeoutMs: 30 })).rejects.toMatchObject({ code: 'BASELINE_MISSING' });
  });
});
