import { createClient } from 'redis';
import { redactUrl } from '../redact-url.ts';
import type { ProbeCheck } from '../availability-probe.ts';

export interface RedisCheckOptions {
  connectTimeoutMs?: number;
}

type Client = ReturnType<typeof createClient>;

/**
 * Redis PING over one node-redis connection with `disableOfflineQueue` (a command issued while the client
 * is disconnected fails at once instead of waiting in a queue). The client never reconnects by itself
 * (`reconnectStrategy: false`): once its connection is lost, refused or timed out, the next attempt opens a
 * new one. So while the server is down every attempt tries a fresh connection, and the first attempt
 * started after the server is back succeeds — the recovery is seen within one probe interval, not after
 * a library's reconnect backoff (calibrated: kill/restart path, src/measure/calibration.int.test.ts).
 * Attempts that start while a connection is being opened wait for that one (bounded by their timeout).
 */
export function redisCheck(url: string, options: RedisCheckOptions = {}): ProbeCheck {
  let client: Client | undefined;
  let connecting: Promise<unknown> | undefined;
  let broken = false;

  const open = (): Client => {
    broken = false;
    const fresh = createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout: options.connectTimeoutMs ?? 1000, reconnectStrategy: false },
    });
    const markBroken = () => {
      if (client === fresh) broken = true;
    };
    fresh.on('error', markBroken); // reported through the failed commands
    fresh.on('end', markBroken);
    client = fresh;
    connecting = fresh.connect();
    connecting.catch(markBroken);
    return fresh;
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
      if (client && (broken || (!client.isOpen && !connecting))) reset(client);
      const c = client ?? open();
      const ready = connecting ?? Promise.resolve();
      const onAbort = () => reset(c);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        if (!c.isReady) await ready;
        const reply = await c.ping();
        if (reply !== 'PONG') throw new Error(`unexpected PING reply ${JSON.stringify(reply)}`);
      } catch (error) {
        if (client === c && !c.isReady) broken = true;
        throw error;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      if (client) reset(client);
    },
  };
}
