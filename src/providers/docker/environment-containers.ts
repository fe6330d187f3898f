import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { pack } from 'tar-stream';
import { EnvironmentNotUpError, ProdlikeError } from '../../core/errors.ts';
import { waitUntil } from '../../probe/wait-until.ts';
import type { EnvironmentState, EnvironmentStore } from '../environment-state.ts';
import type { JobResult, JobSpec } from '../provider.ts';
import type { DockerProviderOptions } from './docker-provider.ts';
import { containerReadiness, isCredentialRejection, READINESS_ATTEMPT_MS } from './readiness.ts';
import { buildTopology, resourcePrefix, type ContainerSpec, type EnvironmentSecrets, type ServiceRole } from './topology.ts';

export const LABELS = {
  managed: 'io.prodlike.managed',
  env: 'io.prodlike.env',
  role: 'io.prodlike.role',
  replica: 'io.prodlike.replica',
  runId: 'io.prodlike.run-id',
  specHash: 'io.prodlike.spec-hash',
  /** The project directory whose `.prodlike/<env>/` holds the state: `prodlike gc` only collects its own project's. */
  project: 'io.prodlike.project',
} as const;

/** Attempts to publish auto-chosen ports when another process takes a chosen port before Docker binds it. */
const PORT_ATTEMPTS = 5;

type Container = Docker.Container;

/**
 * The Docker objects of one environment: its labelled containers, network and volumes, created from the
 * topology's specs, waited on with the documented probes, and one-off job containers. Every lookup filters
 * on `io.prodlike.env=<name>`; the ownership guard stays with the provider's destructive methods.
 */
export class EnvironmentContainers {
  readonly network: string;
  readonly #docker: Docker;
  readonly #o: DockerProviderOptions;
  readonly #store: EnvironmentStore;
  readonly #prefix: string;

  constructor(docker: Docker, options: DockerProviderOptions, store: EnvironmentStore) {
    this.#docker = docker;
    this.#o = options;
    this.#store = store;
    this.#prefix = resourcePrefix(options.config.name);
    this.network = this.#prefix;
  }

  async requireState(): Promise<EnvironmentState> {
    const state = await this.#store.readState();
    if (!state) throw new EnvironmentNotUpError(this.#o.config.name, 'docker', `no state file in ${this.#store.dir}`);
    return state;
  }

  async list(): Promise<Docker.ContainerInfo[]> {
    return this.#docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`, `${LABELS.env}=${this.#o.config.name}`] } });
  }

  async container(role: ServiceRole, replica = 0): Promise<Container> {
    const match = (await this.list()).find((c) => c.Labels[LABELS.role] === role && Number(c.Labels[LABELS.replica]) === replica);
    if (!match && String(role).includes('/')) {
      throw new ProdlikeError('USAGE', `${role} is an additional data-store workload (topology.<role>.additional): the docker provider runs the reference topology without them.`, { hint: 'Use the kind or cluster provider, which deploy your manifests with it.' });
    }
    if (!match) {
      throw new ProdlikeError('PROVIDER_FAILED', `No ${role} replica ${replica} in environment "${this.#o.config.name}".`, { hint: 'Check `prodlike status`; is the environment up?' });
    }
    return this.#docker.getContainer(match.Id);
  }

  async assertImages(specs: ContainerSpec[]): Promise<void> {
    const missing: string[] = [];
    for (const image of new Set(specs.map((s) => s.image))) {
      try {
        await this.#docker.getImage(image).inspect();
      } catch {
        missing.push(image);
      }
    }
    if (missing.length) {
      throw new ProdlikeError('IMAGE_MISSING', `Images not present: ${missing.join(', ')}.`, { hint: 'Run `npx prodlike setup` (pulls them online, builds them offline).', details: { missing } });
    }
  }

  async ensureNetwork(runId: string): Promise<Docker.Network> {
    const existing = await this.#docker.listNetworks({ filters: { name: [this.network] } });
    const mine = existing.find((n) => n.Name === this.network);
    if (mine) {
      if (mine.Labels?.[LABELS.env] !== this.#o.config.name) {
        throw new ProdlikeError('OWNERSHIP_REFUSED', `A network named ${this.network} exists but was not created by prodlike for "${this.#o.config.name}".`, { hint: 'Remove it yourself or choose another environment name (name: in prodlike.yaml).' });
      }
      return this.#docker.getNetwork(mine.Id);
    }
    return this.#docker.createNetwork({
      Name: this.network,
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: { [LABELS.managed]: 'true', [LABELS.env]: this.#o.config.name, [LABELS.project]: resolve(this.#o.projectDir), [LABELS.runId]: runId },
    });
  }

