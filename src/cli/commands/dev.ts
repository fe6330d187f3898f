import { relative } from 'node:path';
import { type Command, Option } from 'commander';
import { devLoop } from '../../build/dev-loop.ts';
import { environmentImageSource } from '../../build/environment-image-source.ts';
import { PROVIDERS, type ProviderName } from '../../config/schema.ts';
import { formatDuration } from '../../core/duration.ts';
import { EXIT_CODES } from '../../core/errors.ts';
import type { DevCycleEvent } from '../../core/events.ts';
import { bringUp } from '../bring-up.ts';
import { act, durationOption, type CliContext } from '../context.ts';

const d = (ms: number | undefined) => formatDuration(ms ?? 0);

/** One line per cycle: when, what changed, the phases and edit→ready. */
export function cycleLine(e: DevCycleEvent, now = new Date()): string {
  const at = now.toISOString().slice(11, 19);
  const changed = `${e.paths.slice(0, 2).join(', ')}${e.paths.length > 2 ? ` +${e.paths.length - 2}` : ''}`;
  switch (e.outcome) {
    case 'rolled-out': {
      const load = e.loadMs === undefined ? '' : ` · load ${d(e.loadMs)}`;
      return `✔ ${at} #${e.cycle} ${changed} → ${e.rolled ?? e.images.join(', ')} · build ${d(e.buildMs)}${load} · roll-out ${d(e.rolloutMs)} · ready ${d(e.readyMs)} · edit→ready ${d(e.totalMs)}`;
    }
    case 'up-to-date':
      return `● ${at} #${e.cycle} ${changed}: ${e.images.join(', ')} up to date (its build inputs did not change), nothing rolled out`;
    case 'build-failed':
      return [`✖ ${at} #${e.cycle} ${changed}: build failed after ${d(e.buildMs)}; the running image keeps running, still watching`, ...(e.tail ?? []).map((l) => `    │ ${l}`), `    ${e.error ?? ''}`].join('\n');
    case 'roll-out-failed':
      return [`✖ ${at} #${e.cycle} ${changed}: built in ${d(e.buildMs)}, roll-out failed after ${d(e.rolloutMs)}; still watching`, ...(e.tail ?? []).map((l) => `    │ ${l}`), `    ${e.error ?? ''}`].join('\n');
  }
}

/** `prodlike dev`. */
export function registerDev(program: Command, ctx: CliContext): void {
  program
    .command('dev')
    .description('The inner loop: bring the environment up if needed (as `up --build`), then watch the build '
      + 'contexts of build: in prodlike.yaml (default: the reference app, fixtures/app), respecting each '
      + 'context\'s .dockerignore. After a quiet moment, rebuild only the images whose inputs changed, roll out '
      + 'the roles that run them (docker: replicas re-created one at a time; kind: pushed to the environment\'s dev '
      + 'registry, which holds the layers of earlier builds, and pulled by the worker nodes under a per-build tag — only '
      + 'new layers move — then `kubectl set image` and the manifests\' rolling update, or all replicas at once with '
      + '--surge) and print one line per cycle: '
      + 'build, load (kind), roll-out, ready and edit→ready measured from the file\'s save. A change during a cycle '
      + 'runs one more cycle after it; a failed build prints its last lines and the previous image keeps running. '
      + 'Ctrl-C stops watching and leaves the environment running (`prodlike down` removes it).')
    .addOption(new Option('-p, --provider <provider>', 'override provider from the config').choices(PROVIDERS))
    .option('--once', 'exit after the first cycle (scripts, tests)')
    .option('--surge', 'kind: start every new replica of a Deployment at once (maxSurge 100% during each roll-out, the manifests\' value restored after it) instead of the manifests\' rolling update; faster, but not the roll-out production does')
    .option('--debounce <duration>', 'quiet time after the last change before a cycle starts', '300ms')
    .addHelpText('after', `
Example:
  $ prodlike dev
  watching fixtures/app — Ctrl-C stops watching (the environment keeps running)
  ✔ 14:09:51 #3 fixtures/app/src/backend.ts → backend ×3, worker ×1 on prodlike.local/app:0.1.0 · build 4.92s · roll-out 4.00s · ready 1.90s · edit→ready 11.2s`)
    .action(act(ctx, async (opts: { provider?: ProviderName; once?: boolean; surge?: boolean; debounce: string }) => {
      const debounceMs = durationOption('--debounce', opts.debounce);
      const loaded = await ctx.load(opts.provider ? { provider: opts.provider } : {});
      const { provider, result } = await bringUp(ctx, loaded, { ...(opts.provider ? { provider: opts.provider } : {}), build: true, command: 'dev' });
      ctx.renderer.close();
      if (!ctx.json) ctx.stdout(`environment "${result.status.env}" (${provider.name}) is up: ${result.status.entry}/`);
      // Ctrl-C is how watching ends: quietly, and the environment stays.
      ctx.interrupt = 'end';
      const off = ctx.bus.on((e) => {
        if (e.kind === 'dev.cycle') ctx.stdout(ctx.json ? JSON.stringify(e) : cycleLine(e, new Date(e.at)));
      });
      let events: DevCycleEvent[];
      try {
        events = await devLoop({
          provider, loaded, bus: ctx.bus, signal: ctx.abort.signal, debounceMs, once: Boolean(opts.once), surge: Boolean(opts.surge),
          source: await environmentImageSource(loaded),
          onWatching: (roots) => {
            const what = roots.map((r) => `${relative(loaded.baseDir, r.dir) || '.'}${r.recursive ? '' : ` (${r.files.join(', ')})`}`);
            if (!ctx.json) ctx.stdout(`watching ${what.join(', ')} — ${opts.once ? 'exits after the first cycle' : 'Ctrl-C stops watching (the environment keeps running)'}`);
          },
        });
      } finally {
        off();
      }
      if (!ctx.json && !opts.once) ctx.stdout(`stopped watching; environment "${loaded.config.name}" (${provider.name}) is still running — \`prodlike down\` removes it`);
      return events.some((e) => e.outcome === 'build-failed' || e.outcome === 'roll-out-failed') && opts.once ? EXIT_CODES.environment : EXIT_CODES.ok;
    }));
}
