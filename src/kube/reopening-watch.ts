import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { WatchPhase } from './objects.ts';

/**
 * Kubernetes API watches that stay open for a scenario: a watch the API server closes (its timeout) or
 * that fails transiently is re-opened after half a second until `stop()`. The re-list replays ADDED
 * events, which every tracker here treats as an update of what it knows. Errors are kept in `errors`
 * (the timeline says why it is thinner) instead of failing the scenario the watch only describes; a
 * watch that cannot be opened at all rejects `open()`.
 *
 * `await using watch = new ReopeningWatch(kc)` stops it on scope exit.
 */
export class ReopeningWatch implements AsyncDisposable {
  readonly errors: string[] = [];
  readonly #watch: Watch;
  readonly #controllers = new Set<AbortController>();
  readonly #reopenAfterMs: number;
  #stopped = false;

  constructor(kubeConfig: KubeConfig, options: { reopenAfterMs?: number } = {}) {
    this.#watch = new Watch(kubeConfig);
    this.#reopenAfterMs = options.reopenAfterMs ?? 500;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Opens a watch of `path` (an API collection) with `query` (labelSelector, fieldSelector); `handle` gets ADDED/MODIFIED/DELETED. */
  async open<T>(path: string, query: Record<string, string>, handle: (phase: WatchPhase, obj: T) => void): Promise<void> {
    const controller = await this.#watch.watch(
      path,
      query,
      (phase, obj) => {
        if (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') handle(phase, obj as T);
      },
      (err: unknown) => {
        this.#controllers.delete(controller);
        if (this.#stopped) return;
        if (err && !(err instanceof Error && err.name === 'AbortError')) this.errors.push(`${path}: ${err instanceof Error ? err.message : String(err)}`);
        // Server-side close (timeout) or a transient error: re-open.
        setTimeout(() => void this.open(path, query, handle).catch((e: unknown) => this.errors.push(`${path}: ${(e as Error).message}`)), this.#reopenAfterMs);
      },
    );
    if (this.#stopped) controller.abort();
    else this.#controllers.add(controller);
  }

  /** Closes every watch; nothing is re-opened after this. */
  stop(): void {
    this.#stopped = true;
    for (const c of this.#controllers) c.abort();
    this.#controllers.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.stop();
  }
}

/**
 * A tracker fed by watches: subclasses open their collections on `this.watch` in `start()`. Errors, stop and
 * `await using` come from here.
 */
export abstract class WatchFeed implements AsyncDisposable {
  protected readonly watch: ReopeningWatch;

  constructor(kubeConfig: KubeConfig) {
    this.watch = new ReopeningWatch(kubeConfig);
  }

  /** Watch errors so far (re-opened or failed watches): timeline notes, not failures. */
  get errors(): readonly string[] {
    return this.watch.errors;
  }

  abstract start(): Promise<void>;

  /** Closes the watches. */
  stop(): void {
    this.watch.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.stop();
  }
}
