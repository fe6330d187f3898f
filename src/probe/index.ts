/**
 * The probe vocabulary: one `ProbeCheck` interface (check.ts), one file per kind of check, and this
 * façade. A check is one attempt at "is X answering"; what runs it decides how often:
 *   - measurement: `new AvailabilityProbe(Check.sql(…))` runs one every interval (src/measure);
 *   - readiness: `waitUntil(Check.http(…), { timeoutMs })` runs one until it passes (wait-until.ts);
 *   - a single look: `checkOnce(Check.redis(…), timeoutMs)` (provider health, setup's smoke checks).
 */
import { httpCheck } from './http-check.ts';
import { redisCheck } from './redis-check.ts';
import { s3Check } from './s3-check.ts';
import { sqlCheck } from './sql-check.ts';
import { tcpCheck } from './tcp-check.ts';

export const Check = {
  /** HTTP status (default 200), redirects not followed. */
  http: httpCheck,
  /** PostgreSQL `select 1` (or another query), on a shared connection or one per attempt. */
  sql: sqlCheck,
  /** Redis PING. */
  redis: redisCheck,
  /** S3 HEAD bucket. */
  s3: s3Check,
  /** A TCP connect. */
  tcp: tcpCheck,
} as const;

export { attempt, checkOnce, type CheckOutcome, type ProbeCheck } from './check.ts';
export { httpCheck, type HttpCheckOptions } from './http-check.ts';
export { redisCheck, type RedisCheckOptions } from './redis-check.ts';
export { s3Check, type S3CheckOptions } from './s3-check.ts';
export { sqlCheck, type SqlCheckOptions } from './sql-check.ts';
export { tcpCheck } from './tcp-check.ts';
export { waitUntil, type WaitUntilOptions } from './wait-until.ts';
