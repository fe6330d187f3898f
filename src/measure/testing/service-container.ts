import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { isBindError } from '../../core/bind-error.ts';
import { ProdlikeError } from '../../core/errors.ts';
import { hrNow } from '../clock.ts';

/**
 * A throw-away service container for the measurement integration tests (calibration, checks, sentinel
 * sinks): a locally built image, its port published on 127.0.0.1 only, labelled io.prodlike.managed=true,
 * removed by `remove()`. Docker is driven through dockerode (no image pulls: the image must exist).
 *
 * Ports (issue #14): the engine chooses the host port when it binds it and the port is read back; no port is
 * picked before it is bound. With `keepPort`, the port must stay the same across restarts (`start()` after
 * `kill()`, or the engine's restart policy), and a dynamic binding gets a new port at each start: so the
 * engine chooses once (a first container, removed) and the service's container is created bound to that
 * port. Should another process take it in between, setup starts over with a new choice of the engine.
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
  /**
   * Starts the container again (after `kill`). With `keepPort`, its port is free only while nothing else
   * takes it: while another process holds it, the start is tried again (back-off, RESTART_ATTEMPTS in all,
   * then PORT_IN_USE). `before` is the first attempt's, `attempts` > 1 says the port was taken meanwhile.
   */
  start(): Promise<{ before: number; after: number; attempts: number }>;
  /**
   * SIGKILL of the container's main process from the host (as the OOM killer or a crash would): Docker
   * sees the process die and, with a `restartPolicy`, restarts it itself. Throws when the process is not
   * visible from here (Docker Desktop, rootless or remote engines): callers skip with that reason.
   */
  crash(): Promise<{ before: number; after: number; pid: number }>;
  /** Host port after a restart (Docker may assign a new one when the binding is dynamic). */
  refreshPort(): Promise<number>;
  /**
   * Why the engine's last start of the container failed, when it failed to bind its host port (another
   * process took it while the container was down, e.g. between a crash and the restart policy's start);
   * undefined otherwise. The engine does not retry such a start: the container stays exited.
   */
  bindFailure(): Promise<string | undefined>;
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
  /**
   * The same host port after restarts (`start()`, the engine's restart policy): the engine's first choice,
   * then pinned (see above). Default: the engine chooses at each start (read `port` / `refreshPort()`).
   */
  keepPort?: boolean;
  namePrefix?: string;
  /** Let the engine restart the container when its process dies (e.g. `always`). Default none. */
  restartPolicy?: 'always' | 'unless-stopped' | 'on-failure';
}

/** Setup chooses a port again this many times when another process takes the engine's choice before the pin. */
const SETUP_ATTEMPTS = 5;
/** A `start()` on a kept port waits for another process to let go of it this many times (back-off 250 ms × n). */
const RESTART_ATTEMPTS = 8;

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

/** The host port the engine bound for `portKey` of a running container. */
async function boundPort(container: Docker.Container, name: string, portKey: string): Promise<number> {
  const info = await container.inspect();
  const binding = info.NetworkSettings.Ports?.[portKey]?.[0];
  if (!binding) throw new Error(`container ${name} has no host binding for ${portKey}; is it running?`);
  return Number(binding.HostPort);
}

/**
 * Creates and starts the container on 127.0.0.1: the engine's port choice (HostPort 0), or with `keepPort`
 * that choice pinned (created again on it, so restarts keep it), chosen again when another process takes it
 * before the pin. A failed start removes what it created.
 */
async function createStarted(docker: Docker, options: ServiceContainerOptions, name: string, portKey: string): Promise<{ container: Docker.Container; port: number }> {
  const created = async (hostPort: number) => {
    const container = await docker.createContainer({
      name,
      Image: options.image,
      ...(options.cmd ? { Cmd: options.cmd } : {}),
      Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
      Labels: { 'io.prodlike.managed': 'true', 'io.prodlike.purpose': 'measure-integration-test' },
      ExposedPorts: { [portKey]: {} },
      HostConfig: {
        // HostPort 0: the engine chooses when it binds.
        PortBindings: { [portKey]: [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] },
        ...(options.restartPolicy ? { RestartPolicy: { Name: options.restartPolicy } } : {}),
      },
    });
    try {
      await container.start();
      return { container, port: await boundPort(container, name, portKey) };
    } catch (error) {
      await container.remove({ force: true, v: true }).catch(() => undefined);
      throw error;
    }
  };
  if (!options.keepPort) return created(0);
  for (let attempt = 1; ; attempt++) {
    const first = await created(0);
    await first.container.remove({ force: true, v: true });
    try {
      return await created(first.port);
    } catch (error) {
      if (!isBindError(error)) throw error;
      if (attempt >= SETUP_ATTEMPTS) {
        throw new ProdlikeError('PORT_IN_USE', `${name}: every host port the engine chose was taken by another process before it could be pinned (${attempt} attempts).`, { cause: error });
      }
    }
  }
}

export async function startServiceContainer(options: ServiceContainerOptions, docker = dockerClient()): Promise<ServiceContainer> {
  const portKey = `${options.containerPort}/tcp`;
  const name = `${options.namePrefix ?? 'prodlike-measure'}-${randomBytes(3).toString('hex')}`;
  const { container, port } = await createStarted(docker, options, name, portKey);
  const timed = async (work: () => Promise<unknown>) => {
    const before = hrNow();
    await work();
    return { before, after: hrNow() };
  };
  const readPort = () => boundPort(container, name, portKey);
  try {
    const service: ServiceContainer = {
      id: container.id,
      name,
      host: '127.0.0.1',
      port,
      docker,
      container,
      pause: () => timed(() => container.pause()),
      unpause: () => timed(() => container.unpause()),
      kill: (signal = 'SIGKILL') => timed(() => container.kill({ signal })),
      async start() {
        const before = hrNow();
        for (let attempt = 1; ; attempt++) {
          try {
            await container.start();
            return { before, after: hrNow(), attempts: attempt };
          } catch (error) {
            if (!isBindError(error) || !options.keepPort) throw error;
            if (attempt >= RESTART_ATTEMPTS) {
              throw new ProdlikeError('PORT_IN_USE', `${name} could not start again on 127.0.0.1:${service.port}: another process holds the port (${attempt} attempts).`, {
                cause: error,
                hint: 'Something took the port while the container was down; the test needs the service back at the same address.',
              });
            }
            await delay(250 * attempt);
          }
        }
      },
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
      async bindFailure() {
        const state = (await container.inspect()).State;
        return state.Running || !isBindError(state.Error ?? '') ? undefined : state.Error;
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
