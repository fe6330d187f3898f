import { readFile, writeFile } from 'node:fs/promises';

/**
 * The host's inotify limits, raised for kind: every node runs a kubelet, containerd and kube-proxy that each
 * hold inotify instances, and Debian's default of 128 per user runs out with two or three clusters (kube-proxy
 * then crash-loops with "too many open files", and `prodlike dev` falls back to polling). The values are the
 * ones kind's known-issues page gives. Raised only upward, and only when we may (root); otherwise the caller
 * tells the user the command.
 */
export const INOTIFY_MINIMUMS = { max_user_instances: 512, max_user_watches: 524_288 } as const;
type Key = keyof typeof INOTIFY_MINIMUMS;

export interface InotifyLimits {
  /** What each limit was before, and what it is now. */
  limits: Record<Key, { before: number; after: number }>;
  raised: Key[];
  /** Limits below the minimum that could not be raised (not root, or a read-only /proc/sys). */
  low: Key[];
}

export async function ensureInotifyLimits(options: { procDir?: string; root?: boolean } = {}): Promise<InotifyLimits> {
  const dir = options.procDir ?? '/proc/sys/fs/inotify';
  const root = options.root ?? process.getuid?.() === 0;
  const result: InotifyLimits = { limits: {} as InotifyLimits['limits'], raised: [], low: [] };
  for (const key of Object.keys(INOTIFY_MINIMUMS) as Key[]) {
    const file = `${dir}/${key}`;
    const before = Number((await readFile(file, 'utf8')).trim());
    let after = before;
    if (before < INOTIFY_MINIMUMS[key]) {
      if (root && (await writeFile(file, `${INOTIFY_MINIMUMS[key]}\n`).then(() => true, () => false))) {
        after = Number((await readFile(file, 'utf8')).trim());
      }
      (after >= INOTIFY_MINIMUMS[key] ? result.raised : result.low).push(key);
    }
    result.limits[key] = { before, after };
  }
  return result;
}
