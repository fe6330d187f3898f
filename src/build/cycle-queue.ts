/** The changes one cycle of `prodlike dev` handles. */
export interface ChangeBatch {
  /** Images whose inputs changed. */
  images: string[];
  /** Changed paths (first few, for the cycle's line). */
  paths: string[];
  /** Epoch ms of the first change of the batch (the file's mtime when known): edit→ready is measured from it. */
  firstChangeAt: number;
}

const MAX_PATHS = 20;

/**
 * Debounced, non-overlapping cycles: changes are collected until none came for `debounceMs`, then one
 * cycle runs with all of them. Changes during a cycle are kept and run as one more cycle after it (never
 * two builds at once, never a change lost). A failing cycle does not stop the queue: `onError` gets it.
 */
export class CycleQueue {
  readonly #debounceMs: number;
  readonly #run: (batch: ChangeBatch) => Promise<void>;
  readonly #onError: (error: unknown) => void;
  #pending: { images: Set<string>; paths: string[]; firstChangeAt: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;
  #idleWaiters: (() => void)[] = [];
  /** Cycles started so far. */
  cycles = 0;

  constructor(options: { debounceMs: number; run: (batch: ChangeBatch) => Promise<void>; onError: (error: unknown) => void }) {
    this.#debounceMs = options.debounceMs;
    this.#run = options.run;
    this.#onError = options.onError;
  }

  /** A change to `path` that affects `images`, at epoch ms `at`. */
  notify(images: readonly string[], path: string, at: number): void {
    if (this.#closed || images.length === 0) return;
    const p = (this.#pending ??= { images: new Set(), paths: [], firstChangeAt: at });
    for (const image of images) p.images.add(image);
    if (!p.paths.includes(path) && p.paths.length < MAX_PATHS) p.paths.push(path);
    p.firstChangeAt = Math.min(p.firstChangeAt, at);
    if (!this.#running) this.#arm();
  }

  /** Whether nothing is pending or running. */
  get idle(): boolean {
    return !this.#pending && !this.#running;
  }

  /** Resolves once nothing is pending or running. */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** No new cycle starts; a running one finishes (await `whenIdle()` for it). */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pending = undefined;
    if (!this.#running) this.#settle();
  }

  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#start(), this.#debounceMs);
  }

  #start(): void {
    this.#timer = undefined;
    const p = this.#pending;
    if (!p || this.#closed) return;
    this.#pending = undefined;
    this.cycles += 1;
    const batch: ChangeBatch = { images: [...p.images], paths: p.paths, firstChangeAt: p.firstChangeAt };
    this.#running = this.#run(batch).catch((error: unknown) => this.#onError(error)).finally(() => {
      this.#running = undefined;
      if (this.#pending && !this.#closed) this.#arm();
      else this.#settle();
    });
  }

  #settle(): void {
    if (!this.idle && !this.#closed) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
