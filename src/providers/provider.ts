import type { KubeConfig } from '@kubernetes/client-node';
import type { WorkloadRef, WorkloadRole } from '../config/schema.ts';
import type { Kubectl } from '../kube/kubectl.ts';
import type { TimelineEvent } from '../measure/timeline.ts';

/**
 * The small provider interface every environment backend implements (create/status/destroy/logs),
 * plus optional capabilities that scenarios detect with the type guards below, as e2e-framework does
 * with its optional provider interfaces.
 */
export type ServiceHealth = 'healthy' | 'starting' | 'unhealthy' | 'stopped' | 'missing';

export interface ReplicaStatus {
  id: string;
  name: string;
  health: ServiceHealth;
  state: string;
  startedAt?: string | undefined;
  restarts: number;
}

export interface ServiceStatus {
  role: WorkloadRole | 'ingress';
  /** One of the role's additional workloads (topology.<role>.additional[].name): `status` shows it as <role>/<instance>. Absent for the role's primary. */
  instance?: string | undefined;
  desired: number;
  replicas: ReplicaStatus[];
  /** host:port on 127.0.0.1, when the service is published. */
  endpoint?: string | undefined;
}

export interface EnvironmentStatus {
  env: string;
  provider: string;
  exists: boolean;
  healthy: boolean;
  services: ServiceStatus[];
  /** Entry point URL (ingress): `/` frontend, `/api` backend. */
  entry?: string | undefined;
  /** Cluster-level view (kind): nodes, HPAs, PVCs and notices such as unenforced NetworkPolicies. */
  cluster?: ClusterStatus | undefined;
}

export interface CreateResult {
  /** `created` when resources were made, `unchanged` when a healthy environment was already up. */
  outcome: 'created' | 'unchanged' | 'repaired';
  status: EnvironmentStatus;
}

export interface Provider {
  readonly name: 'docker' | 'kind' | 'cluster';
  create(options?: { signal?: AbortSignal }): Promise<CreateResult>;
  status(): Promise<EnvironmentStatus>;
  destroy(options?: { keepData?: boolean }): Promise<{ removed: string[] }>;
  /**
   * A service's logs. Without `onLine`: the text of one replica (`replica`, default 0), its last `tail` lines
   * (default 200). With `onLine`: every replica's lines (or only `replica`'s) as they are read, each with its
   * source (docker: the container; kind: pod/container), then resolves with ''; `follow` keeps streaming until
   * `signal` aborts (then it resolves, it does not throw) or the replicas end.
   */
  logs(service: WorkloadRef, options?: LogOptions): Promise<string>;
}

/** One line of a replica's log. */
export interface LogLine {
  /** docker: the container's name; kind: `<pod>/<container>`. */
  source: string;
  text: string;
}

export interface LogOptions {
  /** Lines from the end of each replica's log (default: 200 for the text, all when streaming). */
  tail?: number;
  /** One replica (0-based): the text's default is 0; streaming reads all of them unless this is set. */
  replica?: number;
  /** Only lines logged in the last `sinceSeconds` seconds. */
  sinceSeconds?: number;
  /** Keep reading new lines (with `onLine`) until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  /** Receives the lines as they are read (streaming mode). */
  onLine?: (line: LogLine) => void;
}

export interface ResetResult {
  /** What the reset removed (namespaces, containers, volumes). */
  removed: string[];
  /** What the reader should know (what was kept and why). */
  notes: string[];
  status: EnvironmentStatus;
}

/** Back to the freshly deployed state, without creating the environment again (kind: no new cluster). */
export interface SupportsReset {
  reset(options?: { signal?: AbortSignal }): Promise<ResetResult>;
}

export interface Endpoint {
  host: string;
  port: number;
}

export interface KillOptions {
  /** Replica index (0-based); default 0. */
  replica?: number;
  /** Default SIGKILL: a crash, not a graceful stop. */
  signal?: NodeJS.Signals;
}

