import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { ProdlikeError } from '../../../core/errors.ts';
import { run } from '../../../core/exec.ts';
import { waitFor } from '../../../core/wait.ts';
import { PRODLIKE_LABELS } from '../../../safety/ownership.ts';
import { REGISTRY_PORT, RegistryContainer } from '../registry-container.ts';

/**
 * The online image path exercised without a registry on the internet (issue #18): the distribution registry on
 * 127.0.0.1 and on the kind network, serving the images `prodlike setup` built here under the official names
 * (`postgres:15-alpine` as `library/postgres:15-alpine`, `quay.io/minio/minio:…` as `minio/minio:…`), a mirror for
 * the host's Docker engine (docker.io only: the engine has no mirrors for other registries) and, through
 * `kind.registryMirrors`, for containerd in the kind nodes (every registry: containerd sends the upstream host as
 * `?ns=`, which the registry ignores, so one registry serves them all).
 * Test support only: the container and its volume are labelled io.prodlike.role=online-mirror; the volume is kept
 * between runs (a push then sends only the layers it lacks).
 */

export const MIRROR_ROLE = 'online-mirror';
const DAEMON_JSON = '/etc/docker/daemon.json';

/** A registry host and the repository path under it (`docker.io`, `library/postgres:15-alpine`), as Docker normalises a reference. */
export function splitReference(image: string): { host: string; path: string } {
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) return { host: first, path: image.slice(slash + 1) };
  return { host: 'docker.io', path: slash < 0 ? `library/${image}` : image };
}

export interface PushedImage {
  /** The locally built image. */
  local: string;
  /** The official name it is served under. */
  official: string;
  ms: number;
}

export class LoopbackMirror implements AsyncDisposable {
  private constructor(
    /** Container name, also its host name on the kind network. */
    readonly name: string,
    /** `127.0.0.1:<port>`: where this host pushes and the Docker engine pulls. */
    readonly hostAddress: string,
  ) {}

  /** Where kind nodes reach it: plain HTTP on the kind network. */
  get nodeEndpoint(): string {
    return `http://${this.name}:${REGISTRY_PORT}`;
  }

  /** Starts (or restarts) the labelled registry container; a container of that name prodlike did not label is refused. */
  static async start(options: { name: string; image: string; network: string; volume: string }): Promise<LoopbackMirror> {
    const labels = { [PRODLIKE_LABELS.managed]: 'true', [PRODLIKE_LABELS.role]: MIRROR_ROLE };
    const existing = await run('docker', ['inspect', '--format', `{{index .Config.Labels "${PRODLIKE_LABELS.role}"}}`, options.name], { allowFailure: true, timeoutMs: 30_000 });
    if (existing.exitCode === 0) {
      if (existing.stdout.trim() !== MIRROR_ROLE) throw new ProdlikeError('OWNERSHIP_REFUSED', `Container ${options.name} exists and is not prodlike's online mirror.`, { hint: `Remove or rename it yourself (docker rm -f ${options.name}).` });
      await run('docker', ['rm', '-f', options.name], { timeoutMs: 60_000 });
    }
    const volume = await run('docker', ['volume', 'inspect', '--format', `{{index .Labels "${PRODLIKE_LABELS.role}"}}`, options.volume], { allowFailure: true, timeoutMs: 30_000 });
    if (volume.exitCode === 0 && volume.stdout.trim() !== MIRROR_ROLE) throw new ProdlikeError('OWNERSHIP_REFUSED', `Volume ${options.volume} exists and is not prodlike's online mirror's.`, { hint: 'Remove or rename it yourself.' });
    if (volume.exitCode !== 0) await run('docker', ['volume', 'create', ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]), options.volume], { timeoutMs: 30_000 });
    await RegistryContainer.start({ name: options.name, image: options.image, network: options.network, labels, volume: options.volume });
    const port = await RegistryContainer.address(options.name);
    return new LoopbackMirror(options.name, port);
  }

  /** Serves `local` under `official`: a push of only the layers the registry lacks; the temporary tag is removed. */
  async push(local: string, official: string): Promise<PushedImage> {
    const started = performance.now();
    const ref = `${this.hostAddress}/${splitReference(official).path}`;
    await run('docker', ['tag', local, ref], { timeoutMs: 30_000 });
    try {
      await run('docker', ['push', '--quiet', ref], { timeoutMs: 15 * 60_000 });
    } finally {
      await run('docker', ['rmi', ref], { allowFailure: true, timeoutMs: 60_000 });
    }
    return { local, official, ms: performance.now() - started };
  }

  /** The registry's access log: manifest requests answered (a pull's first requests), with the `ns` (upstream registry) containerd sent; the engine sends none. */
  async manifestPulls(): Promise<{ repository: string; reference: string; ns: string }[]> {
    const logs = await run('docker', ['logs', this.name], { timeoutMs: 60_000 });
    const out: { repository: string; reference: string; ns: string }[] = [];
    for (const m of `${logs.stdout}\n${logs.stderr}`.matchAll(/"(?:GET|HEAD) \/v2\/(.+?)\/manifests\/([^ ?"]+)(?:\?ns=([^ "&]+))? HTTP\/[\d.]+" 200/g)) {
      out.push({ repository: m[1]!, reference: m[2]!, ns: m[3] ?? 'docker.io (engine)' });
    }
    return out;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await run('docker', ['rm', '-f', this.name], { allowFailure: true, timeoutMs: 60_000 });
  }
}

