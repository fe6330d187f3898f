import { ProdlikeError } from '../core/errors.ts';
import type { ProbeAttempt } from './availability-probe.ts';
import { hrNow } from './clock.ts';

/**
 * A fault is a step that must show its effect. Each fault names what it must change that the harness can
 * see — a probe failing, a restart count going up, a replica count at 0, a node NotReady — and the scenario
 * waits for one of them within a bound. A fault that changed nothing (a kill that did not land, a workload
 * mapped to the wrong name, a no-op injector) ends the scenario with FAULT_NO_EFFECT instead of a "RTO 0".
 *
 * The same module holds the other two guards of a measurement: a *clean baseline* (every probe answering
 * for a stretch before the fault, measured, not assumed) and the wait for a *sustained recovery*.
 */
export interface Effect {
  /** What must be seen, in words: "redis PING fails", "backend restart count above 2". */
  readonly description: string;
  /** What was seen (a short text) once the effect shows, otherwise undefined. Must not throw for "not yet". */
  observe(): Promise<string | undefined>;
}

export interface ObservedEffect {
  description: string;
  seen: string;
  /** hrNow() when the harness saw it (polling: up to one poll interval after it happened). */
  at: number;
  /** at − faultAt. */
  afterMs: number;
}

/** The part of an AvailabilityProbe the guards read: a live list of finished attempts. */
export interface ProbeView {
  readonly name: string;
  readonly attempts: readonly ProbeAttempt[];
}

export const Effects = {
  /** The probe has a failed attempt that ended after the fault (a slow answer counts when `slowMs` is given). */
  probeFails(probe: ProbeView, faultAt: number, options: { slowMs?: number } = {}): Effect {
    const failed = (a: ProbeAttempt) => !a.ok || (options.slowMs !== undefined && a.latencyMs > options.slowMs);
    return {
      description: `${probe.name} fails${options.slowMs === undefined ? '' : ` (or answers slower than ${options.slowMs} ms)`}`,
      async observe() {
        const hit = probe.attempts.find((a) => a.endedAt > faultAt && failed(a));
        return hit ? `${probe.name}: ${hit.error ?? `answered in ${hit.latencyMs.toFixed(0)} ms`}` : undefined;
      },
    };
  },
  /** A number read from the environment (a restart count, a generation) rose above its value before the fault. */
  increases(description: string, before: number, read: () => Promise<number>): Effect {
    return {
      description: `${description} above ${before}`,
      async observe() {
        const now = await read();
        return now > before ? `${description} ${before} → ${now}` : undefined;
      },
    };
  },
  /** Any condition read from the environment; `check` returns what it saw, or undefined. */
  condition(description: string, check: () => Promise<string | undefined | false>): Effect {
    return {
      description,
      async observe() {
        return (await check()) || undefined;
      },
    };
  },
} as const;

export interface AwaitEffectOptions {
  faultAt: number;
  /** How long the fault may take to show. */
  withinMs: number;
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Waits until one of `effects` shows. Errors thrown while observing count as "not yet" (the store being
 * down is often how the effect looks from outside) and are kept for the message.
 */
export async function awaitEffect(fault: string, effects: readonly Effect[], options: AwaitEffectOptions): Promise<ObservedEffect> {
  if (effects.length === 0) throw new ProdlikeError('INTERNAL', `fault ${fault}: no effect to wait for (every fault must name what it changes)`);
  const deadline = hrNow() + options.withinMs;
  const errors = new Map<string, string>();
  for (;;) {
    options.signal?.throwIfAborted();
    for (const effect of effects) {
      try {
        const seen = await effect.observe();
        if (seen !== undefined) {
          const at = hrNow();
          return { description: effect.description, seen, at, afterMs: at - options.faultAt };
        }
      } catch (error) {
        errors.set(effect.description, error instanceof Error ? error.message : String(error));
      }
    }
    if (hrNow() >= deadline) {
      const tried = effects.map((e) => e.description).join('; or ');
      const observing = [...errors].map(([d, e]) => `${d}: ${e}`).join('; ');
      throw new ProdlikeError('FAULT_NO_EFFECT', `Fault "${fault}" had no observable effect within ${options.withinMs} ms: expected ${tried}.${observing ? ` (while observing: ${observing})` : ''}`, {
        hint: 'The fault did not change anything the harness can see, so no RTO/RPO can be measured from it. Check that the fault targets the workload the configuration names (prodlike status), and that the provider can apply it.',
        details: { fault, expected: effects.map((e) => e.description), withinMs: options.withinMs },
      });
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
  }
}

export interface BaselineOptions {
  /** Every attempt that ended in this last stretch must have succeeded. Default 2000 ms. */
  cleanMs?: number;
  /** Give up after this long (BASELINE_MISSING). Default 60 s. */
  timeoutMs?: number;
  /** A successful answer slower than this does not count as clean. */
  slowMs?: number;
  /** Per probe (e.g. each probe's own slow threshold); overrides `slowMs` for a probe it answers for. */
  slowMsOf?: (probe: ProbeView) => number | undefined;
  signal?: AbortSignal;
}

/**
 * Waits until each probe has answered successfully for `cleanMs` in a row (at least one attempt per
 * interval's worth, so a probe that barely ran does not pass), and returns when that was seen. Fails with
 * BASELINE_MISSING naming the probe and its last errors: a fault measured against a baseline that was
 * already failing gives a meaningless RTO.
 */
export async function awaitCleanBaseline(probes: readonly (ProbeView & { intervalMs: number })[], options: BaselineOptions = {}): Promise<number> {
  const cleanMs = options.cleanMs ?? 2000;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = hrNow();
  const okFor = (p: ProbeView) => {
    const slowMs = options.slowMsOf?.(p) ?? options.slowMs;
    return (a: ProbeAttempt) => a.ok && (slowMs === undefined || a.latencyMs <= slowMs);
  };
  const cleanSince = (p: ProbeView & { intervalMs: number }) => {
    const now = hrNow();
    const recent = p.attempts.filter((a) => a.endedAt >= now - cleanMs);
    const enough = recent.length >= Math.max(1, Math.floor((cleanMs / p.intervalMs) * 0.5));
    return enough && recent.every(okFor(p)) && p.attempts.some((a) => a.startedAt <= now - cleanMs);
  };
  for (;;) {
    options.signal?.throwIfAborted();
    if (probes.every(cleanSince)) return hrNow();
    if (hrNow() - started > timeoutMs) {
      const dirty = probes.filter((p) => !cleanSince(p)).map((p) => {
        const errors = [...new Set(p.attempts.filter((a) => !okFor(p)(a)).slice(-20).map((a) => a.error ?? `slow: ${a.latencyMs.toFixed(0)} ms`))].slice(0, 3);
        return `${p.name} (${errors.join('; ') || 'too few attempts'})`;
      });
      throw new ProdlikeError('BASELINE_MISSING', `No clean baseline before the fault: ${dirty.join(', ')} did not answer successfully for ${cleanMs} ms in a row within ${timeoutMs / 1000} s.`, {
        hint: 'The environment must be healthy before a fault is injected; check `prodlike status` and the probe targets. A fault measured against a failing baseline would give a meaningless RTO.',
        details: { probes: dirty, cleanMs },
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
