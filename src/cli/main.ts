import { Command, CommanderError, Option } from 'commander';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parseAllocatable, runCheck } from '../check/check.ts';
import { formatTable, toSarif } from '../check/format.ts';
import { loadConfig, resolveFrom, type LoadedConfig } from '../config/load-config.ts';
import { loadTargets, selectProfile } from '../config/load-targets.ts';
import { configSchema, IMAGE_SOURCES, PROVIDERS, type ImageSource, type ProviderName } from '../config/schema.ts';
import { targetsFileSchema } from '../config/targets-schema.ts';
import { runDoctor } from '../doctor/doctor.ts';
import { EXIT_CODES, ProdlikeError, toProdlikeError, type ExitCode } from '../core/errors.ts';
import { EventBus } from '../core/events.ts';
import { PACKAGE_ROOT, PACKAGE_VERSION } from '../core/paths.ts';
import { runSetup } from '../setup/setup.ts';
import { compareRuns, renderComparison } from '../report/compare-runs.ts';
import { readRunResults, rerenderRun } from '../report/report-writer.ts';
import { resolveRunDirectory } from '../report/run-directory.ts';
import { runOutcome } from '../report/run-outcome.ts';
import { renderSummaryTable } from '../report/summary-table.ts';
import { runScenarios, SUITES } from './run-scenarios.ts';
import { lockEnvironment } from '../safety/env-lock.ts';
import { FaultJournal, heldByLiveProcess, replayFaultJournal } from '../safety/fault-journal.ts';
import { ALLOW_FOREIGN_FLAG, allowForeignTargetFrom, allowForeignTargetOption } from '../safety/ownership.ts';
import { runGc } from '../safety/gc.ts';
import { createProvider } from '../providers/create-provider.ts';
import { EnvironmentStore } from '../providers/environment-state.ts';
import type { EnvironmentStatus } from '../providers/provider.ts';
import { formatDuration } from '../core/duration.ts';
import { clusterStatusText, ProgressRenderer, stepTable, table } from './render.ts';
import { availableParallelism, loadavg } from 'node:os';
import { UsageError } from '../core/errors.ts';
import { createRunDirectory } from '../report/run-directory.ts';
import { attachEnvironment } from '../load/environment.ts';
import { findK6 } from '../load/k6.ts';
import { IN_CLUSTER_ENTRY, inClusterContext, runLoadInCluster } from '../load/k6-job.ts';
import { QueueSampler } from '../load/queue-sampler.ts';
import { formatValue, resultTable } from '../load/results.ts';
import { queueTargets, runLoad } from '../load/runner.ts';
import { runSaturationSearch } from '../load/saturation.ts';
import { LOAD_PROFILES, LOAD_SCRIPTS, resolveScript, resolveShape, type LoadProfileName } from '../load/scripts.ts';

/** commander parser for --vus/--rate. */
function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`"${value}" is not a positive number.`);
  return n;
}

interface GlobalOptions {
  config?: string;
  json?: boolean;
}

interface Context {
  bus: EventBus;
  renderer: ProgressRenderer;
  json: boolean;
  stdout: (text: string) => void;
  load: (overrides?: { provider?: ProviderName; imageSource?: ImageSource; profile?: string }) => Promise<LoadedConfig>;
  exitCode: ExitCode;
  /** Aborted on Ctrl-C/SIGTERM: long steps stop and clean up. */
  abort: AbortController;
}

const HELP_FOOTER = `
Exit codes: 0 all targets met · 1 a documented target was missed · 2 usage or config error ·
            3 environment/infrastructure error (the harness could not run) · 70 internal bug
Config: prodlike.yaml in the current directory (or --config). Targets and their source documents:
        fixtures/targets.yaml. Docs: README.md.`;

