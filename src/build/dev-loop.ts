import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import type { LoadedConfig } from '../config/load-config.ts';
import { ProdlikeError } from '../core/errors.ts';
import type { DevCycleEvent, EventBus } from '../core/events.ts';
import type { Provider } from '../providers/provider.ts';
import { loadImageCatalog, type ResolvedSource } from '../setup/image-catalog.ts';
import { ContextWatch } from './context-watch.ts';
import { CycleQueue } from './cycle-queue.ts';
import { runDevCycle } from './dev-cycle.ts';
import { buildxAvailable, resolveBuilds } from './image-build.ts';
import { imagesForPath, isDockerIgnore, loadScopes, watchRoots, type WatchRoot } from './watch-scope.ts';

export interface DevLoopOptions {
  provider: Provider;
  loaded: LoadedConfig;
  source: ResolvedSource;
  bus: EventBus;
  /** Ends the loop (Ctrl-C): no new cycle starts, a running one is cancelled. */
  signal: AbortSignal;
  /** Quiet time after the last change before a cycle starts (default 300 ms). */
  debounceMs?: number;
  /** End after the first cycle (scripts, tests). */
  once?: boolean;
  /** kind: each cycle replaces every replica of a Deployment at once (see rollOutOnKind). */
  surge?: boolean;
  /** Called once every watcher is armed: a change from now on starts a cycle. */
  onWatching?: (roots: readonly WatchRoot[]) => void;
}

/** A change's time: the file's mtime (when it is recent: a copy may keep an old one), else now. */
async function changedAt(path: string): Promise<number> {
  const now = Date.now();
  const mtime = (await stat(path).catch(() => undefined))?.mtimeMs;
  return mtime !== undefined && mtime <= now && mtime > now - 10_000 ? mtime : now;
}

/**
 * `prodlike dev` once the environment is up: watch the build contexts of `build:` (watch-scope.ts), and
 * after each quiet `debounceMs` run one cycle (dev-cycle.ts) for the images whose inputs changed, one
 * cycle at a time (changes meanwhile make one more cycle). Each cycle is a `dev.cycle` event. Resolves
 * with the cycles' events when `signal` aborts (the environment keeps running) or, with `once`, after
 * the first cycle.
 */
export async function devLoop(options: DevLoopOptions): Promise<DevCycleEvent[]> {
  const catalog = await loadImageCatalog();
  const plans = resolveBuilds(options.loaded, catalog);
  let scopes = await loadScopes(plans);
  const buildx = plans.some((p) => p.via === 'dockerfile') ? await buildxAvailable() : undefined;
  const events: DevCycleEvent[] = [];
  const cycleAbort = new AbortController();
  const cycleSignal = AbortSignal.any([options.signal, cycleAbort.signal]);
  let done!: () => void;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  const queue: CycleQueue = new CycleQueue({
    debounceMs: options.debounceMs ?? 300,
    run: async (batch) => {
      const event = await runDevCycle(batch, queue.cycles, { provider: options.provider, loaded: options.loaded, plans, catalog, source: options.source, bus: options.bus, signal: cycleSignal, surge: options.surge === true, ...(buildx === undefined ? {} : { buildx }) });
      if (options.signal.aborted) return; // cancelled by Ctrl-C: not a cycle to report
      events.push(event);
      options.bus.emit(event);
      if (options.once) done();
    },
    onError: (error) => options.bus.emit({ kind: 'log', level: 'error', message: `dev cycle failed: ${error instanceof Error ? error.message : String(error)}`, source: 'dev' }),
  });
  const onChange = (path: string) => {
    if (isDockerIgnore(path, scopes)) void loadScopes(plans).then((s) => { scopes = s; });
    const images = imagesForPath(path, scopes);
    if (!images.length) return;
    void changedAt(path).then((at) => queue.notify(images, path, at));
  };
  const roots = watchRoots(scopes);
  const watcher = new ContextWatch({
    roots,
    relevant: (path) => imagesForPath(path, scopes).length > 0,
    onChange,
    onFallback: (reason) => options.bus.emit({ kind: 'log', level: 'warn', message: `inotify is not available (${reason}); \`sudo sysctl fs.inotify.max_user_instances=512\` gives it back`, source: 'dev' }),
    onError: (root, error) => options.bus.emit({ kind: 'log', level: 'warn', message: `watching ${relative(options.loaded.baseDir, root.dir) || root.dir} stopped: ${error.message}`, source: 'dev' }),
  });
  try {
    await watcher.start();
  } catch (error) {
    throw new ProdlikeError('COMMAND_FAILED', `Cannot watch the build contexts: ${error instanceof Error ? error.message : String(error)}`, { cause: error, hint: 'Check that every build[].context exists and is readable.' });
  }
  options.onWatching?.(roots);
  const onAbort = () => done();
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await finished;
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    watcher.close();
    queue.close();
    if (options.signal.aborted) cycleAbort.abort();
    await queue.whenIdle();
  }
  return events;
}
