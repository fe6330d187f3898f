import { ProdlikeError } from '../core/errors.ts';
import { describeError, raceAbort } from '../probe/abortable.ts';
import { hrNow } from './clock.ts';
import { computeRpo, type RpoResult, type SentinelWrite, type SurvivingRecord } from './rpo.ts';

export interface SentinelRecord {
  seq: number;
  /** Epoch milliseconds, whole. */
  writtenAt: number;
}

/**
 * Where sentinel records go: the app (`httpSentinelSink`), PostgreSQL (`postgresSentinelSink`) or Redis
 * (`redisSentinelSink`), in src/measure/sinks/.
 */
export interface SentinelSink {
  readonly kind: string;
  /** Where, without credentials. */
  readonly target: string;
  /** Creates what is missing (table…) and returns the first free sequence number. */
  prepare(): Promise<{ nextSeq: number }>;
  /** Resolves once the store acknowledged the write; throws otherwise. Should stop on `signal`. */
  write(record: SentinelRecord, signal: AbortSignal): Promise<void>;
  /** Reads back the records of [fromSeq, toSeq] that exist now, over a fresh connection. */
  readBack(range: { fromSeq: number; toSeq: number }): Promise<SurvivingRecord[]>;
  close(): Promise<void>;
}

export interface SentinelWriterOptions {
  /** Writes per second. Default 10. */
  ratePerSecond?: number;
  /** A write not acknowledged within this is counted unacknowledged. Default 2000 ms. */
  timeoutMs?: number;
  /** Ticks skipped while this many writes wait (default: rate × timeout + 2). */
  maxInFlight?: number;
  /** Shown in reports. Default the sink kind. */
  name?: string;
}

export interface SentinelLog {
  name: string;
  kind: string;
  target: string;
  ratePerSecond: number;
  startedAt: number;
  stoppedAt: number | null;
  writes: SentinelWrite[];
  skippedTicks: number;
}

export interface SentinelVerification extends RpoResult {
  name: string;
  sink: string;
  target: string;
  verifiedAt: number;
  /** Writes still unsettled at verification time are left out (listed here). */
  pendingSeqs: number[];
}

/**
 * Writes sequenced, timestamped records at a fixed rate and remembers which were acknowledged. After a
 * failure or a restore, `verify({ faultAt })` reads back what survived and computes the RPO and the list of
 * lost acknowledged sequence numbers (src/measure/rpo.ts).
 */
export class SentinelWriter implements AsyncDisposable {
  readonly name: string;
  readonly ratePerSecond: number;
  readonly timeoutMs: number;
  readonly maxInFlight: number;
  readonly #sink: SentinelSink;
  readonly #writes: SentinelWrite[] = [];
  readonly #pending = new Map<number, Promise<void>>();
  #nextSeq = 0;
  #firstSeq = 0;
  #startedAt: number | undefined;
  #stoppedAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #tick = 0;
  #skippedTicks = 0;

  constructor(sink: SentinelSink, options: SentinelWriterOptions = {}) {
    this.#sink = sink;
    this.name = options.name ?? sink.kind;
    this.ratePerSecond = options.ratePerSecond ?? 10;
    this.timeoutMs = options.timeoutMs ?? 2000;
    if (!(this.ratePerSecond > 0)) throw new RangeError(`sentinel ${this.name}: ratePerSecond must be > 0`);
    this.maxInFlight = options.maxInFlight ?? Math.ceil((this.ratePerSecond * this.timeoutMs) / 1000) + 2;
  }

  get writes(): readonly SentinelWrite[] {
    return this.#writes;
  }

  /** Acknowledged writes so far (for waiting on "N records acknowledged" before injecting a fault). */
  get ackedCount(): number {
    return this.#writes.filter((w) => w.acked).length;
  }

