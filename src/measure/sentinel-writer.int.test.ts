import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../core/wait.ts';
import { imageFor, loadImageCatalog } from '../setup/image-catalog.ts';
import { redisCheck, sqlCheck, waitUntil, type ProbeCheck } from '../probe/index.ts';
import { hrNow } from './clock.ts';
import { SentinelWriter } from './sentinel-writer.ts';
import { postgresSentinelSink } from './sinks/postgres-sentinel-sink.ts';
import { redisSentinelSink } from './sinks/redis-sentinel-sink.ts';
import { findLocalImage, startServiceContainer, type ServiceContainer } from './testing/service-container.ts';

/**
 * The sentinel writer against real stores, killed with SIGKILL (no graceful shutdown) and restarted:
 * - PostgreSQL (fsync on): every committed row survives → RPO 0, no lost acknowledged seq;
 * - Redis with AOF everysec: up to about a second of acknowledged writes may be lost → RPO ≤ ~2 s;
 * - Redis without any persistence: everything is lost → the RPO is reported as a lower bound.
 * Each store's port is the engine's choice, kept across the restart (keepPort; issue #14).
 */
const catalog = await loadImageCatalog();
const password = randomBytes(12).toString('hex');

async function killAndRestart(svc: ServiceContainer, writer: SentinelWriter, readyCheck: () => ProbeCheck, startupMs: number) {
  await waitFor(async () => writer.ackedCount >= 40, { timeoutMs: 15_000, intervalMs: 50, description: '40 acknowledged sentinel writes before the fault' });
  const killed = await svc.kill('SIGKILL');
  const faultAt = killed.before;
  await delay(1000); // writes keep being attempted (and refused) while the store is down
  await svc.start();
  await waitUntil(readyCheck(), { timeoutMs: startupMs, intervalMs: 200, description: `${svc.name} to answer again after restart` });
  const acked = writer.ackedCount;
  await waitFor(async () => writer.ackedCount >= acked + 10, { timeoutMs: 15_000, intervalMs: 50, description: 'sentinel writes acknowledged again after restart' });
  await writer.stop();
  return { faultAt, verification: await writer.verify({ faultAt }) };
}

describe('sentinel writer against real stores (SIGKILL + restart)', () => {
  it('PostgreSQL: committed rows all survive a kill (RPO 0)', async ({ skip, annotate }) => {
    const image = imageFor(catalog, 'postgres', 'offline');
    if (!(await findLocalImage([image], 5_000))) skip(`${image} is not built yet; run \`prodlike setup\``);
    const svc = await startServiceContainer({ image, containerPort: 5432, keepPort: true, env: { POSTGRES_PASSWORD: password }, namePrefix: 'prodlike-sentinel-test' });
    const url = `postgres://postgres:${password}@127.0.0.1:${svc.port}/postgres`;
    try {
      await waitUntil(sqlCheck(url), { timeoutMs: 60_000, intervalMs: 200, description: 'PostgreSQL to accept connections' });
      const writer = await new SentinelWriter(postgresSentinelSink(url), { ratePerSecond: 40, timeoutMs: 1000 }).start();
      const { verification: v } = await killAndRestart(svc, writer, () => sqlCheck(url), 60_000);
      await writer.close();
      await annotate(`postgres: ${v.summary}`);
      expect(v.ackedBeforeFault).toBeGreaterThanOrEqual(40);
      expect(v.lostAcked).toEqual([]);
      expect(v.rpoMs).toBe(0);
      expect(v.unacked).toBeGreaterThan(0); // writes during the outage were refused, and counted
      expect(v.timestampMismatches).toEqual([]);
      expect(v.target).not.toContain(password);
    } finally {
      await svc.remove();
    }
  });

  it('Redis with AOF everysec: loses at most about a second of acknowledged writes', async ({ skip, annotate }) => {
    const image = imageFor(catalog, 'redis', 'offline');
    if (!(await findLocalImage([image], 5_000))) skip(`${image} is not built yet; run \`prodlike setup\``);
    const svc = await startServiceContainer({ image, containerPort: 6379, keepPort: true, cmd: ['redis-server', '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''], namePrefix: 'prodlike-sentinel-test' });
    const url = `redis://127.0.0.1:${svc.port}`;
    try {
      await waitUntil(redisCheck(url), { timeoutMs: 30_000, intervalMs: 200, description: 'Redis to answer PING' });
      const writer = await new SentinelWriter(redisSentinelSink(url), { ratePerSecond: 50, timeoutMs: 1000 }).start();
      const { verification: v } = await killAndRestart(svc, writer, () => redisCheck(url), 30_000);
      await writer.close();
      await annotate(`redis aof everysec: ${v.summary}`);
      expect(v.ackedBeforeFault).toBeGreaterThanOrEqual(40);
      expect(v.lowerBound).toBe(false);
      expect(v.rpoMs).toBeLessThanOrEqual(2500);
      expect(v.holes).toEqual([]);
      expect(v.timestampMismatches).toEqual([]);
    } finally {
      await svc.remove();
    }
  });

  it('Redis without persistence: everything is lost and the RPO is only a lower bound', async ({ skip, annotate }) => {
    const image = imageFor(catalog, 'redis', 'offline');
    if (!(await findLocalImage([image], 5_000))) skip(`${image} is not built yet; run \`prodlike setup\``);
    const svc = await startServiceContainer({ image, containerPort: 6379, keepPort: true, cmd: ['redis-server', '--appendonly', 'no', '--save', ''], namePrefix: 'prodlike-sentinel-test' });
    const url = `redis://127.0.0.1:${svc.port}`;
    try {
      await waitUntil(redisCheck(url), { timeoutMs: 30_000, intervalMs: 200, description: 'Redis to answer PING' });
      const startedAt = hrNow();
      const writer = await new SentinelWriter(redisSentinelSink(url, { keyPrefix: 'volatile' }), { ratePerSecond: 50, timeoutMs: 1000 }).start();
      const { faultAt, verification: v } = await killAndRestart(svc, writer, () => redisCheck(url), 30_000);
      await writer.close();
      await annotate(`redis no persistence: ${v.summary}`);
      expect(v.lostAcked).toHaveLength(v.ackedBeforeFault);
      expect(v.lowerBound).toBe(true);
      expect(v.recoveryPoint).toBeNull();
      expect(v.rpoMs).toBeGreaterThan(500);
      expect(v.rpoMs).toBeLessThanOrEqual(faultAt - startedAt);
      expect(v.summary).toMatch(/RPO ≥ \d+ ms \(even the first acknowledged write was lost\)/);
    } finally {
      await svc.remove();
    }
  });
});
