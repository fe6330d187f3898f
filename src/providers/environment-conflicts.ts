import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { LoadedConfig } from '../config/load-config.ts';
import type { ProdlikeConfig, ProviderName } from '../config/schema.ts';
import { InternalError, ProdlikeError } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';
import { KIND_CLUSTER_LABEL, PRODLIKE_LABELS } from '../safety/ownership.ts';
import { buildTopology } from './docker/topology.ts';
import { EnvironmentStore, type EnvironmentState } from './environment-state.ts';
import { clusterName, kindPortMappings } from './kind/cluster-config.ts';

/**
 * Before `prodlike up` or `prodlike run` starts anything: is another environment of this project, recorded
 * as up (`.prodlike/<env>/state.json`) and really there (its labelled containers, or its kind cluster's
 * nodes), in the way?
 *   - the same name on the other provider: the two would share `.prodlike/<env>/` (state, secrets, fault
 *     journal) and `ports.entry`; the second would fail deep in kind's or Docker's output;
 *   - another name whose containers publish a host port this one binds (ports.entry and, on kind, the
 *     backend and data ports beside it).
 * A state file whose environment no longer exists (its containers or cluster are gone) does not block: it is
 * returned as stale. The answer is an ENVIRONMENT_CONFLICT error (exit 2) that names the way out.
 */

/** The environment a command is about to create or use. */
export interface EnvironmentRequest {
  env: string;
  provider: ProviderName;
  /** The fixed host ports it binds (ports the engine chooses are not listed: they cannot collide). */
  hostPorts: readonly number[];
  /** `ports.entry`, for the message. */
  entry: number;
}

/** What exists of a recorded environment. */
export interface LiveEnvironment {
  /** Its labelled containers (docker) or its cluster's node containers (kind) exist, running or not. */
  exists: boolean;
  /** Host ports its containers publish now. */
  hostPorts: number[];
}

export interface ConflictSources {
  /** What this project's `.prodlike/<env>/state.json` files record. */
  recorded(): Promise<EnvironmentState[]>;
  /** What really exists of a recorded environment. */
  live(state: EnvironmentState): Promise<LiveEnvironment>;
}

export interface EnvironmentConflict {
  reason: 'same-name' | 'ports';
  other: EnvironmentState;
  /** Host ports both bind (reason `ports`). */
  ports: number[];
}

export interface ConflictCheck {
  conflicts: EnvironmentConflict[];
  /** Recorded environments that no longer exist: not in the way. */
  stale: EnvironmentState[];
}

/** The fixed 127.0.0.1 host ports an environment binds on a provider. */
export function requestedHostPorts(config: ProdlikeConfig, provider: ProviderName): number[] {
  const ports = provider === 'kind'
    // As KindProvider.create renders kind/cluster.yaml (with the ingress controller's http/https ports).
    ? kindPortMappings(config, { ingressController: true }).map((m) => m.hostPort)
    // Only what the topology publishes on a fixed port (the entry); the others are hostPort 0, chosen by Docker.
    : buildTopology({ config, images: PLACEHOLDER_IMAGES, secrets: NO_SECRETS }).flatMap((s) => s.publish.map((p) => p.hostPort)).filter((p) => p !== 0);
  return [...new Set(ports)].sort((a, b) => a - b);
}

const PLACEHOLDER_IMAGES = { postgres: 'postgres', redis: 'redis', minio: 'minio', nginx: 'nginx', app: 'app', frontend: 'frontend' };
const NO_SECRETS = { postgresPassword: '', redisPassword: '', minioAccessKey: '', minioSecretKey: '' };

/** The decision: which recorded environments are in the way of `request`, and which are stale. */
export async function findEnvironmentConflicts(request: EnvironmentRequest, sources: ConflictSources): Promise<ConflictCheck> {
  // The requested environment itself (same name, same provider) is never in its own way: `up` is idempotent.
  const others = (await sources.recorded()).filter((s) => !(s.env === request.env && s.provider === request.provider));
  const checked = await Promise.all(others.map(async (state) => ({ state, live: await sources.live(state) })));
  const conflicts: EnvironmentConflict[] = [];
  const stale: EnvironmentState[] = [];
  for (const { state, live } of checked) {
    if (!live.exists) {
      stale.push(state);
      continue;
    }
    if (state.env === request.env) {
      conflicts.push({ reason: 'same-name', other: state, ports: [] });
      continue;
    }
    const ports = request.hostPorts.filter((p) => live.hostPorts.includes(p));
    if (ports.length) conflicts.push({ reason: 'ports', other: state, ports });
  }
  conflicts.sort((a, b) => Number(a.reason === 'ports') - Number(b.reason === 'ports'));
  return { conflicts, stale };
}

