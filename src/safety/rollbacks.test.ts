import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ProdlikeError } from '../core/errors.ts';
import { EventBus, type TimedEvent } from '../core/events.ts';
import { RollbackFailedError, RollbackRegistry, withRollbacks } from './rollbacks.ts';

describe('rollback registry', () => {
  it('runs every pending undo newest first, collects errors and timeouts, skips none', async () => {
    const ran: string[] = [];
    const r = new RollbackRegistry({ defaultTimeoutMs: 1_000 });
    r.register('heal partition', async () => { ran.push('heal'); });
    r.register('unpause redis', async () => { ran.push('unpause'); throw new Error('daemon said no'); });
    r.register('restore scale', async () => { ran.push('scale'); await delay(5_000); }, { timeoutMs: 100 });
    r.register('start postgres', async () => { ran.push('start'); });
    const report = await r.runAll('test');
    expect(ran).toEqual(['start', 'scale', 'unpause', 'heal']);
    expect(report.outcomes.map((o) => [o.description, o.status])).toEqual([
      ['start postgres', 'ok'], ['restore scale', 'timeout'], ['unpause redis', 'failed'], ['heal partition', 'ok'],
    ]);
    expect(report.outcomes[2]!.error).toBe('daemon said no');
    expect(report.ok).toBe(false);
    expect(r.pending).toEqual([]);
  });

  it('runAll since a mark rolls back only what was registered after it, newest first', async () => {
    const ran: string[] = [];
    const r = new RollbackRegistry();
    r.register('suite-wide overlay', async () => { ran.push('overlay'); });
    const mark = r.mark();
    r.register('scale worker back', async () => { ran.push('scale'); });
    r.register('unpause redis', async () => { ran.push('unpause'); });
    const report = await r.runAll('fault showed no effect', { since: mark });
    expect(ran).toEqual(['unpause', 'scale']);
    expect(report.outcomes.map((o) => o.description)).toEqual(['unpause redis', 'scale worker back']);
    expect(r.pending).toEqual(['suite-wide overlay']);
  });

  it('an undo that times out sees its signal aborted', async () => {
    const r = new RollbackRegistry();
    let aborted = false;
    r.register('slow', async (signal) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => { aborted = true; resolve(); }));
    }, { timeoutMs: 50 });
    const report = await r.runAll();
    expect(report.outcomes[0]!.status).toBe('timeout');
    expect(aborted).toBe(true);
  });

  it('a handle heals on the normal path and is then forgotten; a failed heal stays registered', async () => {
    const r = new RollbackRegistry();
    let calls = 0;
    const ok = r.register('ok', async () => { calls += 1; });
    let fail = true;
    const flaky = r.register('flaky', async () => { if (fail) throw new Error('not yet'); });
    await ok.run();
    expect(calls).toBe(1);
    await expect(flaky.run()).rejects.toThrow(/rollback "flaky" failed: not yet/);
    expect(r.pending).toEqual(['flaky']);
    fail = false;
    expect((await r.runAll()).ok).toBe(true);
    expect(calls).toBe(1);
  });

  it('a handle disposed with `await using` heals on scope exit, once', async () => {
    const r = new RollbackRegistry();
    let healed = 0;
    {
      await using _handle = r.register('unpause redis', async () => { healed += 1; });
      expect(r.pending).toHaveLength(1);
    }
    expect(healed).toBe(1);
    expect(r.pending).toEqual([]);
    const released = r.register('heal partition', async () => { healed += 1; });
    released.release();
    await released[Symbol.asyncDispose]();
    expect(healed).toBe(1);
  });

  it('concurrent runAll calls never run two undo actions at once', async () => {
    const r = new RollbackRegistry();
    let active = 0;
    let maxActive = 0;
    for (let i = 0; i < 6; i++) {
      r.register(`u${i}`, async () => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await delay(10);
        active -= 1;
      });
    }
    const [a, b] = await Promise.all([r.runAll('a'), r.runAll('b')]);
    expect(maxActive).toBe(1);
    expect(a.outcomes.length + b.outcomes.length).toBe(6);
  });
});

describe('withRollbacks', () => {
  it('heals what a successful scenario forgot to heal', async () => {
    const healed: string[] = [];
    const value = await withRollbacks(async (r) => {
      r.register('heal a', async () => { healed.push('a'); });
      return 42;
    });
    expect(value).toBe(42);
    expect(healed).toEqual(['a']);
  });

  it('on failure runs every rollback and re-throws the original error with the report attached', async () => {
    const healed: string[] = [];
    const failure = new ProdlikeError('READINESS_TIMEOUT', 'postgres never came back');
    const error = await withRollbacks(async (r) => {
      r.register('unpause', async () => { healed.push('unpause'); });
      r.register('heal', async () => { healed.push('heal'); });
      throw failure;
    }).catch((e: unknown) => e);
    expect(error).toBe(failure);
    expect(healed).toEqual(['heal', 'unpause']);
    expect((failure.details.rollbacks as { outcomes: unknown[] }).outcomes).toHaveLength(2);
  });

  it('on abort (Ctrl-C) rolls back at once, before the scenario notices', async () => {
    const abort = new AbortController();
    const bus = new EventBus();
    const events: TimedEvent[] = [];
    bus.on((e) => events.push(e));
    let healedAt = 0;
    let noticedAt = 0;
    const run = withRollbacks(async (r) => {
      r.register('unpause redis', async () => { healedAt = performance.now(); });
      await delay(300); // a scenario step that ignores the signal
      noticedAt = performance.now();
      abort.signal.throwIfAborted();
    }, { signal: abort.signal, bus });
    setTimeout(() => abort.abort(new Error('interrupted')), 20);
    await expect(run).rejects.toThrow('interrupted');
    expect(healedAt).toBeGreaterThan(0);
    expect(healedAt).toBeLessThan(noticedAt);
    expect(events.some((e) => e.kind === 'log' && e.message.includes('rollback unpause redis: ok'))).toBe(true);
  });

  it('a rollback that fails after a successful scenario is an error, naming it', async () => {
    await expect(withRollbacks(async (r) => {
      r.register('heal partition of redis', async () => { throw new Error('network gone'); });
    })).rejects.toBeInstanceOf(RollbackFailedError);
  });
});
