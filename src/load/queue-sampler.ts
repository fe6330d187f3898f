import { createClient } from 'redis';
import { ProdlikeError } from '../core/errors.ts';
import { waitFor } from '../core/wait.ts';

/** The execution queue of the reference app (document 000's runbook: `LLEN execution-queue`). */
export const QUEUE_KEY = 'execution-queue';

export interface RedisTarget {
  host: string;
  port: number;
  password?: string | undefined;
}

export interface QueueSample {
  /** Epoch ms. */
  at: number;
  /** null when the sample failed (Redis did not answer within the interval). */
  length: number | null;
}

export interface QueueGrowth {
  /** Least-squares slope of the queue length over the window, items per second. */
  slopePerSecond: number;
  firstQuarterMean: number;
  lastQuarterMean: number;
  /** Queue length extrapolated `horizonMs` past the window's end at that slope (never below the last value). */
  projected: number;
  horizonMs: number;
  /** The queue clearly grew: positive slope and the last quarter well above the first. */
  growing: boolean;
}

export interface QueueReport {
  key: string;
  intervalMs: number;
  samples: QueueSample[];
  /** Samples that got an answer. */
  answered: number;
  failed: number;
  peak: number | null;
  peakAt: number | null;
  mean: number | null;
  last: number | null;
  /** The alert threshold (document 000: > 100 for 10 m), when known. */
  limit?: number | undefined;
  /** Peak stayed at or under the alert threshold (the alert fires above it). */
  underLimit?: boolean | undefined;
}

/** Pure summary of samples (peak, mean, last, verdict against `limit`). */
export function summarizeQueue(samples: QueueSample[], options: { key?: string; intervalMs?: number; limit?: number | undefined } = {}): QueueReport {
  const answered = samples.filter((s): s is { at: number; length: number } => s.length !== null);
  let peak: { at: number; length: number } | undefined;
  for (const s of answered) if (!peak || s.length > peak.length) peak = s;
  const mean = answered.length ? answered.reduce((n, s) => n + s.length, 0) / answered.length : null;
  return {
    key: options.key ?? QUEUE_KEY,
    intervalMs: options.intervalMs ?? 1000,
    samples,
    answered: answered.length,
    failed: samples.length - answered.length,
    peak: peak?.length ?? null,
    peakAt: peak?.at ?? null,
    mean,
    last: answered.at(-1)?.length ?? null,
    ...(options.limit === undefined ? {} : { limit: options.limit, underLimit: peak === undefined ? undefined : peak.length <= options.limit }),
  };
}

/**
 * Is the queue growing during [from, to]? A queue fed faster than the workers drain it grows linearly;
 * one that keeps up hovers near zero. `growing` needs both a slope above `minSlope` (items/s) and the
 * last quarter's mean at least `minRise` above the first quarter's, so one noisy sample does not count.
 */
export function queueGrowth(samples: QueueSample[], window: { from: number; to: number }, options: { horizonMs?: number; minSlope?: number; minRise?: number } = {}): QueueGrowth | undefined {
  const points = samples.filter((s): s is { at: number; length: number } => s.length !== null && s.at >= window.from && s.at <= window.to);
  if (points.length < 4) return undefined;
  const horizonMs = options.horizonMs ?? 10 * 60_000;
  const xs = points.map((p) => (p.at - window.from) / 1000);
  const ys = points.map((p) => p.length);
  const n = points.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const q = Math.max(1, Math.floor(n / 4));
  const meanOf = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const firstQuarterMean = meanOf(ys.slice(0, q));
  const lastQuarterMean = meanOf(ys.slice(-q));
  const last = ys.at(-1)!;
  const projected = Math.max(last, last + slope * (horizonMs / 1000));
  const growing = slope > (options.minSlope ?? 0.1) && lastQuarterMean - firstQuarterMean >= (options.minRise ?? 3);
  return { slopePerSecond: slope, firstQuarterMean, lastQuarterMean, projected, horizonMs, growing };
}

type Client = ReturnType<typeof createClient>;

