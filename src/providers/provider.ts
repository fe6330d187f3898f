import type { WorkloadRole } from '../config/schema.ts';

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
}

export interface CreateResult {
  /** `created` when resources were made, `unchanged` when a healthy environment was already up. */
  outcome: 'created' | 'unchanged' | 'repaired';
  status: EnvironmentStatus;
}

export interface Provider {
  readonly name: 'docker' | 'kind';
  create(options?: { signal?: AbortSignal }): Promise<CreateResult>;
  status(): Promise<EnvironmentStatus>;
  destroy(options?: { keepData?: boolean }): Promise<{ removed: string[] }>;
  logs(service: WorkloadRole, options?: { tail?: number; replica?: number }): Promise<string>;
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
  kill(service: WorkloadRole, options?: KillOptions): Promise<{ killed: string; at: number; via: string }>;
}
export interface SupportsLifecycle {
  stop(service: WorkloadRole, options?: { replica?: number }): Promise<void>;
  start(service: WorkloadRole, options?: { replica?: number }): Promise<void>;
  restart(service: WorkloadRole, options?: { replica?: number }): Promise<void>;
  pause(service: WorkloadRole, options?: { replica?: number }): Promise<void>;
  unpause(service: WorkloadRole, options?: { replica?: number }): Promise<void>;
}
export interface SupportsPartition {
  partition(service: WorkloadRole): Promise<void>;
  heal(service: WorkloadRole): Promise<void>;
}
export interface SupportsExec {
  exec(service: WorkloadRole, argv: string[], options?: { replica?: number; timeoutMs?: number }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}
export interface ReplicaStats {
  name: string;
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
}
export interface SupportsStats {
  stats(service: WorkloadRole): Promise<ReplicaStats[]>;
}

const has = <K extends string>(p: object, ...keys: K[]): boolean => keys.every((k) => typeof (p as Record<string, unknown>)[k] === 'function');

export const canEndpoint = (p: Provider): p is Provider & SupportsEndpoints => has(p, 'endpoint');
export const canScale = (p: Provider): p is Provider & SupportsScale => has(p, 'scale', 'replicas');
export const canKill = (p: Provider): p is Provider & SupportsKill => has(p, 'kill');
export const canLifecycle = (p: Provider): p is Provider & SupportsLifecycle => has(p, 'stop', 'start', 'restart', 'pause', 'unpause');
export const canPartition = (p: Provider): p is Provider & SupportsPartition => has(p, 'partition', 'heal');
export const canExec = (p: Provider): p is Provider & SupportsExec => has(p, 'exec');
export const canStats = (p: Provider): p is Provider & SupportsStats => has(p, 'stats');
