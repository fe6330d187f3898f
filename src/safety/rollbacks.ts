import { ProdlikeError } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';

/**
 * The rollback registry: every fault a scenario injects (pause, partition, scale change, stop) registers
 * its undo *before* the fault is applied. When the scenario heals normally it runs the undo through its
 * handle; when anything goes wrong (a failure, Ctrl-C, SIGTERM) every pending undo runs in reverse order,
 * each with its own timeout. Errors are collected, never short-circuit the others, and no entry is
 * skipped. Undo actions must be idempotent (healing what is not broken is a no-op).
 */
export interface RollbackOutcome {
  description: string;
  status: 'ok' | 'failed' | 'timeout';
  durationMs: number;
  error?: string;
}

export interface RollbackReport {
  reason: string;
  outcomes: RollbackOutcome[];
  ok: boolean;
}

/** One registered undo. `await using` heals it on scope exit (as `run()`), unless it was run or released before. */
export interface RollbackHandle extends AsyncDisposable {
  readonly description: string;
  /** Heal now (the scenario's normal path). On failure the entry stays registered and the error is thrown. */
  run(): Promise<void>;
  /** Forget the entry without running it (the fault healed on its own and was verified). */
  release(): void;
}

interface Entry {
  id: number;
  description: string;
  undo: (signal: AbortSignal) => Promise<void>;
  timeoutMs: number;
}

export interface RollbackRegistryOptions {
  bus?: EventBus | undefined;
  /** Per-undo timeout unless the entry sets its own. Default 60 s. */
  defaultTimeoutMs?: number;
}

export class RollbackFailedError extends ProdlikeError {
  constructor(report: RollbackReport) {
    const failed = report.outcomes.filter((o) => o.status !== 'ok');
    super('PROVIDER_FAILED', `${failed.length} of ${report.outcomes.length} rollbacks failed (${report.reason}):\n  ${failed.map((o) => `${o.description}: ${o.status}${o.error ? ` (${o.error})` : ''}`).join('\n  ')}`, {
      hint: 'The environment may still carry these faults: check `prodlike status`; `prodlike down` and `prodlike up` start clean.',
      details: { rollbacks: report },
    });
  }
}

export class RollbackRegistry {
  readonly #entries: Entry[] = [];
  readonly #options: RollbackRegistryOptions;
  #next = 1;
  #tail: Promise<unknown> = Promise.resolve();
  readonly history: RollbackReport[] = [];

  constructor(options: RollbackRegistryOptions = {}) {
    this.#options = options;
  }

  /** Descriptions of the pending undo actions, oldest first. */
  get pending(): string[] {
    return this.#entries.map((e) => e.description);
  }

