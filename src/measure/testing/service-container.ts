import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { hrNow } from '../clock.ts';

/**
 * A throw-away service container for the measurement integration tests (calibration, checks, sentinel
 * sinks): a locally built image, its port published on 127.0.0.1 only, labelled io.prodlike.managed=true,
 * removed by `remove()`. Docker is driven through dockerode (no image pulls: the image must exist).
 */
export interface ServiceContainer {
  id: string;
  name: string;
  host: '127.0.0.1';
  port: number;
  docker: Docker;
  container: Docker.Container;
  /** Timestamps (hrNow) taken right before and after the Docker API call. */
  pause(): Promise<{ before: number; after: number }>;
  unpause(): Promise<{ before: number; after: number }>;
  kill(signal?: string): Promise<{ before: number; after: number }>;
  start(): Promise<{ before: number; after: number }>;
  /** Host port after a restart (Docker may assign a new one when the binding is dynamic). */
  refreshPort(): Promise<number>;
  remove(): Promise<void>;
}

export interface ServiceContainerOptions {
  image: string;
  containerPort: number;
  env?: Record<string, string>;
  cmd?: string[];
  /** Publish on this fixed host port (keeps the URL stable across restarts); default a free one. */
  hostPort?: number;
  namePrefix?: string;
}

/** A free TCP port on 127.0.0.1 (for a fixed binding that survives container restarts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port assigned'))));
    });
  });
}

export function dockerClient(): Docker {
  return new Docker();
}

/** The first of `tags` present locally, polling up to `waitMs` (another process may be building it). */
export async function findLocalImage(tags: readonly string[], waitMs = 0, docker = dockerClient()): Promise<string | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    for (const tag of tags) {
      try {
        await docker.getImage(tag).inspect();
        return tag;
      } catch {
        // not (yet) present
      }
    }
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export async function startServiceContainer(options: ServiceContainerOptions, docker = dockerClient()): Promise<ServiceContainer> {
  const portKey = `${options.containerPort}/tcp`;
  const name = `${options.namePrefix ?? 'prodlike-measure'}-${randomBytes(3).toString('hex')}`;
  const container = await docker.createContainer({
    name,
    Image: options.image,
    ...(options.cmd ? { Cmd: options.cmd } : {}),
    Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
    Labels: { 'io.prodlike.managed': 'true', 'io.prodlike.purpose': 'measure-integration-test' },
    ExposedPorts: { [portKey]: {} },
    HostConfig: { PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: options.hostPort ? String(options.hostPort) : '' }] } },
  });
  const timed = async (work: () => Promise<unknown>) => {
    const before = hrNow();
    await work();
    return { before, after: hrNow() };
  };
  const readPort = async () => {
    const info = await container.inspect();
    const binding = info.NetworkSettings.Ports?.[portKey]?.[0];
    if (!binding) throw new Error(`container ${name} has no host binding for ${portKey}; is it running?`);
    return Number(binding.HostPort);
  };
  try {
    await container.start();
    const service: ServiceContainer = {
      id: container.id,
      name,
      host: '127.0.0.1',
      port: await readPort(),
      docker,
      container,
      pause: () => timed(() => container.pause()),
      unpause: () => timed(() => container.unpause()),
      kill: (signal = 'SIGKILL') => timed(() => container.kill({ signal })),
      start: () => timed(() => container.start()),
      async refreshPort() {
        service.port = await readPort();
        return service.port;
      },
      remove: () => container.remove({ force: true, v: true }).then(() => undefined),
    };
    return service;
  } catch (error) {
    await container.remove({ force: true, v: true }).catch(() => undefined);
    throw error;
  }
}
