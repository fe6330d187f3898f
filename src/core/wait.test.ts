import { describe, expect, it } from 'vitest';
import { ProdlikeError } from './errors.ts';
import { waitFor } from './wait.ts';

describe('waitFor', () => {
  it('returns the first value that is neither undefined nor false', async () => {
    let n = 0;
    await expect(waitFor(async () => (++n >= 3 ? n : undefined), { timeoutMs: 2000, intervalMs: 1, description: 'three tries' })).resolves.toBe(3);
  });

  it('times out with the last probe error as the cause', async () => {
    const error = await waitFor(async () => {
      throw new Error('connection refused');
    }, { timeoutMs: 30, intervalMs: 5, description: 'a server' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProdlikeError);
    expect((error as ProdlikeError).code).toBe('READINESS_TIMEOUT');
    expect(((error as ProdlikeError).cause as Error).message).toBe('connection refused');
  });

  it('rethrows a fatal error at once instead of waiting out the timeout', async () => {
    const rejected = Object.assign(new Error('password authentication failed for user "postgres"'), { code: '28P01' });
    const started = performance.now();
    let tries = 0;
    const error = await waitFor(async () => {
      tries += 1;
      throw rejected;
    }, { timeoutMs: 10_000, intervalMs: 5, description: 'postgres', fatal: (e) => (e as { code?: string }).code === '28P01' }).catch((e: unknown) => e);
    expect(error).toBe(rejected);
    expect(tries).toBe(1);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('abandons a probe that hangs past probeTimeoutMs and tries again', async () => {
    let tries = 0;
    const started = performance.now();
    const value = await waitFor(async () => {
      tries += 1;
      if (tries === 1) return new Promise<number>(() => undefined); // never settles, like a request to a vanished API server
      return tries;
    }, { timeoutMs: 5000, intervalMs: 1, probeTimeoutMs: 50, description: 'an API' });
    expect(value).toBe(2);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('times out on schedule when every probe hangs', async () => {
    const error = await waitFor(() => new Promise<undefined>(() => undefined), { timeoutMs: 100, intervalMs: 1, probeTimeoutMs: 30, description: 'an API' }).catch((e: unknown) => e);
    expect((error as ProdlikeError).code).toBe('READINESS_TIMEOUT');
    expect(((error as ProdlikeError).cause as Error).message).toContain('took longer than 30 ms');
  });
});