  /**
   * Waits until `count` writes were acknowledged since `start()`: the baseline a fault is measured
   * against. Fails with BASELINE_MISSING (naming the last write errors) when the store does not
   * acknowledge them in time: a sink that fails every write would otherwise give "RPO 0".
   */
  async waitForAcked(count: number, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<number> {
    if (this.#startedAt === undefined) throw new Error(`sentinel writer ${this.name} was never started`);
    const timeoutMs = options.timeoutMs ?? Math.max(10_000, (2 * 1000 * count) / this.ratePerSecond);
    const deadline = hrNow() + timeoutMs;
    while (this.ackedCount < count) {
      options.signal?.throwIfAborted();
      if (hrNow() > deadline) {
        const errors = [...new Set(this.#writes.filter((w) => !w.acked).map((w) => w.error ?? 'not acknowledged'))].slice(0, 3);
        throw new ProdlikeError('BASELINE_MISSING', `Sentinel writer ${this.name}: ${this.ackedCount} of ${count} writes acknowledged by ${this.#sink.target} within ${timeoutMs} ms before the fault${errors.length ? ` (errors: ${errors.join('; ')})` : ''}.`, {
          hint: 'The scenario needs acknowledged writes before the fault to measure an RPO; check that the store accepts writes (prodlike status) before injecting faults.',
          details: { acked: this.ackedCount, wanted: count, errors },
        });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.ackedCount;
  }

  async start(): Promise<this> {
    if (this.#startedAt !== undefined) throw new Error(`sentinel writer ${this.name} was already started`);
    let prepared: { nextSeq: number };
    try {
      prepared = await this.#sink.prepare();
    } catch (error) {
      throw new ProdlikeError('PROVIDER_FAILED', `Sentinel writer ${this.name} could not prepare ${this.#sink.target}: ${describeError(error)}`, {
        cause: error,
        hint: 'The store must be up before the sentinel starts; check the environment (prodlike status) and the connection settings.',
      });
    }
    this.#firstSeq = this.#nextSeq = prepared.nextSeq;
    this.#startedAt = hrNow();
    this.#launch();
    this.#schedule();
    return this;
  }

  /** Stops writing and waits for writes in flight (each bounded by the timeout). */
  async stop(): Promise<SentinelLog> {
    if (this.#startedAt === undefined) throw new Error(`sentinel writer ${this.name} was never started`);
    if (this.#stoppedAt === undefined) {
      clearTimeout(this.#timer);
      this.#stoppedAt = hrNow();
    }
    await Promise.allSettled([...this.#pending.values()]);
    return this.log();
  }

  log(): SentinelLog {
    return {
      name: this.name,
      kind: this.#sink.kind,
      target: this.#sink.target,
      ratePerSecond: this.ratePerSecond,
      startedAt: this.#startedAt ?? 0,
      stoppedAt: this.#stoppedAt ?? null,
      writes: [...this.#writes].sort((a, b) => a.seq - b.seq),
      skippedTicks: this.#skippedTicks,
    };
  }

  /**
   * Reads back the writer's range and computes the RPO against `faultAt`. Can run while writing continues;
   * writes still in flight are excluded and listed. A read-back failure is a harness/environment error
   * (exit 3), never "no data lost".
   */
  async verify(options: { faultAt: number; timestampToleranceMs?: number }): Promise<SentinelVerification> {
    const verifiedAt = hrNow();
    const settled = [...this.#writes];
    const pendingSeqs = [...this.#pending.keys()].sort((a, b) => a - b);
    const toSeq = Math.max(this.#firstSeq, this.#nextSeq - 1);
    let survivors: SurvivingRecord[];
    try {
      survivors = await this.#sink.readBack({ fromSeq: this.#firstSeq, toSeq });
    } catch (error) {
      throw new ProdlikeError('PROVIDER_FAILED', `Could not read back sentinel records from ${this.#sink.target}: ${describeError(error)}`, {
        cause: error,
        hint: 'RPO cannot be computed without reading the store back; make sure it is up again (the scenario should wait for readiness before verifying).',
      });
    }
    const pending = new Set(pendingSeqs);
    const result = computeRpo({
      writes: settled,
      survivors: survivors.filter((s) => !pending.has(s.seq)),
      faultAt: options.faultAt,
      ...(options.timestampToleranceMs === undefined ? {} : { timestampToleranceMs: options.timestampToleranceMs }),
    });
    return { ...result, name: this.name, sink: this.#sink.kind, target: this.#sink.target, verifiedAt, pendingSeqs };
  }

  async close(): Promise<void> {
    if (this.#startedAt !== undefined && this.#stoppedAt === undefined) await this.stop();
    await this.#sink.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #schedule(): void {
    const interval = 1000 / this.ratePerSecond;
    this.#tick += 1;
    const now = hrNow();
    const start = this.#startedAt ?? now;
    if (start + this.#tick * interval < now - interval) this.#tick = Math.ceil((now - start) / interval);
    this.#timer = setTimeout(
      () => {
        if (this.#stoppedAt !== undefined) return;
        this.#launch();
        this.#schedule();
      },
      Math.max(0, start + this.#tick * interval - now),
    );
  }

  #launch(): void {
    if (this.#pending.size >= this.maxInFlight) {
      this.#skippedTicks += 1;
      return;
    }
    const seq = this.#nextSeq;
    this.#nextSeq += 1;
    const work = this.#write(seq);
    this.#pending.set(seq, work);
    void work.finally(() => this.#pending.delete(seq));
  }

  async #write(seq: number): Promise<void> {
    const sentAt = hrNow();
    const writtenAt = Math.floor(sentAt);
    const signal = AbortSignal.timeout(this.timeoutMs);
    let acked = true;
    let error: string | undefined;
    try {
      await raceAbort(this.#sink.write({ seq, writtenAt }, signal), signal);
    } catch (caught) {
      acked = false;
      error = signal.aborted ? `timeout: not acknowledged within ${this.timeoutMs} ms` : describeError(caught);
    }
    this.#writes.push({ seq, writtenAt, sentAt, settledAt: hrNow(), acked, ...(error === undefined ? {} : { error }) });
  }
}
