import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Option } from 'commander';
import Docker from 'dockerode';
import { parse } from 'yaml';
import { ProdlikeError } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';
import { canCheckOwnership, canKubernetes, type Provider } from '../providers/provider.ts';

/**
 * The ownership guard: before anything destructive (kill, stop, pause, partition, scale, exec, remove,
 * cluster delete) prodlike proves the target is its own, for this environment. Docker objects must carry
 * `io.prodlike.managed=true` and `io.prodlike.env=<env>`; a kind target must be reached through the
 * `kind-<cluster>` context of prodlike's private kubeconfig, whose API server is the one published by
 * node containers labelled `io.x-k8s.kind.cluster=<cluster>`. Anything else is refused with
 * OWNERSHIP_REFUSED (exit 3), naming the object or context, unless the user passed the explicit override
 * (`allowForeignTarget`, CLI `--i-know-this-is-not-a-prodlike-cluster`), which is recorded as a warning
 * event so it lands in the journal and the report.
 *
 * The guard only reads (Docker API, the kubeconfig file); it never runs kubectl, kind or the docker CLI,
 * so a refusal happens before any command reaches the target.
 */
export const ALLOW_FOREIGN_FLAG = '--i-know-this-is-not-a-prodlike-cluster';
export const OWNERSHIP_SOURCE = 'safety.ownership';

/** The CLI option for commands that run destructive steps (`run`, `load`…): `.addOption(allowForeignTargetOption())`. */
export function allowForeignTargetOption(): Option {
  return new Option(ALLOW_FOREIGN_FLAG, 'run destructive steps even against objects or a kube context that are not this environment\'s (recorded in the report)');
}

/** Reads the option back from commander's parsed options. */
export function allowForeignTargetFrom(opts: Record<string, unknown>): boolean {
  return opts.iKnowThisIsNotAProdlikeCluster === true;
}

export const PRODLIKE_LABELS = { managed: 'io.prodlike.managed', env: 'io.prodlike.env', role: 'io.prodlike.role' } as const;
/** The labels prodlike puts on what it creates in a cluster for environment `env` (namespaces, access Services, policies). */
export function ownLabels(env: string): Record<string, string> {
  return { [PRODLIKE_LABELS.managed]: 'true', [PRODLIKE_LABELS.env]: env, 'app.kubernetes.io/managed-by': 'prodlike' };
}

/** The label selector of what prodlike created for `env`: `io.prodlike.managed=true,io.prodlike.env=<env>`. */
export function ownLabelSelector(env: string): string {
  return `${PRODLIKE_LABELS.managed}=true,${PRODLIKE_LABELS.env}=${env}`;
}
export const KIND_CLUSTER_LABEL = 'io.x-k8s.kind.cluster';
export const KIND_ROLE_LABEL = 'io.x-k8s.kind.role';

export interface GuardContext {
  /** The environment the command runs for (`name:` in prodlike.yaml). */
  env: string;
  bus?: EventBus | undefined;
  /** The explicit override: refusals become recorded warnings. */
  allowForeignTarget?: boolean | undefined;
}

export class OwnershipRefusedError extends ProdlikeError {
  constructor(operation: string, object: string, reason: string, details: Record<string, unknown> = {}) {
    super('OWNERSHIP_REFUSED', `Refusing to ${operation}: ${object} ${reason}.`, {
      hint: `prodlike only touches what it created for this environment. Check the object/context named above; `
        + `if you really mean to run against it, pass ${ALLOW_FOREIGN_FLAG} (the override is recorded in the report).`,
      details: { operation, object, reason, ...details },
    });
  }
}

/** Refuses, or (with the override) records that the user chose to go ahead. */
export function refuseOrRecord(ctx: GuardContext, operation: string, object: string, reason: string, details: Record<string, unknown> = {}): void {
  const error = new OwnershipRefusedError(operation, object, reason, details);
  if (!ctx.allowForeignTarget) throw error;
  ctx.bus?.emit({
    kind: 'log',
    level: 'warn',
    source: OWNERSHIP_SOURCE,
    message: `ownership override (${ALLOW_FOREIGN_FLAG}): ${operation} on ${object} although it ${reason}`,
  });
}

// ── docker ───────────────────────────────────────────────────────────────────────────────────────

type Labels = Record<string, string> | undefined | null;

