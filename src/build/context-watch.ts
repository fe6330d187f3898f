import { watch, type FSWatcher } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { WatchRoot } from './watch-scope.ts';

/** Why inotify cannot be used: every instance of the user taken (EMFILE), or too many watched folders (ENOSPC). */
const EXHAUSTED = new Set(['EMFILE', 'ENOSPC']);
const POLL_MS = 500;

export interface ContextWatchOptions {
  roots: readonly WatchRoot[];
  /** Whether a path (absolute) can be an input: polling walks only those folders and files. */
  relevant: (path: string) => boolean;
  /** A file (absolute path) was written, created or removed. */
  onChange: (path: string) => void;
  /** inotify was not available: polling from now on (the reason). */
  onFallback: (reason: string) => void;
  /** Another watch error (the folder went away). */
  onError: (root: WatchRoot, error: Error) => void;
  pollMs?: number;
}

/**
 * The build contexts watched with `fs.watch` on each folder (inotify), or, when the host has no
 * inotify instance or watch left (each kind node takes several: EMFILE with a few clusters up), by polling
 * the inputs' mtimes and sizes every 500 ms: a change is then seen up to 0.5 s later; edit→ready is still
 * measured from the file's mtime.
 */
export class ContextWatch {
  readonly #o: ContextWatchOptions;
  readonly #watched = new Map<string, FSWatcher>();
  #poll: NodeJS.Timeout | undefined;
  #snapshot: Map<string, string> | undefined;
  #polling = false;
  #closed = false;

  constructor(options: ContextWatchOptions) {
    this.#o = options;
  }

  /** Starts watching; resolves once changes from now on are seen. */
  async start(): Promise<void> {
    try {
      // One plain watch per folder (Node 20's recursive watch on Linux follows files, and loses a file that
      // an editor or `sed -i` replaces by a rename; a folder's watch sees every entry written, created or
      // moved in). Folders created later are added as they appear.
      for (const root of this.#o.roots) {
        if (root.recursive) for (const dir of await this.#folders(root.dir)) this.#watchFolder(dir);
        else this.#watchFolder(root.dir, root.files);
      }
    } catch (error) {
      if (!EXHAUSTED.has((error as NodeJS.ErrnoException).code ?? '')) {
        this.close();
        throw error;
      }
      await this.#fallBack(error as Error);
    }
  }

  /** The folder and its relevant subfolders. */
  async #folders(dir: string): Promise<string[]> {
    const out = [dir];
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, e.name);
      if (e.isDirectory() && this.#o.relevant(path)) out.push(...(await this.#folders(path)));
    }
    return out;
  }

  #watchFolder(dir: string, only?: readonly string[]): void {
    if (this.#closed || this.#polling || this.#watched.has(dir)) return;
    const watcher = watch(dir, (_type, filename) => {
      if (!filename || (only && !only.includes(filename))) return;
      const path = join(dir, filename);
      this.#o.onChange(path);
      // A new folder: watched too, with what is already in it.
      if (!only && this.#o.relevant(path)) {
        void stat(path).then(async (s) => {
          if (!s.isDirectory()) return;
          for (const sub of await this.#folders(path)) this.#watchFolder(sub);
        }, () => undefined);
      }
    });
    watcher.on('error', (error: NodeJS.ErrnoException) => {
      if (EXHAUSTED.has(error.code ?? '')) void this.#fallBack(error);
      else if (error.code !== 'ENOENT' && error.code !== 'EPERM') this.#o.onError({ dir, recursive: false, files: [] }, error);
      watcher.close();
      this.#watched.delete(dir);
    });
    this.#watched.set(dir, watcher);
  }

  get polling(): boolean {
    return this.#polling;
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#watched.values()) w.close();
    this.#watched.clear();
    if (this.#poll) clearTimeout(this.#poll);
    this.#poll = undefined;
  }

  async #fallBack(error: Error): Promise<void> {
    if (this.#polling || this.#closed) return;
    this.#polling = true;
    for (const w of this.#watched.values()) w.close();
    this.#watched.clear();
    this.#o.onFallback(`${error.message}: watching by polling every ${this.#o.pollMs ?? POLL_MS} ms`);
    this.#snapshot = await this.#scan();
    const tick = async () => {
      if (this.#closed) return;
      const next = await this.#scan();
      const before = this.#snapshot ?? new Map<string, string>();
      for (const [path, sig] of next) if (before.get(path) !== sig) this.#o.onChange(path);
      for (const path of before.keys()) if (!next.has(path)) this.#o.onChange(path);
      this.#snapshot = next;
      if (!this.#closed) this.#poll = setTimeout(() => void tick(), this.#o.pollMs ?? POLL_MS);
    };
    this.#poll = setTimeout(() => void tick(), this.#o.pollMs ?? POLL_MS);
  }

  /** path → `mtime:size` of every relevant file under the roots. */
  async #scan(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const visit = async (dir: string, recursive: boolean, only?: readonly string[]) => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const path = join(dir, e.name);
        if (only && !only.includes(e.name)) continue;
        if (!this.#o.relevant(path)) continue;
        if (e.isDirectory()) {
          if (recursive) await visit(path, true);
        } else if (e.isFile()) {
          const s = await stat(path).catch(() => undefined);
          if (s) out.set(path, `${s.mtimeMs}:${s.size}`);
        }
      }
    };
    for (const root of this.#o.roots) await visit(root.dir, root.recursive, root.recursive ? undefined : root.files);
    return out;
  }
}
