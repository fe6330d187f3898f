import type { LoadedConfig } from '../config/load-config.ts';
import type { ProviderName } from '../config/schema.ts';
import { ProdlikeError } from '../core/errors.ts';
import { buildConfiguredImages, rollOutBuilt } from '../build/build-and-roll-out.ts';
import { environmentImageSource } from '../build/environment-image-source.ts';
import type { BuildRollout } from '../build/phase-table.ts';
import { createProvider } from '../providers/create-provider.ts';
import { refuseConflictingEnvironment } from '../providers/environment-conflicts.ts';
import type { CreateResult, Provider } from '../providers/provider.ts';
import { lockEnvironment, lockHostSetup } from '../safety/env-lock.ts';
import { FaultJournal, replayFaultJournal } from '../safety/fault-journal.ts';
import { runSetup } from '../setup/setup.ts';
import type { CliContext } from './context.ts';

export interface BroughtUp {
  provider: Provider;
  result: CreateResult;
  rollout?: BuildRollout;
  started: number;
}

/**
 * `prodlike up [--build]` (and the start of `prodlike dev`): under the environment's lock, refuse a
 * conflicting environment, heal faults left in the journal, build what changed (with `build`), create the
 * environment or find it healthy (running setup once on a fresh machine), then roll out what was built.
 */
export async function bringUp(ctx: CliContext, loaded: LoadedConfig, options: { provider?: ProviderName; build?: boolean; command?: string }): Promise<BroughtUp> {
  await using _lock = await lockEnvironment(loaded, options.command ?? 'up', ctx);
  const started = performance.now();
  let provider = await createProvider({ loaded, bus: ctx.bus }, options.provider);
  // Before anything starts: the same name up on the other provider, or another environment on our ports.
  await refuseConflictingEnvironment({ loaded, provider: provider.name, command: 'up', bus: ctx.bus });
  // Faults an interrupted scenario could not heal (still in .prodlike/<env>/faults.json) are healed first.
  await replayFaultJournal(FaultJournal.forEnvironment(loaded.baseDir, loaded.config.name), async () => provider, ctx.bus).catch(() => undefined);
  const built = options.build ? await buildConfiguredImages({ loaded, source: await environmentImageSource(loaded), bus: ctx.bus, signal: ctx.abort.signal }) : undefined;
  let result;
  try {
    result = await provider.create({ signal: ctx.abort.signal });
  } catch (error) {
    // A newcomer's first `up`: no engine or no images yet. Run setup (idempotent), then try again once.
    if (!(error instanceof ProdlikeError) || !['IMAGE_MISSING', 'DOCKER_UNAVAILABLE'].includes(error.code)) throw error;
    ctx.bus.emit({ kind: 'log', level: 'info', message: `${error.message} Running \`prodlike setup\` first.` });
    await using _setupLock = await lockHostSetup('up (running setup)', ctx);
    const setup = await runSetup({ config: loaded.config, bus: ctx.bus, kind: provider.name === 'kind', smoke: false, signal: ctx.abort.signal });
    if (!setup.ok) throw error;
    provider = await createProvider({ loaded, bus: ctx.bus }, options.provider);
    result = await provider.create({ signal: ctx.abort.signal });
  }
  // What could not be healed before (e.g. the container was gone) is retried on the environment now up.
  await replayFaultJournal(FaultJournal.forEnvironment(loaded.baseDir, loaded.config.name), async () => provider, ctx.bus).catch(() => undefined);
  // A new environment starts on the images just built: nothing to roll out.
  const rollout = !built ? undefined
    : result.outcome === 'created' ? { built, rolled: [], totalMs: performance.now() - started }
    : await rollOutBuilt({ provider, loaded, built, bus: ctx.bus, startedAt: started, signal: ctx.abort.signal });
  if (rollout) result = { ...result, status: await provider.status() };
  return { provider, result, ...(rollout ? { rollout } : {}), started };
}
