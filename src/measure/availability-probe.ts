import { attempt, type ProbeCheck } from '../probe/check.ts';
import { hrNow } from './clock.ts';

export interface ProbeAttempt {
  /** Epoch ms with sub-ms resolution (`hrNow()`): when the request was started. */
  startedAt: number;
  /** When the answer (or the error, or the timeout) arrived. */
  endedAt: number;
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface ProbeRecord {
  name: string;
  kind: string;
  target: string;
  intervalMs: number;
  timeoutMs: number;
  startedAt: number;
  stoppedAt: number;
  /** Sorted by `startedAt`. */
  attempts: ProbeAttempt[];
  /** Ticks not launched because `maxInFlight` attempts were still waiting (target hanging). */
  skippedTicks: number;
}

export interface ProbeOptions {
  /** Shown in reports; defaults to the check kind. */
  name?: string;
  /** Time between attempt starts. Default 100 ms (issue #8: "every ≤ 100 ms"). */
  intervalMs?: number;
  /** Per-attempt timeout; a slower answer is a failure. Default 1000 ms. */
  timeoutMs?: number;
  /**
   * Attempts start on a fixed schedule whether or not earlier ones have answered, so a hanging target
   * still gets sampled every interval. This bounds how many may wait at once (default timeout/interval + 2).
   */
  maxInFlight?: number;
  /** Called for every finished attempt (e.g. to feed a live timeline). Must not throw. */
  onAttempt?: (attempt: ProbeAttempt) => void;
}

/**
 * An availability probe: runs one check (src/probe/) on a fixed schedule from the host and records every
 * attempt with high-resolution timestamps. `start()` then `stop()`, which waits for attempts in flight
 * (each bounded by the timeout) and returns the `ProbeRecord`. Analysis is in `outage.ts`.
 */
export class AvailabilityProbe implements AsyncDisposable {
  readonly name: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  readonly #check: ProbeCheck;
  readonly #onAttempt: ((attempt: ProbeAttempt) => void) | undefined;
  readonly #attempts: ProbeAttempt[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #startedAt: number | undefined;
  #tick = 0;
  #skippedTicks = 0;
  #stopped: Promise<ProbeRecord> | undefined;

  constructor(check: ProbeCheck, options: ProbeOptions = {}) {
    this.#check = check;
    this.name = options.name ?? check.kind;
    this.intervalMs = options.intervalMs ?? 100;
    this.timeoutMs = options.timeoutMs ?? 1000;
    if (!(this.intervalMs > 0)) throw new RangeError(`probe ${this.name}: intervalMs must be > 0 (got ${this.intervalMs})`);
    if (!(this.timeoutMs > 0)) throw new RangeError(`probe ${this.name}: timeoutMs must be > 0 (got ${this.timeoutMs})`);
    this.maxInFlight = options.maxInFlight ?? Math.ceil(this.timeoutMs / this.intervalMs) + 2;
    this.#onAttempt = options.onAttempt;
  }

  get target(): string {
    return this.#check.target;
  }

  get running(): boolean {
    return this.#startedAt !== undefined && this.#stopped === undefined;
  }

  /** Attempts finished so far, in completion order (a live view for waiting on conditions). */
  get attempts(): readonly ProbeAttempt[] {
    return this.#attempts;
  }

  start(): this {
    if (this.#startedAt !== undefined) throw new Error(`probe ${this.name} was already started; create a new probe per measurement`);
    this.#startedAt = hrNow();
    this.#launch();
    this.#schedule();
    return this;
  }

  async stop(): Promise<ProbeRecord> {
    if (this.#startedAt === undefined) throw new Error(`probe ${this.name} was never started; call start() first`);
    this.#stopped ??= this.#finish();
    return this.#stopped;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#startedAt !== undefined) await this.stop();
    else await this.#check.close?.();
  }

  #schedule(): void {
    this.#tick += 1;
    const due = (this.#startedAt ?? 0) + this.#tick * this.intervalMs;
    const now = hrNow();
    if (due < now - this.intervalMs) {
      // The event loop was blocked for more than one interval: do not burst to catch up, restart the grid.
      this.#tick = Math.ceil((now - (this.#startedAt ?? 0)) / this.intervalMs);
    }
    const wait = Math.max(0, (this.#startedAt ?? 0) + this.#tick * this.intervalMs - now);
    this.#timer = setTimeout(() => {
      if (this.#stopped) return;
      this.#launch();
      this.#schedule();
    }, wait);
  }

  #launch(): void {
    if (this.#inFlight.size >= this.maxInFlight) {
      this.#skippedTicks += 1;
      return;
    }
    const running = this.#attempt();
    this.#inFlight.add(running);
    void running.finally(() => this.#inFlight.delete(running));
  }

  async #attempt(): Promise<void> {
    const startedAt = hrNow();
    const { ok, error } = await attempt(this.#check, this.timeoutMs);
    const endedAt = hrNow();
    const record: ProbeAttempt = { startedAt, endedAt, ok, latencyMs: endedAt - startedAt, ...(error === undefined ? {} : { error }) };
    this.#attempts.push(record);
    try {
      this.#onAttempt?.(record);
    } catch {
      // A listener bug must not stop the measurement.
    }
  }

  async #finish(): Promise<ProbeRecord> {
    clearTimeout(this.#timer);
    const stoppedAt = hrNow();
    await Promise.allSettled([...this.#inFlight]);
    await this.#check.close?.().catch(() => undefined);
    return {
      name: this.name,
      kind: this.#check.kind,
      target: this.#check.target,
      intervalMs: this.intervalMs,
      timeoutMs: this.timeoutMs,
      startedAt: this.#startedAt ?? stoppedAt,
      stoppedAt,
      attempts: [...this.#attempts].sort((a, b) => a.startedAt - b.startedAt),
      skippedTicks: this.#skippedTicks,
    };
  }
}
