import { writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { resolveFrom } from '../../config/load-config.ts';
import { loadTargets, selectProfile } from '../../config/load-targets.ts';
import { formatDuration } from '../../core/duration.ts';
import { EXIT_CODES } from '../../core/errors.ts';
import { UsageError } from '../../core/errors.ts';
import { attachEnvironment } from '../../load/environment.ts';
import { distributedContext, runDistributedLoad, type DistributedLoadResult } from '../../load/distributed-load.ts';
import { inClusterContext, inClusterEntry, runLoadInCluster } from '../../load/k6-job.ts';
import { findK6 } from '../../load/k6.ts';
import { QueueSampler } from '../../load/queue-sampler.ts';
import { formatValue, resultTable } from '../../load/results.ts';
import { queueTargets, runLoad } from '../../load/runner.ts';
import { runSaturationSearch } from '../../load/saturation.ts';
import { LOAD_PROFILES, LOAD_SCRIPTS, resolveScript, resolveShape, type LoadProfileName } from '../../load/scripts.ts';
import { createRunDirectory } from '../../report/run-directory.ts';
import { lockEnvironment } from '../../safety/env-lock.ts';
import { act, type CliContext } from '../context.ts';
import { positiveNumber } from '../context.ts';
import { table } from '../render.ts';

/** `prodlike load`. */
export function registerLoad(program: Command, ctx: CliContext): void {
  program
    .command('load')
    .description('Run a k6 load test (loadtests/) against the running environment, with thresholds generated from '
      + 'the target profiles (never written in the scripts). Prints metric · target (source doc) · measured · '
      + 'verdict and writes the k6 summary JSON under runs/<timestamp>-load/. Exit 1 when a target is missed '
      + '(k6 thresholds crossed, or the Redis queue over its backlog alert), 3 when k6 could not run.')
    .argument('<script>', `k6 script: ${Object.keys(LOAD_SCRIPTS).join(', ')}`)
    .addOption(new Option('--profile <profile>', 'load profile').choices(LOAD_PROFILES).default('ci'))
    .option('--vus <n>', 'pre-allocated VUs (arrival-rate scripts) or VUs (api-smoke)', positiveNumber)
    .option('--duration <duration>', 'arrival window / test duration, e.g. 60s, 5m')
    .option('--rate <n>', 'arrival rate, iterations per second', positiveNumber)
    .option('--targets <profiles>', 'target profiles to check, comma-separated (default per script, e.g. performance,execution)')
    .option('--saturate', 'execution-load only: step the arrival rate up (2, 4, 8, 16… /s, 20 s steps, at most ~3 min) and report the highest rate that met every target')
    .option('--in-cluster', 'kind only: run k6 as a Kubernetes Job inside the cluster against the frontend Service (measures the in-cluster path, not the host port mapping)')
    .option('--parallelism <n>', 'kind only: run the script as a k6 operator TestRun with N runners sharing the load (execution segments) against the frontend Service; the runners\' raw samples are merged and the targets judged once. Installs the k6 operator add-on on first use', positiveInteger)
    .action(act(ctx, async (scriptRef: string, opts: { profile: LoadProfileName; vus?: number; duration?: string; rate?: number; targets?: string; saturate?: boolean; inCluster?: boolean; parallelism?: number }) => {
      const loaded = await ctx.load();
      await using _lock = await lockEnvironment(loaded, 'load', ctx);
      const script = resolveScript(scriptRef);
      if (opts.saturate && !script.drivesQueue) throw new UsageError(`--saturate needs a script that submits executions (execution-load), not ${script.name}.`);
      if (opts.saturate && opts.inCluster) throw new UsageError('--saturate runs k6 on this host; it cannot be combined with --in-cluster.');
      if (opts.parallelism !== undefined && (opts.saturate || opts.inCluster)) throw new UsageError(`--parallelism runs k6 through the k6 operator; it cannot be combined with --${opts.saturate ? 'saturate' : 'in-cluster'}.`);
      if (opts.parallelism !== undefined && script.drivesQueue) throw new UsageError(`--parallelism merges HTTP samples; ${script.name} is judged on its queue and execution metrics too.`, { hint: 'Use read-heavy, api-smoke or hpa-drive, or drop --parallelism.' });
      const shape = resolveShape(script, opts.profile, { vus: opts.vus, duration: opts.duration, rate: opts.rate });
      const targetsFile = await loadTargets(resolveFrom(loaded, loaded.config.targets.file));
      const names = (opts.targets ?? script.defaultTargets.join(',')).split(',').map((n) => n.trim()).filter(Boolean);
      const targets = names.map((n) => selectProfile(targetsFile, n, loaded.config.targets.file));
      const k6 = opts.inCluster || opts.parallelism !== undefined ? undefined : await findK6();
      const environment = await attachEnvironment(loaded, ctx.bus);
      const dir = await createRunDirectory({ root: resolveFrom(loaded, 'runs'), id: opts.saturate ? 'saturation' : 'load' });
      const sampler = script.drivesQueue && environment.redis ? new QueueSampler(environment.redis, { limit: queueTargets(targets)[0]?.limit }) : undefined;
      const common = { script, targets, baseUrl: environment.baseUrl, outDir: dir.path, bus: ctx.bus, signal: ctx.abort.signal, queue: sampler, queueSkipped: environment.redisSkipped, k6 };
      try {
        if (sampler) await sampler.connect();
        if (opts.saturate) {
          const result = await runSaturationSearch({ ...common, ...(opts.duration ? { stepDuration: opts.duration } : {}) });
          await writeFile(join(dir.path, 'saturation.json'), `${JSON.stringify(result, null, 2)}\n`);
          ctx.renderer.close();
          if (ctx.json) ctx.stdout(JSON.stringify({ runDirectory: dir.path, ...result }, null, 2));
          else {
            ctx.stdout(table(['rate', 'submit p95', 'status p95', 'success', 'queue peak', 'queue trend', 'e2e p95', 'done/min', 'load avg', 'verdict'], result.steps.map((s) => [
              `${s.rate}/s`, formatValue(s.submitP95Ms, 'ms'), formatValue(s.statusP95Ms, 'ms'), s.successRate === undefined ? '-' : formatValue(s.successRate * 100, '%'),
              String(s.queuePeak ?? '-'), s.queueSlopePerSecond === undefined ? '-' : `${s.queueSlopePerSecond >= 0 ? '+' : ''}${s.queueSlopePerSecond.toFixed(2)}/s`,
              formatValue(s.endToEndP95Ms, 'ms'), formatValue(s.throughputPerMinute, '/min'), s.loadAverage?.toFixed(1) ?? '-', s.passed ? '✔ held' : `✖ ${s.broken.join('; ')}`,
            ])));
            ctx.stdout(result.highestPassingRate === null
              ? `\nsaturation: even ${result.lowestFailingRate}/s broke a target on this machine (${result.stoppedBecause}).`
              : `\nsaturation: highest sustained rate ${result.highestPassingRate} executions/s${result.lowestFailingRate === null ? ` (no tried rate broke a target; stopped: ${result.stoppedBecause})` : `; ${result.lowestFailingRate}/s broke a target`} — in ${formatDuration(result.elapsedMs)}, load average ${loadavg()[0]!.toFixed(1)} (${availableParallelism()} CPUs).`);
            ctx.stdout(`results: ${dir.path}`);
          }
          return EXIT_CODES.ok;
        }
        const result = opts.parallelism !== undefined
          ? await runDistributedLoad({ ...common, ...(await distributedContext(environment.provider, loaded.baseDir, loaded.config.name)), envName: loaded.config.name, baseUrl: inClusterEntry(loaded.config), loadProfile: opts.profile, shape, parallelism: opts.parallelism })
          : opts.inCluster
          ? await runLoadInCluster({ ...common, ...(await inClusterContext(environment.provider, loaded.baseDir, loaded.config.name)), envName: loaded.config.name, baseUrl: inClusterEntry(loaded.config), loadProfile: opts.profile, shape })
          : await runLoad({ ...common, loadProfile: opts.profile, shape });
        ctx.renderer.close();
        if (ctx.json) {
          ctx.stdout(JSON.stringify({ runDirectory: dir.path, ...result, queue: result.queue ? { ...result.queue, samples: undefined } : undefined, error: result.error?.toJSON() }, null, 2));
          return result.error ? result.error.exitCode : EXIT_CODES.ok;
        }
        if ('runners' in result) ctx.stdout(`\n${runnerTable(result as DistributedLoadResult)}`);
        const view = resultTable(result.rows);
        ctx.stdout(`\n${table(view.headers, view.cells)}`);
        ctx.stdout(`\nsources:\n  ${view.footnotes.join('\n  ')}`);
        for (const u of result.plan.unmapped.filter((x) => !x.measuredBy)) ctx.stdout(`  not a k6 threshold: ${u.targetId} (${u.profile}): ${u.reason}`);
        ctx.stdout(`\n${script.name} · ${opts.profile} · ${shape.rate !== undefined ? `${shape.rate}/s` : `${shape.vus} VUs`} for ${shape.duration} · ${result.baseUrl}${opts.inCluster ? ' (k6 as a Job in the cluster)' : ''}${opts.parallelism !== undefined ? ` (k6 operator TestRun, ${opts.parallelism} runners, judged on the merged samples)` : ''} · load average ${loadavg()[0]!.toFixed(1)} (${availableParallelism()} CPUs)`);
        ctx.stdout(`results: ${dir.path} (k6-summary.json, result.json${result.files.queue ? ', queue-samples.json' : ''})`);
        if (result.error) throw result.error;
        ctx.stdout('all targets met');
        return EXIT_CODES.ok;
      } finally {
        await sampler?.close();
      }
    }));
}

/** One row per runner and the merged row: what each runner saw alone, and what the targets are judged on. */
function runnerTable(result: DistributedLoadResult): string {
  const row = (label: string, n: DistributedLoadResult['merged'], extra: string) => [label, String(n.requests), formatValue(n.ratePerSecond, 'req/s'), formatValue(n.p95Ms, 'ms'), n.errorRate === undefined ? '-' : formatValue(n.errorRate * 100, '%'), extra];
  return table(['runner', 'requests', 'rate', 'p95 (all requests)', 'error rate', 'pod (node)'], [
    ...result.runners.map((r) => row(`${r.index} of ${result.parallelism}`, r.numbers, `${r.pod} (${r.node ?? '?'})`)),
    row('merged (judged)', result.merged, `TestRun ${result.testRun}`),
  ]);
}

/** commander parser for --parallelism: a whole number of runners, 1..20. */
function positiveInteger(value: string): number {
  const n = positiveNumber(value);
  if (!Number.isInteger(n) || n > 20) throw new UsageError(`--parallelism "${value}": a whole number of runners from 1 to 20.`);
  return n;
}
