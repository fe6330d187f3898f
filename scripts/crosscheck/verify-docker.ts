// One real run of the cross-check beside prodlike's probes on a docker environment (issue #14): Redis is
// SIGKILLed (`docker kill -s KILL`), started again 3 s later, and both measurements are compared.
//
//   npx tsx scripts/crosscheck/verify-docker.ts <env name> <entry port>
//
// The Redis probes of both sides use the container's own address (stable across `docker start`, unlike the
// dynamically published port). Writes runs/<id>-crosscheck-verify/ (results.json, report.html,
// crosscheck.ndjson, crosscheck.md). Only for a disposable environment: it kills its Redis.
import { join } from 'node:path';
import { execa } from 'execa';
import { waitFor } from '../../src/core/wait.ts';
import { AvailabilityProbe } from '../../src/measure/availability-probe.ts';
import { httpCheck, redisCheck } from '../../src/probe/index.ts';
import { hrNow } from '../../src/measure/clock.ts';
import { clientObservedRto } from '../../src/measure/outage.ts';
import { RunRecorder } from '../../src/report/run-recorder.ts';
import { buildScenarioResult } from '../../src/report/scenario-result.ts';
import { startCrossCheck } from './start.ts';

const [env, entryPort] = process.argv.slice(2);
if (!env || !entryPort) throw new Error('usage: verify-docker.ts <env name> <entry port>');
const container = `prodlike-${env}-redis-0`;
const docker = (args: string[]) => execa('docker', args, { timeout: 30_000 });
const inspect = async (format: string) => (await docker(['inspect', '-f', format, container])).stdout.trim();
const ip = await inspect('{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}');
const password = (await inspect('{{range .Config.Env}}{{println .}}{{end}}')).split('\n').find((l) => l.startsWith('REDIS_PASSWORD='))?.slice('REDIS_PASSWORD='.length) ?? '';
const entryUrl = `http://127.0.0.1:${entryPort}/api/health/ready`;
const redisUrl = `redis://:${password}@${ip}:6379`;

const recorder = await RunRecorder.start({ id: 'crosscheck-verify', title: `Cross-check verification on ${env} (docker)`, provider: 'docker', environment: env, secrets: [password] });
const outFile = join(recorder.path, 'crosscheck.ndjson');
const cross = await startCrossCheck({ outFile, targets: [{ name: 'entry', kind: 'http', url: entryUrl, probe: 'entry', expectStatus: 200 }, { name: 'redis', kind: 'redis', url: redisUrl, probe: 'redis' }] });
const scenarioStart = hrNow();
const entry = new AvailabilityProbe(httpCheck(entryUrl), { name: 'entry', intervalMs: 100, timeoutMs: 1000 }).start();
const redis = new AvailabilityProbe(redisCheck(redisUrl), { name: 'redis', intervalMs: 100, timeoutMs: 1000 }).start();
const oks = (p: AvailabilityProbe, after: number) => p.attempts.filter((a) => a.ok && a.startedAt > after).length;
await waitFor(async () => oks(entry, 0) >= 30 && oks(redis, 0) >= 30, { timeoutMs: 30_000, description: '3 s of successful baseline attempts' });

const killedAt = hrNow();
await docker(['kill', '-s', 'KILL', container]);
await waitFor(async () => redis.attempts.filter((a) => !a.ok && a.startedAt > killedAt).length >= 30, { timeoutMs: 30_000, description: '3 s of failed Redis attempts' });
const startedAt = hrNow();
await docker(['start', container]);
await waitFor(async () => !clientObservedRto(entry.attempts, killedAt).lowerBound && !clientObservedRto(redis.attempts, killedAt).lowerBound, { timeoutMs: 120_000, intervalMs: 200, description: 'entry and Redis to recover for 2 s' });
const [entryRecord, redisRecord] = await Promise.all([entry.stop(), redis.stop()]);
await cross.stop();
recorder.addScenario(
  buildScenarioResult({
    id: 'redis-kill-crosscheck',
    title: 'Redis SIGKILLed and started again (cross-check verification)',
    suite: 'crosscheck',
    startedAt: scenarioStart,
    endedAt: hrNow(),
    timeline: [
      { at: killedAt, type: 'fault.injected', source: 'harness', subject: 'redis', detail: 'docker kill -s KILL' },
      { at: startedAt, type: 'fault.healed', source: 'harness', subject: 'redis', detail: 'docker start' },
    ],
    probes: [
      { record: entryRecord, faultAt: killedAt },
      { record: redisRecord, faultAt: killedAt },
    ],
    notes: [`Cross-check NDJSON: ${outFile}. Redis probed at the container address ${ip}:6379 by both sides.`],
  }),
);
const done = await recorder.finish();
console.log(`run: ${recorder.path}\nreport: ${done.html}`);
const compare = await execa(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'compare.ts'), recorder.path, outFile], { reject: false, timeout: 60_000 });
console.log(compare.stdout, compare.stderr);
process.exit(compare.exitCode ?? 2);
