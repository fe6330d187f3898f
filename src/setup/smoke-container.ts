import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { ProdlikeError } from '../core/errors.ts';
import { run } from '../core/exec.ts';
import { configureTestcontainers, engineIsLocal } from '../core/testcontainers-env.ts';

/**
 * How a smoke check runs an image (src/setup/smoke-checks.ts): with testcontainers, reaper off, ports on
 * 127.0.0.1, labelled io.prodlike.managed/io.prodlike.smoke, refused when the image is absent (no pull),
 * removed in a `finally`, and cancellable; a failure says which image and shows its last output.
 */

export interface SmokeCheckOptions {
  /** The image to check, e.g. prodlike.local/postgres:15-bookworm or postgres:15-alpine. */
  image: string;
  signal?: AbortSignal | undefined;
  /** Startup budget of the container (default 120 s: two busy cores). */
  startupTimeoutMs?: number;
  /** Environment used to find $PRODLIKE_CACHE/bin/k6 (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Extra container labels (e.g. a run id), on top of io.prodlike.managed=true and io.prodlike.smoke=true. */
  labels?: Record<string, string>;
}

export interface SmokeCheckResult {
  ok: true;
  details: string;
  durationMs: number;
}

export type SmokeCheck = (options: SmokeCheckOptions) => Promise<SmokeCheckResult>;

const DEFAULT_STARTUP_MS = 120_000;
const SMOKE_LABELS = { 'io.prodlike.managed': 'true', 'io.prodlike.smoke': 'true' } as const;

type Testcontainers = typeof import('testcontainers');
export type StartedTestContainer = import('testcontainers').StartedTestContainer;
type GenericContainerT = import('testcontainers').GenericContainer;

let testcontainersModule: Promise<Testcontainers> | undefined;

/** Loads testcontainers with the reaper disabled (it reads the variable when the first container starts). */
export async function loadTestcontainers(): Promise<Testcontainers> {
  configureTestcontainers();
  testcontainersModule ??= import('testcontainers');
  return testcontainersModule;
}

/**
 * A GenericContainer that binds its published ports to loopback and records the id of what it created:
 * testcontainers removes a container that fails its wait strategy, but not one that fails earlier
 * (e.g. exits before its ports are bound), so withContainer removes that one itself.
 */
async function loopbackContainer(image: string, created: string[], labels: Record<string, string> = {}): Promise<GenericContainerT> {
  const { GenericContainer } = await loadTestcontainers();
  class LoopbackContainer extends GenericContainer {
    protected override async beforeContainerCreated(): Promise<void> {
      if (!engineIsLocal()) return;
      for (const bindings of Object.values(this.hostConfig.PortBindings ?? {}) as { HostIp?: string }[][]) {
        for (const binding of bindings) binding.HostIp = '127.0.0.1';
      }
    }
    protected override async containerCreated(containerId: string): Promise<void> {
      created.push(containerId);
    }
  }
  return new LoopbackContainer(image).withLabels({ ...labels, ...SMOKE_LABELS });
}

async function removeContainers(ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await run('docker', ['rm', '--force', '--volumes', ...ids], { allowFailure: true, timeoutMs: 60_000 });
}

export function connectHost(container: StartedTestContainer): string {
  const host = container.getHost();
  return host === 'localhost' ? '127.0.0.1' : host;
}

/** Collects a container's output (stdout+stderr) so failures can quote it. */
export class LogTail {
  private text = '';
  readonly consumer = (stream: Readable): void => {
    stream.on('data', (chunk: Buffer | string) => {
      this.text = (this.text + chunk.toString()).slice(-20_000);
    });
  };
  tail(lines = 15): string {
    return this.text.trimEnd().split('\n').slice(-lines).join('\n');
  }
  all(): string {
    return this.text;
  }
}

async function assertImagePresent(name: string, image: string): Promise<void> {
  const r = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { allowFailure: true, timeoutMs: 30_000 });
  if (r.exitCode !== 0) {
    throw new ProdlikeError('IMAGE_MISSING', `${name} smoke check: image ${image} is not present locally; run \`npx prodlike setup\` to build or pull it.`, {
      hint: 'The smoke checks never pull: without a registry a pull cannot succeed. `docker image ls` shows what is there.',
      details: { image, stderr: r.stderr.slice(-500) },
    });
  }
}

function interrupted(name: string): ProdlikeError {
  return new ProdlikeError('INTERRUPTED', `${name} smoke check was interrupted; its container was removed. Run setup again to redo the check.`);
}

/**
 * Starts the container, runs `body` against it and always removes the container (also on abort).
 * Start failures become READINESS_TIMEOUT errors quoting the container's last log lines.
 */
