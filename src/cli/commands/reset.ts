import { type Command, Option } from 'commander';
import { PROVIDERS, type ProviderName } from '../../config/schema.ts';
import { formatDuration } from '../../core/duration.ts';
import { EXIT_CODES, ProdlikeError } from '../../core/errors.ts';
import { createProvider } from '../../providers/create-provider.ts';
import { canReset } from '../../providers/provider.ts';
import { lockEnvironment } from '../../safety/env-lock.ts';
import { FaultJournal, replayFaultJournal } from '../../safety/fault-journal.ts';
import { allowForeignTargetFrom, allowForeignTargetOption } from '../../safety/ownership.ts';
import { act, type CliContext } from '../context.ts';
import { statusTable } from './status-table.ts';

/** `prodlike reset`. */
export function registerReset(program: Command, ctx: CliContext): void {
  program
    .command('reset')
    .description('Bring an existing environment back to its freshly deployed state without creating it again. '
      + 'kind: faults still in the journal are healed, the application\'s namespaces and prodlike\'s own (the load '
      + 'namespace) are emptied — pods, Jobs, restore pods, volumes and their data (a volume the manifests claim again '
      + 'keeps its PersistentVolume with a new empty directory) — and the manifests are '
      + 'applied again with the same credentials; the cluster, its nodes, the loaded images and the add-ons stay '
      + '(a fraction of `up` on a new cluster). docker: the containers and volumes are re-created. Refuses when the '
      + 'environment does not exist: `prodlike up` creates it.')
    .addOption(new Option('-p, --provider <provider>', 'override provider from the config').choices(PROVIDERS))
    .addOption(allowForeignTargetOption())
    .action(act(ctx, async (opts: { provider?: ProviderName; iKnowThisIsNotAProdlikeCluster?: boolean }) => {
      const loaded = await ctx.load(opts.provider ? { provider: opts.provider } : {});
      await using _lock = await lockEnvironment(loaded, 'reset', ctx);
      const started = performance.now();
      const provider = await createProvider({ loaded, bus: ctx.bus, allowForeignTarget: allowForeignTargetFrom(opts) }, opts.provider);
      if (!canReset(provider)) throw new ProdlikeError('USAGE', `The ${provider.name} provider cannot reset an environment.`, { hint: '`prodlike down` then `prodlike up`.' });
      await replayFaultJournal(FaultJournal.forEnvironment(loaded.baseDir, loaded.config.name), async () => provider, ctx.bus).catch(() => undefined);
      const result = await provider.reset({ signal: ctx.abort.signal });
      ctx.renderer.close();
      const took = formatDuration(performance.now() - started);
      if (ctx.json) ctx.stdout(JSON.stringify({ ...result, durationMs: performance.now() - started }, null, 2));
      else {
        ctx.stdout(`\n${statusTable(result.status)}`);
        ctx.stdout(`\nenvironment "${result.status.env}" (${provider.name}) reset and healthy in ${took}`);
        if (result.removed.length) ctx.stdout(`removed: ${result.removed.join(', ')}`);
        for (const note of result.notes) ctx.stdout(`note: ${note}`);
      }
      return EXIT_CODES.ok;
    }));
}
