import { createClient } from 'redis';
import { redactUrl } from '../redact-url.ts';
import type { ProbeCheck } from '../availability-probe.ts';

export interface RedisCheckOptions {
  connectTimeoutMs?: number;
}

type Client = ReturnType<typeof createClient>;

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
  let shared: Client | undefined;
  const create = (): Client => {
    const client = createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: options.connectTimeoutMs ?? 1000, reconnectStrategy: false } });
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
