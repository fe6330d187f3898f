import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AvailabilityProbe } from './availability-probe.ts';
import { httpCheck } from '../probe/http-check.ts';
import { hrNow } from './clock.ts';
import { DEFAULT_SUSTAINED_MS, summarizeProbe } from './outage.ts';

/**
 * Calibration without Docker: an in-process HTTP server is closed (listening socket and every open
 * connection) and reopened on the same port 3.0 s later. The probe must measure the outage within ±250 ms.
 * The container version (real service, docker pause) is calibration.int.test.ts.
 */
const OUTAGE_MS = 3000;
const TOLERANCE_MS = 250;

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

describe('probe calibration (in-process HTTP server)', () => {
  it(`measures a ${OUTAGE_MS} ms outage within ±${TOLERANCE_MS} ms`, async ({ annotate }) => {
    const server = createServer((_req, res) => res.end('ok'));
    const port = await listen(server);
    const probe = new AvailabilityProbe(httpCheck(`http://127.0.0.1:${port}/`), { intervalMs: 100, timeoutMs: 500, name: 'calibration-http' }).start();
    try {
      await delay(1000);
      server.close();
      server.closeAllConnections();
      const downAt = hrNow();
      await delay(Math.max(0, downAt + OUTAGE_MS - hrNow()));
      const upAt = await listen(server, port).then(() => hrNow());
      // Recovery counts after a sustained window (DEFAULT_SUSTAINED_MS = 2 s of successes): keep probing past it.
      await delay(DEFAULT_SUSTAINED_MS + 600);
      const record = await probe.stop();
      const summary = summarizeProbe(record, { faultAt: downAt });
      const actual = upAt - downAt;
      expect(summary.outages, JSON.stringify(summary.outages)).toHaveLength(1);
      await annotate(`actual outage ${actual.toFixed(1)} ms, measured ${summary.outages[0]!.durationMs.toFixed(1)} ms (${summary.outages[0]!.failedAttempts} failed attempts)`);
      const measured = summary.outages[0]!.durationMs;
      expect(Math.abs(actual - OUTAGE_MS)).toBeLessThan(50);
      expect(Math.abs(measured - actual), `measured ${measured.toFixed(1)} ms, actual ${actual.toFixed(1)} ms`).toBeLessThanOrEqual(TOLERANCE_MS);
      expect(summary.outages[0]!.errors[0]!.error).toMatch(/ECONNREFUSED|fetch failed|other side closed/);
      // The RTO runs to the START of the sustained window: the first success after the restart, not 2 s later.
      expect(summary.rto).toMatchObject({ outageObserved: true, lowerBound: false, falseRecoveries: 0 });
      expect(summary.rto!.rtoMs).toBeGreaterThanOrEqual(actual);
      expect(summary.rto!.rtoMs).toBeLessThanOrEqual(actual + TOLERANCE_MS);
    } finally {
      await probe.stop().catch(() => undefined);
      server.close();
      server.closeAllConnections();
    }
  });
});