export async function withContainer<T>(
  name: string,
  options: SmokeCheckOptions,
  build: (container: GenericContainerT) => GenericContainerT,
  body: (container: StartedTestContainer, logs: LogTail) => Promise<T>,
): Promise<T> {
  if (options.signal?.aborted) throw interrupted(name);
  await assertImagePresent(name, options.image);
  const logs = new LogTail();
  const created: string[] = [];
  const timeoutMs = options.startupTimeoutMs ?? DEFAULT_STARTUP_MS;
  const definition = build(await loopbackContainer(options.image, created, options.labels)).withStartupTimeout(timeoutMs).withLogConsumer(logs.consumer);
  let container: StartedTestContainer;
  // testcontainers' start() cannot be cancelled: on abort, remove what it created so it fails fast.
  const onEarlyAbort = () => void removeContainers(created);
  options.signal?.addEventListener('abort', onEarlyAbort, { once: true });
  try {
    container = await definition.start();
  } catch (error) {
    options.signal?.removeEventListener('abort', onEarlyAbort);
    if (logs.all() === '' && created.length > 0) {
      // Failed before the log consumer was attached: fetch the output of what exited.
      const out = await run('docker', ['logs', '--tail', '40', created[0]!], { allowFailure: true, timeoutMs: 30_000 });
      logs.consumer(Readable.from([`${out.stdout}\n${out.stderr}`]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await removeContainers(created);
    if (options.signal?.aborted) throw interrupted(name);
    const reason = error instanceof Error ? error.message : String(error);
    throw new ProdlikeError('READINESS_TIMEOUT', `${name} smoke check: ${options.image} exited or did not become ready within ${Math.round(timeoutMs / 1000)} s (${reason}).${logs.tail() ? `\nLast container output:\n${logs.tail()}` : ''}\nRebuild the image (\`docker rmi ${options.image}\`, then \`npx prodlike setup\`) or inspect it with \`docker run --rm -it ${options.image}\`.`, {
      cause: error,
      details: { image: options.image, logs: logs.tail(40) },
    });
  }
  options.signal?.removeEventListener('abort', onEarlyAbort);
  const onAbort = () => void container.stop({ timeout: 0 }).catch(() => undefined);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (options.signal?.aborted) throw interrupted(name);
    const value = await body(container, logs);
    if (options.signal?.aborted) throw interrupted(name);
    return value;
  } catch (error) {
    if (options.signal?.aborted) throw interrupted(name);
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await container.stop({ timeout: 0 }).catch(() => removeContainers([container.getId()]));
  }
}

/** What one smoke check does with its image: how to start it, and what to prove once it runs. */
export interface SmokePlan {
  /** Command, environment, ports, and testcontainers' wait strategy for the start (`wait` is its `Wait`). */
  container(definition: GenericContainerT, wait: Testcontainers['Wait']): GenericContainerT;
  /**
   * What to prove against the started container; returns what was proved, in words. `fail(what, cause)`
   * makes the BUILD_FAILED error that names the image and quotes the container's last output.
   */
  assess(container: StartedTestContainer, fail: (what: string, cause?: unknown) => ProdlikeError): Promise<string>;
}

/**
 * A smoke check from a plan made afresh for every run (new passwords each time): the image is started as
 * the plan says, assessed, and always removed (withContainer); the result is timed.
 */
export function smokeCheck(name: string, plan: (options: SmokeCheckOptions) => SmokePlan): SmokeCheck {
  return async (options) => {
    const started = performance.now();
    const { Wait } = await loadTestcontainers();
    const { container, assess } = plan(options);
    const details = await withContainer(name, options, (c) => container(c, Wait), (running, logs) => assess(running, (what, cause) => failed(name, options.image, what, cause, logs)));
    return { ok: true, details, durationMs: Math.round(performance.now() - started) };
  };
}

function failed(name: string, image: string, what: string, cause?: unknown, logs?: LogTail): ProdlikeError {
  const reason = cause instanceof Error ? ` (${cause.message})` : cause === undefined ? '' : ` (${String(cause)})`;
  const tail = logs?.tail() ? `\nLast container output:\n${logs.tail()}` : '';
  return new ProdlikeError('BUILD_FAILED', `${name} smoke check on ${image}: ${what}${reason}.${tail}\nThe image is not usable as built: rebuild it (\`docker rmi ${image}\`, then \`npx prodlike setup\`) and read its build log under $PRODLIKE_CACHE/logs/.`, {
    cause,
    details: { image, logs: logs?.tail(40) },
  });
}

export function token(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Everything a one-shot container printed (stdout, then stderr), read with `docker logs` once it exited: the
 * log stream testcontainers returns for a container that exited at once (`node -e`) may never end, and with
 * nothing else pending the process then exits mid-setup (seen on a fresh host with Docker 20.10).
 */
export async function readLogs(container: StartedTestContainer): Promise<string> {
  const r = await run('docker', ['logs', container.getId()], { timeoutMs: 30_000 });
  return [r.stdout, r.stderr].filter(Boolean).join('\n');
}

/** One check per image of fixtures/images/images.yaml that has behaviour to check (not debian-base). */
