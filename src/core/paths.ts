import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (package) root: where prodlike's own fixtures, manifests and scripts live. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const PACKAGE_VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Build cache: images, Go builds, tools. `$PRODLIKE_CACHE`, default `~/.cache/prodlike`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PRODLIKE_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'prodlike');
}

/** Tools prodlike built or installed (kind, kubectl, k6…). Searched before PATH. */
export function toolBinDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), 'bin');
}

/** Per-environment state (state file, secrets, locks): `<project>/.prodlike/<env>/`. */
export function stateDir(projectDir: string, envName: string): string {
  return join(projectDir, '.prodlike', envName);
}

/** The fault journal's file name in an environment's state dir (src/safety/fault-journal.ts). */
export const FAULT_JOURNAL_FILE = 'faults.json';

/** The environment's fault journal: present while a journalled fault is not healed. */
export function faultJournalFile(projectDir: string, envName: string): string {
  return join(stateDir(projectDir, envName), FAULT_JOURNAL_FILE);
}
