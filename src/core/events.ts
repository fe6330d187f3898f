/**
 * The library never prints. It emits typed events; the CLI renders them as progress, the journal writes
 * them as NDJSON, reporters build files from them.
 */
export type StepStatus = 'ok' | 'cached' | 'skipped' | 'failed' | 'warn';

export type ProdlikeEvent =
  | { kind: 'step.start'; id: string; title: string }
  | { kind: 'step.progress'; id: string; message: string }
  | { kind: 'step.end'; id: string; status: StepStatus; durationMs: number; detail?: string }
  | { kind: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string; source?: string }
  | { kind: 'env.ready'; env: string; provider: string; endpoints: Record<string, string> }
  | { kind: 'fault.injected'; scenario: string; fault: string; target: string }
  | { kind: 'fault.healed'; scenario: string; fault: string; target: string }
  | { kind: 'target.evaluated'; scenario: string; target: string; measured: number | null; limit: number; unit: string; verdict: 'pass' | 'fail' | 'skipped'; source: string }
  | DevCycleEvent;

/**
 * One cycle of `prodlike dev`: the images whose build inputs changed were built and their roles rolled out
 * (or the build failed and the running image was kept). Times in ms; `totalMs` is edit→every replica ready,
 * from the first change of the cycle (the file's mtime) to the end of the roll-out.
 */
export interface DevCycleEvent {
  kind: 'dev.cycle';
  cycle: number;
  outcome: 'rolled-out' | 'up-to-date' | 'build-failed' | 'roll-out-failed';
  images: string[];
  /** Changed paths, relative to the project directory. */
  paths: string[];
  buildMs: number;
  /** kind: loading the image into the nodes. */
  loadMs?: number;
  rolloutMs: number;
  readyMs: number;
  totalMs: number;
  /** What was rolled out, e.g. `backend ×3, worker ×1 on prodlike.local/app:0.1.0-dev.0123456789ab`. */
  rolled?: string;
  /** Why the cycle failed, and the last lines of the build's output. */
  error?: string;
  tail?: string[];
}

export type EventOf<K extends ProdlikeEvent['kind']> = Extract<ProdlikeEvent, { kind: K }>;
export type TimedEvent = ProdlikeEvent & { at: number };
export type Listener = (event: TimedEvent) => void;

export class EventBus {
  readonly #listeners = new Set<Listener>();

  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: ProdlikeEvent): void {
    const timed = { ...event, at: Date.now() } as TimedEvent;
    for (const listener of this.#listeners) listener(timed);
  }

  /** Runs `work` as a named step: start/end events with duration, failures re-thrown. */
  async step<T>(
    id: string,
    title: string,
    work: (progress: (message: string) => void) => Promise<T | StepOutcome<T>>,
  ): Promise<T> {
    const started = performance.now();
    this.emit({ kind: 'step.start', id, title });
    try {
      const result = await work((message) => this.emit({ kind: 'step.progress', id, message }));
      const outcome: { status: StepStatus; value: T; detail?: string } = isStepOutcome<T>(result) ? result : { status: 'ok', value: result as T };
      this.emit({
        kind: 'step.end',
        id,
        status: outcome.status,
        durationMs: performance.now() - started,
        ...(outcome.detail === undefined ? {} : { detail: outcome.detail }),
      });
      return outcome.value;
    } catch (error) {
      this.emit({
        kind: 'step.end',
        id,
        status: 'failed',
        durationMs: performance.now() - started,
        detail: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  }
}

const OUTCOME = Symbol('step-outcome');
export interface StepOutcome<T> {
  [OUTCOME]: true;
  status: StepStatus;
  value: T;
  detail?: string;
}

/** Lets a step report `cached`/`skipped`/`warn` instead of a plain `ok`. */
export function outcome<T>(status: StepStatus, value: T, detail?: string): StepOutcome<T> {
  return { [OUTCOME]: true, status, value, ...(detail === undefined ? {} : { detail }) };
}

function isStepOutcome<T>(value: unknown): value is StepOutcome<T> {
  return typeof value === 'object' && value !== null && OUTCOME in value;
}