/** Why `labels` do not make an object prodlike's for `env`, or undefined when they do. */
export function labelProblem(labels: Labels, env: string, role?: string): string | undefined {
  const l = labels ?? {};
  if (l[PRODLIKE_LABELS.managed] !== 'true') return `does not carry ${PRODLIKE_LABELS.managed}=true`;
  if (l[PRODLIKE_LABELS.env] !== env) {
    return l[PRODLIKE_LABELS.env] === undefined
      ? `does not carry ${PRODLIKE_LABELS.env}=${env}`
      : `belongs to environment "${l[PRODLIKE_LABELS.env]}", not "${env}" (${PRODLIKE_LABELS.env})`;
  }
  if (role !== undefined && l[PRODLIKE_LABELS.role] !== role) return `carries ${PRODLIKE_LABELS.role}=${l[PRODLIKE_LABELS.role] ?? '(none)'}, not ${role}`;
  return undefined;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Ownership checks of the docker provider. Names are `prodlike-<env>-<role>-<replica>` and the network is
 * `prodlike-<env>`: an object with such a name that is not labelled for this environment is a decoy
 * (or another tool's object) and refuses the operation instead of being looked past.
 */
export class DockerOwnershipGuard {
  readonly #docker: Docker;
  readonly #ctx: GuardContext;

  constructor(ctx: GuardContext, docker: Docker = new Docker()) {
    this.#ctx = ctx;
    this.#docker = docker;
  }

  get prefix(): string {
    return `prodlike-${this.#ctx.env}`;
  }

  /** Every container named like a replica of `role` (or the one replica) must be this environment's. */
  async containers(operation: string, role: string, replica?: number): Promise<void> {
    const pattern = new RegExp(`^/?${escapeRegExp(`${this.prefix}-${role}-`)}(\\d+)$`);
    const found = await this.#docker.listContainers({ all: true, filters: { name: [`${this.prefix}-${role}-`] } });
    for (const c of found) {
      const name = c.Names.map((n) => n.replace(/^\//, '')).find((n) => pattern.test(n));
      if (!name) continue;
      if (replica !== undefined && Number(pattern.exec(name)?.[1]) !== replica) continue;
      const problem = labelProblem(c.Labels, this.#ctx.env, role);
      if (problem) refuseOrRecord(this.#ctx, operation, `container ${name} (${c.Id.slice(0, 12)})`, problem, { container: name, id: c.Id, labels: c.Labels });
    }
  }

  /** The environment network `prodlike-<env>`, when it exists, must be this environment's. */
  async network(operation: string): Promise<void> {
    const found = await this.#docker.listNetworks({ filters: { name: [this.prefix] } });
    for (const n of found.filter((x) => x.Name === this.prefix)) {
      const problem = labelProblem(n.Labels, this.#ctx.env);
      if (problem) refuseOrRecord(this.#ctx, operation, `network ${n.Name} (${n.Id.slice(0, 12)})`, problem, { network: n.Name, id: n.Id, labels: n.Labels });
    }
  }

  /**
   * Before `down`: everything carrying `io.prodlike.env=<env>` (what removal selects) must also carry
   * `io.prodlike.managed=true`, and nothing named like the environment may be foreign. An object that
   * merely shares the env label (another tool's volume) is refused, not deleted.
   */
  async environment(operation: string): Promise<void> {
    const envFilter = { label: [`${PRODLIKE_LABELS.env}=${this.#ctx.env}`] };
    for (const c of await this.#docker.listContainers({ all: true, filters: envFilter })) {
      const problem = labelProblem(c.Labels, this.#ctx.env);
      if (problem) refuseOrRecord(this.#ctx, operation, `container ${c.Names[0]?.replace(/^\//, '') ?? c.Id}`, problem, { id: c.Id });
    }
    for (const n of await this.#docker.listNetworks({ filters: envFilter })) {
      const problem = labelProblem(n.Labels, this.#ctx.env);
      if (problem) refuseOrRecord(this.#ctx, operation, `network ${n.Name}`, problem, { id: n.Id });
    }
    const { Volumes: volumes } = await this.#docker.listVolumes({ filters: envFilter });
    for (const v of volumes ?? []) {
      const problem = labelProblem(v.Labels, this.#ctx.env);
      if (problem) refuseOrRecord(this.#ctx, operation, `volume ${v.Name}`, problem, { volume: v.Name });
    }
  }
}

// ── kind ─────────────────────────────────────────────────────────────────────────────────────────

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name?: string; context?: { cluster?: string; user?: string } }[];
  clusters?: { name?: string; cluster?: { server?: string } }[];
}

export interface KindTarget {
  /** The kind cluster name, e.g. `prodlike` or `prodlike-demo`. */
  cluster: string;
  /** The kubeconfig file the command uses (prodlike's private one). */
  kubeconfig: string;
  /** The `--context` the command passes. */
  context: string;
}

export interface KindGuardOptions {
  /**
   * `down`: a missing kubeconfig or a cluster without nodes is fine (nothing to reach, `kind delete
   * cluster --name` only deletes by name), but a kubeconfig that points elsewhere is still refused.
   */
  forDelete?: boolean;
  docker?: Docker;
}

/**
 * A kind target is prodlike's when: the context used is `kind-<cluster>` and the cluster name is
 * prodlike's (`prodlike*`); the kubeconfig's current-context is that same context and defines it; node
 * containers labelled `io.x-k8s.kind.cluster=<cluster>` exist; and the context's API server is the
 * 127.0.0.1 port the control-plane node publishes for 6443.
 */
export async function guardKindTarget(ctx: GuardContext, operation: string, target: KindTarget, options: KindGuardOptions = {}): Promise<void> {
  const expected = `kind-${target.cluster}`;
  if (!/^prodlike(-|$)/.test(target.cluster)) {
    refuseOrRecord(ctx, operation, `kind cluster "${target.cluster}"`, 'is not named prodlike or prodlike-<env>', { cluster: target.cluster });
  }
  if (target.context !== expected) {
    refuseOrRecord(ctx, operation, `kube context "${target.context}"`, `is not the context prodlike created for this environment (${expected})`, { context: target.context, expected });
  }
  if (!existsSync(target.kubeconfig)) {
    if (options.forDelete) return;
    refuseOrRecord(ctx, operation, `kubeconfig ${target.kubeconfig}`, 'does not exist (the environment is not up, or its kubeconfig was removed)', { kubeconfig: target.kubeconfig });
    return;
  }
  let kubeconfig: KubeconfigFile;
  try {
    kubeconfig = (parse(await readFile(target.kubeconfig, 'utf8')) ?? {}) as KubeconfigFile;
  } catch (cause) {
    refuseOrRecord(ctx, operation, `kubeconfig ${target.kubeconfig}`, `cannot be read as YAML (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)})`);
    return;
  }
  const current = kubeconfig['current-context'];
  if (current !== expected) {
    refuseOrRecord(ctx, operation, `kube context "${current ?? '(none)'}" (current-context of ${target.kubeconfig})`, `is not ${expected}`, { currentContext: current, expected, kubeconfig: target.kubeconfig });
  }
  const context = kubeconfig.contexts?.find((c) => c?.name === target.context);
  const server = kubeconfig.clusters?.find((c) => c?.name === context?.context?.cluster)?.cluster?.server;
  if (!context) {
    refuseOrRecord(ctx, operation, `kube context "${target.context}"`, `is not defined in ${target.kubeconfig}`, { kubeconfig: target.kubeconfig });
  }
  const docker = options.docker ?? new Docker();
  const nodes = await docker.listContainers({ all: true, filters: { label: [`${KIND_CLUSTER_LABEL}=${target.cluster}`] } });
  if (nodes.length === 0) {
    if (options.forDelete) return;
    refuseOrRecord(ctx, operation, `kube context "${target.context}" (server ${server ?? 'unknown'})`, `has no kind node containers labelled ${KIND_CLUSTER_LABEL}=${target.cluster} on this host`, { server, cluster: target.cluster });
    return;
  }
  const controlPlane = nodes.find((n) => n.Labels[KIND_ROLE_LABEL] === 'control-plane');
  const api = controlPlane?.Ports.find((p) => p.PrivatePort === 6443 && p.PublicPort);
  if (api) {
    const allowed = new Set([`https://${api.IP && api.IP !== '0.0.0.0' ? api.IP : '127.0.0.1'}:${api.PublicPort}`, `https://localhost:${api.PublicPort}`]);
    if (!server || !allowed.has(server.replace(/\/$/, ''))) {
      refuseOrRecord(ctx, operation, `kube context "${target.context}" (server ${server ?? 'none'})`, `does not point at the API server of kind cluster ${target.cluster} (${[...allowed][0]})`, { server, expected: [...allowed] });
    }
  }
}

// ── any provider ─────────────────────────────────────────────────────────────────────────────────

/** What `guardProvider` needs to know about a provider (both providers expose it). */

/**
 * The guard for code that drives a provider from outside (scenario faults in src/safety/faults.ts): runs
 * the same checks the provider's own destructive methods run, before anything (even a read such as the
 * current replica count) reaches the target. `env` is the environment's name (`name:` in the config).
 */
export async function guardProvider(ctx: GuardContext, provider: Provider, operation: string, service?: string, docker?: Docker): Promise<void> {
  if (provider.name === 'cluster') {
    // An existing cluster: the target's namespace must carry this environment's labels (namespace-ownership.ts).
    if (!canCheckOwnership(provider)) throw new OwnershipRefusedError(operation, 'the cluster provider', 'offers no namespace ownership check');
    await provider.checkOwnership(operation, service as Parameters<typeof provider.checkOwnership>[1]);
    return;
  }
  if (provider.name === 'kind') {
    if (!canKubernetes(provider)) throw new OwnershipRefusedError(operation, 'the kind provider', 'exposes no cluster/kubeconfig to check');
    await guardKindTarget(ctx, operation, { cluster: provider.cluster, kubeconfig: provider.kubectl.kubeconfig, context: provider.kubectl.context }, docker ? { docker } : {});
    return;
  }
  const guard = new DockerOwnershipGuard(ctx, docker);
  await guard.network(operation);
  if (service !== undefined) await guard.containers(operation, service);
}