/** Builds the program. Exported for tests (exitOverride, captured output). */
export function buildProgram(ctx: Context): Command {
  const program = new Command('prodlike')
    .description('Boot the documented production architecture locally (kind or docker) and check its RTO/RPO/p95 promises with real measurements.')
    .version(PACKAGE_VERSION, '-V, --version')
    .option('-c, --config <file>', 'config file (default: ./prodlike.yaml)')
    .option('--json', 'print machine-readable JSON on stdout instead of tables')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText('after', HELP_FOOTER);
  const act = <A extends unknown[]>(fn: (...args: A) => Promise<ExitCode>) => async (...args: A): Promise<void> => {
    ctx.exitCode = await fn(...args);
  };

  program
    .command('setup')
    .description('Get this host ready: container engine (installs Debian docker.io and starts dockerd when root), '
      + 'the privileged-container runtime fix where the capability bounding set needs it, tools, and images: '
      + 'official images online, or equivalents built locally offline (debootstrap + Go). Idempotent: cached '
      + 'artifacts are stamped and skipped; a second run builds nothing.')
    .option('--kind', 'also build/verify the kind node image and cluster add-on images (cold: 45-90 min)')
    .addOption(new Option('--image-source <source>', 'override imageSource from the config').choices(IMAGE_SOURCES))
    .option('--no-smoke', 'skip the smoke checks of the images')
    .action(act(async (opts: { kind?: boolean; imageSource?: ImageSource; smoke: boolean }) => {
      const loaded = await ctx.load(opts.imageSource ? { imageSource: opts.imageSource } : {});
      const result = await runSetup({ config: loaded.config, bus: ctx.bus, kind: Boolean(opts.kind), smoke: opts.smoke, signal: ctx.abort.signal });
      ctx.renderer.close();
      if (ctx.json) ctx.stdout(JSON.stringify(result, null, 2));
      else ctx.stdout(`\n${stepTable(ctx.renderer.rows)}\n\n${result.summary}`);
      return result.ok ? EXIT_CODES.ok : EXIT_CODES.environment;
    }));

  program
    .command('doctor')
    .description('Check this host for everything the chosen provider needs (engine, privileged containers, kind, '
      + 'kubectl, k6, go, disk, ports, images) and say how to fix what is missing. Exit 0 only when the '
      + 'provider can run.')
    .addOption(new Option('-p, --provider <provider>', 'provider to check for').choices(PROVIDERS))
    .action(act(async (opts: { provider?: ProviderName }) => {
      const loaded = await ctx.load(opts.provider ? { provider: opts.provider } : {});
      const report = await runDoctor({ config: loaded.config });
      if (ctx.json) ctx.stdout(JSON.stringify(report, null, 2));
      else {
        const rows = report.checks.map((c) => [c.status === 'ok' ? '✔' : c.status === 'fail' ? '✖' : c.status === 'warn' ? '⚠' : 'ℹ', c.title, c.detail, c.status === 'ok' ? '' : c.hint ?? '']);
        ctx.stdout(table(['', 'check', 'detail', 'fix'], rows));
        ctx.stdout(`\nprovider ${report.provider}: ${report.ready ? 'ready' : 'NOT ready (fix the ✖ rows above)'}`);
      }
      return report.ready ? EXIT_CODES.ok : EXIT_CODES.environment;
    }));


  program
    .command('up')
    .description('Create the environment and wait until every workload is ready, then print where to reach it. '
      + 'kind: a cluster (1 control plane + 2 workers), add-ons (metrics-server, ingress path), the manifests '
      + 'applied with server-side apply. docker: the same topology as labelled containers. Idempotent: a '
      + 'healthy environment is left as it is; Ctrl-C during up removes what it created.')
    .addOption(new Option('-p, --provider <provider>', 'override provider from the config').choices(PROVIDERS))
    .action(act(async (opts: { provider?: ProviderName }) => {
      const loaded = await ctx.load(opts.provider ? { provider: opts.provider } : {});
      await using _lock = await lockEnvironment(loaded, 'up', ctx);
      const started = performance.now();
      let provider = await createProvider({ loaded, bus: ctx.bus }, opts.provider);
      // Faults an interrupted scenario could not heal (still in .prodlike/<env>/faults.json) are healed first.
      await replayFaultJournal(FaultJournal.forEnvironment(loaded.baseDir, loaded.config.name), async () => provider, ctx.bus).catch(() => undefined);
      let result;
      try {
        result = await provider.create({ signal: ctx.abort.signal });
      } catch (error) {
        // A newcomer's first `up`: no engine or no images yet. Run setup (idempotent), then try again once.
        if (!(error instanceof ProdlikeError) || !['IMAGE_MISSING', 'DOCKER_UNAVAILABLE'].includes(error.code)) throw error;
        ctx.bus.emit({ kind: 'log', level: 'info', message: `${error.message} Running \`prodlike setup\` first.` });
        const setup = await runSetup({ config: loaded.config, bus: ctx.bus, kind: provider.name === 'kind', smoke: false, signal: ctx.abort.signal });
        if (!setup.ok) throw error;
        provider = await createProvider({ loaded, bus: ctx.bus }, opts.provider);
        result = await provider.create({ signal: ctx.abort.signal });
      }
      // What could not be healed before (e.g. the container was gone) is retried on the environment now up.
      await replayFaultJournal(FaultJournal.forEnvironment(loaded.baseDir, loaded.config.name), async () => provider, ctx.bus).catch(() => undefined);
      ctx.renderer.close();
      const took = formatDuration(performance.now() - started);
      if (ctx.json) ctx.stdout(JSON.stringify({ ...result, durationMs: performance.now() - started }, null, 2));
      else {
        ctx.stdout(`\n${statusTable(result.status)}`);
        ctx.stdout(result.outcome === 'unchanged'
          ? `\nenvironment "${result.status.env}" (${provider.name}) is already up and healthy: nothing to do (${took})`
          : `\nenvironment "${result.status.env}" (${provider.name}) ${result.outcome} and healthy in ${took}`);
        ctx.stdout(`entry point: ${result.status.entry}/ (frontend) and ${result.status.entry}/api (backend)`);
      }
      return EXIT_CODES.ok;
    }));

  program
    .command('down')
    .description('Remove exactly what `up` created for this environment (labelled containers, networks, volumes, '
      + 'or the kind cluster). Idempotent: nothing to remove is not an error.')
    .addOption(new Option('-p, --provider <provider>', 'override provider from the config').choices(PROVIDERS))
    .option('--keep-data', 'keep data volumes (docker provider)')
    .addOption(allowForeignTargetOption())
    .action(act(async (opts: { provider?: ProviderName; keepData?: boolean; iKnowThisIsNotAProdlikeCluster?: boolean }) => {
      const loaded = await ctx.load(opts.provider ? { provider: opts.provider } : {});
      await using _lock = await lockEnvironment(loaded, 'down', ctx);
      const provider = await createProvider({ loaded, bus: ctx.bus, allowForeignTarget: allowForeignTargetFrom(opts) }, opts.provider);
      const started = performance.now();
      const { removed } = await provider.destroy({ keepData: Boolean(opts.keepData) });
      const took = formatDuration(performance.now() - started);
      if (ctx.json) ctx.stdout(JSON.stringify({ removed, durationMs: performance.now() - started }, null, 2));
      else ctx.stdout(removed.length ? `removed ${removed.length} resources in ${took}:\n  ${removed.join('\n  ')}` : `nothing to remove for environment "${loaded.config.name}" (${provider.name})`);
      return EXIT_CODES.ok;
    }));

  program
    .command('status')
    .description('Show the environment: workloads and their health, replicas, endpoints (kind: nodes, HPA current/target, PVCs).')
    .addOption(new Option('-p, --provider <provider>', 'override provider from the config').choices(PROVIDERS))
    .option('--show-secrets', 'also print the generated passwords and keys')
    .action(act(async (opts: { provider?: ProviderName; showSecrets?: boolean }) => {
      const loaded = await ctx.load(opts.provider ? { provider: opts.provider } : {});
      const provider = await createProvider({ loaded, bus: ctx.bus }, opts.provider);
      const status = await provider.status();
      const secrets = opts.showSecrets ? await new EnvironmentStore(loaded.baseDir, loaded.config.name).secrets() : undefined;
      const pendingFaults = (await FaultJournal.forEnvironment(loaded.baseDir, loaded.config.name).pending()).map((f) => ({ undo: f.description, scenario: f.scenario, since: f.since, pid: f.pid, running: heldByLiveProcess(f) }));
      if (!ctx.json) {
        for (const f of pendingFaults) {
          ctx.stdout(f.running
            ? `⚠ fault held by a running scenario: ${f.scenario} (pid ${f.pid}) will ${f.undo} when it ends`
            : `⚠ fault left by an interrupted scenario (${f.scenario}, pid ${f.pid} is gone) since ${f.since}: not healed yet (${f.undo}); \`prodlike up\` or the next \`prodlike run\` heals it`);
        }
      }
      if (ctx.json) ctx.stdout(JSON.stringify({ ...status, ...(pendingFaults.length ? { pendingFaults } : {}), ...(secrets ? { secrets } : {}) }, null, 2));
      else if (!status.exists) ctx.stdout(`environment "${status.env}" (${status.provider}) is not up. Start it with \`npx prodlike up --provider ${status.provider}\`.`);
      else {
        ctx.stdout(statusTable(status));
        if (status.cluster) ctx.stdout(`\n${clusterStatusText(status.cluster)}`);
        ctx.stdout(`\n${status.healthy ? 'healthy' : 'NOT healthy'} · entry point ${status.entry}/`);
        if (secrets) ctx.stdout(`\nsecrets (keep them private):\n${Object.entries(secrets).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
      }
      return status.exists && status.healthy ? EXIT_CODES.ok : EXIT_CODES.environment;
    }));

  program
    .command('run')
    .description('Run scenario suites (failover, backup-restore, hpa, execution-load) against the environment and '
      + 'report every measured RTO/RPO/p95 next to its documented target (runs/<id>/: results.json, junit.xml, '
      + 'report.html, journal.ndjson). Exit 1 if a target is missed, 3 if a suite could not run.')
    .argument('<suite...>', `suites: ${SUITES.join(', ')}`)
    .option('--profile <name>', 'target profile (onprem, platform, performance, execution)')
    .addOption(new Option('-p, --provider <provider>', 'override provider from the config').choices(PROVIDERS))
    .option('--down', 'remove the environment after the run')
    .addOption(allowForeignTargetOption())
    .action(act(async (suites: string[], opts: { profile?: string; provider?: ProviderName; down?: boolean; iKnowThisIsNotAProdlikeCluster?: boolean }) => {
      const loaded = await ctx.load({ ...(opts.provider ? { provider: opts.provider } : {}), ...(opts.profile ? { profile: opts.profile } : {}) });
      await using _lock = await lockEnvironment(loaded, 'run', ctx);
      const allowForeignTarget = allowForeignTargetFrom(opts);
      if (allowForeignTarget) ctx.bus.emit({ kind: 'log', level: 'warn', source: 'safety.ownership', message: `${ALLOW_FOREIGN_FLAG}: the ownership guard records refusals instead of stopping (noted in the report)` });
      // Faults a suite could not heal itself (killed, interrupted) are healed from the journal afterwards.
      const healLeftovers = () => replayFaultJournal(FaultJournal.forEnvironment(loaded.baseDir, loaded.config.name), () => createProvider({ loaded, bus: ctx.bus, allowForeignTarget }, loaded.config.provider), ctx.bus);
      let ran;
      try {
        ran = await runScenarios({ loaded, suites, provider: loaded.config.provider, profile: loaded.config.targets.profile, signal: ctx.abort.signal, keepEnvironment: !opts.down, allowForeignTarget });
      } finally {
        await healLeftovers();
      }
      const { dir, results } = ran;
      const outcome = runOutcome(results);
      if (ctx.json) ctx.stdout(JSON.stringify({ dir, outcome, results }, null, 2));
      else ctx.stdout(`\n${renderSummaryTable(results)}\n\nreport: ${join(dir, 'report.html')}`);
      ctx.abort.signal.throwIfAborted(); // Ctrl-C: the report of what ran is written; the exit says interrupted
      return outcome.exitCode;
    }));
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
    .action(act(async (scriptRef: string, opts: { profile: LoadProfileName; vus?: number; duration?: string; rate?: number; targets?: string; saturate?: boolean; inCluster?: boolean }) => {
      const loaded = await ctx.load();
      await using _lock = await lockEnvironment(loaded, 'load', ctx);
      const script = resolveScript(scriptRef);
      if (opts.saturate && !script.drivesQueue) throw new UsageError(`--saturate needs a script that submits executions (execution-load), not ${script.name}.`);
      if (opts.saturate && opts.inCluster) throw new UsageError('--saturate runs k6 on this host; it cannot be combined with --in-cluster.');
      const shape = resolveShape(script, opts.profile, { vus: opts.vus, duration: opts.duration, rate: opts.rate });
      const targetsFile = await loadTargets(resolveFrom(loaded, loaded.config.targets.file));
      const names = (opts.targets ?? script.defaultTargets.join(',')).split(',').map((n) => n.trim()).filter(Boolean);
      const targets = names.map((n) => selectProfile(targetsFile, n, loaded.config.targets.file));
      const k6 = opts.inCluster ? undefined : await findK6();
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
        const result = opts.inCluster
          ? await runLoadInCluster({ ...common, ...(await inClusterContext(environment.provider, loaded.baseDir, loaded.config.name)), envName: loaded.config.name, baseUrl: IN_CLUSTER_ENTRY, loadProfile: opts.profile, shape })
          : await runLoad({ ...common, loadProfile: opts.profile, shape });
        ctx.renderer.close();
        if (ctx.json) {
          ctx.stdout(JSON.stringify({ runDirectory: dir.path, ...result, queue: result.queue ? { ...result.queue, samples: undefined } : undefined, error: result.error?.toJSON() }, null, 2));
          return result.error ? result.error.exitCode : EXIT_CODES.ok;
        }
        const view = resultTable(result.rows);
        ctx.stdout(`\n${table(view.headers, view.cells)}`);
        ctx.stdout(`\nsources:\n  ${view.footnotes.join('\n  ')}`);
        for (const u of result.plan.unmapped.filter((x) => !x.measuredBy)) ctx.stdout(`  not a k6 threshold: ${u.targetId} (${u.profile}): ${u.reason}`);
        ctx.stdout(`\n${script.name} · ${opts.profile} · ${shape.rate !== undefined ? `${shape.rate}/s` : `${shape.vus} VUs`} for ${shape.duration} · ${result.baseUrl}${opts.inCluster ? ' (k6 as a Job in the cluster)' : ''} · load average ${loadavg()[0]!.toFixed(1)} (${availableParallelism()} CPUs)`);
        ctx.stdout(`results: ${dir.path} (k6-summary.json, result.json${result.files.queue ? ', queue-samples.json' : ''})`);
        if (result.error) throw result.error;
        ctx.stdout('all targets met');
        return EXIT_CODES.ok;
      } finally {
        await sampler?.close();
      }
    }));

  program
    .command('check')
    .description('Statically check the rendered manifests against the documented targets (PDB vs HPA, probe '
      + 'timing vs RTO, backup schedule vs RPO, HPA speed vs "scale within", network policies…). No cluster needed.')
    .argument('[kustomize-dir]', 'manifests to check: a kustomize directory, a directory of YAML or a file (default: manifests in the config)')
    .option('--profile <name>', 'target profile (default: targets.profile in the config)')
    .addOption(new Option('--format <format>', 'output format (JSON documented in docs/check.md; --json = --format json)').choices(['table', 'json', 'sarif']).default('table'))
    .option('--allocatable <resources>', 'cluster allocatable to check requests against, e.g. cpu=4,memory=16Gi (default: kind on this host, cpu=2,memory=24Gi)')
    .option('--loadtests <dir>', 'k6 scripts whose thresholds are compared with the SLO (default: loadtests/)')
    .action(act(async (dir: string | undefined, opts: { profile?: string; format: 'table' | 'json' | 'sarif'; allocatable?: string; loadtests?: string }) => {
      const loaded = await ctx.load(opts.profile ? { profile: opts.profile } : {});
      const { config } = loaded;
      const selected = selectProfile(await loadTargets(resolveFrom(loaded, config.targets.file)), config.targets.profile, config.targets.file);
      const report = await runCheck({
        manifestsPath: dir ?? resolveFrom(loaded, config.manifests),
        selected,
        config,
        baseDir: loaded.baseDir,
        ...(opts.allocatable ? { allocatable: parseAllocatable(opts.allocatable) } : {}),
        ...(opts.loadtests ? { loadtestsDir: opts.loadtests } : {}),
        signal: ctx.abort.signal,
      });
      const format = ctx.json && opts.format === 'table' ? 'json' : opts.format;
      if (format === 'json') ctx.stdout(JSON.stringify(report, null, 2));
      else if (format === 'sarif') ctx.stdout(JSON.stringify(toSarif(report), null, 2));
      else ctx.stdout(formatTable(report));
      return report.summary.exitCode === 1 ? EXIT_CODES.targetMissed : EXIT_CODES.ok;
    }));

  program
    .command('report')
    .description('Re-render a past run (runs/<id>/) as a table and report.html, or compare two runs for RTO/RPO/p95 regressions.')
    .argument('[run]', 'run folder, id or unique part of it (default: the latest)')
    .option('--compare <runs...>', 'compare two runs: A B')
    .action(act(async (run: string | undefined, opts: { compare?: string[] }) => {
      const root = join(process.cwd(), 'runs');
      if (opts.compare) {
        if (opts.compare.length !== 2) throw new UsageError('--compare takes exactly two runs: A B.');
        const [a, b] = await Promise.all(opts.compare.map(async (r) => readRunResults(await resolveRunDirectory(r, root))));
        const comparison = compareRuns(a!, b!);
        if (ctx.json) ctx.stdout(JSON.stringify(comparison, null, 2));
        else ctx.stdout(renderComparison(comparison));
        return comparison.changes.some((c) => c.kind === 'regression') ? EXIT_CODES.targetMissed : EXIT_CODES.ok;
      }
      const dir = await resolveRunDirectory(run, root);
      const { run: results, html } = await rerenderRun(dir);
      if (ctx.json) ctx.stdout(JSON.stringify(results, null, 2));
      else ctx.stdout(`${renderSummaryTable(results)}\n\nreport: ${html}`);
      return runOutcome(results).exitCode;
    }));
  program
    .command('gc')
    .description('Remove leftovers of this project: every docker container/network/volume labelled io.prodlike.managed=true '
      + 'and io.prodlike.project=<this directory>, and every kind cluster prodlike* recorded as created from here, '
      + 'whose environment has no state in ./.prodlike/<env>/ (state.json, or a running command\'s lock). Another '
      + 'project\'s resources are never touched; resources with no project record only with --env. Unlabelled '
      + 'resources are never touched.')
    .option('--dry-run', 'list what would be removed; remove nothing')
    .option('--env <names...>', 'only resources of these environments')
    .action(act(async (opts: { dryRun?: boolean; env?: string[] }) => {
      const loaded = await ctx.load();
      const result = await runGc({ projectDir: loaded.baseDir, dryRun: Boolean(opts.dryRun), envs: opts.env });
      const rows = result.garbage.map((g) => [g.kind, g.name, g.env ?? '-', opts.dryRun ? 'would remove' : result.failed.find((f) => f.id === g.id)?.error ?? 'removed', g.reason]);
      if (ctx.json) ctx.stdout(JSON.stringify({ ...result, dryRun: Boolean(opts.dryRun) }, null, 2));
      else {
        ctx.stdout(`environments with state in ${join(result.projectDir, '.prodlike')}: ${result.alive.join(', ') || '(none)'}`);
        ctx.stdout(rows.length ? table(['kind', 'name', 'env', 'result', 'why'], rows) : 'nothing to collect: every labelled resource belongs to an environment with state');
        if (!opts.dryRun && rows.length) ctx.stdout(`removed ${result.removed.length}, failed ${result.failed.length}`);
        if (result.skipped.length) ctx.stdout(`left alone ${result.skipped.length} orphaned resource(s) not recorded as this project's (another project, or no project label: name the environment with --env); --json lists them`);
      }
      return result.failed.length ? EXIT_CODES.environment : EXIT_CODES.ok;
    }));

  program
    .command('schema')
    .description('Print the JSON schemas of prodlike.yaml and the targets file (for editors).')
    .option('--write', 'write prodlike.schema.json and targets.schema.json at the package root')
    .action(act(async (opts: { write?: boolean }) => {
      const schemas = jsonSchemas();
      if (opts.write) {
        for (const [file, schema] of Object.entries(schemas)) await writeFile(join(PACKAGE_ROOT, file), `${JSON.stringify(schema, null, 2)}\n`);
        ctx.stdout(`wrote ${Object.keys(schemas).join(', ')}`);
      } else ctx.stdout(JSON.stringify(schemas, null, 2));
      return EXIT_CODES.ok;
    }));

  return program;
}

export function statusTable(status: EnvironmentStatus): string {
  const rows = status.services.map((s) => {
    const ready = s.replicas.filter((r) => r.health === 'healthy').length;
    const health = [...new Set(s.replicas.map((r) => r.health))].join(',') || 'missing';
    const restarts = s.replicas.reduce((n, r) => n + r.restarts, 0);
    return [s.role, `${ready}/${s.desired}`, health, String(restarts), s.endpoint ?? ''];
  });
  return table(['service', 'ready', 'health', 'restarts', 'endpoint (127.0.0.1)'], rows);
}

export function jsonSchemas(): Record<string, unknown> {
  return {
    'prodlike.schema.json': z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }),
    'targets.schema.json': z.toJSONSchema(targetsFileSchema, { io: 'input', unrepresentable: 'any' }),
  };
}

