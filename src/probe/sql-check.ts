import type pg from 'pg';
import type { ProbeCheck } from './check.ts';
import { describePgConfig, destroyClient, openClient } from './pg-client.ts';

export interface SqlCheckOptions {
  /**
   * `dedicated` (default): one shared connection while it works — measures the database, not the
   * connection set-up; once it fails, each attempt opens its own until one answers, which becomes the shared
   * one. `per-attempt`: connect, query, disconnect every time — also measures that the server accepts new
   * connections (what a restarted app needs).
   */
  mode?: 'dedicated' | 'per-attempt';
  query?: string;
}

/**
 * PostgreSQL `select 1`. A failure is counted whenever the query does not answer: refused or reset
 * connection, authentication/startup error, or the probe timeout. Attempts never queue behind one
 * another: in `dedicated` mode an attempt that finds the shared connection busy, broken or missing uses a connection of its own, so a connect that
 * hung while the server was frozen cannot hold back the attempts made after it came back (seen in
 * calibration under load: a serialized session measured a 3.1 s pause as 7.0 s).
 */
export function sqlCheck(connection: string | pg.ClientConfig, options: SqlCheckOptions = {}): ProbeCheck {
  const config: pg.ClientConfig = typeof connection === 'string' ? { connectionString: connection } : connection;
  const query = options.query ?? 'select 1';
  let shared: pg.Client | undefined;
  let busy = false;
  const open = new Set<pg.Client>();
  const drop = (client: pg.Client) => {
    if (shared === client) shared = undefined;
    open.delete(client);
    destroyClient(client);
  };
  return {
    kind: 'postgres',
    target: `${query} on ${describePgConfig(config)}`,
    async run(signal) {
      const reuse = options.mode !== 'per-attempt' && shared && !busy ? shared : undefined;
      let client = reuse;
      let aborted = false;
      // A timed-out query on the shared connection is left to finish (the attempt has already failed): if the
      // server was only frozen, that connection answers when it resumes and serves the next attempt at once,
      // without a new connection's fork + authentication. If it never answers, a fresh connection that does
      // replaces it. Connections being opened by a timed-out attempt are destroyed.
      const onAbort = () => {
        aborted = true;
        if (client && client !== shared) drop(client);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (reuse) busy = true;
      try {
        if (!client) {
          const fresh = await openClient(config);
          if (aborted) {
            destroyClient(fresh);
            signal.throwIfAborted();
          }
          client = fresh;
          open.add(fresh);
        }
        await client.query(query);
        if (!reuse) {
          if (options.mode === 'per-attempt' || (shared && shared !== client && !busy)) drop(client);
          else {
            if (shared && shared !== client) drop(shared); // stuck on a query that never answered
            shared = client;
            busy = false;
          }
        }
      } catch (error) {
        if (client) drop(client);
        throw error;
      } finally {
        if (reuse && shared === reuse) busy = false;
        signal.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      for (const c of [...open]) drop(c);
    },
  };
}
