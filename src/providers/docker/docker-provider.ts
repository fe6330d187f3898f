import Docker from 'dockerode';
import { Client as MinioClient } from 'minio';
import { resolveWorkload, type ProdlikeConfig, type WorkloadRole } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import type { EventBus } from '../../core/events.ts';
import { checkOnce } from '../../probe/check.ts';
import { DockerOwnershipGuard } from '../../safety/ownership.ts';
import { EnvironmentStore, newRunId, type EnvironmentState } from '../environment-state.ts';
import type {
  CreateResult, ResetResult, Endpoint, EnvironmentStatus, JobResult, JobSpec, KillOptions, LogOptions, Provider, ProviderEventWatch, ReplicaStats, ReplicaStatus, RolledReplica, ServiceHealth, ServiceStatus,
  SupportsEndpoints, SupportsEventWatch, SupportsExec, SupportsJobs, SupportsKill, SupportsLifecycle, SupportsPartition, SupportsReset, SupportsRollOut, SupportsScale, SupportsStats,
} from '../provider.ts';
import { readContainerLogs } from './container-logs.ts';
import { recordDockerEvents } from './docker-events.ts';
import { EnvironmentContainers, LABELS } from './environment-containers.ts';
import { healthOf, loopbackPort, READINESS_ATTEMPT_MS, readinessCheck } from './readiness.ts';
import { buildTopology, START_ORDER, type ServiceRole, type TopologyImages } from './topology.ts';

/** Kept here for the tests and callers that read them from the provider's module. */
export { demux, LABELS } from './environment-containers.ts';

export type { RolledReplica } from '../provider.ts';

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

/**
 * The documented topology as labelled containers on one user-defined network. Everything it creates
 * carries `io.prodlike.env=<name>`; every lookup and every destructive call filters on that label, so
 * it can only touch its own resources.
 */
export class DockerProvider implements Provider, SupportsEndpoints, SupportsScale, SupportsKill, SupportsLifecycle, SupportsPartition, SupportsExec, SupportsStats, SupportsJobs, SupportsEventWatch, SupportsReset, SupportsRollOut {
  readonly name = 'docker' as const;
  readonly #docker: Docker;
  readonly #options: DockerProviderOptions;
  readonly #store: EnvironmentStore;
  readonly #containers: EnvironmentContainers;

  constructor(options: DockerProviderOptions) {
    this.#options = options;
    this.#docker = options.docker ?? new Docker();
    this.#store = new EnvironmentStore(options.projectDir, options.config.name);
    this.#containers = new EnvironmentContainers(this.#docker, options, this.#store);
  }

  get networkName(): string {
    return this.#containers.network;
  }

  get store(): EnvironmentStore {
    return this.#store;
  }

