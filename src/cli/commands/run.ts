import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { PROVIDERS, type ProviderName } from '../../config/schema.ts';
import { createProvider } from '../../providers/create-provider.ts';
import { waitUntilHealthy } from '../../providers/environment-health.ts';
import type { Provider } from '../../providers/provider.ts';
import { refuseConflictingEnvironment } from '../../providers/environment-conflicts.ts';
import { runOutcome } from '../../report/run-outcome.ts';
import { renderSummaryTable } from '../../report/summary-table.ts';
import { lockEnvironment } from '../../safety/env-lock.ts';
import { FaultJournal, replayFaultJournal } from '../../safety/fault-journal.ts';
import { ALLOW_FOREIGN_FLAG, allowForeignTargetFrom, allowForeignTargetOption } from '../../safety/ownership.ts';
import { act, durationOption, type CliContext } from '../context.ts';
import { runScenarios, SUITES } from '../run-scenarios.ts';

/** `prodlike run`. */
export function registerRun(program: Command, ctx: CliContext): void {
  program
    .command('run')
    .description('Run scenario suites (failover, backup-restore, hpa, execution-load) against the environment and '
      + 'report every measured RTO/RPO/p95 next to its documented target (runs/<id>/: results.json, junit.xml, '
      + 'report.html, journal.ndjson). Exit 1 if a target is missed, 3 if a suite could not run.')
    .argument('<suite...>', `suites: ${SUITES.join(', ')}`)
    .option('--profile <name>', 'target profile (onprem, platform, performance, execution)')
    .addOption(new Option('-p, --provider <provider>', 'override provider from the config').choices(PROVIDERS))
    .option('--down', 'remove the environment after the run')
    .option('--ready-timeout <duration>', 'before each suite, how long to wait for an environment that is up but not every workload ready (e.g. 30s, 5m); then exit 3', '5m')
    .addOption(allowForeignTargetOption())
    .action(act(ctx, async (suites: string[], opts: { profile?: string; provider?: ProviderName; down?: boolean; readyTimeout: string; iKnowThisIsNotAProdlikeCluster?: boolean }) => {
      const readyTimeoutMs = durationOption('--ready-timeout', opts.readyTimeout);
      const loaded = await ctx.load({ ...(opts.provider ? { provider: opts.provider } : {}), ...(opts.profile ? { profile: opts.profile } : {}) });
      await using _lock = await lockEnvironment(loaded, 'run', ctx);
      // Before any suite starts: the same name up on the other provider, or another environment on our ports.
      await refuseConflictingEnvironment({ loaded, provider: loaded.config.provider, command: 'run', bus: ctx.bus });
      const allowForeignTarget = allowForeignTargetFrom(opts);
      if (allowForeignTarget) ctx.bus.emit({ kind: 'log', level: 'warn', source: 'safety.ownership', message: `${ALLOW_FOREIGN_FLAG}: the ownership guard records refusals instead of stopping (noted in the report)` });
      // Faults a suite could not heal itself (killed, interrupted) are healed from the journal afterwards.
      const healLeftovers = () => replayFaultJournal(FaultJournal.forEnvironment(loaded.baseDir, loaded.config.name), () => createProvider({ loaded, bus: ctx.bus, allowForeignTarget }, loaded.config.provider), ctx.bus);
      // A suite starts only on an environment whose workloads are all ready (or on none: the suite creates it).
      let provider: Promise<Provider> | undefined;
      const beforeSuite = async (suite: string) => {
        await waitUntilHealthy(await (provider ??= createProvider({ loaded, bus: ctx.bus, allowForeignTarget }, loaded.config.provider)), loaded.config.name, {
          timeoutMs: readyTimeoutMs, bus: ctx.bus, signal: ctx.abort.signal, purpose: `before ${suite}`,
        });
      };
      let ran;
      try {
        ran = await runScenarios({ loaded, suites, provider: loaded.config.provider, profile: loaded.config.targets.profile, signal: ctx.abort.signal, keepEnvironment: !opts.down, allowForeignTarget, beforeSuite });
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
}
