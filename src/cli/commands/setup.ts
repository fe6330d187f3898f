import { type Command, Option } from 'commander';
import { IMAGE_SOURCES, type ImageSource } from '../../config/schema.ts';
import { EXIT_CODES } from '../../core/errors.ts';
import { lockHostSetup } from '../../safety/env-lock.ts';
import { runSetup } from '../../setup/setup.ts';
import { act, type CliContext } from '../context.ts';
import { stepTable } from '../render.ts';

/** `prodlike setup`. */
export function registerSetup(program: Command, ctx: CliContext): void {
  program
    .command('setup')
    .description('Get this host ready: container engine (installs Debian docker.io and starts dockerd when root), '
      + 'the privileged-container runtime fix where the capability bounding set needs it, tools, and images: '
      + 'official images online, or equivalents built locally offline (debootstrap + Go). Idempotent: cached '
      + 'artifacts are stamped and skipped; a second run builds nothing. One setup at a time per host cache: '
      + 'a second one (or an `up` that needs setup) waits for the first and then finds its work cached.')
    .option('--kind', 'also build/verify the kind node image and cluster add-on images (cold: about 21 min on 2 cores, alongside the other images)')
    .addOption(new Option('--image-source <source>', 'override imageSource from the config').choices(IMAGE_SOURCES))
    .option('--no-smoke', 'skip the smoke checks of the images')
    .action(act(ctx, async (opts: { kind?: boolean; imageSource?: ImageSource; smoke: boolean }) => {
      const loaded = await ctx.load(opts.imageSource ? { imageSource: opts.imageSource } : {});
      await using _lock = await lockHostSetup(`setup${opts.kind ? ' --kind' : ''}`, ctx);
      const result = await runSetup({ config: loaded.config, bus: ctx.bus, kind: Boolean(opts.kind), smoke: opts.smoke, signal: ctx.abort.signal });
      ctx.renderer.close();
      if (ctx.json) ctx.stdout(JSON.stringify(result, null, 2));
      else ctx.stdout(`\n${stepTable(ctx.renderer.rows)}\n\n${result.summary}`);
      return result.ok ? EXIT_CODES.ok : EXIT_CODES.environment;
    }));
}
