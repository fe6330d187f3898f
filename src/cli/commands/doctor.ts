import { type Command, Option } from 'commander';
import { PROVIDERS, type ProviderName } from '../../config/schema.ts';
import { EXIT_CODES } from '../../core/errors.ts';
import { runDoctor } from '../../doctor/doctor.ts';
import { act, type CliContext } from '../context.ts';
import { table } from '../render.ts';

/** `prodlike doctor`. */
export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description('Check this host for everything the chosen provider needs (engine, privileged containers, kind, '
      + 'kubectl, k6, go, disk, ports, images) and say how to fix what is missing. Exit 0 only when the '
      + 'provider can run.')
    .addOption(new Option('-p, --provider <provider>', 'provider to check for').choices(PROVIDERS))
    .action(act(ctx, async (opts: { provider?: ProviderName }) => {
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
}
