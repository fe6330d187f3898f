import { ProdlikeError } from '../../core/errors.ts';
import { run } from '../../core/exec.ts';
import { waitFor } from '../../core/wait.ts';

/** The registry's port inside its container (the official distribution image's). */
export const REGISTRY_PORT = 5000;

export interface RegistryContainerOptions {
  name: string;
  image: string;
  /** The docker network the kind nodes are on: they reach the registry by its container name. */
  network: string;
  /** Every label the container carries (prodlike's ownership labels: the caller's to choose). */
  labels: Readonly<Record<string, string>>;
  /** A named volume for /var/lib/registry (kept when the container goes). */
  volume?: string;
  /** Restarted with the Docker engine (`--restart unless-stopped`). */
  keep?: boolean;
}

/**
 * A distribution registry in a labelled container on the kind network, published on 127.0.0.1 only (a port
 * Docker picks), answering on `/v2/`: the dev loop's layer cache (dev-registry.ts) and the online-path test's
 * mirror (testing/loopback-mirror.ts). The callers decide whether a container of that name is theirs before
 * starting or reusing one; this only runs it and finds its address.
 */
export const RegistryContainer = {
  async start(options: RegistryContainerOptions): Promise<void> {
    await run('docker', [
      'run', '-d', '--name', options.name, '--network', options.network, ...(options.keep ? ['--restart', 'unless-stopped'] : []),
      ...Object.entries(options.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      ...(options.volume ? ['-v', `${options.volume}:/var/lib/registry`] : []),
      '-p', `127.0.0.1::${REGISTRY_PORT}`, options.image,
    ], { timeoutMs: 120_000 });
  },

  /** `127.0.0.1:<port>` where the container publishes the registry, once it answers on `/v2/`. */
  async address(name: string, options: { timeoutMs?: number } = {}): Promise<string> {
    const published = await run('docker', ['port', name, `${REGISTRY_PORT}/tcp`], { allowFailure: true, timeoutMs: 30_000 });
    const address = published.stdout.split('\n').map((l) => l.trim()).find((l) => l.startsWith('127.0.0.1:'));
    if (!address) {
      throw new ProdlikeError('DOCKER_UNAVAILABLE', `The registry container ${name} publishes no 127.0.0.1 port for ${REGISTRY_PORT}/tcp.`, { hint: `docker rm -f ${name}; prodlike starts it again when it needs it.` });
    }
    await waitFor(async () => (await fetch(`http://${address}/v2/`, { signal: AbortSignal.timeout(2_000) })).ok, {
      timeoutMs: options.timeoutMs ?? 30_000, intervalMs: 200, description: `the registry ${name} to answer on http://${address}/v2/`, hint: `docker logs ${name}`,
    });
    return address;
  },
} as const;
