import { connect } from 'node:net';
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
}

/**
 * Polls `probe` until it returns a value other than undefined/false, or the timeout expires. Errors
 * thrown by the probe count as "not yet" and the last one is kept as the cause of the timeout, except
 * those `fatal` recognises, which end the wait at once.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined | false>, options: WaitOptions): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await probe();
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

/** A readiness condition: something that can be polled, with its own description. */
export interface Condition<T = true> {
  description: string;
  probe(): Promise<T | undefined | false>;
}

export const Wait = {
  forHttp(url: string, options: { status?: number | ((s: number) => boolean); timeoutPerTryMs?: number } = {}): Condition<number> {
    const accept = typeof options.status === 'function' ? options.status : (s: number) => s === (options.status ?? 200);
    return {
      description: `HTTP ${url} to answer ${typeof options.status === 'number' ? options.status : 'as expected'}`,
      async probe() {
        const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutPerTryMs ?? 2000) });
        await response.arrayBuffer();
        return accept(response.status) ? response.status : undefined;
      },
    };
  },
  forTcp(host: string, port: number, timeoutPerTryMs = 1000): Condition {
    return {
      description: `TCP ${host}:${port} to accept connections`,
      probe: () =>
        new Promise((resolve) => {
          const socket = connect({ host, port });
          const done = (ok: boolean) => {
            socket.destroy();
            resolve(ok ? true : undefined);
          };
          socket.setTimeout(timeoutPerTryMs, () => done(false));
          socket.once('connect', () => done(true));
          socket.once('error', () => done(false));
        }),
    };
  },
  forCondition<T>(description: string, probe: () => Promise<T | undefined | false>): Condition<T> {
    return { description, probe };
  },
};

export async function until<T>(condition: Condition<T>, options: Omit<WaitOptions, 'description'> & { description?: string }): Promise<T> {
  return waitFor(() => condition.probe(), { ...options, description: options.description ?? condition.description });
}
