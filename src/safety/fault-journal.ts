import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkloadRole } from '../config/schema.ts';
import { ProdlikeError } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';
import { FAULT_JOURNAL_FILE, stateDir } from '../core/paths.ts';
import { pidAlive } from './env-lock.ts';
import { canLifecycle, canNodes, canPartition, canPause, canPauseTarget, canScale, type PauseTarget, type Provider } from '../providers/provider.ts';

/**
 * The on-disk twin of the rollback registry: every fault a scenario injects through src/safety/faults.ts
 * is also written to `<project>/.prodlike/<env>/faults.json` (before it is applied) with a serializable
 * undo, and removed once healed. The registry heals in-process (normal path, failure, Ctrl-C); the journal
 * is the safety net for a scenario process that could not (killed with SIGKILL, a test runner that exits
 * under it): `prodlike run` replays whatever is left once its suites have ended, whatever their outcome.
 * Every undo is idempotent, so replaying one the scenario already ran is harmless.
 */
export type UndoSpec =
  | { op: 'unpause'; service: WorkloadRole; replica: number }
  /** kind: the containers a pause froze, by node and id (resolved before the pause): resumed if still paused. */
  | { op: 'resumeContainers'; target: PauseTarget }
  | { op: 'start'; service: WorkloadRole; replica: number }
  | { op: 'heal'; service: WorkloadRole }
  | { op: 'scale'; service: WorkloadRole; count: number }
  | { op: 'startNode'; node: string };

export interface JournalEntry {
  id: string;
  pid: number;
  scenario: string;
  description: string;
  since: string;
  undo: UndoSpec;
}

export { FAULT_JOURNAL_FILE };

export class FaultJournal {
  readonly file: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string) {
    this.file = join(dir, FAULT_JOURNAL_FILE);
  }

  static forEnvironment(projectDir: string, env: string): FaultJournal {
    return new FaultJournal(stateDir(projectDir, env));
  }

  /** Pending entries, oldest first ([] when there is no journal or it is unreadable). */
  async pending(): Promise<JournalEntry[]> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as unknown;
      return Array.isArray(parsed) ? (parsed as JournalEntry[]) : [];
    } catch {
      return [];
    }
  }

  async add(entry: Omit<JournalEntry, 'id' | 'pid' | 'since'>): Promise<string> {
    const id = randomBytes(6).toString('hex');
    await this.#update((entries) => [...entries, { ...entry, id, pid: process.pid, since: new Date().toISOString() }]);
    return id;
  }

  async remove(id: string): Promise<void> {
    await this.#update((entries) => entries.filter((e) => e.id !== id));
  }

  /** Read-modify-write, one at a time in this process, written atomically (rename). */
  #update(change: (entries: JournalEntry[]) => JournalEntry[]): Promise<void> {
    const next = this.#queue.then(async () => {
      const entries = change(await this.pending());
      if (entries.length === 0) {
        await unlink(this.file).catch(() => undefined);
        return;
      }
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
      await rename(tmp, this.file);
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

/** Applies one journalled undo to the provider (idempotent: healing what is not broken is a no-op). */
export async function applyUndo(provider: Provider, undo: UndoSpec): Promise<void> {
  const tolerate = (pattern: RegExp) => (error: unknown) => {
    if (!(error instanceof Error && pattern.test(error.message))) throw error;
  };
  switch (undo.op) {
    case 'unpause':
      if (!canPause(provider)) throw new Error(`${provider.name} provider cannot unpause`);
      await provider.unpause(undo.service, { replica: undo.replica }).catch(tolerate(/not paused/i));
      return;
    case 'resumeContainers':
      if (!canPauseTarget(provider)) throw new ProdlikeError('USAGE', `The ${provider.name} provider cannot resume paused containers (journal entry of another provider?).`);
      await provider.resumeContainers(undo.target);
      return;
    case 'start':
      if (!canLifecycle(provider)) throw new Error(`${provider.name} provider cannot start`);
      await provider.start(undo.service, { replica: undo.replica }).catch(tolerate(/already started|already running|304/i));
      return;
    case 'heal':
      if (!canPartition(provider)) throw new Error(`${provider.name} provider cannot heal a partition`);
      await provider.heal(undo.service);
      return;
    case 'scale':
      if (!canScale(provider)) throw new Error(`${provider.name} provider cannot scale`);
      if ((await provider.replicas(undo.service)) !== undo.count) await provider.scale(undo.service, undo.count);
      return;
    case 'startNode':
      if (!canNodes(provider)) throw new Error(`${provider.name} provider has no nodes to start`);
      if ((await provider.nodes()).find((n) => n.name === undo.node)?.ready !== true) await provider.startNode(undo.node);
      return;
  }
}

export interface ReplayOutcome {
  description: string;
  scenario: string;
  status: 'ok' | 'failed';
  error?: string;
}

/** True when the process that injected the fault is still running (a scenario holding it on purpose). */
export function heldByLiveProcess(entry: JournalEntry): boolean {
  return entry.pid !== process.pid && pidAlive(entry.pid);
}

/**
 * Heals every fault left in the journal by processes that are gone, newest first; an entry is removed once
 * its undo succeeded and kept (reported as failed) otherwise. A fault whose process still runs is left to
 * it. `provider` is only created when something is to be healed.
 */
export async function replayFaultJournal(journal: FaultJournal, provider: () => Promise<Provider>, bus?: EventBus): Promise<ReplayOutcome[]> {
  const entries = (await journal.pending()).filter((e) => !heldByLiveProcess(e));
  if (entries.length === 0) return [];
  bus?.emit({ kind: 'log', level: 'warn', source: 'safety.rollbacks', message: `${entries.length} fault(s) of an interrupted scenario are still recorded in ${journal.file}: healing them (${[...entries].reverse().map((e) => e.description).join(', ')})` });
  const p = await provider();
  const outcomes: ReplayOutcome[] = [];
  for (const entry of [...entries].reverse()) {
    try {
      await applyUndo(p, entry.undo);
      await journal.remove(entry.id);
      outcomes.push({ description: entry.description, scenario: entry.scenario, status: 'ok' });
    } catch (error) {
      outcomes.push({ description: entry.description, scenario: entry.scenario, status: 'failed', error: error instanceof Error ? error.message : String(error) });
    }
    const last = outcomes.at(-1)!;
    bus?.emit({ kind: 'log', level: last.status === 'ok' ? 'info' : 'error', source: 'safety.rollbacks', message: `rollback ${entry.description} (left by ${entry.scenario}, pid ${entry.pid}): ${last.status}${last.error ? ` (${last.error})` : ''}` });
  }
  return outcomes;
}
