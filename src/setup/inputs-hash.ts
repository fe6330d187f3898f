import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

const SKIP = new Set(['node_modules', 'dist', '.git', 'test']);

/** The default skip list of inputsHash: a path (relative, `/`-separated) under node_modules, dist, .git or test, or a *.log. */
export const skippedByDefault = (rel: string): boolean => rel.split('/').some((part) => SKIP.has(part)) || rel.endsWith('.log');

/**
 * A content hash of everything an artifact is built from (files of its build folder, shared scripts,
 * versions, the ID of the image it is built FROM). Stored as the image label `io.prodlike.inputs`:
 * an image whose label matches is up to date and is never rebuilt.
 */
export async function inputsHash(options: {
  paths: string[];
  extra?: Record<string, string | undefined>;
  /** Replaces the default skip list (node_modules, dist, .git, test, *.log): true leaves out a path (relative to its root, `/`-separated). */
  skip?: (relPath: string) => boolean;
}): Promise<string> {
  const hash = createHash('sha256');
  const skip = options.skip ?? skippedByDefault;
  for (const root of [...options.paths].sort()) {
    for (const file of await listFiles(root, root, skip)) {
      hash.update(`file:${relative(root, file)}\n`);
      hash.update(await readFile(file));
    }
  }
  for (const [key, value] of Object.entries(options.extra ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`extra:${key}=${value ?? ''}\n`);
  }
  return hash.digest('hex').slice(0, 24);
}

async function listFiles(path: string, root: string, skip: (relPath: string) => boolean): Promise<string[]> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return [];
  if (info.isFile()) return [path];
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(path, entry.name);
    if (skip(relative(root, full).split(sep).join('/'))) continue;
    if (entry.isDirectory()) out.push(...(await listFiles(full, root, skip)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}
