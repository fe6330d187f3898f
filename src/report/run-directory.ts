import { randomBytes } from 'node:crypto';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UsageError } from '../core/errors.ts';

export interface RunDirectory {
  /** `<timestamp>-<id>`, e.g. `20250102T030405Z-failover`. */
  runId: string;
  path: string;
  startedAt: number;
}

/** `20250102T030405Z` (UTC, sortable, no characters that need quoting). */
export function runTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/**
 * Creates `runs/<timestamp>-<id>/` (root default `runs` under the working directory). `id` defaults to 6
 * random hex characters; it is reduced to `[a-z0-9-]` so the name is safe in shells and URLs.
 */
export async function createRunDirectory(options: { root?: string; id?: string; now?: Date } = {}): Promise<RunDirectory> {
  const now = options.now ?? new Date();
  const id = (options.id ?? randomBytes(3).toString('hex')).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
  const runId = `${runTimestamp(now)}-${id}`;
  const path = resolve(options.root ?? 'runs', runId);
  await mkdir(path, { recursive: true });
  return { runId, path, startedAt: now.getTime() };
}

/** Run directories under `root` (those holding a results.json or journal), oldest first. */
export async function listRuns(root = 'runs'): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(resolve(root));
  } catch {
    return [];
  }
  const runs: string[] = [];
  for (const name of entries.sort()) {
    if (!/^\d{8}T\d{6}Z-/.test(name)) continue;
    const dir = join(resolve(root), name);
    if ((await stat(dir)).isDirectory()) runs.push(dir);
  }
  return runs;
}

/**
 * Finds a run for `prodlike report [run]`: undefined or `latest` → the newest; otherwise a path, an exact
 * run id, or a unique prefix/suffix of one (`failover`, `20250102T03`).
 */
export async function resolveRunDirectory(ref: string | undefined, root = 'runs'): Promise<string> {
  const runs = await listRuns(root);
  if (ref === undefined || ref === 'latest') {
    const latest = runs.at(-1);
    if (!latest) throw new UsageError(`No runs found under ${resolve(root)}.`, { hint: 'Run scenarios first (npm run scenarios), or pass the path of a run directory.' });
    return latest;
  }
  try {
    if ((await stat(ref)).isDirectory()) return resolve(ref);
  } catch {
    // not a path
  }
  const names = runs.map((r) => ({ dir: r, name: r.slice(resolve(root).length + 1) }));
  const exact = names.find((r) => r.name === ref);
  if (exact) return exact.dir;
  const matches = names.filter((r) => r.name.startsWith(ref) || r.name.endsWith(ref));
  if (matches.length === 1) return matches[0]!.dir;
  throw new UsageError(
    matches.length === 0 ? `No run matches "${ref}" under ${resolve(root)}.` : `"${ref}" matches ${matches.length} runs: ${matches.map((m) => m.name).join(', ')}.`,
    { hint: `Give a full run id; known runs: ${names.slice(-5).map((m) => m.name).join(', ') || 'none'}.` },
  );
}