/** The refusal, naming the way out. `command` decides how "use the one that is up" is said. */
export function environmentConflictError(request: EnvironmentRequest, conflicts: readonly EnvironmentConflict[], command: 'up' | 'run'): ProdlikeError {
  const [first, ...more] = conflicts;
  if (!first) throw new InternalError('environmentConflictError needs at least one conflict');
  const { other } = first;
  const up = `environment "${other.env}" is up on ${other.provider} (created ${other.createdAt})`;
  const also = more.length ? ` Also in the way: ${more.map((c) => `"${c.other.env}" on ${c.other.provider}${c.ports.length ? ` (ports ${c.ports.join(', ')})` : ''}`).join('; ')}.` : '';
  const details = { env: request.env, provider: request.provider, conflicts: conflicts.map((c) => ({ reason: c.reason, env: c.other.env, provider: c.other.provider, createdAt: c.other.createdAt, ports: c.ports })) };
  if (first.reason === 'same-name') {
    const use = command === 'run' ? 'to run against it' : 'to use it';
    return new ProdlikeError('ENVIRONMENT_CONFLICT', `${up}: "${request.env}" cannot also be on ${request.provider} (one name, one environment: both would use .prodlike/${request.env}/ and port ${request.entry}). Nothing was started.${also}`, {
      hint: `\`prodlike down --provider ${other.provider}\` first, or use another name with \`name:\` in prodlike.yaml, or \`--provider ${other.provider}\` ${use}.`,
      details,
    });
  }
  const ports = first.ports.map((p) => `127.0.0.1:${p}`).join(', ');
  return new ProdlikeError('ENVIRONMENT_CONFLICT', `${up} and holds ${ports}, which environment "${request.env}" on ${request.provider} needs (ports.entry ${request.entry}: ${request.hostPorts.join(', ')}). Nothing was started.${also}`, {
    hint: `Bring "${other.env}" down first (\`prodlike down --provider ${other.provider}\` with its config, name: ${other.env}), or set another \`ports.entry\` in prodlike.yaml.`,
    details,
  });
}

/**
 * The real sources: the state files under `<projectDir>/.prodlike/`, and Docker for what exists (kind's
 * nodes are found by their cluster label, as `kind get clusters` finds them). An unreachable engine means
 * nothing is up (the provider then says the engine is missing).
 */
export function projectSources(projectDir: string, docker: Pick<Docker, 'listContainers'> = new Docker()): ConflictSources {
  return {
    async recorded() {
      const entries = await readdir(join(projectDir, '.prodlike'), { withFileTypes: true }).catch(() => []);
      const states = await Promise.all(entries.filter((e) => e.isDirectory()).map((e) => new EnvironmentStore(projectDir, e.name).readState().catch(() => undefined)));
      return states.filter((s): s is EnvironmentState => s !== undefined && typeof s.env === 'string' && (s.provider === 'docker' || s.provider === 'kind'));
    },
    async live(state) {
      const label = state.provider === 'kind'
        ? [`${KIND_CLUSTER_LABEL}=${clusterName(state.env)}`]
        : [`${PRODLIKE_LABELS.managed}=true`, `${PRODLIKE_LABELS.env}=${state.env}`];
      try {
        const containers = await docker.listContainers({ all: true, filters: { label } });
        const hostPorts = containers.flatMap((c) => (c.Ports ?? []).map((p) => p.PublicPort).filter((p): p is number => typeof p === 'number' && p > 0));
        return { exists: containers.length > 0, hostPorts: [...new Set(hostPorts)] };
      } catch {
        return { exists: false, hostPorts: [] };
      }
    },
  };
}

/**
 * The check of `up` and `run`: throws ENVIRONMENT_CONFLICT when another environment is in the way;
 * stale state files are announced on the bus and ignored.
 */
export async function refuseConflictingEnvironment(input: { loaded: LoadedConfig; provider: ProviderName; command: 'up' | 'run'; bus?: EventBus; sources?: ConflictSources }): Promise<void> {
  const { config } = input.loaded;
  const request: EnvironmentRequest = { env: config.name, provider: input.provider, hostPorts: requestedHostPorts(config, input.provider), entry: config.ports.entry };
  const { conflicts, stale } = await findEnvironmentConflicts(request, input.sources ?? projectSources(input.loaded.baseDir));
  for (const s of stale) {
    input.bus?.emit({ kind: 'log', level: 'warn', source: 'providers.conflicts', message: `.prodlike/${s.env}/state.json records environment "${s.env}" on ${s.provider} (created ${s.createdAt}), but it no longer exists: ignored` });
  }
  if (conflicts.length) throw environmentConflictError(request, conflicts, input.command);
}
