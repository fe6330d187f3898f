import { setTimeout as delay } from 'node:timers/promises';
import { ProdlikeError } from './errors.ts';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What we wait for, in words: "dockerd to answer". Used in the timeout error. */
  description: string;
  hint?: string;
  signal?: AbortSignal;
  /**
   * Errors that can never turn into success by waiting (a password the server rejects): they end the
   * wait at once and are rethrown as they are, instead of burning the whole timeout.
   */
  fatal?: (error: unknown) => boolean;
  /**
   * A probe still running after this long counts as a failed attempt and the next one starts (its late
   * result is ignored): a request that hangs cannot hold the wait past its timeout.
   */
  probeTimeoutMs?: number;
}

/**
 * Polls `probe` until it returns a value other than undefined/false, or the timeout expires. Errors
 * thrown by the probe count as "not yet" and the last one is kept as the cause of the timeout, except
 * those `fatal` recognises, which end the wait at once. Waiting for a service to answer is `waitUntil(check)`
 * (src/probe/wait-until.ts), built on this.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false>, options: WaitOptions): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await (options.probeTimeoutMs === undefined ? probe() : bounded(probe(), options.probeTimeoutMs, options.description));
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if (options.fatal?.(error)) throw error;
      lastError = error;
    }
    if (performance.now() >= deadline) {
      throw new ProdlikeError('READINESS_TIMEOUT', `Timed out after ${options.timeoutMs} ms waiting for ${options.description}.`, {
        cause: lastError,
        ...(options.hint ? { hint: options.hint } : {}),
        details: { lastError: lastError instanceof Error ? lastError.message : lastError },
      });
    }
    await delay(options.intervalMs ?? 250, undefined, options.signal ? { signal: options.signal } : undefined);
  }
}

/** `attempt`, or a PROBE_TIMEOUT rejection after `ms` (the timer cleared either way). */
async function bounded<T>(attempt: Promise<T>, ms: number, description: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProdlikeError('READINESS_TIMEOUT', `One check while waiting for ${description} took longer than ${ms} ms; retrying.`)), ms);
  });
  attempt.catch(() => undefined); // a late rejection of an abandoned attempt is not unhandled
  try {
    return await Promise.race([attempt, late]);
  } finally {
    clearTimeout(timer);
  }
}
