import { ProdlikeError } from '../../core/errors.ts';
import { run } from '../../core/exec.ts';
import { waitFor } from '../../core/wait.ts';
import { labelProblem, PRODLIKE_LABELS } from '../../safety/ownership.ts';

/** The registry's port inside its container (the official image's). */
const PORT = 5000;
/** io.prodlike.role of the container: what `down` and the ownership checks look for. */
export const DEV_REGISTRY_ROLE = 'dev-registry';

export interface DevRegistry {
  /** The container's name, also its host name on the kind network (the nodes pull from `<name>:5000`). */
  name: string;
  /** Where the host pushes: `127.0.0.1:<published port>`. */
  pushHost: string;
  /** Where the nodes pull: `<name>:5000`, plain HTTP on the kind network. */
  pullHost: string;
}

/** The environment's registry container: one per environment, named after it. */
export const devRegistryName = (env: string): string => `prodlike-registry-${env}`;

/** `prodlike.local/app:0.1.0-dev.abc` under a registry host: `<host>/prodlike.local/app:0.1.0-dev.abc`. */
export function registryRef(host: string, image: string): string {
  return `${host}/${image.replace(/^docker\.io\//, '')}`;
}

interface Inspected { running: boolean; labels: Record<string, string>; hostPort?: string }

async function inspect(name: string): Promise<Inspected | undefined> {
  const r = await run('docker', ['container', 'inspect', '--format', '{{json .State.Running}}\t{{json .Config.Labels}}\t{{json .NetworkSettings.Ports}}', name], { allowFailure: true, timeoutMs: 30_000 });
  if (r.exitCode !== 0) return undefined;
  const [running, labels, ports] = r.stdout.trim().split('\t');
  const bindings = (JSON.parse(ports ?? 'null') as Record<string, { HostIp: string; HostPort: string }[] | null> | null)?.[`${PORT}/tcp`] ?? [];
  const hostPort = bindings.find((b) => b.HostIp === '127.0.0.1')?.HostPort;
  return { running: running === 'true', labels: (JSON.parse(labels ?? 'null') as Record<string, string> | null) ?? {}, ...(hostPort ? { hostPort } : {}) };
}

/** Why the container is not this environment's dev registry (safety/ownership.ts labelProblem), or undefined. */
const notOwned = (c: Inspected, env: string) => labelProblem(c.labels, env, DEV_REGISTRY_ROLE);

/**
 * The dev loop's layer cache on kind, started on first use and kept with the environment (`down` removes it):
 * the distribution registry in a container labelled for the environment, on the kind network (the nodes reach it
 * by name), published on 127.0.0.1 only (a port Docker picks). A push sends only the layers it does not hold,
 * a node's pull fetches only the layers its content store lacks: a one-line change moves kilobytes instead of the
 * whole image through every node's `ctr import`. A container of that name that prodlike did not label for this
 * environment is refused, never reused or removed.
 */
export async function ensureDevRegistry(options: { env: string; image: string; network: string; progress?: (line: string) => void; timeoutMs?: number }): Promise<DevRegistry> {
  const name = devRegistryName(options.env);
  let found = await inspect(name);
  const problem = found ? notOwned(found, options.env) : undefined;
  if (problem) {
    throw new ProdlikeError('OWNERSHIP_REFUSED', `Refusing to use container ${name} as the dev registry of environment "${options.env}": it ${problem}.`, {
      hint: `Rename or remove that container yourself (docker rm -f ${name}); prodlike only touches what it created.`,
      details: { container: name },
    });
  }
  if (!found) {
    options.progress?.(`starting the dev registry ${name} (${options.image}) on 127.0.0.1`);
    await run('docker', [
      'run', '-d', '--name', name, '--network', options.network, '--restart', 'unless-stopped',
      '--label', `${PRODLIKE_LABELS.managed}=true`, '--label', `${PRODLIKE_LABELS.env}=${options.env}`, '--label', `${PRODLIKE_LABELS.role}=${DEV_REGISTRY_ROLE}`,
      '-p', `127.0.0.1::${PORT}`, options.image,
    ], { timeoutMs: 120_000 });
  } else if (!found.running) {
    await run('docker', ['start', name], { timeoutMs: 60_000 });
  }
  found = await inspect(name);
  const hostPort = found?.hostPort;
  if (!hostPort) throw new ProdlikeError('DOCKER_UNAVAILABLE', `The dev registry ${name} publishes no 127.0.0.1 port for ${PORT}/tcp.`, { hint: `docker rm -f ${name}; the next build starts it again.` });
  const pushHost = `127.0.0.1:${hostPort}`;
  await waitFor(async () => (await fetch(`http://${pushHost}/v2/`, { signal: AbortSignal.timeout(2_000) })).ok, {
    timeoutMs: options.timeoutMs ?? 30_000, intervalMs: 200, description: `the dev registry ${name} to answer on http://${pushHost}/v2/`,
    hint: `docker logs ${name}`,
  });
  return { name, pushHost, pullHost: `${name}:${PORT}` };
}

/** Removes the environment's dev registry (and its storage), if prodlike started one for it. */
export async function removeDevRegistry(env: string): Promise<string | undefined> {
  const name = devRegistryName(env);
  const found = await inspect(name);
  if (!found || notOwned(found, env)) return undefined;
  await run('docker', ['rm', '-f', '-v', name], { timeoutMs: 60_000 });
  return `dev registry ${name}`;
}
