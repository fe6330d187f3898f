import { createClient } from 'redis';
import { redactUrl } from '../redact-url.ts';
import type { ProbeCheck } from '../availability-probe.ts';

export interface RedisCheckOptions {
  connectTimeoutMs?: number;
  /**
   * `dedicated` (default): one long-lived client that reconnects, as an application's client does — it
   * measures when a reconnecting client recovered. `per-attempt`: a new connection for every PING — it
   * measures when the server accepts new connections again.
   */
  mode?: 'dedicated' | 'per-attempt';
}

type Client = ReturnType<typeof createClient>;

/**
 * Redis PING over one node-redis connection with `disableOfflineQueue` (a command issued while the client
 * is disconnected fails at once instead of waiting in a queue) and a short reconnect strategy. After a
 * timed-out attempt the connection is destroyed and re-opened by the next attempt, so a hung socket is
 * never trusted again.
 */
export function redisCheck(url: string, options: RedisCheckOptions = {}): ProbeCheck {
  if (options.mode === 'per-attempt') return redisConnectCheck(url, options);
  let client: Client | undefined;
  let connecting: Promise<unknown> | undefined;

  const current = (): { client: Client; connecting: Promise<unknown>; fresh: boolean } => {
    let fresh = false;
    if (!client) {
      fresh = true;
      client = createClient({
        url,
        disableOfflineQueue: true,
        socket: {
          connectTimeout: options.connectTimeoutMs ?? 1000,
          reconnectStrategy: (retries: number) => Math.min(25 * 2 ** retries, 250),
        },
      });
      client.on('error', () => undefined); // reported through the failed commands
      connecting = client.connect();
      connecting.catch(() => undefined);
    }
    return { client, connecting: connecting ?? Promise.resolve(), fresh };
  };

  const reset = (stale: Client) => {
    if (client !== stale) return;
    client = undefined;
    connecting = undefined;
    try {
      stale.destroy();
    } catch {
      // already closed
    }
  };

  return {
    kind: 'redis',
    target: `PING ${redactUrl(url)}`,
    async run(signal) {
      const { client: c, connecting: ready, fresh } = current();
      const onAbort = () => reset(c);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        // The attempt that opened the connection waits for it (bounded by the probe timeout); the others
        // fail fast while the client is (re)connecting, as the application's client would.
        if (!c.isReady) {
          if (!fresh) throw new Error('redis client is not connected (reconnecting)');
          await ready;
        }
        const reply = await c.ping();
        if (reply !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(reply)}`);
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      if (client) reset(client);
    },
  };
}

/** A new connection, PING, close, every attempt: "the server accepts new connections". */
function redisConnectCheck(url: string, options: RedisCheckOptions): ProbeCheck {
  return {
    kind: 'redis',
    target: `connect + PING ${redactUrl(url)}`,
    async run(signal) {
      const client = createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: options.connectTimeoutMs ?? 1000, reconnectStrategy: false } });
      client.on('error', () => undefined);
      const onAbort = () => client.destroy();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await client.connect();
        const reply = await client.ping();
        if (reply !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(reply)}`);
      } finally {
        signal.removeEventListener('abort', onAbort);
        try {
          client.destroy();
        } catch {
          // already closed
        }
      }
    },
  };
}