/**
 * Samples `LLEN execution-queue` from Redis every `intervalMs` (default 1 s) while a load test runs.
 * Real Redis, through the port the provider publishes on 127.0.0.1 and the environment's password.
 */
export class QueueSampler {
  readonly #target: RedisTarget;
  readonly #key: string;
  readonly #intervalMs: number;
  readonly #limit: number | undefined;
  readonly #samples: QueueSample[] = [];
  #client: Client | undefined;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #running = false;

  constructor(target: RedisTarget, options: { key?: string; intervalMs?: number; limit?: number | undefined } = {}) {
    this.#target = target;
    this.#key = options.key ?? QUEUE_KEY;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#limit = options.limit;
  }

  /** Connects (fails clearly when Redis does not answer) and takes the first sample. */
  async connect(): Promise<void> {
    if (this.#client) return;
    const client = createClient({
      socket: { host: this.#target.host, port: this.#target.port, connectTimeout: 5_000, reconnectStrategy: (retries) => Math.min(200 * 2 ** retries, 2_000) },
      ...(this.#target.password ? { password: this.#target.password } : {}),
    });
    client.on('error', () => undefined); // reconnects on its own; failed samples are recorded as null
    try {
      await client.connect();
      await client.lLen(this.#key);
    } catch (cause) {
      client.destroy();
      throw new ProdlikeError('PROVIDER_FAILED', `Cannot read the execution queue from Redis at ${this.#target.host}:${this.#target.port}: ${(cause as Error).message}.`, {
        cause,
        hint: 'Is the environment up and healthy (`prodlike status`)? The queue sampler uses the Redis port published on 127.0.0.1 and the password in .prodlike/<env>/secrets.json.',
      });
    }
    this.#client = client;
  }

  async length(): Promise<number> {
    if (!this.#client) await this.connect();
    return this.#client!.lLen(this.#key);
  }

  /** Starts sampling (connects first if needed). Samples never overlap; a slow answer skips a tick. */
  async start(): Promise<void> {
    await this.connect();
    this.#samples.length = 0;
    this.#running = true;
    const started = Date.now();
    let tick = 0;
    const schedule = () => {
      if (!this.#running) return;
      tick += 1;
      const next = started + tick * this.#intervalMs;
      this.#timer = setTimeout(() => {
        this.#inFlight = this.#sample().finally(schedule);
      }, Math.max(0, next - Date.now()));
    };
    this.#inFlight = this.#sample().finally(schedule);
  }

  /** Latest answered sample and the peak so far (live progress). */
  current(): { last: number | null; peak: number | null } {
    const r = summarizeQueue(this.#samples);
    return { last: r.last, peak: r.peak };
  }

  samples(): QueueSample[] {
    return [...this.#samples];
  }

  /** Stops sampling and reports. The connection stays open for more runs until close(). */
  async stop(): Promise<QueueReport> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#inFlight?.catch(() => undefined);
    return summarizeQueue(this.#samples, { key: this.#key, intervalMs: this.#intervalMs, limit: this.#limit });
  }

  /** Waits until the queue is empty (between saturation steps), or throws after `timeoutMs`. */
  async waitForEmpty(options: { timeoutMs: number; signal?: AbortSignal | undefined }): Promise<void> {
    await waitFor(async () => (await this.length()) === 0, {
      timeoutMs: options.timeoutMs,
      intervalMs: 500,
      description: `the Redis list ${this.#key} to drain`,
      hint: 'The workers are not keeping up or not running: check `prodlike status` and the worker logs.',
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  async close(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#inFlight?.catch(() => undefined);
    const client = this.#client;
    this.#client = undefined;
    if (client) await client.close().catch(() => client.destroy());
  }

  async #sample(): Promise<void> {
    const at = Date.now();
    let length: number | null = null;
    try {
      const answer = await Promise.race([
        this.#client!.lLen(this.#key),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), Math.max(250, this.#intervalMs - 50)).unref()),
      ]);
      length = answer === null ? null : Number(answer);
    } catch {
      length = null;
    }
    this.#samples.push({ at, length });
  }
}
