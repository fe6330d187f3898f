import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { LoadedConfig } from '../config/load-config.ts';
import { ProdlikeError } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';
import { cacheDir, stateDir } from '../core/paths.ts';

/**
 * One command at a time per environment: a lock file `<project>/.prodlike/<env>/lock`, created with
 * O_CREAT|O_EXCL (atomic on local filesystems), holding the owner's pid, its start time, the command and
 * since when. A lock whose process is gone (dead pid, or the pid reused by a younger process) is stale
 * and taken over; the takeover itself is serialized by a second O_EXCL file so two waiters cannot both
 * steal it. Different environments have different directories and never wait for each other.
 */
export interface LockInfo {
  pid: number;
  /** Process start time (clock ticks since boot, /proc/<pid>/stat field 22) to detect pid reuse. */
  pidStart?: number | undefined;
  host: string;
  command: string;
  since: string;
  nonce: string;
}

export interface EnvLock extends AsyncDisposable {
  readonly file: string;
  readonly info: LockInfo;
  release(): Promise<void>;
}

export interface AcquireOptions {
  env: string;
  /** What the lock guards, in messages; default `environment "<env>"`. */
  subject?: string | undefined;
  /** What holds the lock, shown to whoever waits: "prodlike up". */
  command: string;
  /** How long to wait for a busy environment; 0 = fail at once. Default 0. */
  waitMs?: number;
  signal?: AbortSignal | undefined;
  /** Called once when the environment is busy and we start waiting. */
  onWait?: (message: string, holder: LockInfo) => void;
  pollMs?: number;
}

export const LOCK_FILE = 'lock';

export class EnvironmentBusyError extends ProdlikeError {
  constructor(env: string, holder: LockInfo, waitedMs: number, subject?: string) {
    super('PROVIDER_FAILED', `${busyMessage(env, holder, subject)}${waitedMs > 0 ? ` (waited ${Math.round(waitedMs / 1000)} s)` : ''}.`, {
      hint: `Wait for it to finish, or stop it (kill ${holder.pid}). A lock whose process has died is taken over automatically; `
        + 'PRODLIKE_LOCK_WAIT_MS sets how long commands wait (default 15 min).',
      details: { env, holder },
    });
  }
}

export function busyMessage(env: string, holder: LockInfo, subject = `environment "${env}"`): string {
  return `${subject} is busy: \`${holder.command}\` (pid ${holder.pid}${holder.host !== hostname() ? ` on ${holder.host}` : ''}) since ${holder.since}`;
}

