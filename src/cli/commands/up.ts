import { type Command, Option } from 'commander';
import { PROVIDERS, type ProviderName } from '../../config/schema.ts';
import { formatDuration } from '../../core/duration.ts';
import { EXIT_CODES } from '../../core/errors.ts';
import { phaseTable } from '../../build/phase-table.ts';
import { bringUp } from '../bring-up.ts';
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
      const { provider, result, rollout, started } = await bringUp(ctx, loaded, { ...(opts.provider ? { provider: opts.provider } : {}), build: Boolean(opts.build) });
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
