import { type Command, Option } from 'commander';
import { PROVIDERS, type ProviderName } from '../../config/schema.ts';
import { formatDuration } from '../../core/duration.ts';
import { EXIT_CODES } from '../../core/errors.ts';
import { createProvider } from '../../providers/create-provider.ts';
import { lockEnvironment } from '../../safety/env-lock.ts';
import { allowForeignTargetFrom, allowForeignTargetOption } from '../../safety/ownership.ts';
import { act, type CliContext } from '../context.ts';

/** `prodlike down`. */
export function registerDown(program: Command, ctx: CliContext): void {
  program
    .command('down')
    .description('Remove exactly what `up` created for this environment (labelled containers, networks, volumes, '
      + 'or the kind cluster). Idempotent: nothing to remove is not an error.')
    .addOption(new Option('-p, --provider <provider>', 'override provider from the config').choices(PROVIDERS))
    .option('--keep-data', 'keep data volumes (docker provider)')
    .addOption(allowForeignTargetOption())
    .action(act(ctx, async (opts: { provider?: ProviderName; keepData?: boolean; iKnowThisIsNotAProdlikeCluster?: boolean }) => {
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
}