/** Takes the environment's lock in `dir` (its state directory), waiting up to `waitMs` while it is busy. */
export async function acquireEnvLock(dir: string, options: AcquireOptions): Promise<EnvLock> {
  const file = join(dir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, pidStart: processStart(process.pid), host: hostname(), command: options.command, since: new Date().toISOString(), nonce: randomBytes(8).toString('hex') };
  const started = performance.now();
  let announced = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      // A recursive mkdir racing with a releaser's rmdir of the same directory can fail with ENOENT: retry.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    try {
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(info)}\n`);
      } finally {
        await handle.close();
      }
      return makeLock(dir, file, info);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // the directory was removed (a `down`) between mkdir and open
      if (code !== 'EEXIST') throw error;
    }
    const holder = await readLock(file);
    if (holder === 'missing') continue;
    if (holder === 'unreadable') {
      // Being written right now, or torn by a crash: stale once it is older than a few seconds.
      if (await olderThan(file, 5_000)) await takeOver(file, undefined);
      else await delay(50);
      continue;
    }
    if (isStale(holder)) {
      await takeOver(file, holder.nonce);
      continue;
    }
    const waited = performance.now() - started;
    if (waited >= (options.waitMs ?? 0)) throw new EnvironmentBusyError(options.env, holder, waited, options.subject);
    if (!announced) {
      announced = true;
      options.onWait?.(`${busyMessage(options.env, holder, options.subject)}; waiting for it to finish (Ctrl-C to stop waiting)`, holder);
    }
    try {
      await delay(options.pollMs ?? 250, undefined, options.signal ? { signal: options.signal } : undefined);
    } catch (cause) {
      throw new ProdlikeError('INTERRUPTED', `Stopped waiting: ${busyMessage(options.env, holder, options.subject)}.`, { cause, details: { env: options.env, holder } });
    }
  }
}

function makeLock(dir: string, file: string, info: LockInfo): EnvLock {
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    const holder = await readLock(file);
    // Only our own lock: the file may be gone (`down` removed the state dir) or another process's by now.
    if (typeof holder === 'object' && holder.nonce === info.nonce) await unlink(file).catch(() => undefined);
    await rmdir(dir).catch(() => undefined); // only when empty: a `down` leaves nothing behind
  };
  return { file, info, release, [Symbol.asyncDispose]: release };
}

/** The holder of `file`, 'missing' when there is none, 'unreadable' when it is not (yet) valid JSON. */
export async function readLock(file: string): Promise<LockInfo | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as LockInfo;
    return typeof parsed.pid === 'number' && typeof parsed.nonce === 'string' ? parsed : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** A holder on this host whose process is gone, or whose pid now belongs to a different process. */
export function isStale(holder: LockInfo): boolean {
  if (holder.host !== hostname()) return false; // cannot tell: never steal another host's lock
  if (!pidAlive(holder.pid)) return true;
  const start = processStart(holder.pid);
  return holder.pidStart !== undefined && start !== undefined && start !== holder.pidStart;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const value = Number(fields[19]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

async function olderThan(file: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(file)).mtimeMs > ms;
  } catch {
    return false;
  }
}

/**
 * Removes a stale lock, at most one process at a time: whoever creates `<lock>.takeover` (O_EXCL)
 * re-reads the lock and removes it only if it is still the same stale holder.
 */
async function takeOver(file: string, staleNonce: string | undefined): Promise<void> {
  const guard = `${file}.takeover`;
  let handle;
  try {
    handle = await open(guard, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (await olderThan(guard, 10_000)) await unlink(guard).catch(() => undefined); // a taker that died
    else await delay(50);
    return;
  }
  try {
    await handle.close();
    const current = await readLock(file);
    const same = staleNonce === undefined ? current === 'unreadable' : typeof current === 'object' && current.nonce === staleNonce;
    if (same) {
      const moved = `${file}.stale-${randomBytes(4).toString('hex')}`;
      await rename(file, moved).catch(() => undefined);
      await unlink(moved).catch(() => undefined);
    }
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** Default wait of CLI commands for a busy environment: PRODLIKE_LOCK_WAIT_MS, else 15 minutes. */
export function lockWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PRODLIKE_LOCK_WAIT_MS;
  const n = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : 15 * 60_000;
}

/**
 * The CLI wrapper: `await using _lock = await lockEnvironment(loaded, 'up', ctx);` at the top of a command
 * that changes the environment (up, down, run, load). Waiting is announced on the event bus and stops
 * on Ctrl-C; the lock is released when the command's scope ends, whatever the outcome.
 */
export async function lockEnvironment(loaded: LoadedConfig, command: string, ctx: { bus?: EventBus; abort?: AbortController }): Promise<EnvLock> {
  const env = loaded.config.name;
  return acquireEnvLock(stateDir(loaded.baseDir, env), {
    env,
    command: command.startsWith('prodlike') ? command : `prodlike ${command}`,
    waitMs: lockWaitMs(),
    signal: ctx.abort?.signal,
    onWait: (message) => ctx.bus?.emit({ kind: 'log', level: 'warn', source: 'safety.lock', message }),
  });
}

/**
 * One `prodlike setup` at a time per host cache (~/.cache/prodlike): two setups building the same images
 * (a debootstrap into one rootfs, one Go build cache) would trip over each other; a second one waits
 * (up to 3 hours: a cold kind node image takes about 21 min on 2 cores, longer on a loaded host) and then finds everything cached.
 * `up` runs setup for a newcomer and takes it too.
 */
export async function lockHostSetup(command: string, ctx: { bus?: EventBus; abort?: AbortController }, env: NodeJS.ProcessEnv = process.env): Promise<EnvLock> {
  const cache = cacheDir(env);
  return acquireEnvLock(join(cache, 'setup-lock'), {
    env: 'setup',
    subject: `this host's image cache (${cache})`,
    command: command.startsWith('prodlike') ? command : `prodlike ${command}`,
    waitMs: 3 * 60 * 60_000,
    signal: ctx.abort?.signal,
    onWait: (message) => ctx.bus?.emit({ kind: 'log', level: 'warn', source: 'safety.lock', message }),
  });
}