export interface SupportsEndpoints {
  endpoint(service: WorkloadRole | 'ingress'): Promise<Endpoint>;
}
export interface SupportsScale {
  replicas(service: WorkloadRole): Promise<number>;
  scale(service: WorkloadRole, count: number): Promise<void>;
}
export interface SupportsKill {
  kill(service: WorkloadRef, options?: KillOptions): Promise<{ killed: string; at: number; via: string }>;
}
/** Freezes one replica's processes (a hang: its port accepts connections nothing answers) and thaws them. */
export interface SupportsPause {
  pause(service: WorkloadRef, options?: { replica?: number }): Promise<void>;
  /** Thaws the replica; a replica that is not paused is left alone (docker: rejects with "not paused"). */
  unpause(service: WorkloadRef, options?: { replica?: number }): Promise<void>;
}
export interface SupportsLifecycle extends SupportsPause {
  stop(service: WorkloadRole, options?: { replica?: number }): Promise<void>;
  start(service: WorkloadRole, options?: { replica?: number }): Promise<void>;
  restart(service: WorkloadRole, options?: { replica?: number }): Promise<void>;
}
/** What a pause froze, in a form another process can resume (kind: the pod's node and container ids). */
export interface PauseTarget {
  pod: string;
  node: string;
  containers: string[];
}
/**
 * A pause whose target is resolved first (kind): the fault journal then records exactly what to resume,
 * so the undo does not depend on which pod is `replica` by the time it runs.
 */
