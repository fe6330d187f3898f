import type pg from 'pg';
import { describePgConfig, destroyClient, openClient } from '../../probe/pg-client.ts';
import { PgSession } from '../pg-session.ts';
import type { SurvivingRecord } from '../rpo.ts';
import type { SentinelSink } from '../sentinel-writer.ts';

export interface PostgresSentinelSinkOptions {
  /** Table name (created if missing: `seq bigint primary key, written_at timestamptz not null`). Default `sentinel`. */
  table?: string;
}

/**
 * Sentinel records as PostgreSQL rows, one autocommit INSERT each: acknowledged = the INSERT returned, i.e.
 * committed. Writes share one connection (queries serialized), re-created after an error or a timeout.
 * Reading back uses a new connection so it sees the server as it is now.
 */
export function postgresSentinelSink(connection: string | pg.ClientConfig, options: PostgresSentinelSinkOptions = {}): SentinelSink {
  const config: pg.ClientConfig = typeof connection === 'string' ? { connectionString: connection } : connection;
  const table = options.table ?? 'sentinel';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) throw new RangeError(`sentinel table name "${table}" must be a lowercase SQL identifier`);
  const session = new PgSession(config);
  const once = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = await openClient(config);
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => destroyClient(client));
    }
  };

  return {
    kind: 'postgres',
    target: `table ${table} on ${describePgConfig(config)}`,
    prepare: () =>
      once(async (client) => {
        await client.query(`CREATE TABLE IF NOT EXISTS ${table} (seq bigint PRIMARY KEY, written_at timestamptz NOT NULL)`);
        const { rows } = await client.query<{ next: string }>(`SELECT coalesce(max(seq) + 1, 0)::text AS next FROM ${table}`);
        return { nextSeq: Number(rows[0]?.next ?? 0) };
      }),
    async write(record, signal) {
      await session.query(`INSERT INTO ${table} (seq, written_at) VALUES ($1, to_timestamp($2::double precision / 1000))`, [record.seq, record.writtenAt], signal);
    },
    readBack: ({ fromSeq, toSeq }) =>
      once(async (client) => {
        const { rows } = await client.query<{ seq: string; ms: string }>(
          `SELECT seq::text AS seq, round(extract(epoch FROM written_at) * 1000)::text AS ms FROM ${table} WHERE seq BETWEEN $1 AND $2`,
          [fromSeq, toSeq],
        );
        return rows.map((r): SurvivingRecord => ({ seq: Number(r.seq), writtenAt: Number(r.ms) }));
      }),
    close: () => session.close(),
  };
}
