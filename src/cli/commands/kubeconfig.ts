import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { PROVIDERS, type ProviderName } from '../../config/schema.ts';
import { EnvironmentNotUpError, EXIT_CODES, UsageError } from '../../core/errors.ts';
import { createProvider } from '../../providers/create-provider.ts';
import { canKubernetes } from '../../providers/provider.ts';
import { act, type CliContext } from '../context.ts';

/** A path as one shell word. */
const shellWord = (path: string) => (/^[\w./@:+-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`);

/** `prodlike kubeconfig`. */
export function registerKubeconfig(program: Command, ctx: CliContext): void {
  program
    .command('kubeconfig')
    .description('kind: print the path of the environment\'s own kubeconfig (.prodlike/<env>/kubeconfig; its current '
      + 'context is the environment\'s kind cluster), so kubectl, k9s and Lens reach it; prodlike never changes '
      + '~/.kube/config. docker: there is no Kubernetes (exit 2).')
    .option('--export', 'print `export KUBECONFIG=<path>` for eval')
    .addOption(new Option('-p, --provider <provider>', 'override provider from the config').choices(PROVIDERS))
    .addHelpText('after', `
Examples:
  $ kubectl --kubeconfig "$(prodlike kubeconfig)" get pods -A
  $ eval "$(prodlike kubeconfig --export)" && k9s`)
    .action(act(ctx, async (opts: { export?: boolean; provider?: ProviderName }) => {
      const loaded = await ctx.load(opts.provider ? { provider: opts.provider } : {});
      const provider = await createProvider({ loaded, bus: ctx.bus }, opts.provider);
      if (!canKubernetes(provider)) {
        throw new UsageError(`Environment "${loaded.config.name}" runs on the ${provider.name} provider: there is no Kubernetes, so no kubeconfig.`, {
          hint: '`prodlike logs`, `prodlike connect` and `prodlike status` work on docker; `provider: kind` in prodlike.yaml makes a cluster.',
        });
      }
      if (!existsSync(provider.kubeconfig)) throw new EnvironmentNotUpError(loaded.config.name, provider.name, `no kubeconfig at ${provider.kubeconfig}`);
      if (ctx.json) ctx.stdout(JSON.stringify({ kubeconfig: provider.kubeconfig, context: provider.kubectl.context, cluster: provider.cluster }, null, 2));
      else ctx.stdout(opts.export ? `export KUBECONFIG=${shellWord(provider.kubeconfig)}` : provider.kubeconfig);
      return EXIT_CODES.ok;
    }));
}
