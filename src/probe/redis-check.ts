import { createClient } from 'redis';
import type { ProbeCheck } from './check.ts';
import { redactUrl } from './redact-url.ts';

export interface RedisCheckOptions {
  connectTimeoutMs?: number;
  /** AUTH password, when it is not in the URL. */
  password?: string;
  /**
   * `server` (default): the check below — it sees when the server accepts new connections again.
   * `reconnecting`: ONE long-lived client that reconnects by itself with capped exponential back-off
   * (`reconnectDelay`, default 100 ms doubling to 2 s, as an application's client typically does); attempts
   * fail at once while it is reconnecting. It sees when such a client recovered, which can lag the server by
   * up to one back-off step. Report which one a figure is.
   */
  mode?: 'server' | 'reconnecting';
  /** Back-off of the `reconnecting` client, ms for the n-th retry. */
  reconnectDelay?: (retries: number) => number;
}

type Client = ReturnType<typeof createClient>;

const auth = (options: RedisCheckOptions) => (options.password === undefined ? {} : { password: options.password });

/**
 * Redis PING with `disableOfflineQueue` (a command issued while disconnected fails at once instead of
 * waiting in a queue). While the shared connection is healthy every attempt uses it. Once it is lost,
 * refused or timed out, every attempt opens a NEW connection of its own (clients never reconnect by
 * themselves: `reconnectStrategy: false`); the first one that answers becomes the shared connection. So the
 * first attempt started after the server is back succeeds — the recovery is seen within one probe interval,
 * not after a library's reconnect backoff or behind a connect that hung while the server was down
 * (calibrated: kill/restart path, src/measure/calibration.int.test.ts).
 */
export function redisCheck(url: string, options: RedisCheckOptions = {}): ProbeCheck {
  if (options.mode === 'reconnecting') return reconnectingRedisCheck(url, options);
  let shared: Client | undefined;
  const create = (): Client => {
    const client = createClient({ url, ...auth(options), disableOfflineQueue: true, socket: { connectTimeout: options.connectTimeoutMs ?? 1000, reconnectStrategy: false } });
    client.on('error', () => undefined); // reported through the failed commands
    return client;
  };
  const destroy = (client: Client) => {
    try {
      client.destroy();
    } catch {
      // never connected or already closed
    }
  };

  return {
    kind: 'redis',
    target: `PING ${redactUrl(url)}`,
    async run(signal) {
      const reuse = shared?.isReady ? shared : undefined;
      const c = reuse ?? create();
      const onAbort = () => {
        if (shared === c) shared = undefined;
        destroy(c);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        if (!reuse) await c.connect();
        const reply = await c.ping();
        if (reply !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(reply)}`);
        if (!reuse) {
          if (shared?.isReady || signal.aborted) destroy(c);
          else {
            if (shared) destroy(shared);
            shared = c;
          }
        }
      } catch (error) {
        if (shared === c) shared = undefined;
        destroy(c);
        throw error;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      if (shared) destroy(shared);
      shared = undefined;
    },
  };
}

/** One long-lived client with the library's reconnect loop, as an application holds it. */
function reconnectingRedisCheck(url: string, options: RedisCheckOptions): ProbeCheck {
  const delay = options.reconnectDelay ?? ((retries: number) => Math.min(100 * 2 ** Math.min(retries, 10), 2_000));
  let client: Client | undefined;
  const current = (): Client => {
    if (client) return client;
    const c: Client = createClient({ url, ...auth(options), disableOfflineQueue: true, socket: { connectTimeout: options.connectTimeoutMs ?? 1000, reconnectStrategy: (retries: number) => delay(retries) } });
    c.on('error', () => undefined); // reported through the failed commands
    c.connect().catch(() => undefined);
    client = c;
    return c;
  };
  return {
    kind: 'redis',
    target: `PING ${redactUrl(url)} (one reconnecting client)`,
    async run(signal) {
      const c = current();
      if (!c.isReady) {
        // The first attempt waits for the first connection (bounded by the probe timeout); later ones fail
        // at once while the client is reconnecting, as the application's commands would.
        if (c.isOpen) throw new Error('redis client is not connected (reconnecting)');
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(new Error('aborted'));
          signal.addEventListener('abort', onAbort, { once: true });
          c.once('ready', () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          });
        });
      }
      const reply = await c.ping();
      if (reply !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(reply)}`);
    },
    async close() {
      try {
        client?.destroy();
      } catch {
        // already closed
      }
      client = undefined;
    },
  };
}
