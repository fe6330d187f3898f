import { type Command, Option } from 'commander';
import { PROVIDERS, type ProviderName } from '../../config/schema.ts';
import { formatDuration } from '../../core/duration.ts';
import { EXIT_CODES, ProdlikeError } from '../../core/errors.ts';
import { buildConfiguredImages, rollOutBuilt } from '../../build/build-and-roll-out.ts';
import { phaseTable } from '../../build/phase-table.ts';
import { environmentImageSource } from '../../build/environment-image-source.ts';
import { createProvider } from '../../providers/create-provider.ts';
import { refuseConflictingEnvironment } from '../../providers/environment-conflicts.ts';
import { lockEnvironment } from '../../safety/env-lock.ts';
import { FaultJournal, replayFaultJournal } from '../../safety/fault-journal.ts';
import { runSetup } from '../../setup/setup.ts';
import { act, type CliContext } from '../context.ts';
import { statusTable } from './status-table.ts';

/** `prodlike up`. */
export function registerUp(program: Command, ctx: CliContext): void {
  program
    .command('up')
    .description('Create the environment and wait until every workload is ready, then print where to reach it. '
      + 'kind: a cluster (1 control plane + 2 workers), add-ons (metrics-server, ingress path), the manifests '
      + 'applied with server-side apply. docker: the same topology as labelled containers. Idempotent: a '
      + 'healthy environment is left as it is; Ctrl-C during up removes what it created.')
    .addOption(new Option('-p, --provider <provider>', 'override provider from the config').choices(PROVIDERS))
    .option('--build', 'first build the images of build: in prodlike.yaml (default: the reference app) whose build context changed '
      + '(offline, a Dockerfile FROM an official image uses its locally built equivalent), then roll out the workloads '
      + 'that run them and wait until they are ready; prints a table of the phases and their times')
    .action(act(ctx, async (opts: { provider?: ProviderName; build?: boolean }) => {
      const loaded = await ctx.load(opts.provider ? { provider: opts.provider } : {});
      await using _lock = await lockEnvironment(loaded, 'up', ctx);
      const started = performance.now();
      let provider = await createProvider({ loaded, bus: ctx.bus }, opts.provider);
      // Before anything starts: the same name up on the other provider, or another environment on our ports.
      await refuseConflictingEnvironment({ loaded, provider: provider.name, command: 'up', bus: ctx.bus });
      // Faults an interrupted scenario could not heal (still in .prodlike/<env>/faults.json) are healed first.
      await replayFaultJournal(FaultJournal.forEnvironment(loaded.baseDir, loaded.config.name), async () => provider, ctx.bus).catch(() => undefined);
      const built = opts.build ? await buildConfiguredImages({ loaded, source: await environmentImageSource(loaded), bus: ctx.bus, signal: ctx.abort.signal }) : undefined;
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
      const rollout = built ? await rollOutBuilt({ provider, loaded, built, bus: ctx.bus, startedAt: started, signal: ctx.abort.signal }) : undefined;
      if (rollout) result = { ...result, status: await provider.status() };
      ctx.renderer.close();
      const took = formatDuration(performance.now() - started);
      if (ctx.json) ctx.stdout(JSON.stringify({ ...result, ...(rollout ? { build: rollout } : {}), durationMs: performance.now() - started }, null, 2));
      else {
        ctx.stdout(`\n${statusTable(result.status)}`);
        if (rollout) ctx.stdout(`\n${phaseTable(rollout)}`);
        const rolled = rollout ? `; ${rollout.rolled.length ? `${rollout.rolled.length} rolled out on the new image` : 'no replica needed the new image'}` : '';
        ctx.stdout(result.outcome === 'unchanged' && rollout
          ? `\nenvironment "${result.status.env}" (${provider.name}) was up${rolled}; healthy in ${took}`
          : result.outcome === 'unchanged'
          ? `\nenvironment "${result.status.env}" (${provider.name}) is already up and healthy: nothing to do (${took})`
          : `\nenvironment "${result.status.env}" (${provider.name}) ${result.outcome} and healthy in ${took}`);
        ctx.stdout(`entry point: ${result.status.entry}/ (frontend) and ${result.status.entry}/api (backend)`);
      }
      return EXIT_CODES.ok;
    }));
}
