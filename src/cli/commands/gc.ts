import { join } from 'node:path';
import type { Command } from 'commander';
import { EXIT_CODES } from '../../core/errors.ts';
import { runGc } from '../../safety/gc.ts';
import { act, type CliContext } from '../context.ts';
import { table } from '../render.ts';

/** `prodlike gc`. */
export function registerGc(program: Command, ctx: CliContext): void {
  program
    .command('gc')
    .description('Remove leftovers of this project: every docker container/network/volume labelled io.prodlike.managed=true '
      + 'and io.prodlike.project=<this directory>, and every kind cluster prodlike* recorded as created from here, '
      + 'whose environment has no state in ./.prodlike/<env>/ (state.json, or a running command\'s lock). Another '
      + 'project\'s resources are never touched; resources with no project record only with --env. Unlabelled '
      + 'resources are never touched.')
    .option('--dry-run', 'list what would be removed; remove nothing')
    .option('--env <names...>', 'only resources of these environments')
    .action(act(ctx, async (opts: { dryRun?: boolean; env?: string[] }) => {
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
}
