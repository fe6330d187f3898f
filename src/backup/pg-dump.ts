import { CronExpressionParser } from 'cron-parser';
import pg from 'pg';

/**
 * PostgreSQL dump helpers for the backup/restore suite: per-table row counts + content checksums (what a
 * restore is verified against) and the worst-case RPO a backup schedule implies.
 */

export type TableChecksums = Record<string, { rows: number; md5: string }>;

/**
 * Dataset sizes of the backup/restore suite (issue #8: profile `ci` small, `release` about 1 GB): rows of
 * `seed_items` (about 150 bytes per row on disk with its index). `PRODLIKE_SEED_PROFILE` picks one,
 * `PRODLIKE_SEED_ROWS` overrides it.
 */
export const SEED_PROFILES = { ci: 20_000, release: 7_000_000 } as const;

export function seedRows(env: Record<string, string | undefined> = process.env): number {
  if (env.PRODLIKE_SEED_ROWS) {
    const n = Number(env.PRODLIKE_SEED_ROWS);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`PRODLIKE_SEED_ROWS must be a positive integer, got "${env.PRODLIKE_SEED_ROWS}"`);
    return n;
  }
  const profile = env.PRODLIKE_SEED_PROFILE ?? 'ci';
  if (!Object.hasOwn(SEED_PROFILES, profile)) throw new RangeError(`PRODLIKE_SEED_PROFILE must be one of ${Object.keys(SEED_PROFILES).join(', ')}, got "${profile}"`);
  return SEED_PROFILES[profile as keyof typeof SEED_PROFILES];
}

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
      // Order-independent and in constant memory: the sum and the xor of two 64-bit halves of each row's md5
      // (a string_agg of the table would hit PostgreSQL's 1 GB value limit on the release-size dataset).
      const { rows } = await client.query<{ n: string; md5: string }>(
        `SELECT count(*)::text AS n,
                coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0)::text || '/' ||
                coalesce(bit_xor(('x' || substr(md5(t::text), 17, 16))::bit(64)::bigint), 0)::text AS md5
           FROM ${t} t`,
      );
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
