import { expect } from 'vitest';
import { ProdlikeError } from '../../src/core/errors.ts';
import { waitFor } from '../../src/core/wait.ts';
import { AvailabilityProbe, type ProbeOptions, type ProbeRecord } from '../../src/measure/availability-probe.ts';
import { httpCheck, type ProbeCheck } from '../../src/probe/index.ts';
import { hrNow } from '../../src/measure/clock.ts';
import { awaitCleanBaseline, awaitEffect, type BaselineOptions, type Effect, type ObservedEffect } from '../../src/measure/fault-effect.ts';
import { clientObservedRto, type AnalysisOptions } from '../../src/measure/outage.ts';
import { Timeline } from '../../src/measure/timeline.ts';
import { held, type Verdict } from '../../src/measure/verdict.ts';
import { buildScenarioResult, type ScenarioInput } from '../../src/report/scenario-result.ts';
import { watchProviderEvents, type ProviderEventWatch } from './provider-events.ts';
import type { ScenarioEnvironment } from './scenario-env.ts';

/**
 * One scenario's run, setup → fault → assess → record, in the shape every failover scenario shares:
 *   await runScenario(env, { id, title }, async (s) => {
 *     const probe = s.probe(check, { name });                    // started now, stopped and kept for the report
 *     await s.baseline([probe]);                                 // measured, not assumed (BASELINE_MISSING)
 *     const fault = await s.inject({ name, subject, apply, effects });   // must show an effect (FAULT_NO_EFFECT)
 *     await s.recovered([probe], fault.at);                      // a sustained window of successes, or a lower bound
 *     s.record({ verdicts, notes, sentinels });                  // before any assertion
 *     expect(…);
 *   });
 * A scenario that cannot measure (no baseline, a fault with no effect, an environment error) is recorded
 * with status `error` and its reason — the report and `prodlike run`'s exit code (3) say so — and the test
 * fails. Probes and sentinels registered with `use` are closed whatever happens.
 *
 * PRODLIKE_FAULT_INJECTOR=noop replaces every fault by nothing (the injection is logged as skipped on the
 * timeline): scenarios/no-op-fault.test.ts runs the failover suite that way and expects every scenario to
 * fail, naming the effect it did not see.
 */
export interface FaultStep {
  /** Shown in errors and on the timeline: "redis crash (SIGKILL)". */
  name: string;
  /** What the fault hits: a service, replica, node. */
  subject: string;
  /** Applies the fault; returns a detail for the timeline ("SIGKILL via docker"). */
  apply(): Promise<string>;
  /** What the fault must visibly change; one of them must show within `withinMs`. */
  effects(faultAt: number): Effect[];
  /** Default 30 s. */
  withinMs?: number;
}

export interface InjectedFault {
  at: number;
  detail: string;
  effect: ObservedEffect;
}

/** Answers slower than this count as failures at the user-facing entry point (stated in every report). */
export const ENTRY_SLOW_MS = 1000;
/** How long successes must continue before a probe counts as recovered (outage.ts's default, stated in the report). */
export const RECOVERY_WINDOW_MS = 2000;

export const faultInjectorMode = (): 'real' | 'noop' => (process.env.PRODLIKE_FAULT_INJECTOR === 'noop' ? 'noop' : 'real');

export class ScenarioRun {
  readonly timeline = new Timeline();
  readonly startedAt = Date.now();
  readonly #env: ScenarioEnvironment;
  readonly #meta: { id: string; title: string };
  readonly #disposables: AsyncDisposable[] = [];
  readonly #probes: Array<{ probe: AvailabilityProbe; analysis: AnalysisOptions; record?: ProbeRecord }> = [];
  #events: ProviderEventWatch | undefined;
  #faultAt: number | undefined;
  #baselineProbes: AvailabilityProbe[] = [];
  recorded = false;

  constructor(env: ScenarioEnvironment, meta: { id: string; title: string }) {
    this.#env = env;
    this.#meta = meta;
  }

  async start(): Promise<this> {
    this.#events = await watchProviderEvents(this.#env);
    return this;
  }

  /** Registers something to close at the end of the scenario (a sentinel writer, a client). */
  use<T extends AsyncDisposable>(resource: T): T {
    this.#disposables.push(resource);
    return resource;
  }

  /** Starts a probe now; it is stopped at `record` (or on failure) and its attempts go to the report. */
  probe(check: ProbeCheck, options: ProbeOptions & { analysis?: AnalysisOptions }): AvailabilityProbe {
    const { analysis, ...probeOptions } = options;
    const probe = new AvailabilityProbe(check, { intervalMs: 100, timeoutMs: 1000, ...probeOptions }).start();
    this.#probes.push({ probe, analysis: { sustainedMs: RECOVERY_WINDOW_MS, ...analysis } });
    return probe;
  }

