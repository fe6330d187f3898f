import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { pack } from 'tar-stream';
import { Client as MinioClient } from 'minio';
import type { ProdlikeConfig, WorkloadRole } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import type { EventBus } from '../../core/events.ts';
import { waitFor } from '../../core/wait.ts';
import { DockerOwnershipGuard } from '../../safety/ownership.ts';
import { EnvironmentStore, newRunId, type EnvironmentState } from '../environment-state.ts';
import type {
  CreateResult, Endpoint, EnvironmentStatus, KillOptions, Provider, ReplicaStats, ReplicaStatus, ServiceHealth, ServiceStatus,
  SupportsEndpoints, SupportsExec, SupportsKill, SupportsLifecycle, SupportsPartition, SupportsScale, SupportsStats,
} from '../provider.ts';
import { isCredentialRejection, readinessProbe } from './readiness.ts';
import { BUCKET, buildTopology, resourcePrefix, START_ORDER, type ContainerSpec, type EnvironmentSecrets, type ServiceRole, type TopologyImages } from './topology.ts';

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

export interface DockerProviderOptions {
  config: ProdlikeConfig;
  images: TopologyImages;
  projectDir: string;
  imageSource: 'online' | 'offline';
  bus?: EventBus;
  docker?: Docker;
  /** How long each readiness gate may take. */
  readyTimeoutMs?: number;
  /** The explicit ownership override (`--i-know-this-is-not-a-prodlike-cluster`); recorded as an event. */
  allowForeignTarget?: boolean;
  /** Chooses a free 127.0.0.1 port for a service published on "any port" (tests provoke the bind race with it). */
  choosePort?: () => Promise<number>;
}

/** Attempts to publish auto-chosen ports when another process takes a chosen port before Docker binds it. */
const PORT_ATTEMPTS = 5;

type Container = Docker.Container;

/**
 * The documented topology as labelled containers on one user-defined network. Everything it creates
 * carries `io.prodlike.env=<name>`; every lookup and every destructive call filters on that label, so
 * it can only touch its own resources.
 */
export class DockerProvider implements Provider, SupportsEndpoints, SupportsScale, SupportsKill, SupportsLifecycle, SupportsPartition, SupportsExec, SupportsStats {
  readonly name = 'docker' as const;
  readonly #docker: Docker;
  readonly #options: DockerProviderOptions;
  readonly #store: EnvironmentStore;
  readonly #prefix: string;

  constructor(options: DockerProviderOptions) {
    this.#options = options;
    this.#docker = options.docker ?? new Docker();
    this.#store = new EnvironmentStore(options.projectDir, options.config.name);
    this.#prefix = resourcePrefix(options.config.name);
  }

  get networkName(): string {
    return this.#prefix;
  }

  get store(): EnvironmentStore {
    return this.#store;
  }

