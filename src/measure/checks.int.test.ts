import { randomBytes } from 'node:crypto';
import { Client as MinioClient } from 'minio';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../core/wait.ts';
import { imageFor, loadImageCatalog } from '../setup/image-catalog.ts';
import { httpCheck, redisCheck, s3Check, sqlCheck, waitUntil, type ProbeCheck } from '../probe/index.ts';
import { AvailabilityProbe } from './availability-probe.ts';
import { clientObservedRto, summarizeProbe } from './outage.ts';
import { findLocalImage, startServiceContainer, type ServiceContainer } from './testing/service-container.ts';

/**
 * Each probe check against the real service (locally built images from fixtures/images/images.yaml): it
 * succeeds while the service runs, fails while the container is killed, and recovers when it is started
 * again, without recreating the probe.
 */
const catalog = await loadImageCatalog();
const password = randomBytes(12).toString('hex');

interface Case {
  service: string;
  image: string;
  containerPort: number;
  env?: Record<string, string>;
  cmd?: string[];
  check: (port: number) => ProbeCheck;
  /** Extra preparation once the service answers (e.g. create the bucket). */
  prepare?: (port: number) => Promise<void>;
  /** Readiness: the check itself unless given. */
  startupMs?: number;
}

const CASES: Case[] = [
  {
    service: 'postgres (dedicated connection)',
    image: imageFor(catalog, 'postgres', 'offline'),
    containerPort: 5432,
    env: { POSTGRES_PASSWORD: password },
    check: (port) => sqlCheck(`postgres://postgres:${password}@127.0.0.1:${port}/postgres`),
    startupMs: 60_000,
  },
  {
    service: 'postgres (connection per attempt)',
    image: imageFor(catalog, 'postgres', 'offline'),
    containerPort: 5432,
    env: { POSTGRES_PASSWORD: password },
    check: (port) => sqlCheck({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' }, { mode: 'per-attempt' }),
    startupMs: 60_000,
  },
  { service: 'redis', image: imageFor(catalog, 'redis', 'offline'), containerPort: 6379, check: (port) => redisCheck(`redis://127.0.0.1:${port}`) },
  { service: 'nginx', image: imageFor(catalog, 'nginx', 'offline'), containerPort: 80, check: (port) => httpCheck(`http://127.0.0.1:${port}/`, { expectStatus: (s) => s < 500 }) },
  {
    service: 'minio',
    image: imageFor(catalog, 'minio', 'offline'),
    containerPort: 9000,
    env: { MINIO_ROOT_USER: 'prodlike', MINIO_ROOT_PASSWORD: password },
    check: (port) => s3Check({ endpoint: `http://127.0.0.1:${port}`, accessKey: 'prodlike', secretKey: password, bucket: 'probe' }),
    prepare: async (port) => {
      const client = new MinioClient({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: 'prodlike', secretKey: password, retryOptions: { disableRetry: true } });
      await waitFor(async () => (await client.listBuckets(), true), { timeoutMs: 30_000, description: 'MinIO to accept requests' });
      if (!(await client.bucketExists('probe'))) await client.makeBucket('probe');
    },
    startupMs: 60_000,
  },
];

describe('probe checks against real services (kill and restart)', () => {
  for (const c of CASES) {
    it(`${c.service}: succeeds, fails while the container is down, recovers after restart`, async ({ skip, annotate }) => {
      if (!(await findLocalImage([c.image], 5_000))) skip(`${c.image} is not built yet; run \`prodlike setup\` (fixtures/images/${c.image.split('/')[1]!.split(':')[0]}/build.sh)`);
      let svc: ServiceContainer | undefined;
      try {
        // The engine chooses the port and the restart binds it again (keepPort): the probe keeps its URL.
        svc = await startServiceContainer({ image: c.image, containerPort: c.containerPort, keepPort: true, env: c.env ?? {}, ...(c.cmd ? { cmd: c.cmd } : {}), namePrefix: 'prodlike-check-test' });
        const port = svc.port;
        await c.prepare?.(port);
        await waitUntil(c.check(port), { timeoutMs: c.startupMs ?? 30_000, description: `${c.service} on 127.0.0.1:${port}`, hint: `docker logs ${svc.name}` });

        const probe = new AvailabilityProbe(c.check(port), { name: c.service, intervalMs: 100, timeoutMs: 1000 }).start();
        const count = (ok: boolean, after = 0) => probe.attempts.filter((a) => a.ok === ok && a.startedAt > after).length;
        await waitFor(async () => count(true) >= 5, { timeoutMs: 10_000, intervalMs: 50, description: 'five successful attempts before the fault' });
        const killed = await svc.kill('SIGKILL');
        await waitFor(async () => count(false, killed.after) >= 5, { timeoutMs: 15_000, intervalMs: 50, description: 'five failed attempts after the kill' });
        const started = await svc.start();
        // Until the recovery is sustained (DEFAULT_SUSTAINED_MS of uninterrupted successes), which makes the RTO final.
        await waitFor(async () => count(true, started.after) >= 5 && !clientObservedRto(probe.attempts, killed.before).lowerBound, {
          timeoutMs: c.startupMs ?? 30_000,
          intervalMs: 100,
          description: `${c.service} to answer the probe again after restart, without a failure for 2 s`,
        });
        const record = await probe.stop();
        const summary = summarizeProbe(record, { faultAt: killed.before });
        await annotate(`${c.service}: outage ${summary.outages.map((w) => `${w.durationMs.toFixed(0)} ms`).join(', ')}, RTO ${summary.rto?.rtoMs.toFixed(0)} ms, errors: ${summary.outages[0]?.errors.map((e) => `${e.error} ×${e.count}`).join('; ')}`);
        expect(summary.outages.length).toBeGreaterThanOrEqual(1);
        expect(summary.outages.every((w) => w.recovered)).toBe(true);
        expect(summary.rto).toMatchObject({ outageObserved: true, lowerBound: false });
        expect(summary.rto!.firstFailureAt!).toBeGreaterThanOrEqual(killed.before - 1000);
        expect(summary.rto!.sustainedSuccessAt!).toBeGreaterThan(started.before);
        // Failures of a killed service come fast (refused/reset), not at the timeout.
        const fastFailures = record.attempts.filter((a) => !a.ok && a.latencyMs < 500).length;
        expect(fastFailures).toBeGreaterThan(0);
        expect(JSON.stringify(record)).not.toContain(password);
      } finally {
        await svc?.remove();
      }
    });
  }
});