  /** The user-facing probe: the entry point's readiness URL, new requests every 100 ms, slow answers count as failures. */
  entryProbe(path = this.#env.config.application.health): AvailabilityProbe {
    return this.probe(httpCheck(`${this.#env.entry}${path}`), { name: `entry GET ${path} (user-facing)`, timeoutMs: 2000, analysis: { slowThresholdMs: ENTRY_SLOW_MS } });
  }

  /** Waits for a measured clean baseline on these probes (BASELINE_MISSING otherwise). */
  async baseline(probes: readonly AvailabilityProbe[], options: BaselineOptions = {}): Promise<void> {
    await this.#clean(probes, options);
    this.#baselineProbes = [...probes];
    this.timeline.add({ at: hrNow(), type: 'note', source: 'harness', subject: 'baseline', detail: `clean baseline measured: ${probes.map((p) => p.name).join(', ')} answered for ${(options.cleanMs ?? 2000) / 1000} s in a row` });
  }

  /** Every probe clean over the same stretch (one after another, an earlier one could fail again unseen). */
  async #clean(probes: readonly AvailabilityProbe[], options: BaselineOptions): Promise<void> {
    const slowMsOf = (p: unknown) => this.#probes.find((x) => x.probe === p)?.analysis.slowThresholdMs;
    await awaitCleanBaseline(probes, { signal: this.#env.signal, slowMsOf, ...options });
  }

  /** Applies a fault (unless the no-op injector is on) and waits until one of its effects shows. */
  async inject(step: FaultStep): Promise<InjectedFault> {
    // Whatever ran between the baseline and now (reading restart counts, submitting work) must not have
    // left a probe failing: the fault goes in on a clean state, or the outage would start before it.
    await this.#clean(this.#baselineProbes, { cleanMs: 1000, timeoutMs: 30_000 });
    const mark = this.#env.rollbacks.mark();
    const at = hrNow();
    this.#faultAt = at;
    let detail: string;
    if (faultInjectorMode() === 'noop') {
      detail = 'NOT APPLIED: no-op fault injector (PRODLIKE_FAULT_INJECTOR=noop)';
    } else {
      detail = await step.apply();
    }
    this.timeline.add({ at, type: 'fault.injected', source: 'harness', subject: step.subject, detail: `${step.name}: ${detail}` });
    const cap = Number(process.env.PRODLIKE_FAULT_EFFECT_MS ?? NaN); // the no-op test shortens the wait; nothing would show anyway
    const withinMs = Number.isFinite(cap) && cap > 0 ? Math.min(cap, step.withinMs ?? 30_000) : (step.withinMs ?? 30_000);
    const effect = await awaitEffect(step.name, step.effects(at), { faultAt: at, withinMs, signal: this.#env.signal }).catch(async (error: unknown) => {
      // The scenario ends here: this fault's undo (a paused Redis, a scaled-down worker) runs now, not when
      // the suite ends, so the suite's next scenarios start on a whole environment.
      const rolled = await this.#env.rollbacks.runAll(`fault "${step.name}" showed no effect`, { since: mark }).catch(() => undefined);
      if (rolled?.outcomes.length) this.timeline.add({ at: hrNow(), type: 'fault.healed', source: 'harness', subject: step.subject, detail: `rolled back at once: ${rolled.outcomes.map((o) => `${o.description} ${o.status}`).join(', ')}` });
      throw error;
    });
    this.timeline.add({ at: effect.at, type: 'note', source: 'harness', subject: step.subject, detail: `effect seen ${(effect.afterMs / 1000).toFixed(1)} s after the fault: ${effect.seen}` });
    return { at, detail, effect };
  }

  /**
   * Waits until every probe recovered after the fault: a sustained window of successes (RECOVERY_WINDOW_MS),
   * or no failure at all after the fault once `quietMs` passed. Returns false when `timeoutMs` ran out first:
   * the RTO is then a lower bound, which is a verdict, not a harness error.
   */
  async recovered(probes: readonly AvailabilityProbe[], faultAt: number, options: { timeoutMs?: number; quietMs?: number } = {}): Promise<boolean> {
    const deadline = hrNow() + (options.timeoutMs ?? 300_000);
    const quietMs = options.quietMs ?? RECOVERY_WINDOW_MS;
    const done = (p: AvailabilityProbe) => {
      const analysis = this.#probes.find((x) => x.probe === p)?.analysis ?? {};
      const rto = clientObservedRto(p.attempts, faultAt, analysis);
      return rto.outageObserved ? !rto.lowerBound : hrNow() - faultAt > quietMs;
    };
    while (!probes.every(done)) {
      this.#env.signal.throwIfAborted();
      if (hrNow() > deadline) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
    return true;
  }

  /** Stops the probes and the provider watch and records the scenario (before the test's assertions). */
  async record(input: Omit<ScenarioInput, 'id' | 'title' | 'startedAt' | 'endedAt' | 'probes' | 'timeline'> & { title?: string }): Promise<void> {
    const probes = await this.#stopProbes();
    this.timeline.merge(await this.#stopEvents());
    this.#env.recorder.addScenario(buildScenarioResult({
      suite: 'failover', id: this.#meta.id, title: input.title ?? this.#meta.title, startedAt: this.startedAt, endedAt: Date.now(),
      ...input, timeline: this.timeline, probes,
    }));
    this.recorded = true;
  }