  async create(options: { signal?: AbortSignal } = {}): Promise<CreateResult> {
    const { signal } = options;
    await this.#ping();
    const before = await this.status();
    if (before.exists && before.healthy) return { outcome: 'unchanged', status: before };
    const state: EnvironmentState = (await this.#store.readStateOf('docker')) ?? {
      env: this.#options.config.name, provider: 'docker', runId: newRunId(), createdAt: new Date().toISOString(), imageSource: this.#options.imageSource, replicas: {},
    };
    if (!this.#store.hasSecrets()) await this.#containers.refuseStaleData();
    const secrets = await this.#store.secrets();
    const specs = buildTopology({ config: this.#options.config, images: this.#options.images, secrets, replicas: state.replicas });
    await this.#containers.assertImages(specs);
    const created: string[] = [];
    try {
      const network = await this.#containers.ensureNetwork(state.runId);
      for (const group of START_ORDER) {
        signal?.throwIfAborted();
        const groupSpecs = specs.filter((s) => group.includes(s.role));
        await this.#step(`docker:${group.join('+')}`, `Start ${group.join(', ')}`, async (progress) => {
          for (const spec of groupSpecs) {
            if (await this.#containers.ensureContainer(spec, network, state.runId, progress)) created.push(spec.name);
          }
          await Promise.all(groupSpecs.map((spec) => this.#containers.waitReady(spec, secrets, signal)));
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
    const containers = await this.#containers.list();
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
    const port = loopbackPort(info);
    if (port === undefined) return docker;
    const check = readinessCheck(role, { host: '127.0.0.1', port }, await this.#store.secrets(), this.#options.config.database);
    return (await checkOnce(check, READINESS_ATTEMPT_MS)).ok ? 'healthy' : 'unhealthy';
  }

  /** Back to the freshly deployed state: the containers are the whole environment, so they and the volumes are made anew (seconds). */
  async reset(options: { signal?: AbortSignal } = {}): Promise<ResetResult> {
    await this.#ping();
    if (!(await this.status()).exists) {
      throw new ProdlikeError('USAGE', `Environment "${this.#options.config.name}" (docker) does not exist: there is nothing to reset.`, { hint: '`prodlike up` creates it.' });
    }
    const { removed } = await this.destroy();
    const { status } = await this.create(options);
    return { removed, notes: ['docker: containers, network and volumes re-created with new credentials'], status };
  }

  async destroy(options: { keepData?: boolean } = {}): Promise<{ removed: string[] }> {
    await this.#ping();
    await this.#own().environment('remove the environment');
    const removed: string[] = [];
    const containers = await this.#containers.list();
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

  /** Through readContainerLogs (container-logs.ts): the text of one replica, or every replica's lines streamed (LogOptions). */
  async logs(service: WorkloadRole, options: LogOptions = {}): Promise<string> {
    const { onLine, replica, ...read } = options;
    const wanted = replica ?? (onLine ? undefined : 0); // the text is one replica's; streaming reads them all
    const mine = (await this.#containers.list())
      .filter((c) => c.Labels[LABELS.role] === service && (wanted === undefined || Number(c.Labels[LABELS.replica]) === wanted))
      .sort((a, b) => Number(a.Labels[LABELS.replica]) - Number(b.Labels[LABELS.replica]))
      .map((c) => ({ id: c.Id, name: c.Names[0]?.replace(/^\//, '') ?? c.Id }));
    if (!mine.length) await this.#containers.container(service, wanted ?? 0); // throws: no such replica
    if (onLine) {
      await readContainerLogs(this.#docker, mine, onLine, read);
      return '';
    }
    const lines: string[] = [];
    await readContainerLogs(this.#docker, mine, (line) => lines.push(line.text), { ...read, tail: read.tail ?? 200 });
    return lines.join('\n');
  }

  async endpoint(service: ServiceRole): Promise<Endpoint> {
    const c = await this.#containers.container(service, 0);
    const info = await c.inspect();
    for (const bindings of Object.values(info.NetworkSettings.Ports ?? {})) {
      const b = bindings?.find((x) => x.HostIp === '127.0.0.1');
      if (b) return { host: '127.0.0.1', port: Number(b.HostPort) };
    }
    throw new ProdlikeError('PROVIDER_FAILED', `${service} publishes no port on 127.0.0.1.`, { hint: 'Is it running? `prodlike status`.' });
  }

  async replicas(service: WorkloadRole): Promise<number> {
    return (await this.#containers.list()).filter((c) => c.Labels[LABELS.role] === service).length;
  }

  async scale(service: WorkloadRole, count: number): Promise<void> {
    await this.#own().containers(`scale ${service} to ${count}`, service);
    if (count < 0 || count > 50) throw new ProdlikeError('USAGE', `Cannot scale ${service} to ${count} (0..50).`);
    const state = await this.#containers.requireState();
    state.replicas = { ...state.replicas, [service]: count };
    const secrets = await this.#store.secrets();
    const specs = buildTopology({ config: this.#options.config, images: this.#options.images, secrets, replicas: state.replicas }).filter((s) => s.role === service);
    const network = await this.#containers.ensureNetwork(state.runId);
    for (const spec of specs) await this.#containers.ensureContainer(spec, network, state.runId, () => undefined);
    const extra = (await this.#containers.list()).filter((c) => c.Labels[LABELS.role] === service && Number(c.Labels[LABELS.replica]) >= count);
    await Promise.all(extra.map((c) => this.#docker.getContainer(c.Id).remove({ force: true })));
    await Promise.all(specs.map((s) => this.#containers.waitReady(s, secrets)));
    await this.#store.writeState(state);
  }

  /**
   * `up --build`: each replica of `roles` whose container runs another image than its tag names now is
   * stopped (SIGTERM, its stop timeout), re-created from the same spec and waited on until ready, one
   * replica at a time, so the others keep serving (a rolling update; a container cannot surge on the
   * same name). Replicas already on the image are left alone.
   */
  async rollOut(roles: readonly WorkloadRole[], options: { signal?: AbortSignal; progress?: (m: string) => void } = {}): Promise<RolledReplica[]> {
    for (const role of roles) await this.#own().containers(`roll out ${role}`, role);
    const state = await this.#containers.requireState();
    const secrets = await this.#store.secrets();
    const specs = buildTopology({ config: this.#options.config, images: this.#options.images, secrets, replicas: state.replicas }).filter((s) => (roles as readonly string[]).includes(s.role));
    const network = await this.#containers.ensureNetwork(state.runId);
    const rolled: RolledReplica[] = [];
    for (const spec of specs) {
      options.signal?.throwIfAborted();
      const imageId = (await this.#docker.getImage(spec.image).inspect()).Id;
      const existing = (await this.#containers.list()).find((c) => c.Names.includes(`/${spec.name}`));
      if (existing?.ImageID === imageId && existing.State === 'running') continue;
      const started = performance.now();
      options.progress?.(`${spec.name}: re-creating on ${spec.image} (${imageId.slice(7, 19)})`);
      if (existing) {
        const container = this.#docker.getContainer(existing.Id);
        await container.stop({ t: spec.stopTimeoutSeconds }).catch(() => undefined);
        await container.remove({ force: true });
      }
      await this.#containers.ensureContainer(spec, network, state.runId, options.progress ?? (() => undefined));
      const created = performance.now();
      await this.#containers.waitReady(spec, secrets, options.signal);
      rolled.push({ role: spec.role as WorkloadRole, name: spec.name, image: spec.image, imageId, recreateMs: created - started, readyMs: performance.now() - created });
    }
    return rolled;
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
    const c = await this.#containers.container(service, options.replica);
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
    await (await this.#containers.container(service, options.replica)).stop({ t: 30 });
  }

  async start(service: WorkloadRole, options: { replica?: number } = {}): Promise<void> {
    await (await this.#containers.container(service, options.replica)).start();
  }

  async restart(service: WorkloadRole, options: { replica?: number } = {}): Promise<void> {
    await this.#own().containers(`restart ${service}`, service, options.replica ?? 0);
    await (await this.#containers.container(service, options.replica)).restart({ t: 30 });
  }

  async pause(service: WorkloadRole, options: { replica?: number } = {}): Promise<void> {
    await this.#own().containers(`pause ${service}`, service, options.replica ?? 0);
    await (await this.#containers.container(service, options.replica)).pause();
  }

  async unpause(service: WorkloadRole, options: { replica?: number } = {}): Promise<void> {
    await (await this.#containers.container(service, options.replica)).unpause();
  }

  /** Cuts every replica of `service` off the environment network (its published port stays). */
  async partition(service: WorkloadRole): Promise<void> {
    await this.#own().network(`partition ${service}`).then(() => this.#own().containers(`partition ${service}`, service));
    const network = this.#docker.getNetwork(this.networkName);
    for (const c of (await this.#containers.list()).filter((x) => x.Labels[LABELS.role] === service)) {
      await network.disconnect({ Container: c.Id, Force: true });
    }
  }

  async heal(service: WorkloadRole): Promise<void> {
    const network = this.#docker.getNetwork(this.networkName);
    const state = await this.#containers.requireState();
    const specs = buildTopology({ config: this.#options.config, images: this.#options.images, secrets: await this.#store.secrets(), replicas: state.replicas });
    for (const c of (await this.#containers.list()).filter((x) => x.Labels[LABELS.role] === service)) {
      const info = await this.#docker.getContainer(c.Id).inspect();
      if (info.NetworkSettings.Networks?.[this.networkName]) continue;
      const spec = specs.find((s) => s.name === info.Name.replace(/^\//, ''));
      await network.connect({ Container: c.Id, EndpointConfig: { Aliases: spec?.aliases ?? [] } });
    }
  }

  async exec(service: WorkloadRole, argv: string[], options: { replica?: number; timeoutMs?: number } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    await this.#own().containers(`exec in ${service}`, service, options.replica ?? 0);
    return this.#containers.exec(await this.#containers.container(service, options.replica), service, argv, options.timeoutMs);
  }

  /**
   * A one-off job container on the environment network (what a Kubernetes Job is to the kind provider):
   * labelled, removed afterwards; `mounts` bind host folders (e.g. where a backup is written).
   */
  async runJob(options: JobSpec): Promise<JobResult> {
    return this.#containers.runJob(options);
  }

  /** A job container reaches a service by its configured Service name (the container's network alias) and port. */
  jobAddress(service: WorkloadRole): string {
    const w = resolveWorkload(this.#options.config, service);
    return `${w.service}:${w.port}`;
  }

  /** The Docker engine's event stream for this environment's containers (died, started, health), as timeline events. */
  async watchEvents(): Promise<ProviderEventWatch> {
    const recorder = await recordDockerEvents(this.#docker, this.#options.config.name);
    return { stop: () => recorder.stop() };
  }

  async stats(service: WorkloadRole): Promise<ReplicaStats[]> {
    const out: ReplicaStats[] = [];
    for (const c of (await this.#containers.list()).filter((x) => x.Labels[LABELS.role] === service)) {
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

  async #step(id: string, title: string, work: (progress: (m: string) => void) => Promise<void>): Promise<void> {
    if (this.#options.bus) await this.#options.bus.step(id, title, work);
    else await work(() => undefined);
  }

  async #ensureBucket(secrets: { minioAccessKey: string; minioSecretKey: string }): Promise<void> {
    const { port } = await this.endpoint('minio');
    const client = new MinioClient({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: secrets.minioAccessKey, secretKey: secrets.minioSecretKey });
    const { bucket } = this.#options.config.objectStore;
    if (!(await client.bucketExists(bucket))) await client.makeBucket(bucket);
  }
}