  async create(options: { signal?: AbortSignal } = {}): Promise<CreateResult> {
    const { signal } = options;
    await this.#ping();
    const before = await this.status();
    if (before.exists && before.healthy) return { outcome: 'unchanged', status: before };
    const state: EnvironmentState = (await this.#store.readState()) ?? {
      env: this.#options.config.name, provider: 'docker', runId: newRunId(), createdAt: new Date().toISOString(), imageSource: this.#options.imageSource, replicas: {},
    };
    if (!this.#store.hasSecrets()) await this.#refuseStaleData();
    const secrets = await this.#store.secrets();
    const specs = buildTopology({ config: this.#options.config, images: this.#options.images, secrets, replicas: state.replicas });
    await this.#assertImages(specs);
    const created: string[] = [];
    try {
      const network = await this.#ensureNetwork(state.runId);
      for (const group of START_ORDER) {
        signal?.throwIfAborted();
        const groupSpecs = specs.filter((s) => group.includes(s.role));
        await this.#step(`docker:${group.join('+')}`, `Start ${group.join(', ')}`, async (progress) => {
          for (const spec of groupSpecs) {
            if (await this.#ensureContainer(spec, network, state.runId, progress)) created.push(spec.name);
          }
          await Promise.all(groupSpecs.map((spec) => this.#waitReady(spec, secrets, signal)));
          if (group.includes('minio')) await this.#ensureBucket(secrets);
        });
      }
      await this.#store.writeState(state);
    } catch (error) {
      if (!before.exists) await this.destroy({ keepData: false }).catch(() => undefined);
      else for (const name of created) await this.#docker.getContainer(name).remove({ force: true }).catch(() => undefined);
      throw error;
    }
    return { outcome: before.exists ? 'repaired' : 'created', status: await this.status() };
  }

  async status(): Promise<EnvironmentStatus> {
    const containers = await this.#list();
    const state = await this.#store.readState();
    const specs = buildTopology({ config: this.#options.config, images: this.#options.images, secrets: { postgresPassword: '', redisPassword: '', minioAccessKey: '', minioSecretKey: '' }, replicas: state?.replicas ?? {} });
    const roles = [...new Set(specs.map((s) => s.role))];
    const services: ServiceStatus[] = [];
    for (const role of roles) {
      const desired = specs.filter((s) => s.role === role).length;
      const mine = containers.filter((c) => c.Labels[LABELS.role] === role).sort((a, b) => Number(a.Labels[LABELS.replica]) - Number(b.Labels[LABELS.replica]));
      const replicas: ReplicaStatus[] = [];
      for (const c of mine) {
        const info = await this.#docker.getContainer(c.Id).inspect().catch(() => undefined);
        replicas.push({
          id: c.Id.slice(0, 12),
          name: c.Names[0]?.replace(/^\//, '') ?? c.Id,
          health: await this.#probeHealth(role, info),
          state: info?.State.Status ?? c.State,
          startedAt: info?.State.StartedAt,
          restarts: info?.RestartCount ?? 0,
        });
      }
      const published = mine[0]?.Ports.find((p) => p.PublicPort && p.IP === '127.0.0.1');
      services.push({ role, desired, replicas, endpoint: published ? `127.0.0.1:${published.PublicPort}` : undefined });
    }
    const exists = containers.length > 0;
    const healthy = exists && services.every((s) => s.replicas.length === s.desired && s.replicas.every((r) => r.health === 'healthy'));
    return { env: this.#options.config.name, provider: 'docker', exists, healthy, services, entry: exists ? `http://127.0.0.1:${this.#options.config.ports.entry}` : undefined };
  }

  /** Health as a client sees it now: the documented probe through the published port; else Docker's check. */
  async #probeHealth(role: ServiceRole, info: Docker.ContainerInspectInfo | undefined): Promise<ServiceHealth> {
    const docker = healthOf(info);
    if (!info || docker === 'stopped' || docker === 'missing' || info.State.Paused) return docker;
    const port = Object.values(info.NetworkSettings.Ports ?? {}).flatMap((b) => b ?? []).find((b) => b.HostIp === '127.0.0.1')?.HostPort;
    if (!port) return docker;
    const probe = readinessProbe(role, { host: '127.0.0.1', port: Number(port) }, await this.#store.secrets());
    return (await probe().catch(() => false)) ? 'healthy' : 'unhealthy';
  }

  async destroy(options: { keepData?: boolean } = {}): Promise<{ removed: string[] }> {
    await this.#ping();
    await this.#own().environment('remove the environment');
    const removed: string[] = [];
    const containers = await this.#list();
    await Promise.all(containers.map(async (c) => {
      await this.#docker.getContainer(c.Id).remove({ force: true, v: false });
      removed.push(`container ${c.Names[0]?.replace(/^\//, '')}`);
    }));
    const networks = await this.#docker.listNetworks({ filters: { label: [`${LABELS.env}=${this.#options.config.name}`] } });
    for (const n of networks) {
      await this.#docker.getNetwork(n.Id).remove();
      removed.push(`network ${n.Name}`);
    }
    if (!options.keepData) {
      const { Volumes: volumes } = await this.#docker.listVolumes({ filters: { label: [`${LABELS.env}=${this.#options.config.name}`] } });
      for (const v of volumes ?? []) {
        await this.#docker.getVolume(v.Name).remove();
        removed.push(`volume ${v.Name}`);
      }
      await this.#store.remove();
    }
    return { removed };
  }

  async logs(service: WorkloadRole, options: { tail?: number; replica?: number } = {}): Promise<string> {
    const c = await this.#container(service, options.replica);
    const buffer = (await c.logs({ stdout: true, stderr: true, tail: options.tail ?? 200, follow: false })) as unknown as Buffer;
    return demux(buffer);
  }

  async endpoint(service: ServiceRole): Promise<Endpoint> {
    const c = await this.#container(service, 0);
    const info = await c.inspect();
    for (const bindings of Object.values(info.NetworkSettings.Ports ?? {})) {
      const b = bindings?.find((x) => x.HostIp === '127.0.0.1');
      if (b) return { host: '127.0.0.1', port: Number(b.HostPort) };
    }
    throw new ProdlikeError('PROVIDER_FAILED', `${service} publishes no port on 127.0.0.1.`, { hint: 'Is it running? `prodlike status`.' });
  }

  async replicas(service: WorkloadRole): Promise<number> {
    return (await this.#list()).filter((c) => c.Labels[LABELS.role] === service).length;
  }

  async scale(service: WorkloadRole, count: number): Promise<void> {
    await this.#own().containers(`scale ${service} to ${count}`, service);
    if (count < 0 || count > 50) throw new ProdlikeError('USAGE', `Cannot scale ${service} to ${count} (0..50).`);
    const state = await this.#requireState();
    state.replicas = { ...state.replicas, [service]: count };
    const secrets = await this.#store.secrets();
    const specs = buildTopology({ config: this.#options.config, images: this.#options.images, secrets, replicas: state.replicas }).filter((s) => s.role === service);
    const network = await this.#ensureNetwork(state.runId);
    for (const spec of specs) await this.#ensureContainer(spec, network, state.runId, () => undefined);
    const extra = (await this.#list()).filter((c) => c.Labels[LABELS.role] === service && Number(c.Labels[LABELS.replica]) >= count);
    await Promise.all(extra.map((c) => this.#docker.getContainer(c.Id).remove({ force: true })));
    await Promise.all(specs.map((s) => this.#waitReady(s, secrets)));
    await this.#store.writeState(state);
  }

  /**
   * A crash, not a stop: the container's main process is signalled from the host (as the kernel's OOM
   * killer or a segfault would end it), so Docker's restart policy brings it back like a kubelet does.
   * `docker kill` through the API would count as a manual stop and disable the restart policy. Where
   * the host cannot signal the process (rootless, Docker Desktop VM), the API kill is followed by a
   * start, and the result says so.
   */
  async kill(service: WorkloadRole, options: KillOptions = {}): Promise<{ killed: string; at: number; via: 'host-signal' | 'api-kill+start' }> {
    await this.#own().containers(`kill ${service}`, service, options.replica ?? 0);
    const c = await this.#container(service, options.replica);
    const signal = options.signal ?? 'SIGKILL';
    const info = await c.inspect();
    const at = Date.now();
    try {
      if (!info.State.Pid) throw new Error('not running');
      process.kill(info.State.Pid, signal);
      return { killed: c.id, at, via: 'host-signal' };
    } catch {
      await c.kill({ signal });
      if (signal === 'SIGKILL' || signal === 'SIGTERM') await c.start().catch(() => undefined);
      return { killed: c.id, at, via: 'api-kill+start' };
    }
  }

  async stop(service: WorkloadRole, options: { replica?: number } = {}): Promise<void> {
    await this.#own().containers(`stop ${service}`, service, options.replica ?? 0);
    await (await this.#container(service, options.replica)).stop({ t: 30 });
  }

  async start(service: WorkloadRole, options: { replica?: number } = {}): Promise<void> {
    await (await this.#container(service, options.replica)).start();
  }

  async restart(service: WorkloadRole, options: { replica?: number } = {}): Promise<void> {
    await this.#own().containers(`restart ${service}`, service, options.replica ?? 0);
    await (await this.#container(service, options.replica)).restart({ t: 30 });
  }

  async pause(service: WorkloadRole, options: { replica?: number } = {}): Promise<void> {
    await this.#own().containers(`pause ${service}`, service, options.replica ?? 0);
    await (await this.#container(service, options.replica)).pause();
  }

  async unpause(service: WorkloadRole, options: { replica?: number } = {}): Promise<void> {
    await (await this.#container(service, options.replica)).unpause();
  }

  /** Cuts every replica of `service` off the environment network (its published port stays). */
  async partition(service: WorkloadRole): Promise<void> {
    await this.#own().network(`partition ${service}`).then(() => this.#own().containers(`partition ${service}`, service));
    const network = this.#docker.getNetwork(this.networkName);
    for (const c of (await this.#list()).filter((x) => x.Labels[LABELS.role] === service)) {
      await network.disconnect({ Container: c.Id, Force: true });
    }
  }

  async heal(service: WorkloadRole): Promise<void> {
    const network = this.#docker.getNetwork(this.networkName);
    const state = await this.#requireState();
    const specs = buildTopology({ config: this.#options.config, images: this.#options.images, secrets: await this.#store.secrets(), replicas: state.replicas });
    for (const c of (await this.#list()).filter((x) => x.Labels[LABELS.role] === service)) {
      const info = await this.#docker.getContainer(c.Id).inspect();
      if (info.NetworkSettings.Networks?.[this.networkName]) continue;
      const spec = specs.find((s) => s.name === info.Name.replace(/^\//, ''));
      await network.connect({ Container: c.Id, EndpointConfig: { Aliases: spec?.aliases ?? [] } });
    }
  }

  async exec(service: WorkloadRole, argv: string[], options: { replica?: number; timeoutMs?: number } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    await this.#own().containers(`exec in ${service}`, service, options.replica ?? 0);
    const c = await this.#container(service, options.replica);
    const exec = await c.exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      this.#docker.modem.demuxStream(stream, { write: (b: Buffer) => stdout.push(b) } as never, { write: (b: Buffer) => stderr.push(b) } as never);
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const timeout = options.timeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((_, reject) => { timer = setTimeout(() => reject(new ProdlikeError('COMMAND_FAILED', `exec ${argv.join(' ')} in ${service} timed out after ${timeout} ms`)), timeout); })]).finally(() => clearTimeout(timer));
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() };
  }

  /**
   * A one-off job container on the environment network (what a Kubernetes Job is to the kind provider):
   * labelled, removed afterwards; `mounts` bind host folders (e.g. where a backup is written).
   */
  async runJob(options: { name: string; image: string; command: string[]; env?: Record<string, string>; mounts?: { host: string; container: string }[]; timeoutMs?: number }): Promise<{ exitCode: number; logs: string; durationMs: number }> {
    const state = await this.#requireState();
    const started = performance.now();
    const container = await this.#docker.createContainer({
      name: `${this.#prefix}-job-${options.name}-${Date.now().toString(36)}`,
      Image: options.image,
      Entrypoint: [''],
      Cmd: options.command,
      Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
      Labels: { [LABELS.managed]: 'true', [LABELS.env]: this.#options.config.name, [LABELS.project]: resolve(this.#options.projectDir), [LABELS.role]: 'job', [LABELS.runId]: state.runId },
      HostConfig: { NetworkMode: this.networkName, Binds: (options.mounts ?? []).map((m) => `${m.host}:${m.container}`) },
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

  async stats(service: WorkloadRole): Promise<ReplicaStats[]> {
    const out: ReplicaStats[] = [];
    for (const c of (await this.#list()).filter((x) => x.Labels[LABELS.role] === service)) {
      const s = (await this.#docker.getContainer(c.Id).stats({ stream: false })) as unknown as Docker.ContainerStats;
      const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
      const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
      const cpus = s.cpu_stats.online_cpus ?? s.cpu_stats.cpu_usage.percpu_usage?.length ?? 1;
      out.push({
        name: c.Names[0]?.replace(/^\//, '') ?? c.Id,
        cpuPercent: systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0,
        memoryBytes: s.memory_stats.usage ?? 0,
        memoryLimitBytes: s.memory_stats.limit ?? 0,
      });
    }
    return out;
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────────

  /** The ownership guard (src/safety/ownership.ts): refuses objects named like ours but not labelled ours. */
  #own(): DockerOwnershipGuard {
    return new DockerOwnershipGuard({ env: this.#options.config.name, bus: this.#options.bus, allowForeignTarget: this.#options.allowForeignTarget }, this.#docker);
  }

  async #ping(): Promise<void> {
    try {
      await this.#docker.ping();
    } catch (cause) {
      throw new ProdlikeError('DOCKER_UNAVAILABLE', 'The Docker engine does not answer.', { cause, hint: 'Run `npx prodlike setup` (starts dockerd) or start Docker yourself, then retry.' });
    }
  }

  async #requireState(): Promise<EnvironmentState> {
    const state = await this.#store.readState();
    if (!state) throw new ProdlikeError('PROVIDER_FAILED', `Environment "${this.#options.config.name}" is not up (no state file in ${this.#store.dir}).`, { hint: 'Run `npx prodlike up --provider docker` first.' });
    return state;
  }

  async #step(id: string, title: string, work: (progress: (m: string) => void) => Promise<void>): Promise<void> {
    if (this.#options.bus) await this.#options.bus.step(id, title, work);
    else await work(() => undefined);
  }

  async #list(): Promise<Docker.ContainerInfo[]> {
    return this.#docker.listContainers({ all: true, filters: { label: [`${LABELS.managed}=true`, `${LABELS.env}=${this.#options.config.name}`] } });
  }

  async #container(role: ServiceRole, replica = 0): Promise<Container> {
    const match = (await this.#list()).find((c) => c.Labels[LABELS.role] === role && Number(c.Labels[LABELS.replica]) === replica);
    if (!match) {
      throw new ProdlikeError('PROVIDER_FAILED', `No ${role} replica ${replica} in environment "${this.#options.config.name}".`, { hint: 'Check `prodlike status`; is the environment up?' });
    }
    return this.#docker.getContainer(match.Id);
  }

  async #assertImages(specs: ContainerSpec[]): Promise<void> {
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

  async #ensureNetwork(runId: string): Promise<Docker.Network> {
    const existing = await this.#docker.listNetworks({ filters: { name: [this.networkName] } });
    const mine = existing.find((n) => n.Name === this.networkName);
    if (mine) {
      if (mine.Labels?.[LABELS.env] !== this.#options.config.name) {
        throw new ProdlikeError('OWNERSHIP_REFUSED', `A network named ${this.networkName} exists but was not created by prodlike for "${this.#options.config.name}".`, { hint: 'Remove it yourself or choose another environment name (name: in prodlike.yaml).' });
      }
      return this.#docker.getNetwork(mine.Id);
    }
    return this.#docker.createNetwork({
      Name: this.networkName,
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: { [LABELS.managed]: 'true', [LABELS.env]: this.#options.config.name, [LABELS.project]: resolve(this.#options.projectDir), [LABELS.runId]: runId },
    });
  }

  /** Creates (or keeps, when its spec is unchanged) a container; returns true when one was created. */
  async #ensureContainer(spec: ContainerSpec, network: Docker.Network, runId: string, progress: (m: string) => void): Promise<boolean> {
    const hash = createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
    const existing = (await this.#list()).find((c) => c.Names.includes(`/${spec.name}`));
    if (existing && existing.Labels[LABELS.specHash] === hash) {
      if (existing.State !== 'running') await this.#docker.getContainer(existing.Id).start();
      return false;
    }
    const clash = await this.#docker.getContainer(spec.name).inspect().catch(() => undefined);
    if (clash) {
      if (clash.Config.Labels?.[LABELS.env] !== this.#options.config.name) {
        throw new ProdlikeError('OWNERSHIP_REFUSED', `A container named ${spec.name} exists and is not prodlike's for "${this.#options.config.name}".`, { hint: 'Remove or rename it, or use another environment name.' });
      }
      await this.#docker.getContainer(clash.Id).remove({ force: true });
    }
    for (const v of spec.volumes) {
      const exists = await this.#docker.getVolume(v.name).inspect().catch(() => undefined);
      if (!exists) await this.#docker.createVolume({ Name: v.name, Labels: { [LABELS.managed]: 'true', [LABELS.env]: this.#options.config.name, [LABELS.project]: resolve(this.#options.projectDir), [LABELS.role]: spec.role } });
    }
    progress(`creating ${spec.name}`);
    const hc = spec.healthcheck;
    const ms = (n: number) => n * 1_000_000;
    const choosePort = this.#options.choosePort ?? freeLoopbackPort;
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
          [LABELS.managed]: 'true', [LABELS.env]: this.#options.config.name, [LABELS.project]: resolve(this.#options.projectDir), [LABELS.role]: spec.role,
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
          NetworkMode: this.networkName,
        },
        NetworkingConfig: { EndpointsConfig: { [this.networkName]: { Aliases: spec.aliases } } },
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
        throw new ProdlikeError('PORT_IN_USE', `${spec.name} cannot publish its port: ${message}`, { cause, hint: `Free the port or change ports.entry in prodlike.yaml (currently ${this.#options.config.ports.entry}).` });
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
  async #refuseStaleData(): Promise<void> {
    const blank = { postgresPassword: '', redisPassword: '', minioAccessKey: '', minioSecretKey: '' };
    const names = new Set(buildTopology({ config: this.#options.config, images: this.#options.images, secrets: blank, replicas: {} }).flatMap((s) => s.volumes.map((v) => v.name)));
    const found: Docker.VolumeInspectInfo[] = [];
    for (const name of names) {
      const volume = await this.#docker.getVolume(name).inspect().catch(() => undefined);
      if (volume) found.push(volume);
    }
    if (!found.length) return;
    const env = this.#options.config.name;
    const projects = [...new Set(found.map((v) => v.Labels?.[LABELS.project]).filter((p): p is string => !!p && p !== resolve(this.#options.projectDir)))];
    throw new ProdlikeError('STALE_DATA', `Data volume${found.length > 1 ? 's' : ''} ${found.map((v) => v.Name).join(', ')} exist${found.length > 1 ? '' : 's'} but environment "${env}" has no credentials (${join(this.#store.dir, 'secrets.json')} is missing): the data was initialised by an earlier "${env}" environment${projects.length ? ` of ${projects.join(', ')}` : ''}, and its servers would reject new credentials.`, {
      hint: `\`npx prodlike down\` removes environment "${env}" with its volumes (only resources labelled io.prodlike.env=${env}); \`prodlike up\` then starts clean. To keep the data, put the old .prodlike/${env}/ back instead.`,
      details: { volumes: found.map((v) => ({ name: v.Name, labels: v.Labels })) },
    });
  }

  /** Ready = running and answering its documented probe from the host (see readiness.ts). */
  async #waitReady(spec: ContainerSpec, secrets: EnvironmentSecrets, signal?: AbortSignal): Promise<void> {
    const timeoutMs = this.#options.readyTimeoutMs ?? 120_000;
    const container = this.#docker.getContainer(spec.name);
    let probe: (() => Promise<boolean>) | undefined;
    try {
      await waitFor(async () => {
        const info = await container.inspect();
        if (!info.State.Running) {
          if (info.RestartCount > 3) throw new Error(`${spec.name} keeps exiting (code ${info.State.ExitCode}, ${info.RestartCount} restarts)`);
          return undefined;
        }
        if (!probe) {
          const port = Object.values(info.NetworkSettings.Ports ?? {}).flatMap((b) => b ?? []).find((b) => b.HostIp === '127.0.0.1')?.HostPort;
          if (!port) return healthOf(info) === 'healthy' ? true : undefined;
          probe = readinessProbe(spec.role, { host: '127.0.0.1', port: Number(port) }, secrets);
        }
        return (await probe()) ? true : undefined;
      }, { timeoutMs, intervalMs: 250, description: `${spec.name} to become ready`, fatal: isCredentialRejection, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (isCredentialRejection(error)) {
        const env = this.#options.config.name;
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

  async #ensureBucket(secrets: { minioAccessKey: string; minioSecretKey: string }): Promise<void> {
    const { port } = await this.endpoint('minio');
    const client = new MinioClient({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: secrets.minioAccessKey, secretKey: secrets.minioSecretKey });
    if (!(await client.bucketExists(BUCKET))) await client.makeBucket(BUCKET);
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

function healthOf(info: Docker.ContainerInspectInfo | undefined): ServiceHealth {
  if (!info) return 'missing';
  if (info.State.Paused) return 'unhealthy';
  if (!info.State.Running) return 'stopped';
  const h = info.State.Health?.Status;
  if (!h || h === 'healthy') return 'healthy';
  return h === 'starting' ? 'starting' : 'unhealthy';
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
