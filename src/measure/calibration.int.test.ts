import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../core/events.ts';
import { waitFor } from '../core/wait.ts';
import { buildScenarioResult } from '../report/scenario-result.ts';
import { RunRecorder } from '../report/run-recorder.ts';
import { renderSummaryTable } from '../report/summary-table.ts';
import { AvailabilityProbe, type ProbeCheck } from './availability-probe.ts';
import { httpCheck } from './checks/http-check.ts';
import { redisCheck } from './checks/redis-check.ts';
import { hrNow } from './clock.ts';
import { summarizeProbe } from './outage.ts';
import { dockerClient, findLocalImage, startServiceContainer, type ServiceContainer } from './testing/service-container.ts';
import { Timeline, type TimelineEvent } from './timeline.ts';
import { evaluateTarget } from './verdict.ts';

/**
 * Calibration against a real service (issue #8): a container from a locally built image, probed from the
 * host through a 127.0.0.1-published port, frozen with `docker pause` for a known 3.0 s (timestamps taken
 * around the Docker API calls), then unpaused. The probe must measure the outage within ±250 ms. The run is
 * written as a real report to runs/<timestamp>-calibration/.
 */
const OUTAGE_MS = 3000;
const TOLERANCE_MS = 250;
const IMAGES = { redis: 'prodlike.local/redis:7.0-bookworm', nginx: 'prodlike.local/nginx:1.22-bookworm' } as const;

const CASES = [
  { service: 'redis', image: IMAGES.redis, containerPort: 6379, check: (port: number): ProbeCheck => redisCheck(`redis://127.0.0.1:${port}`) },
  { service: 'nginx', image: IMAGES.nginx, containerPort: 80, check: (port: number): ProbeCheck => httpCheck(`http://127.0.0.1:${port}/`, { expectStatus: (s) => s < 500 }) },
] as const;

let recorder: RunRecorder;
const bus = new EventBus();
let anyImage: string | undefined;

beforeAll(async () => {
  // Another process may still be building the images: poll a little before deciding to skip.
  anyImage = await findLocalImage(Object.values(IMAGES), 30_000);
  recorder = await RunRecorder.start({ bus, root: process.env.PRODLIKE_RUNS_DIR ?? 'runs', id: 'calibration', title: 'Probe calibration (docker pause, 3.0 s)', provider: 'docker' });
});

afterAll(async () => {
  if (recorder && recorder.scenarios.length > 0) {
    const done = await recorder.finish();
    process.stdout.write(`\ncalibration report: ${done.html}\n${renderSummaryTable(done.run)}\n`);
  } else {
    recorder?.journal.close();
  }
});

