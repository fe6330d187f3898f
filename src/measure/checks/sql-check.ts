import type pg from 'pg';
import type { ProbeCheck } from '../availability-probe.ts';
import { PgSession, describePgConfig, destroyClient, openClient } from '../pg-session.ts';

export interface SqlCheckOptions {
  /**
   * `dedicated` (default): one connection, re-created after any failure — measures the database, not the
   * connection set-up. `per-attempt`: connect, query, disconnect every time — also measures that the
   * server accepts new connections (what a restarted app needs).
   */
  mode?: 'dedicated' | 'per-attempt';
  query?: string;
}

/**
 * PostgreSQL `select 1`. A failure is counted whenever the query does not answer: refused or reset
 * connection, authentication/startup error, or the probe timeout (the connection is then destroyed, as a
 * hung socket cannot be trusted, and re-opened by the next attempt).
 */
export function sqlCheck(connection: string | pg.ClientConfig, options: SqlCheckOptions = {}): ProbeCheck {
  const config: pg.ClientConfig = typeof connection === 'string' ? { connectionString: connection } : connection;
  const query = options.query ?? 'select 1';
  const session = new PgSession(config);
  return {
    kind: 'postgres',
    target: `${query} on ${describePgConfig(config)}`,
    async run(signal) {
      if (options.mode !== 'per-attempt') {
        await session.query(query, [], signal);
        return;
      }
      let client: pg.Client | undefined;
      const onAbort = () => client && destroyClient(client);
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        client = await openClient(config);
        signal.throwIfAborted();
        await client.query(query);
      } finally {
        signal.removeEventListener('abort', onAbort);
        if (client) destroyClient(client);
      }
    },
    close: () => session.close(),
  };
}