/**
 * The host's Docker engine pulling docker.io images through `endpoint` (daemon.json `registry-mirrors`, applied by
 * SIGHUP: a reloadable option, no restart). Disposing puts the file back as it was and reloads again. Why it cannot
 * be done here, or undefined: not root, no dockerd process on this host, or dockerd started with its own config file.
 */
export async function engineMirrorUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'not root: the Docker engine\'s registry-mirrors (/etc/docker/daemon.json) cannot be set';
  const pid = await dockerdPid();
  if (!pid) return 'no dockerd process on this host (a remote or rootless engine): its registry-mirrors cannot be set';
  const args = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (args.includes('--config-file') || args.includes('--registry-mirror')) return `dockerd runs with ${args.includes('--config-file') ? '--config-file' : '--registry-mirror'}: ${DAEMON_JSON} is not what it reloads`;
  return undefined;
}

async function dockerdPid(): Promise<number | undefined> {
  const r = await run('pidof', ['dockerd'], { allowFailure: true, timeoutMs: 10_000 }).catch(() => undefined);
  const pid = Number(r?.stdout.trim().split(/\s+/)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function mirrorsOfEngine(): Promise<string[]> {
  const r = await run('docker', ['info', '--format', '{{json .RegistryConfig.Mirrors}}'], { timeoutMs: 30_000 });
  return (JSON.parse(r.stdout.trim() || 'null') as string[] | null) ?? [];
}

export async function useEngineMirror(endpoint: string): Promise<AsyncDisposable> {
  // The file as it was before any run, kept beside it until put back: a run that died before putting it back left
  // its mirror in the file, and the next run restores from the backup rather than keeping that.
  const backup = `${DAEMON_JSON}.prodlike-online-backup`;
  const saved = await readFile(backup, 'utf8').catch(() => undefined);
  const original = saved !== undefined ? (saved === '' ? undefined : saved) : await readFile(DAEMON_JSON, 'utf8').catch(() => undefined);
  if (saved === undefined) await writeFile(backup, original ?? '');
  const config = original ? (JSON.parse(original) as Record<string, unknown>) : {};
  const write = async (text: string) => {
    await writeFile(`${DAEMON_JSON}.prodlike-tmp`, text);
    await rename(`${DAEMON_JSON}.prodlike-tmp`, DAEMON_JSON);
    const pid = await dockerdPid();
    if (pid) process.kill(pid, 'SIGHUP');
  };
  const wanted = endpoint.replace(/\/*$/, '/');
  await write(`${JSON.stringify({ ...config, 'registry-mirrors': [endpoint] }, null, 2)}\n`);
  await waitFor(async () => (await mirrorsOfEngine()).includes(wanted), { timeoutMs: 30_000, intervalMs: 200, description: `the Docker engine to reload ${DAEMON_JSON} with registry-mirrors ${endpoint}` });
  return {
    async [Symbol.asyncDispose]() {
      // A reload leaves an option the file does not set as it was: the mirrors are emptied explicitly first, then
      // the file gets its original bytes back (the running engine then matches it).
      await write(`${JSON.stringify({ ...config, 'registry-mirrors': [] }, null, 2)}\n`);
      await waitFor(async () => !(await mirrorsOfEngine()).includes(wanted), { timeoutMs: 30_000, intervalMs: 200, description: `the Docker engine to drop the mirror ${endpoint}` });
      if (original === undefined) await rm(DAEMON_JSON, { force: true });
      else await writeFile(DAEMON_JSON, original);
      await rm(backup, { force: true });
    },
  };
}
