import type pg from 'pg';
import { destroyClient, openClient } from '../probe/pg-client.ts';

/**
 * One PostgreSQL connection for measurement code: opened lazily, queries run one at a time (pg@9 drops
 * concurrent `client.query()`), and thrown away after any error or abort so the next query opens a new
 * one. A hung socket is destroyed, not `end()`ed (that would wait for the server that hangs).
 */
export class PgSession {
  readonly #config: pg.ClientConfig;
  #client: Promise<pg.Client> | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(config: pg.ClientConfig) {
    this.#config = config;
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = [], signal?: AbortSignal): Promise<pg.QueryResult<R>> {
    const run = this.#chain.then(async () => {
      signal?.throwIfAborted();
      const current = (this.#client ??= openClient(this.#config));
      const drop = () => this.#drop(current);
      signal?.addEventListener('abort', drop, { once: true });
      try {
        const client = await current;
        return await client.query<R>(text, values);
      } catch (error) {
        drop();
        throw error;
      } finally {
        signal?.removeEventListener('abort', drop);
      }
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    const current = this.#client;
    this.#client = undefined;
    if (current) await current.then((c) => c.end().catch(() => destroyClient(c)), () => undefined);
  }

  #drop(current: Promise<pg.Client>): void {
    if (this.#client === current) this.#client = undefined;
    void current.then(destroyClient, () => undefined);
  }
}