export interface SupportsPauseTarget {
  pauseTarget(service: WorkloadRef, options?: { replica?: number }): Promise<PauseTarget>;
  pauseContainers(target: PauseTarget): Promise<void>;
  /** Thaws what is still paused; containers that are gone or running are not an error. */
  resumeContainers(target: PauseTarget): Promise<{ resumed: string[]; running: string[]; gone: string[] }>;
}
export interface SupportsPartition {
  partition(service: WorkloadRole): Promise<void>;
  heal(service: WorkloadRole): Promise<void>;
}
export interface SupportsExec {
  exec(service: WorkloadRef, argv: string[], options?: { replica?: number; timeoutMs?: number }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}
export interface ReplicaStats {
  name: string;
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
}
export interface SupportsStats {
  stats(service: WorkloadRef): Promise<ReplicaStats[]>;
}

/** A one-off job: a command in an image, on the environment's network, removed afterwards. */
export interface JobSpec {
  name: string;
  image: string;
  command: string[];
  env?: Record<string, string>;
  /** Host folders bound into the job (e.g. where a backup is written). */
  mounts?: { host: string; container: string }[];
  timeoutMs?: number;
}
export interface JobResult {
  exitCode: number;
  logs: string;
  durationMs: number;
}
export interface SupportsJobs {
  /** docker: a labelled container on the environment network (what a Kubernetes Job is to kind). */
  runJob(options: JobSpec): Promise<JobResult>;
  /** `host:port` at which a job reaches `service` on the environment network (its configured Service name and port). */
  jobAddress(service: WorkloadRole): string;
}

/**
 * The environment is a Kubernetes cluster: its private kubeconfig and context (always explicit, never the
 * user's current context), kubectl bound to them, an API client configuration for watches, and a way to
 * put a locally built image into the nodes (offline there is no registry).
 */
export interface SupportsKubernetes {
  /** The kind cluster's name. */
  readonly cluster: string;
  readonly kubeconfig: string;
  readonly kubectl: Kubectl;
  kubeConfig(): KubeConfig;
  loadImage(image: string, options?: { onLine?: (line: string) => void }): Promise<void>;
}

/**
 * The provider proves ownership itself before a destructive call driven from outside (scenario faults,
 * backup restores): cluster checks that the namespace of `service` (or every namespace of the environment)
 * carries prodlike's labels for this environment (src/safety/namespace-ownership.ts).
 */
export interface SupportsOwnershipCheck {
  checkOwnership(operation: string, service?: WorkloadRef): Promise<void>;
}

/** A running watch of the provider's own events (containers died/started, pods scheduled/Ready, Jobs). */
export interface ProviderEventWatch {
  /** Stops watching; returns the timeline entries, oldest first (watch errors as notes). */
  stop(): Promise<TimelineEvent[]>;
}
export interface EventWatchOptions {
  /** kind: the namespace whose pods and Jobs are followed (default: the backend role's). docker: ignored (all of the environment's containers). */
  namespace?: string;
  /** kind: the label selector of the pods to follow. docker: ignored. */
  podSelector?: string;
}
export interface SupportsEventWatch {
  /** Starts watching; rejects when the watch cannot be opened at all. */
  watchEvents(options?: EventWatchOptions): Promise<ProviderEventWatch>;
}

/** One replica `rollOut` re-created: how long stopping and re-creating took, then how long until it was ready. */
export interface RolledReplica {
  role: WorkloadRole;
  name: string;
  image: string;
  imageId: string;
  recreateMs: number;
  readyMs: number;
}
/** Re-creates the replicas of `roles` that run an older image than their tag now names (docker: `up --build`). */
export interface SupportsRollOut {
  rollOut(roles: readonly WorkloadRole[], options?: { signal?: AbortSignal; progress?: (m: string) => void }): Promise<RolledReplica[]>;
}

/** How a service of `status` is addressed: its role, or <role>/<instance> for an additional workload. */
export const serviceRef = (s: Pick<ServiceStatus, 'role' | 'instance'>): string => (s.instance ? `${s.role}/${s.instance}` : s.role);

const has = <K extends string>(p: object, ...keys: K[]): boolean => keys.every((k) => typeof (p as Record<string, unknown>)[k] === 'function');

export const canEndpoint = (p: Provider): p is Provider & SupportsEndpoints => has(p, 'endpoint');
export const canScale = (p: Provider): p is Provider & SupportsScale => has(p, 'scale', 'replicas');
export const canKill = (p: Provider): p is Provider & SupportsKill => has(p, 'kill');
export const canLifecycle = (p: Provider): p is Provider & SupportsLifecycle => has(p, 'stop', 'start', 'restart', 'pause', 'unpause');
export const canPause = (p: Provider): p is Provider & SupportsPause => has(p, 'pause', 'unpause');
export const canPauseTarget = (p: Provider): p is Provider & SupportsPauseTarget => has(p, 'pauseTarget', 'pauseContainers', 'resumeContainers');
export const canPartition = (p: Provider): p is Provider & SupportsPartition => has(p, 'partition', 'heal');
export const canExec = (p: Provider): p is Provider & SupportsExec => has(p, 'exec');
export const canStats = (p: Provider): p is Provider & SupportsStats => has(p, 'stats');
export const canJobs = (p: Provider): p is Provider & SupportsJobs => has(p, 'runJob', 'jobAddress');
export const canKubernetes = (p: Provider): p is Provider & SupportsKubernetes => has(p, 'kubeConfig', 'loadImage') && typeof (p as { kubectl?: unknown }).kubectl === 'object';
export const canReset = (p: Provider): p is Provider & SupportsReset => has(p, 'reset');
export const canWatchEvents = (p: Provider): p is Provider & SupportsEventWatch => has(p, 'watchEvents');
export const canCheckOwnership = (p: Provider): p is Provider & SupportsOwnershipCheck => has(p, 'checkOwnership');
export const canRollOut = (p: Provider): p is Provider & SupportsRollOut => has(p, 'rollOut');

/** A cluster node (kind: one node container). */
export interface NodeInfo {
  name: string;
  role: 'control-plane' | 'worker';
  ready: boolean;
}
export interface HpaStatus {
  namespace: string;
  name: string;
  target: string;
  replicas: { current: number; desired: number; min: number; max: number };
  /** Per resource metric: current and target average utilisation in percent (current undefined = `<unknown>`). */
  metrics: { resource: string; current?: number | undefined; target?: number | undefined }[];
}
export interface PvcStatus {
  namespace: string;
  name: string;
  phase: string;
  storageClass?: string | undefined;
  capacity?: string | undefined;
}
export interface ClusterStatus {
  nodes: NodeInfo[];
  hpas: HpaStatus[];
  pvcs: PvcStatus[];
  notices: string[];
}
/** A Kubernetes event, typed (core/v1 Event as `kubectl get events -o json` returns it). */
export interface ClusterEvent {
  namespace: string;
  object: { kind: string; name: string };
  type: 'Normal' | 'Warning' | string;
  reason: string;
  message: string;
  count: number;
  /** ISO time of the last occurrence. */
  lastSeen: string;
}
export interface SupportsNodes {
  nodes(): Promise<NodeInfo[]>;
  /** Stops a worker node (its container): a node loss. Resolves once the node is reported NotReady or the wait ends. */
  stopNode(name: string, options?: { waitNotReady?: boolean; timeoutMs?: number }): Promise<{ node: string; at: number; notReadyAfterMs?: number | undefined }>;
  startNode(name: string, options?: { timeoutMs?: number }): Promise<{ node: string; readyAfterMs: number }>;
}
export interface SupportsEvents {
  events(namespace?: string): Promise<ClusterEvent[]>;
}

export const canNodes = (p: Provider): p is Provider & SupportsNodes => has(p, 'nodes', 'stopNode', 'startNode');
export const canEvents = (p: Provider): p is Provider & SupportsEvents => has(p, 'events');
