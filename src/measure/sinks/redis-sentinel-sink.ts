import { createClient } from 'redis';
import { redactUrl } from '../../probe/redact-url.ts';
import type { SurvivingRecord } from '../rpo.ts';
import type { SentinelSink } from '../sentinel-writer.ts';

export interface RedisSentinelSinkOptions {
  /** Keys are `<prefix>:<seq>` (value: epoch ms) plus the sorted set `<prefix>:seqs` (score = seq). Default `sentinel`. */
  keyPrefix?: string;
}

type Client = ReturnType<typeof createClient>;

/**
 * Sentinel records as Redis keys: `SET sentinel:<seq> <epoch ms>` and `ZADD sentinel:seqs <seq> <seq>` in
 * one MULTI/EXEC; acknowledged = EXEC replied (with AOF `everysec` that is *before* the fsync: exactly the
 * window the RPO measures). The client fails fast while disconnected (`disableOfflineQueue`) and reconnects
 * by itself; reading back uses a new connection.
 */
export function redisSentinelSink(url: string, options: RedisSentinelSinkOptions = {}): SentinelSink {
  const prefix = options.keyPrefix ?? 'sentinel';
  const index = `${prefix}:seqs`;
  let client: Client | undefined;
  let connecting: Promise<unknown> | undefined;

  const make = (): Client => {
    const c = createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout: 1000, reconnectStrategy: (retries: number) => Math.min(25 * 2 ** retries, 250) },
    });
    c.on('error', () => undefined);
    return c;
  };
  const once = async <T>(work: (c: Client) => Promise<T>): Promise<T> => {
    const c = make();
    await c.connect();
    try {
      return await work(c);
    } finally {
      c.destroy();
    }
  };

  return {
    kind: 'redis',
    target: `keys ${prefix}:* on ${redactUrl(url, 'redis')}`,
    prepare: () =>
      once(async (c) => {
        const top = await c.zRange(index, 0, 0, { REV: true });
        return { nextSeq: top[0] === undefined ? 0 : Number(top[0]) + 1 };
      }),
    async write(record, signal) {
      let fresh = false;
      if (!client) {
        client = make();
        connecting = client.connect();
        connecting.catch(() => undefined);
        fresh = true;
      }
      const c = client;
      const reset = () => {
        if (client !== c) return;
        client = undefined;
        connecting = undefined;
        c.destroy();
      };
      signal.addEventListener('abort', reset, { once: true });
      try {
        if (!c.isReady) {
          if (!fresh) throw new Error('redis client is not connected (reconnecting)');
          await connecting;
        }
        await c.multi().set(`${prefix}:${record.seq}`, String(record.writtenAt)).zAdd(index, { score: record.seq, value: String(record.seq) }).exec();
      } finally {
        signal.removeEventListener('abort', reset);
      }
    },
    readBack: ({ fromSeq, toSeq }) =>
      once(async (c) => {
        const members = await c.zRangeByScore(index, fromSeq, toSeq);
        const out: SurvivingRecord[] = [];
        for (let i = 0; i < members.length; i += 500) {
          const chunk = members.slice(i, i + 500);
          const values = await c.mGet(chunk.map((m) => `${prefix}:${m}`));
          chunk.forEach((m, j) => {
            const value = values[j];
            // A seq in the index without its key is not a survivor: the record itself is gone.
            if (value !== null && value !== undefined) out.push({ seq: Number(m), writtenAt: Number(value) });
          });
        }
        return out;
      }),
    async close() {
      const c = client;
      client = undefined;
      c?.destroy();
    },
  };
}