  /** Records the scenario as one that could not measure, with the reason and what was observed so far. */
  async recordError(error: unknown): Promise<void> {
    const probes = await this.#stopProbes().catch(() => []);
    this.timeline.merge(await this.#stopEvents().catch(() => []));
    const reason = error instanceof ProdlikeError ? `${error.code}: ${error.message}${error.hint ? ` — ${error.hint}` : ''}` : error instanceof Error ? error.message : String(error);
    this.#env.recorder.addScenario(buildScenarioResult({ suite: 'failover', id: this.#meta.id, title: this.#meta.title, status: 'error', reason, startedAt: this.startedAt, endedAt: Date.now(), timeline: this.timeline, probes }));
    this.recorded = true;
  }

  /** Whether a fault was applied (its undo may have run, the environment may still be recovering). */
  get faulted(): boolean {
    return this.#faultAt !== undefined;
  }

  async dispose(): Promise<void> {
    await this.#stopProbes().catch(() => undefined);
    await this.#stopEvents().catch(() => undefined);
    for (const d of this.#disposables.reverse()) await Promise.resolve(d[Symbol.asyncDispose]()).catch(() => undefined);
  }

  async #stopProbes(): Promise<NonNullable<ScenarioInput['probes']>> {
    const out: NonNullable<ScenarioInput['probes']> = [];
    for (const p of this.#probes) {
      p.record ??= await p.probe.stop();
      out.push({ record: p.record, analysis: p.analysis, ...(this.#faultAt === undefined ? {} : { faultAt: this.#faultAt }) });
    }
    return out;
  }

  async #stopEvents() {
    const events = this.#events;
    this.#events = undefined;
    return events ? events.stop() : [];
  }
}

/** Runs one scenario: records it as `error` with the reason when it cannot measure, always cleans up. */
export async function runScenario(env: ScenarioEnvironment, meta: { id: string; title: string }, body: (s: ScenarioRun) => Promise<void>): Promise<void> {
  const run = await new ScenarioRun(env, meta).start();
  const mark = env.rollbacks.mark();
  try {
    await body(run);
  } catch (error) {
    if (!run.recorded) await run.recordError(error).catch(() => undefined);
    // A scenario that failed after its fault leaves it held (a scaled-down worker, a paused Redis) or replicas
    // restarting and backing off: its undo runs now, not at the suite's end, and the next scenario waits for a
    // whole environment, or it would fail for this one's reason (a 502 baseline). Both said on the output.
    if (run.faulted && !env.signal.aborted) {
      const rolled = await env.rollbacks.runAll(`scenario ${meta.id} failed`, { since: mark }).catch(() => undefined);
      if (rolled?.outcomes.length) process.stdout.write(`[${meta.id}] rolled back: ${rolled.outcomes.map((o) => `${o.description} ${o.status}`).join(', ')}\n`);
      await awaitWhole(env, meta.id);
    }
    throw error;
  } finally {
    await run.dispose();
  }
}

/** Waits (up to 5 min) until the provider reports the environment healthy again after a failed scenario. */
async function awaitWhole(env: ScenarioEnvironment, scenario: string): Promise<void> {
  const started = hrNow();
  process.stdout.write(`[${scenario}] failed after its fault: waiting for the environment to be healthy before the next scenario (up to 5 min)\n`);
  try {
    await waitFor(async () => (await env.provider.status()).healthy, { timeoutMs: 5 * 60_000, intervalMs: 2_000, probeTimeoutMs: 60_000, description: 'the environment to be healthy after a failed scenario', signal: env.signal });
    process.stdout.write(`[${scenario}] environment healthy again after ${((hrNow() - started) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    process.stdout.write(`[${scenario}] the environment did not become healthy (${error instanceof Error ? error.message : String(error)}): the next scenarios may fail for this reason\n`);
  }
}

/** One line per verdict on the suite's output. */
export function showVerdicts(verdicts: readonly Verdict[]): void {
  for (const v of verdicts) process.stdout.write(`  ${v.targetId}: measured ${v.measured === null ? '—' : v.measured.toFixed(0)} ${v.unit}${v.lowerBound ? ' (at least)' : ''} vs ${v.comparator ?? ''} ${v.limit ?? '—'} → ${v.verdict}${v.reason ? ` (${v.reason})` : ''}\n`);
}

/**
 * Every target verdict must pass; a report-only figure must have been measured. A figure the selected
 * profile has no target for is such a report-only row (`env.verdict`): recorded, not judged, never a failure.
 */
export function expectHeld(verdicts: readonly Verdict[]): void {
  for (const v of verdicts) expect(held(v), `${v.targetId}: measured ${v.measured} ${v.unit} vs ${v.comparator} ${v.limit} → ${v.verdict}${v.reason ? ` (${v.reason})` : ''}`).toBe(true);
}
