import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import type { TestContext } from 'vitest';
import type { ProcedureChoice } from '../../src/backup/select-procedure.ts';
import type { ProcedureContext } from '../../src/backup/procedure.ts';
import { ProdlikeError } from '../../src/core/errors.ts';
import type { SentinelVerification } from '../../src/measure/sentinel-writer.ts';
import { Timeline } from '../../src/measure/timeline.ts';
import type { Verdict } from '../../src/measure/verdict.ts';
import { topologyImages } from '../../src/providers/create-provider.ts';
import type { TopologyImages } from '../../src/providers/docker/topology.ts';
import { EnvironmentStore } from '../../src/providers/environment-state.ts';
import type { ProviderEventWatch } from '../../src/providers/provider.ts';
import { buildScenarioResult } from '../../src/report/scenario-result.ts';
import { requires } from './requires.ts';
import type { ScenarioEnvironment } from './scenario-env.ts';

export const BACKUP_SUITE = 'backup-restore';

/**
 * The backup suite's scenario shape, setup → assess → teardown:
 *   it('…', (t) => backupScenario(t, env, pgConfig, { id, title }, backupProcedures.postgresDump, async (s, procedure) => {
 *     …seed, sentinel; procedure.backup(); procedure.destroy(); procedure.restore(); measure…
 *     await s.record({ title: procedure.title, verdicts, notes, sentinels });   // before any assertion
 *     expect(…);
 *   }));
 * The procedure is chosen by the provider's capabilities; when there is none, `requires` skips the test and
 * records the skip with its reason. The provider's events (the procedure's watch) go onto the timeline; a
 * scenario that fails before recording is recorded as `error` with the reason; the working folder and what
 * `s.use` registered are released whatever happens.
 */
export class BackupScenario {
  readonly timeline = new Timeline();
  readonly startedAt = Date.now();
  recorded = false;
  readonly #env: ScenarioEnvironment;
  readonly #id: string;
  readonly #disposables: AsyncDisposable[] = [];
  #events: ProviderEventWatch | undefined;

  constructor(env: ScenarioEnvironment, id: string) {
    this.#env = env;
    this.#id = id;
  }

  /** Registers something to close at the end of the scenario (a sentinel writer, the WAL shipper). */
  use<T extends AsyncDisposable>(resource: T): T {
    this.#disposables.push(resource);
    return resource;
  }

  watch(events: ProviderEventWatch): void {
    this.#events = events;
  }

  /** Prints the verdicts, merges the provider's events and records the scenario (before the test's assertions). */
  async record(input: { title: string; verdicts: Verdict[]; notes: string[]; sentinels?: SentinelVerification[] }): Promise<void> {
    for (const v of input.verdicts) process.stdout.write(`  ${v.targetId}: ${v.measured} ${v.unit} vs ${v.comparator} ${v.limit} → ${v.verdict}\n`);
    this.timeline.merge(await this.#stopEvents());
    this.#env.recorder.addScenario(buildScenarioResult({ suite: BACKUP_SUITE, id: this.#id, startedAt: this.startedAt, endedAt: Date.now(), timeline: this.timeline, ...input }));
    this.recorded = true;
  }

  async recordError(title: string, error: unknown): Promise<void> {
    this.timeline.merge(await this.#stopEvents().catch(() => []));
    const reason = error instanceof ProdlikeError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
    this.#env.recorder.addScenario(buildScenarioResult({ suite: BACKUP_SUITE, id: this.#id, title, status: 'error', reason, startedAt: this.startedAt, endedAt: Date.now(), timeline: this.timeline }));
    this.recorded = true;
  }

  async dispose(): Promise<void> {
    await this.#stopEvents().catch(() => undefined);
    for (const d of this.#disposables.reverse()) await Promise.resolve(d[Symbol.asyncDispose]()).catch(() => undefined);
  }

  async #stopEvents() {
    const events = this.#events;
    this.#events = undefined;
    return events ? events.stop() : [];
  }
}

/** The images the environment runs, read from its state (job containers use them). */
async function environmentImages(env: ScenarioEnvironment): Promise<TopologyImages> {
  const state = await new EnvironmentStore(env.loaded.baseDir, env.config.name).readState();
  if (!state) throw new Error(`environment "${env.config.name}" has no state: is it up?`);
  return topologyImages(state.imageSource);
}

/** Runs one backup scenario with the procedure `choose` picks for the provider (see BackupScenario). */
export async function backupScenario<P extends { watch(): Promise<ProviderEventWatch>; cleanup(): Promise<void> }>(
  test: TestContext, env: ScenarioEnvironment, postgres: pg.ClientConfig, meta: { id: string; title: string },
  choose: (ctx: ProcedureContext) => ProcedureChoice<P>, body: (s: BackupScenario, procedure: P) => Promise<void>,
): Promise<void> {
  const s = new BackupScenario(env, meta.id);
  const work = await mkdtemp(join(tmpdir(), `prodlike-${meta.id.replaceAll('.', '-')}-`));
  await chmod(work, 0o777); // job containers run as the image's user (postgres, uid 999), like the CronJob's pod
  let images: Promise<TopologyImages> | undefined;
  const ctx: ProcedureContext = {
    provider: env.provider, config: env.config, secrets: env.secrets, timeline: s.timeline, work, postgres, signal: env.signal,
    guard: env.faults(meta.id).guard, images: () => (images ??= environmentImages(env)),
  };
  try {
    const choice = choose(ctx);
    const procedure = requires(test, env, { suite: BACKUP_SUITE, ...meta }, choice.procedure, choice.reason);
    try {
      s.watch(await procedure.watch());
      await body(s, procedure);
    } catch (error) {
      if (!s.recorded) await s.recordError(meta.title, error).catch(() => undefined);
      throw error;
    } finally {
      await s.dispose();
      await procedure.cleanup().catch((error: unknown) => process.stderr.write(`[${meta.id}] cleanup: ${String(error)}\n`));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
