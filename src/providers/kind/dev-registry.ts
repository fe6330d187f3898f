import { ProdlikeError } from '../../core/errors.ts';
import { run } from '../../core/exec.ts';
import { labelProblem, PRODLIKE_LABELS } from '../../safety/ownership.ts';
import { REGISTRY_PORT, RegistryContainer } from './registry-container.ts';

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

interface Inspected { running: boolean; labels: Record<string, string> }

async function inspect(name: string): Promise<Inspected | undefined> {
  const r = await run('docker', ['container', 'inspect', '--format', '{{json .State.Running}}\t{{json .Config.Labels}}', name], { allowFailure: true, timeoutMs: 30_000 });
  if (r.exitCode !== 0) return undefined;
  const [running, labels] = r.stdout.trim().split('\t');
  return { running: running === 'true', labels: (JSON.parse(labels ?? 'null') as Record<string, string> | null) ?? {} };
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
  const found = await inspect(name);
  const problem = found ? notOwned(found, options.env) : undefined;
  if (problem) {
    throw new ProdlikeError('OWNERSHIP_REFUSED', `Refusing to use container ${name} as the dev registry of environment "${options.env}": it ${problem}.`, {
      hint: `Rename or remove that container yourself (docker rm -f ${name}); prodlike only touches what it created.`,
      details: { container: name },
    });
  }
  if (!found) {
    options.progress?.(`starting the dev registry ${name} (${options.image}) on 127.0.0.1`);
    const labels = { [PRODLIKE_LABELS.managed]: 'true', [PRODLIKE_LABELS.env]: options.env, [PRODLIKE_LABELS.role]: DEV_REGISTRY_ROLE };
    await RegistryContainer.start({ name, image: options.image, network: options.network, labels, keep: true });
  } else if (!found.running) {
    await run('docker', ['start', name], { timeoutMs: 60_000 });
  }
  const pushHost = await RegistryContainer.address(name, { timeoutMs: options.timeoutMs ?? 30_000 });
  return { name, pushHost, pullHost: `${name}:${REGISTRY_PORT}` };
}

/** Removes the environment's dev registry (and its storage), if prodlike started one for it. */
export async function removeDevRegistry(env: string): Promise<string | undefined> {
  const name = devRegistryName(env);
  const found = await inspect(name);
  if (!found || notOwned(found, env)) return undefined;
  await run('docker', ['rm', '-f', '-v', name], { timeoutMs: 60_000 });
  return `dev registry ${name}`;
}
