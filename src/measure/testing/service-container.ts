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
  /**
   * SIGKILL of the container's main process from the host (as the OOM killer or a crash would): Docker
   * sees the process die and, with a `restartPolicy`, restarts it itself. Throws when the process is not
   * visible from here (Docker Desktop, rootless or remote engines): callers skip with that reason.
   */
  crash(): Promise<{ before: number; after: number; pid: number }>;
  /** Host port after a restart (Docker may assign a new one when the binding is dynamic). */
  refreshPort(): Promise<number>;
  /** Log lines (stdout and stderr) with Docker's own timestamps (epoch ms), oldest first. */
  logLines(sinceMs?: number): Promise<Array<{ at: number; line: string }>>;
  /** Docker events of this container from now on (`die`, `start`, `pause`…) with the engine's timestamps. */
  watchEvents(): Promise<ContainerEventLog>;
  remove(): Promise<void>;
}

export interface ContainerEventLog {
  readonly events: ReadonlyArray<{ action: string; at: number; exitCode?: string }>;
  stop(): void;
}

export interface ServiceContainerOptions {
  image: string;
  containerPort: number;
  env?: Record<string, string>;
  cmd?: string[];
  /** Publish on this fixed host port (keeps the URL stable across restarts); default a free one. */
  hostPort?: number;
  namePrefix?: string;
  /** Let the engine restart the container when its process dies (e.g. `always`). Default none. */
  restartPolicy?: 'always' | 'unless-stopped' | 'on-failure';
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
    HostConfig: {
      PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: options.hostPort ? String(options.hostPort) : '' }] },
      ...(options.restartPolicy ? { RestartPolicy: { Name: options.restartPolicy } } : {}),
    },
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
      async crash() {
        const pid = (await container.inspect()).State.Pid;
        if (!pid) throw new Error(`container ${name} has no running process to kill`);
        let result: { before: number; after: number } | undefined;
        try {
          result = await timed(async () => process.kill(pid, 'SIGKILL'));
        } catch (error) {
          throw new Error(`cannot signal the process ${pid} of container ${name} from this host (${(error as Error).message}); the engine's processes are not visible here (Docker Desktop, rootless or remote engine)`, { cause: error });
        }
        return { ...result, pid };
      },
      logLines: (sinceMs) => readLogLines(container, sinceMs),
      watchEvents: () => watchContainerEvents(docker, container.id),
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

async function readLogLines(container: Docker.Container, sinceMs = 0): Promise<Array<{ at: number; line: string }>> {
  const raw = (await container.logs({ stdout: true, stderr: true, timestamps: true, follow: false, since: Math.floor(sinceMs / 1000) })) as unknown as Buffer;
  const text: string[] = [];
  // Non-TTY logs are multiplexed: 8-byte frame headers (stream, 0, 0, 0, size as uint32 BE) before each chunk.
  for (let i = 0; i + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(i + 4);
    text.push(raw.subarray(i + 8, i + 8 + size).toString('utf8'));
    i += 8 + size;
  }
  const lines: Array<{ at: number; line: string }> = [];
  for (const row of text.join('').split('\n')) {
    const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z (.*)$/.exec(row);
    if (!match) continue;
    const fraction = Number(`0${match[2] ?? ''}`);
    lines.push({ at: Date.parse(`${match[1]}Z`) + fraction * 1000, line: match[3]! });
  }
  return lines.filter((l) => l.at >= sinceMs).sort((a, b) => a.at - b.at);
}

async function watchContainerEvents(docker: Docker, id: string): Promise<ContainerEventLog> {
  const events: Array<{ action: string; at: number; exitCode?: string }> = [];
  const stream = (await docker.getEvents({ filters: { container: [id] } })) as NodeJS.ReadableStream & { destroy?: () => void };
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      const e = JSON.parse(line) as { Action?: string; timeNano?: number; Actor?: { Attributes?: Record<string, string> } };
      const exitCode = e.Actor?.Attributes?.exitCode;
      if (e.Action && e.timeNano) events.push({ action: e.Action, at: e.timeNano / 1e6, ...(exitCode === undefined ? {} : { exitCode }) });
    }
  });
  stream.on('error', () => undefined);
  return { events, stop: () => stream.destroy?.() };
}