  /** Creates (or keeps, when its spec is unchanged) a container; returns true when one was created. */
  async ensureContainer(spec: ContainerSpec, network: Docker.Network, runId: string, progress: (m: string) => void): Promise<boolean> {
    const hash = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
    const existing = (await this.list()).find((c) => c.Names.includes(`/${spec.name}`));
    if (existing && existing.Labels[LABELS.specHash] === hash) {
      if (existing.State !== 'running') await this.#docker.getContainer(existing.Id).start();
      return false;
    }
    const clash = await this.#docker.getContainer(spec.name).inspect().catch(() => undefined);
    if (clash) {
      if (clash.Config.Labels?.[LABELS.env] !== this.#o.config.name) {
        throw new ProdlikeError('OWNERSHIP_REFUSED', `A container named ${spec.name} exists and is not prodlike's for "${this.#o.config.name}".`, { hint: 'Remove or rename it, or use another environment name.' });
      }
      await this.#docker.getContainer(clash.Id).remove({ force: true });
    }
    for (const v of spec.volumes) {
      const exists = await this.#docker.getVolume(v.name).inspect().catch(() => undefined);
      if (!exists) await this.#docker.createVolume({ Name: v.name, Labels: { [LABELS.managed]: 'true', [LABELS.env]: this.#o.config.name, [LABELS.project]: resolve(this.#o.projectDir), [LABELS.role]: spec.role } });
    }
    progress(`creating ${spec.name}`);
    const hc = spec.healthcheck;
    const ms = (n: number) => n * 1_000_000;
    const choosePort = this.#o.choosePort ?? freeLoopbackPort;
    // A port chosen now and written into the container's config, not left to Docker: Docker picks a new
    // random port at every restart, and clients (probes, the app's users) must find a restarted service
    // where it was, as a Service's address stays the same when its pod is replaced. Between our choice and
    // Docker's bind another process can take the port: then the container is recreated with new ports.
    for (let attempt = 1; ; attempt++) {
      const bindings = await Promise.all(spec.publish.map(async (p) => ({ containerPort: p.containerPort, hostPort: p.hostPort || (await choosePort()), chosen: !p.hostPort })));
      const container = await this.#docker.createContainer({
        name: spec.name,
        Image: spec.image,
        ...(spec.command ? { Cmd: spec.command } : {}),
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: {
          [LABELS.managed]: 'true', [LABELS.env]: this.#o.config.name, [LABELS.project]: resolve(this.#o.projectDir), [LABELS.role]: spec.role,
          [LABELS.replica]: String(spec.replica), [LABELS.runId]: runId, [LABELS.specHash]: hash,
        },
        ExposedPorts: Object.fromEntries(spec.publish.map((p) => [`${p.containerPort}/tcp`, {}])),
        StopTimeout: spec.stopTimeoutSeconds,
        ...(hc ? { Healthcheck: { Test: hc.test, Interval: ms(hc.intervalMs), Timeout: ms(hc.timeoutMs), Retries: hc.retries, StartPeriod: ms(hc.startPeriodMs) } } : {}),
        HostConfig: {
          RestartPolicy: { Name: spec.restart },
          PortBindings: Object.fromEntries(bindings.map((b) => [`${b.containerPort}/tcp`, [{ HostIp: '127.0.0.1', HostPort: String(b.hostPort) }]])),
          Binds: spec.volumes.map((v) => `${v.name}:${v.target}`),
          ...(spec.shmSizeBytes ? { ShmSize: spec.shmSizeBytes } : {}),
          NetworkMode: this.network,
        },
        NetworkingConfig: { EndpointsConfig: { [this.network]: { Aliases: spec.aliases } } },
      });
      void network;
      if (spec.files.length) await container.putArchive(await tarOf(spec.files), { path: '/' });
      try {
        await container.start();
        return true;
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause);
        if (!/port is already allocated|address already in use/i.test(message)) throw new ProdlikeError('PROVIDER_FAILED', `${spec.name} did not start: ${message}`, { cause });
        const taken = Number(/127\.0\.0\.1:(\d+)/.exec(message)?.[1] ?? Number.NaN);
        const ours = bindings.some((b) => b.chosen && (Number.isNaN(taken) || b.hostPort === taken));
        if (ours && attempt < PORT_ATTEMPTS) {
          progress(`${spec.name}: port ${Number.isNaN(taken) ? '' : `${taken} `}was taken before Docker bound it; choosing another (attempt ${attempt + 1}/${PORT_ATTEMPTS})`);
          await container.remove({ force: true });
          continue;
        }
        throw new ProdlikeError('PORT_IN_USE', `${spec.name} cannot publish its port: ${message}`, { cause, hint: `Free the port or change ports.entry in prodlike.yaml (currently ${this.#o.config.ports.entry}).` });
      }
    }
  }

  /**
   * Data volumes that exist while the environment has no credentials on disk were initialised by an
   * earlier environment of the same name whose `.prodlike/<env>/` is gone (deleted, or a fresh clone on a
   * host that kept its Docker volumes): PostgreSQL, Redis and MinIO in them would reject newly generated
   * credentials, and every readiness gate would time out. Refuse before starting anything; never delete
   * the data on our own.
   */
  async refuseStaleData(): Promise<void> {
    const blank = { postgresPassword: '', redisPassword: '', minioAccessKey: '', minioSecretKey: '' };
    const names = new Set(buildTopology({ config: this.#o.config, images: this.#o.images, secrets: blank, replicas: {} }).flatMap((s) => s.volumes.map((v) => v.name)));
    const found: Docker.VolumeInspectInfo[] = [];
    for (const name of names) {
      const volume = await this.#docker.getVolume(name).inspect().catch(() => undefined);
      if (volume) found.push(volume);
    }
    if (!found.length) return;
    const env = this.#o.config.name;
    const projects = [...new Set(found.map((v) => v.Labels?.[LABELS.project]).filter((p): p is string => !!p && p !== resolve(this.#o.projectDir)))];
    throw new ProdlikeError('STALE_DATA', `Data volume${found.length > 1 ? 's' : ''} ${found.map((v) => v.Name).join(', ')} exist${found.length > 1 ? '' : 's'} but environment "${env}" has no credentials (${join(this.#store.dir, 'secrets.json')} is missing): the data was initialised by an earlier "${env}" environment${projects.length ? ` of ${projects.join(', ')}` : ''}, and its servers would reject new credentials.`, {
      hint: `\`npx prodlike down\` removes environment "${env}" with its volumes (only resources labelled io.prodlike.env=${env}); \`prodlike up\` then starts clean. To keep the data, put the old .prodlike/${env}/ back instead.`,
      details: { volumes: found.map((v) => ({ name: v.Name, labels: v.Labels })) },
    });
  }

  /** Ready = running and answering its documented probe from the host (see readiness.ts). */
  async waitReady(spec: ContainerSpec, secrets: EnvironmentSecrets, signal?: AbortSignal): Promise<void> {
    const timeoutMs = this.#o.readyTimeoutMs ?? 120_000;
    const container = this.#docker.getContainer(spec.name);
    try {
      await waitUntil(containerReadiness(container, spec, secrets, this.#o.config.database), {
        timeoutMs, intervalMs: 250, attemptTimeoutMs: READINESS_ATTEMPT_MS, description: `${spec.name} to become ready`, fatal: isCredentialRejection, ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (isCredentialRejection(error)) {
        const env = this.#o.config.name;
        throw new ProdlikeError('STALE_DATA', `${spec.name} rejects environment "${env}"'s credentials (${(error as Error).message}): its data volume was initialised with other ones, by an earlier "${env}" environment.`, {
          cause: error,
          hint: `\`npx prodlike down\` removes environment "${env}" with its volumes; \`prodlike up\` then starts clean.`,
        });
      }
      if (!(error instanceof ProdlikeError) || error.code !== 'READINESS_TIMEOUT') throw error;
      const info = await container.inspect().catch(() => undefined);
      const logs = demux((await container.logs({ stdout: true, stderr: true, tail: 20 }).catch(() => Buffer.from(''))) as unknown as Buffer);
      const last = error.cause instanceof Error ? `\n  last probe error: ${error.cause.message}` : '';
      throw new ProdlikeError('READINESS_TIMEOUT', `${spec.name} did not become ready within ${timeoutMs / 1000}s (state ${info?.State.Status}, restarts ${info?.RestartCount ?? '?'}).${last}\n  last log lines:\n    ${logs.trim().split('\n').slice(-10).join('\n    ')}`, {
        cause: error,
        hint: `Inspect with \`docker logs ${spec.name}\`; \`prodlike down\` removes the environment.`,
      });
    }
  }

  /** Runs `argv` in `container` (no shell); stdout and stderr separated; fails after `timeoutMs`. */
  async exec(container: Container, what: string, argv: string[], timeoutMs = 60_000): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const exec = await container.exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      this.#docker.modem.demuxStream(stream, { write: (b: Buffer) => stdout.push(b) } as never, { write: (b: Buffer) => stderr.push(b) } as never);
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((_, reject) => { timer = setTimeout(() => reject(new ProdlikeError('COMMAND_FAILED', `exec ${argv.join(' ')} in ${what} timed out after ${timeoutMs} ms`)), timeoutMs); })]).finally(() => clearTimeout(timer));
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
  }

  /**
   * A one-off job container on the environment network (what a Kubernetes Job is to the kind provider):
   * labelled, removed afterwards; `mounts` bind host folders (e.g. where a backup is written).
   */
  async runJob(options: JobSpec): Promise<JobResult> {
    const state = await this.requireState();
    const started = performance.now();
    const container = await this.#docker.createContainer({
      name: `${this.#prefix}-job-${options.name}-${Date.now().toString(36)}`,
      Image: options.image,
      Entrypoint: [''],
      Cmd: options.command,
      Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
      Labels: { [LABELS.managed]: 'true', [LABELS.env]: this.#o.config.name, [LABELS.project]: resolve(this.#o.projectDir), [LABELS.role]: 'job', [LABELS.runId]: state.runId },
      HostConfig: { NetworkMode: this.network, Binds: (options.mounts ?? []).map((m) => `${m.host}:${m.container}`) },
    });
    try {
      await container.start();
      const waited = (await Promise.race([
        container.wait(),
        new Promise((_, reject) => setTimeout(() => reject(new ProdlikeError('COMMAND_FAILED', `job ${options.name} timed out`)), options.timeoutMs ?? 600_000).unref()),
      ])) as { StatusCode: number };
      const logs = demux((await container.logs({ stdout: true, stderr: true })) as unknown as Buffer);
      return { exitCode: waited.StatusCode, logs, durationMs: performance.now() - started };
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Docker multiplexes stdout/stderr in 8-byte-header frames for non-TTY containers. */
export function demux(buffer: Buffer): string {
  if (!Buffer.isBuffer(buffer)) return String(buffer ?? '');
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length && (buffer[offset] === 1 || buffer[offset] === 2 || buffer[offset] === 0)) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return offset === 0 ? buffer.toString() : Buffer.concat(parts).toString();
}

async function tarOf(files: { path: string; content: string }[]): Promise<Buffer> {
  const archive = pack();
  for (const f of files) archive.entry({ name: f.path.replace(/^\//, ''), mode: 0o644 }, f.content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
