import pg from 'pg';
import type { SurvivingRecord } from '../rpo.ts';

/**
 * Reads back the reference app's `records` rows of one clientId straight from its PostgreSQL database
 * (fixtures/app migration 0003: `records(client_id, seq, client_ts, …)`), for `httpSentinelSink`. The app's
 * GET /api/records only returns aggregates (count, maxSeq), which cannot name lost sequence numbers.
 */
export function appRecordsReader(connection: string | pg.ClientConfig): (clientId: string, range: { fromSeq: number; toSeq: number }) => Promise<SurvivingRecord[]> {
  const config: pg.ClientConfig = typeof connection === 'string' ? { connectionString: connection } : connection;
  return async (clientId, { fromSeq, toSeq }) => {
    const client = new pg.Client(config);
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ seq: string; ms: string }>(
        `SELECT seq::text AS seq, round(extract(epoch FROM client_ts) * 1000)::text AS ms FROM records WHERE client_id = $1 AND seq BETWEEN $2 AND $3`,
        [clientId, fromSeq, toSeq],
      );
      return rows.map((r) => ({ seq: Number(r.seq), writtenAt: Number(r.ms) }));
    } finally {
      await client.end().catch(() => undefined);
    }
  };
}