export async function main(argv: string[]): Promise<ExitCode> {
  const bus = new EventBus();
  const renderer = new ProgressRenderer();
  const json = argv.includes('--json');
  if (!json) bus.on(renderer.handle);
  let global: GlobalOptions = {};
  const ctx: Context = {
    bus,
    renderer,
    json,
    stdout: (text) => process.stdout.write(`${text}\n`),
    load: (overrides = {}) => loadConfig({ ...(global.config ? { file: global.config } : {}), overrides }),
    exitCode: EXIT_CODES.ok,
    abort: new AbortController(),
  };
  const program = buildProgram(ctx);
  let code: ExitCode = EXIT_CODES.ok;
  program.hook('preAction', (cmd) => {
    global = cmd.optsWithGlobals() as GlobalOptions;
  });
  // First Ctrl-C: abort the running command (subprocesses are cancelled, rollbacks run), then exit.
  // A second Ctrl-C, or cleanup taking over 2 min (restoring a scaled-down service waits for readiness), exits at once.
  let interrupts = 0;
  const interrupted = () => {
    interrupts += 1;
    renderer.close();
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\ninterrupted: stopping and cleaning up (Ctrl-C again to exit at once)\n');
    ctx.abort.abort(new ProdlikeError('INTERRUPTED', 'Interrupted (Ctrl-C / SIGTERM); cleanup ran.'));
    setTimeout(() => process.exit(130), 120_000).unref();
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  try {
    await program.parseAsync(argv);
    code = ctx.exitCode;
  } catch (error) {
    renderer.close();
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_CODES.ok;
      return EXIT_CODES.usage;
    }
    const e = toProdlikeError(error);
    if (json) process.stdout.write(`${JSON.stringify({ error: e.toJSON() }, null, 2)}\n`);
    else {
      process.stderr.write(`\n✖ ${e.message}\n`);
      if (e.hint) process.stderr.write(`  → ${e.hint}\n`);
      if (e.code === 'INTERNAL' && e.cause instanceof Error && e.cause.stack) process.stderr.write(`${e.cause.stack}\n`);
    }
    code = e.exitCode;
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  }
  return code;
}