  register(description: string, undo: (signal: AbortSignal) => Promise<void>, options: { timeoutMs?: number } = {}): RollbackHandle {
    const entry: Entry = { id: this.#next++, description, undo, timeoutMs: options.timeoutMs ?? this.#options.defaultTimeoutMs ?? 60_000 };
    this.#entries.push(entry);
    const remove = () => {
      const i = this.#entries.indexOf(entry);
      if (i >= 0) this.#entries.splice(i, 1);
    };
    const run = async (): Promise<void> => {
      if (!this.#entries.includes(entry)) return;
      const outcome = await runOne(entry);
      if (outcome.status !== 'ok') throw new ProdlikeError('PROVIDER_FAILED', `rollback "${description}" ${outcome.status}: ${outcome.error ?? ''}`, { hint: 'It stays registered and is retried when the scenario ends.' });
      remove();
    };
    return { description, release: remove, run, [Symbol.asyncDispose]: run };
  }

  /**
   * Runs every pending undo, newest first, one at a time. Calls queue behind each other (never two undo
   * actions at once); entries registered meanwhile are picked up by the next pass.
   */
  async runAll(reason = 'cleanup', options: { since?: number } = {}): Promise<RollbackReport> {
    const pass = this.#tail.then(() => this.#drain(reason, options.since ?? 0));
    this.#tail = pass.catch(() => undefined);
    return pass;
  }

  /** A mark for `runAll(reason, { since })`: only what is registered after it is rolled back then. */
  mark(): number {
    return this.#next;
  }

  async #drain(reason: string, since: number): Promise<RollbackReport> {
    const outcomes: RollbackOutcome[] = [];
    const bus = this.#options.bus;
    const due = () => this.#entries.filter((e) => e.id >= since);
    if (due().length) bus?.emit({ kind: 'log', level: 'info', source: 'safety.rollbacks', message: `rolling back ${due().length} fault(s) (${reason}): ${due().reverse().map((e) => e.description).join(', ')}` });
    for (let entry = due().at(-1); entry; entry = due().at(-1)) {
      this.#entries.splice(this.#entries.indexOf(entry), 1);
      const outcome = await runOne(entry);
      outcomes.push(outcome);
      bus?.emit({
        kind: 'log',
        level: outcome.status === 'ok' ? 'info' : 'error',
        source: 'safety.rollbacks',
        message: `rollback ${entry.description}: ${outcome.status} in ${Math.round(outcome.durationMs)} ms${outcome.error ? ` (${outcome.error})` : ''}`,
      });
    }
    const report = { reason, outcomes, ok: outcomes.every((o) => o.status === 'ok') };
    if (outcomes.length) this.history.push(report);
    return report;
  }

  /** Runs every rollback as soon as `signal` aborts (Ctrl-C/SIGTERM in the CLI). Returns an unsubscribe. */
  bindSignal(signal: AbortSignal): () => void {
    const onAbort = () => void this.runAll(`interrupted: ${reasonOf(signal)}`);
    if (signal.aborted) {
      onAbort();
      return () => undefined;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    return () => signal.removeEventListener('abort', onAbort);
  }
}

async function runOne(entry: Entry): Promise<RollbackOutcome> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), entry.timeoutMs);
  });
  try {
    const result = await Promise.race([entry.undo(controller.signal).then(() => 'ok' as const), timeout]);
    if (result === 'timeout') {
      controller.abort(new Error(`rollback timed out after ${entry.timeoutMs} ms`));
      return { description: entry.description, status: 'timeout', durationMs: performance.now() - started, error: `did not finish within ${entry.timeoutMs} ms` };
    }
    return { description: entry.description, status: 'ok', durationMs: performance.now() - started };
  } catch (error) {
    return { description: entry.description, status: 'failed', durationMs: performance.now() - started, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : String(r ?? 'aborted');
}

export interface WithRollbacksOptions extends RollbackRegistryOptions {
  /** Ctrl-C/SIGTERM: rollbacks start at once, without waiting for `work` to notice. */
  signal?: AbortSignal | undefined;
}

/**
 * Runs `work` with a registry and guarantees its rollbacks: after success every still-pending undo runs
 * (a scenario that forgot to heal is healed); after a failure or an abort they all run and the original
 * error is re-thrown, with the rollback report attached to its details. A rollback failure after a
 * successful `work` throws RollbackFailedError.
 */
export async function withRollbacks<T>(work: (registry: RollbackRegistry) => Promise<T>, options: WithRollbacksOptions = {}): Promise<T> {
  const registry = new RollbackRegistry(options);
  const unbind = options.signal ? registry.bindSignal(options.signal) : () => undefined;
  let result: T;
  try {
    result = await work(registry);
  } catch (error) {
    unbind();
    const report = await registry.runAll(options.signal?.aborted ? `interrupted: ${reasonOf(options.signal)}` : `failure: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    if (error instanceof ProdlikeError) Object.assign(error.details, { rollbacks: mergeReports(registry.history, report) });
    throw error;
  }
  unbind();
  const report = await registry.runAll('scenario finished');
  const all = mergeReports(registry.history, report);
  if (!all.ok) throw new RollbackFailedError(all);
  return result;
}

function mergeReports(history: RollbackReport[], last: RollbackReport): RollbackReport {
  const reports = history.length ? history : [last];
  const outcomes = reports.flatMap((r) => r.outcomes);
  return { reason: reports.map((r) => r.reason).filter((r, i, a) => a.indexOf(r) === i).join('; '), outcomes, ok: outcomes.every((o) => o.status === 'ok') };
}
