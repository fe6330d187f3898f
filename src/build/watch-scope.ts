import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { skippedByDefault } from '../setup/inputs-hash.ts';
import { parseDockerIgnore } from './dockerignore.ts';
import type { BuildPlan } from './image-build.ts';

/**
 * What `prodlike dev` watches for one image of `build:`: its build context (recursively), minus what its
 * build leaves out of the change hash (a Dockerfile build: the context's .dockerignore and .git; a build
 * script or the reference app: node_modules, dist, .git, test and *.log, as inputsHash skips them, so a
 * script writing its dist/ into the context does not start another cycle), plus the Dockerfile or script
 * when they live outside the context.
 */
export interface WatchScope {
  image: string;
  context: string;
  /** Absolute files outside the context that are inputs too (Dockerfile, build script). */
  files: string[];
  /** true: a path relative to the context (`/`-separated) is not an input of the image. */
  ignores(relPath: string): boolean;
}

/** A directory to watch: the context recursively, or the folder of an input file outside it. */
export interface WatchRoot {
  dir: string;
  recursive: boolean;
  /** Not recursive: the input files' names in `dir`. */
  files: string[];
}

const inside = (dir: string, path: string): boolean => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** The scope of a plan, given the text of its context's .dockerignore (Dockerfile builds only). */
export function scopeOf(plan: BuildPlan, dockerignore?: string): WatchScope {
  const outside = [plan.via === 'dockerfile' ? plan.dockerfile : undefined, plan.script].filter((f): f is string => Boolean(f) && !inside(plan.context, f!));
  if (plan.via !== 'dockerfile') return { image: plan.image, context: plan.context, files: outside, ignores: skippedByDefault };
  const ignore = parseDockerIgnore(dockerignore);
  return { image: plan.image, context: plan.context, files: outside, ignores: (rel) => rel === '.git' || rel.startsWith('.git/') || ignore.ignores(rel) };
}

/** The scopes of the plans, each Dockerfile build's .dockerignore read now (read again when it changes). */
export async function loadScopes(plans: readonly BuildPlan[]): Promise<WatchScope[]> {
  return Promise.all(plans.map(async (plan) => {
    const file = join(plan.context, '.dockerignore');
    return scopeOf(plan, plan.via === 'dockerfile' && existsSync(file) ? await readFile(file, 'utf8') : undefined);
  }));
}

/** The images whose inputs an absolute path is (a change to it may change them). */
export function imagesForPath(path: string, scopes: readonly WatchScope[]): string[] {
  const hit = scopes.filter((s) => {
    if (s.files.includes(path)) return true;
    if (!inside(s.context, path)) return false;
    const rel = relative(s.context, path).split(sep).join('/');
    return rel !== '' && !s.ignores(rel);
  });
  return [...new Set(hit.map((s) => s.image))];
}

/** The directories to watch for the scopes: contexts recursively (nested ones folded in), input files' folders alone. */
export function watchRoots(scopes: readonly WatchScope[]): WatchRoot[] {
  const contexts = [...new Set(scopes.map((s) => s.context))].sort((a, b) => a.length - b.length);
  const recursive: string[] = [];
  for (const c of contexts) if (!recursive.some((r) => inside(r, c))) recursive.push(c);
  const files = [...new Set(scopes.flatMap((s) => s.files))].filter((f) => !recursive.some((r) => inside(r, f)));
  const fileDirs = [...new Set(files.map((f) => dirname(f)))];
  return [
    ...recursive.map((dir) => ({ dir, recursive: true, files: [] })),
    ...fileDirs.map((dir) => ({ dir, recursive: false, files: files.filter((f) => dirname(f) === dir).map((f) => basename(f)) })),
  ];
}

/** A change to a context's .dockerignore changes its scope: the scopes are read again. */
export const isDockerIgnore = (path: string, scopes: readonly WatchScope[]): boolean => scopes.some((s) => path === join(s.context, '.dockerignore'));
