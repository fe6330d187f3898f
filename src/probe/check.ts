import { describeError, raceAbort } from './abortable.ts';

/**
 * A check: one named, single-attempt "is X answering" (an HTTP status, a PostgreSQL `select 1`, a Redis
 * PING, an S3 bucket, a TCP connect). Every prodlike probe is one of these: the availability probes of
 * src/measure run one every interval, readiness (`waitUntil`) runs one until it passes, the docker
 * provider's health and setup's smoke checks run one once. Factories: `Check.http`, `Check.sql`,
 * `Check.redis`, `Check.s3`, `Check.tcp` (src/probe/index.ts), one file per kind.
 *
 * `run` resolves when the target answered as expected and throws otherwise; it gets an AbortSignal that
 * fires at the per-attempt timeout and should stop (or abandon) the request then. A check may keep a
 * connection between attempts: `close` frees it.
 */
export interface ProbeCheck {
  /** Short name, e.g. `http`, `postgres`, `redis`, `s3`, `tcp`. */
  readonly kind: string;
  /** What is checked, without credentials: `GET http://127.0.0.1:8080/health/ready`. */
  readonly target: string;
  run(signal: AbortSignal): Promise<void>;
  /** Frees connections. Called once, after the last attempt. */
  close?(): Promise<void>;
}

/** The outcome of one attempt: ok, or the error (described, and as thrown); and how long it took. */
export interface CheckOutcome {
  ok: boolean;
  latencyMs: number;
  /** Short and stable, for records: the message with its errno code, or `timeout: no answer within N ms`. */
  error?: string;
  /** What the check threw (an Error of the timeout's own for a timeout), for callers that tell errors apart. */
  cause?: unknown;
}

/**
 * One attempt of `check`, abandoned after `timeoutMs`. Never throws: the outcome says ok or why not.
 * Whatever the check threw once the timer fired (the signal's reason, an AbortError, a socket reset caused
 * by the abort), the cause is the timeout. The check stays open for further attempts.
 */
export async function attempt(check: ProbeCheck, timeoutMs: number): Promise<CheckOutcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  try {
    await raceAbort(check.run(signal), signal);
    return { ok: true, latencyMs: performance.now() - started };
  } catch (caught) {
    const latencyMs = performance.now() - started;
    if (signal.aborted) {
      const error = `timeout: no answer within ${timeoutMs} ms`;
      return { ok: false, latencyMs, error, cause: new Error(error, { cause: caught }) };
    }
    return { ok: false, latencyMs, error: describeError(caught), cause: caught };
  }
}

/** One attempt, then the check is closed: for a single look (a health status, a smoke check's probe). */
export async function checkOnce(check: ProbeCheck, timeoutMs: number): Promise<CheckOutcome> {
  try {
    return await attempt(check, timeoutMs);
  } finally {
    await check.close?.().catch(() => undefined);
  }
}
