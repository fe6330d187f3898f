import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { mkdir, readFile, writeFile, copyFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { missingCapabilities, parseCapBnd } from '../core/capabilities.ts';
import { ProdlikeError } from '../core/errors.ts';
import { run } from '../core/exec.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { waitFor } from '../core/wait.ts';

export interface EngineState {
  serverVersion: string;
  started: boolean;
  installed: boolean;
}

async function serverVersion(): Promise<string | undefined> {
  try {
    const r = await run('docker', ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 15_000, allowFailure: true });
    return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

async function isDebianLike(): Promise<boolean> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(text);
}

async function hasCommand(name: string): Promise<boolean> {
  const r = await run('sh', ['-c', 'command -v "$1"', 'sh', name], { allowFailure: true, timeoutMs: 5_000 });
  return r.exitCode === 0;
}

/** apt-get install, only as root on Debian/Ubuntu; otherwise says exactly what the user must run. */
export async function aptInstall(packages: string[], progress: (m: string) => void): Promise<void> {
  if (process.getuid?.() !== 0 || !(await isDebianLike())) {
    throw new ProdlikeError('TOOL_MISSING', `Missing packages: ${packages.join(', ')}.`, {
      hint: `Install them (Debian/Ubuntu: sudo apt-get install -y ${packages.join(' ')}) and run setup again.`,
    });
  }
  progress('apt-get update');
  await run('apt-get', ['update', '-qq'], { timeoutMs: 5 * 60_000, onLine: progress });
  progress(`apt-get install ${packages.join(' ')}`);
  await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    timeoutMs: 15 * 60_000,
    env: { DEBIAN_FRONTEND: 'noninteractive' },
    onLine: progress,
  });
}

export async function ensureCommands(commands: Record<string, string>, progress: (m: string) => void): Promise<string[]> {
  const missing: string[] = [];
  for (const [command, pkg] of Object.entries(commands)) if (!(await hasCommand(command))) missing.push(pkg);
  if (missing.length) await aptInstall([...new Set(missing)], progress);
  return missing;
}

/**
 * A reachable Docker engine. When none answers and we are root on Debian/Ubuntu: install docker.io if
 * dockerd is missing, start dockerd as a daemon (these hosts have no systemd), wait until it answers.
 */
export async function ensureDockerEngine(cacheDir: string, progress: (m: string) => void): Promise<EngineState> {
  const existing = await serverVersion();
  if (existing) return { serverVersion: existing, started: false, installed: false };
  const root = process.getuid?.() === 0;
  if (!root || !(await isDebianLike())) {
    throw new ProdlikeError('DOCKER_UNAVAILABLE', 'No Docker engine answers (`docker version` has no server).', {
      hint: 'Start Docker (Docker Desktop, or `sudo systemctl start docker`), or run `npx prodlike setup` as root on Debian/Ubuntu to install and start it.',
    });
  }
  let installed = false;
  if (!(await hasCommand('dockerd'))) {
    await aptInstall(['docker.io'], progress);
    installed = true;
  }
  if (!(await hasCommand('docker'))) await aptInstall(['docker.io'], progress);
  await mkdir(cacheDir, { recursive: true });
  const log = join(cacheDir, 'dockerd.log');
  progress(`starting dockerd (log: ${log})`);
  const child = spawn('dockerd', [], { detached: true, stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')] });
  child.unref();
  const version = await waitFor(serverVersion, {
    timeoutMs: 90_000,
    intervalMs: 500,
    description: 'dockerd to answer `docker version`',
    hint: `See ${log}.`,
  });
  return { serverVersion: version, started: true, installed };
}

export interface PrivilegedState {
  missing: string[];
  shimInstalled: boolean;
  changed: boolean;
}

const SHIM_SOURCE = join(PACKAGE_ROOT, 'fixtures', 'runtime', 'prodlike-runc');
const SHIM_TARGET = '/usr/local/bin/prodlike-runc';
const DAEMON_JSON = '/etc/docker/daemon.json';

/**
 * Where the capability bounding set lacks capabilities Docker grants to `--privileged` containers,
 * register prodlike-runc as the default runtime (merged into daemon.json, applied with SIGHUP, which
 * dockerd reloads runtimes on). Elsewhere nothing is touched.
 */
export async function ensurePrivilegedRuntime(progress: (m: string) => void): Promise<PrivilegedState> {
  const status = await readFile('/proc/self/status', 'utf8');
  const bounding = parseCapBnd(status);
  const missing = bounding === undefined ? [] : missingCapabilities(bounding);
  if (missing.length === 0) return { missing, shimInstalled: false, changed: false };
  progress(`bounding set lacks ${missing.join(', ')}: installing prodlike-runc`);
  await ensureCommands({ jq: 'jq' }, progress);
  let changed = false;
  const current = existsSync(SHIM_TARGET) ? await readFile(SHIM_TARGET, 'utf8') : '';
  const wanted = await readFile(SHIM_SOURCE, 'utf8');
  if (current !== wanted) {
    await copyFile(SHIM_SOURCE, SHIM_TARGET);
    await chmod(SHIM_TARGET, 0o755);
    changed = true;
  }
  const daemon = existsSync(DAEMON_JSON) ? (JSON.parse(await readFile(DAEMON_JSON, 'utf8')) as Record<string, unknown>) : {};
  const runtimes = (daemon.runtimes ?? {}) as Record<string, { path: string }>;
  if (runtimes['prodlike-runc']?.path !== SHIM_TARGET || daemon['default-runtime'] !== 'prodlike-runc') {
    const next = { ...daemon, runtimes: { ...runtimes, 'prodlike-runc': { path: SHIM_TARGET } }, 'default-runtime': 'prodlike-runc' };
    await mkdir('/etc/docker', { recursive: true });
    await writeFile(DAEMON_JSON, `${JSON.stringify(next, null, 2)}\n`);
    changed = true;
  }
  const defaultRuntime = async () => (await run('docker', ['info', '--format', '{{.DefaultRuntime}}'], { allowFailure: true, timeoutMs: 15_000 })).stdout.trim();
  if ((await defaultRuntime()) !== 'prodlike-runc') {
    progress('reloading dockerd configuration (SIGHUP)');
    await run('pkill', ['-HUP', '-x', 'dockerd'], { allowFailure: true });
    await waitFor(async () => ((await defaultRuntime()) === 'prodlike-runc' ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 500,
      description: 'dockerd to use the prodlike-runc runtime',
      hint: `Restart dockerd by hand so it reads ${DAEMON_JSON}.`,
    });
    changed = true;
  }
  return { missing, shimInstalled: true, changed };
}
