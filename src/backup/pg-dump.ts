import { CronExpressionParser } from 'cron-parser';
import pg from 'pg';

/**
 * PostgreSQL dump helpers for the backup/restore suite: per-table row counts + content checksums (what a
 * restore is verified against) and the worst-case RPO a backup schedule implies.
 */

export type TableChecksums = Record<string, { rows: number; md5: string }>;

/** Creates `table (id bigint primary key, payload text, n int)` and fills ids 1..rows (idempotent). */
export async function seedTable(config: pg.ClientConfig, table: string, rows: number): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new RangeError(`table name "${table}" must be a lowercase SQL identifier`);
  const client = new pg.Client(config);
  await client.connect();
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (id bigint PRIMARY KEY, payload text NOT NULL, n integer NOT NULL)`);
    await client.query(`INSERT INTO ${table} SELECT g, md5(g::text) || repeat('x', 64), g % 1000 FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING`, [rows]);
  } finally {
    await client.end();
  }
}

/** Row count and an order-independent md5 of every row's text form, per table. */
export async function tableChecksums(config: pg.ClientConfig, tables: string[]): Promise<TableChecksums> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    const out: TableChecksums = {};
    for (const t of tables) {
      if (!/^[a-z_][a-z0-9_]*$/.test(t)) throw new RangeError(`table name "${t}" must be a lowercase SQL identifier`);
      const { rows } = await client.query<{ n: string; md5: string }>(`SELECT count(*)::text AS n, coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS md5 FROM ${t} t`);
      out[t] = { rows: Number(rows[0]!.n), md5: rows[0]!.md5 };
    }
    return out;
  } finally {
    await client.end();
  }
}

/** `seed_items 20000 rows md5 1a2b3c4d = before; …` for reports. */
export function describeChecksums(after: TableChecksums, before: TableChecksums): string {
  return Object.keys(after).map((t) => `${t} ${after[t]!.rows} rows md5 ${after[t]!.md5.slice(0, 8)} ${after[t]!.md5 === before[t]?.md5 ? '=' : '≠'} before`).join('; ');
}

/** The longest gap between two runs of a cron schedule over a year (UTC): the worst-case RPO it implies. */
export function worstCaseInterval(expr: string, from = new Date('2026-01-01T00:00:00Z')): number {
  const it = CronExpressionParser.parse(expr, { currentDate: from, tz: 'UTC' });
  let prev = it.next().getTime();
  let worst = 0;
  for (let i = 0; i < 400; i++) {
    const next = it.next().getTime();
    worst = Math.max(worst, next - prev);
    prev = next;
  }
  return worst;
}