describe('probe calibration against a real container (docker pause)', () => {
  for (const c of CASES) {
    it(`measures a ${OUTAGE_MS} ms pause of ${c.service} within ±${TOLERANCE_MS} ms`, async ({ skip, annotate }) => {
      if (!anyImage) skip(`neither ${IMAGES.redis} nor ${IMAGES.nginx} exists after waiting 30 s; build them with \`prodlike setup\` (fixtures/images/*/build.sh)`);
      if (!(await findLocalImage([c.image]))) skip(`${c.image} is not built yet; build it with fixtures/images/${c.service}/build.sh (prodlike setup)`);

      const docker = dockerClient();
      let svc: ServiceContainer | undefined;
      let events: NodeJS.ReadableStream | undefined;
      try {
        const scenarioStart = hrNow();
        svc = await startServiceContainer({ image: c.image, containerPort: c.containerPort, namePrefix: `prodlike-calibration-${c.service}` }, docker);
        const port = svc.port;
        const readiness = c.check(port);
        await waitFor(
          async () => {
            await readiness.run(AbortSignal.timeout(1000));
            return true;
          },
          { timeoutMs: 30_000, intervalMs: 200, description: `${c.service} in container ${svc.name} to answer on 127.0.0.1:${port}`, hint: `docker logs ${svc.name}` },
        );
        await readiness.close?.();

        // Provider events: Docker's own pause/unpause events for this container.
        const providerEvents: TimelineEvent[] = [];
        events = (await docker.getEvents({ filters: { container: [svc.id] } })) as NodeJS.ReadableStream;
        events.on('data', (chunk: Buffer) => {
          for (const line of chunk.toString().split('\n').filter(Boolean)) {
            const e = JSON.parse(line) as { Action?: string; timeNano?: number };
            const type = e.Action === 'pause' ? 'container.paused' : e.Action === 'unpause' ? 'container.unpaused' : undefined;
            if (type && e.timeNano) providerEvents.push({ at: e.timeNano / 1e6, type, source: 'provider', subject: c.service, detail: `docker event ${e.Action}` });
          }
        });

        const probe = new AvailabilityProbe(c.check(port), { name: `${c.service}-probe`, intervalMs: 100, timeoutMs: 500 }).start();
        const okCount = (after: number) => probe.attempts.filter((a) => a.ok && a.startedAt > after).length;
        await waitFor(async () => okCount(0) >= 15, { timeoutMs: 10_000, intervalMs: 50, description: 'a 1.5 s baseline of successful probe attempts' });

        const scenario = `calibration-${c.service}`;
        const paused = await svc.pause();
        bus.emit({ kind: 'fault.injected', scenario, fault: 'docker pause', target: svc.name });
        // setTimeout has millisecond granularity and may fire a fraction early: top up until 3.0 s have passed.
        for (let left = paused.after + OUTAGE_MS - hrNow(); left > 0; left = paused.after + OUTAGE_MS - hrNow()) await delay(Math.max(1, Math.ceil(left)));
        const unpaused = await svc.unpause();
        bus.emit({ kind: 'fault.healed', scenario, fault: 'docker unpause', target: svc.name });
        await waitFor(async () => okCount(unpaused.after) >= 20, { timeoutMs: 15_000, intervalMs: 50, description: `20 successful probe attempts after unpausing ${c.service}` });
        const record = await probe.stop();

        const known = unpaused.before - paused.after; // surely frozen for at least this long
        const upper = unpaused.after - paused.before; // and at most this long
        const summary = summarizeProbe(record, { faultAt: paused.before, sustainedSuccesses: 3 });
        expect(summary.outages, JSON.stringify(summary.outages)).toHaveLength(1);
        const measured = summary.outages[0]!.durationMs;
        const error = measured - known;
        await annotate(
          `${c.service}: pause ${OUTAGE_MS} ms target, known frozen ${known.toFixed(1)} ms (≤ ${upper.toFixed(1)} ms incl. API calls: pause ${(paused.after - paused.before).toFixed(1)} ms, unpause ${(unpaused.after - unpaused.before).toFixed(1)} ms); probe measured ${measured.toFixed(1)} ms (error ${error >= 0 ? '+' : ''}${error.toFixed(1)} ms, ${summary.outages[0]!.failedAttempts} failed attempts: ${summary.outages[0]!.errors.map((e) => `${e.error} ×${e.count}`).join('; ')}); report ${recorder.path}`,
        );

        await delay(200); // let the Docker event stream deliver
        const timeline = new Timeline(providerEvents);
        timeline.add({ at: scenarioStart, type: 'scenario.started', source: 'harness' });
        timeline.add({ at: paused.before, type: 'fault.injected', source: 'harness', subject: c.service, detail: 'docker pause (API call started)' });
        timeline.add({ at: paused.after, type: 'note', source: 'harness', subject: c.service, detail: 'docker pause API call returned' });
        timeline.add({ at: unpaused.before, type: 'fault.healed', source: 'harness', subject: c.service, detail: 'docker unpause (API call started)' });
        timeline.add({ at: unpaused.after, type: 'note', source: 'harness', subject: c.service, detail: 'docker unpause API call returned' });
        const verdict = evaluateTarget(
          {
            id: `calibration.${c.service}.outage-error`,
            metric: 'probe-error',
            component: `probe (${record.kind})`,
            unit: 'ms',
            maxValue: TOLERANCE_MS,
            source: { doc: '#8', section: 'Measurement primitives › Calibration', quote: 'stops a service for a known 3.0 s and checks the probe measures the outage within ±250 ms' },
          },
          { value: Math.abs(error), note: `measured ${measured.toFixed(1)} ms vs known ${known.toFixed(1)} ms` },
          { sourceLabel: 'issue #8 §Measurement primitives › Calibration' },
        );
        bus.emit({ kind: 'target.evaluated', scenario, target: verdict.targetId, measured: verdict.measured, limit: TOLERANCE_MS, unit: 'ms', verdict: verdict.verdict, source: verdict.source.label });
        recorder.addScenario(
          buildScenarioResult({
            id: scenario,
            title: `Calibration: ${c.service} paused for ${OUTAGE_MS / 1000} s`,
            suite: 'calibration',
            startedAt: scenarioStart,
            endedAt: hrNow(),
            timeline,
            probes: [{ record, faultAt: paused.before, analysis: { sustainedSuccesses: 3 } }],
            verdicts: [verdict],
            notes: [
              `Known frozen interval: ${known.toFixed(1)} ms (unpause call start − pause call end); at most ${upper.toFixed(1)} ms.`,
              `Probe measured ${measured.toFixed(1)} ms: error ${error.toFixed(1)} ms (tolerance ±${TOLERANCE_MS} ms).`,
            ],
          }),
        );

        expect(known).toBeGreaterThanOrEqual(OUTAGE_MS);
        expect(known - OUTAGE_MS).toBeLessThan(50);
        expect(Math.abs(error), `measured ${measured.toFixed(1)} ms vs known ${known.toFixed(1)} ms`).toBeLessThanOrEqual(TOLERANCE_MS);
        expect(verdict.verdict).toBe('pass');
      } finally {
        (events as unknown as { destroy?: () => void } | undefined)?.destroy?.();
        await svc?.remove();
      }
    });
  }
});
