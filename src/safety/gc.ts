import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { run } from '../core/exec.ts';
import { findTool } from '../providers/kind/kube-tools.ts';
import { isStale, readLock, LOCK_FILE } from './env-lock.ts';
import { KIND_CLUSTER_LABEL, PRODLIKE_LABELS } from './ownership.ts';

/**
 * `prodlike gc`: removes what environments left behind once their state is gone. Candidates are only
 * docker objects labelled `io.prodlike.managed=true` and kind clusters named `prodlike*` (found by their
 * node containers' `io.x-k8s.kind.cluster` label). An environment is alive, and kept, when
 * `<project>/.prodlike/<env>/state.json` exists or a live process holds its lock (an `up` in progress).
 * Containers without an environment label are removed only when they are setup's smoke containers
 * (`io.prodlike.smoke=true`) and no longer running: `io.prodlike.managed=true` alone is not proof, since
 * every container made from a prodlike image inherits it from the image's labels.
 * Nothing unlabelled is ever listed or touched.
 */
const SMOKE_LABEL = 'io.prodlike.smoke';

export type GarbageKind = 'container' | 'network' | 'volume' | 'kind-cluster';

export interface GarbageItem {
  kind: GarbageKind;
  name: string;
  id: string;
  env: string | undefined;
  reason: string;
}

export interface GcPlan {
  projectDir: string;
  /** Environments with state (or a live lock) in the project: their resources are kept. */
  alive: string[];
  garbage: GarbageItem[];
}

export interface GcOptions {
  projectDir: string;
  docker?: Docker;
  /** Only these environments (exact names). */
  envs?: string[] | undefined;
}

/** Environments with a state file or a live lock under `<projectDir>/.prodlike/`. */
export async function aliveEnvironments(projectDir: string): Promise<string[]> {
  const root = join(projectDir, '.prodlike');
  if (!existsSync(root)) return [];
  const alive: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(root, entry.name);
    if (existsSync(join(dir, 'state.json'))) {
      alive.push(entry.name);
      continue;
    }
    const holder = await readLock(join(dir, LOCK_FILE)).catch(() => 'missing' as const);
    if (typeof holder === 'object' && !isStale(holder)) alive.push(entry.name);
  }
  return alive.sort();
}

export async function planGc(options: GcOptions): Promise<GcPlan> {
  const docker = options.docker ?? new Docker();
  const alive = await aliveEnvironments(options.projectDir);
  const wanted = (env: string | undefined) => options.envs === undefined || (env !== undefined && options.envs.includes(env));
  const orphan = (env: string | undefined) => env === undefined || !alive.includes(env);
  const reason = (env: string | undefined) => (env === undefined ? 'a stopped smoke-check container (io.prodlike.smoke=true)' : `environment "${env}" has no state in ${join(options.projectDir, '.prodlike', env)}`);
  const garbage: GarbageItem[] = [];
  const managed = { label: [`${PRODLIKE_LABELS.managed}=true`] };

  for (const c of await docker.listContainers({ all: true, filters: managed })) {
    const env = c.Labels[PRODLIKE_LABELS.env];
    if (!wanted(env) || !orphan(env)) continue;
    // Without an env label only setup's smoke containers are prodlike's own: every container made from a
    // prodlike image inherits io.prodlike.managed=true from the image, so that label alone proves nothing.
    if (env === undefined && (c.Labels[SMOKE_LABEL] !== 'true' || ['running', 'paused', 'restarting'].includes(c.State))) continue;
    garbage.push({ kind: 'container', name: c.Names[0]?.replace(/^\//, '') ?? c.Id, id: c.Id, env, reason: reason(env) });
  }
  for (const n of await docker.listNetworks({ filters: managed })) {
    const env = n.Labels?.[PRODLIKE_LABELS.env];
    if (!wanted(env) || !orphan(env) || env === undefined) continue;
    garbage.push({ kind: 'network', name: n.Name, id: n.Id, env, reason: reason(env) });
  }
  const { Volumes: volumes } = await docker.listVolumes({ filters: managed });
  for (const v of volumes ?? []) {
    const env = v.Labels?.[PRODLIKE_LABELS.env];
    if (!wanted(env) || !orphan(env) || env === undefined) continue;
    garbage.push({ kind: 'volume', name: v.Name, id: v.Name, env, reason: reason(env) });
  }
  // kind clusters: node containers carry kind's cluster label; the env is the cluster name itself
  // (`prodlike`, `prodlike-x` when name: prodlike-x) or the name after `prodlike-`.
  const nodes = await docker.listContainers({ all: true, filters: { label: [KIND_CLUSTER_LABEL] } });
  const clusters = [...new Set(nodes.map((n) => n.Labels[KIND_CLUSTER_LABEL]).filter((c): c is string => !!c && /^prodlike(-|$)/.test(c)))];
  for (const cluster of clusters) {
    const candidates = [cluster, ...(cluster.startsWith('prodlike-') ? [cluster.slice('prodlike-'.length)] : [])];
    if (candidates.some((env) => alive.includes(env))) continue;
    if (options.envs !== undefined && !candidates.some((env) => options.envs!.includes(env))) continue;
    const env = candidates.at(-1);
    garbage.push({ kind: 'kind-cluster', name: cluster, id: cluster, env, reason: `no environment state for kind cluster ${cluster} (looked for ${candidates.map((e) => join('.prodlike', e)).join(' and ')})` });
  }
  return { projectDir: options.projectDir, alive, garbage };
}

export interface GcResult extends GcPlan {
  removed: GarbageItem[];
  failed: (GarbageItem & { error: string })[];
}

/** Removes the plan's garbage: containers first, then kind clusters, networks, volumes. */
export async function runGc(options: GcOptions & { dryRun?: boolean }): Promise<GcResult> {
  const docker = options.docker ?? new Docker();
  const plan = await planGc({ ...options, docker });
  const result: GcResult = { ...plan, removed: [], failed: [] };
  if (options.dryRun) return result;
  const order: GarbageKind[] = ['container', 'kind-cluster', 'network', 'volume'];
  for (const kind of order) {
    for (const item of plan.garbage.filter((g) => g.kind === kind)) {
      try {
        await removeItem(docker, item);
        result.removed.push(item);
      } catch (error) {
        result.failed.push({ ...item, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  return result;
}

async function removeItem(docker: Docker, item: GarbageItem): Promise<void> {
  const gone = (error: unknown) => (error as { statusCode?: number }).statusCode === 404;
  if (item.kind === 'container') await docker.getContainer(item.id).remove({ force: true, v: false }).catch((e: unknown) => { if (!gone(e)) throw e; });
  else if (item.kind === 'network') await docker.getNetwork(item.id).remove().catch((e: unknown) => { if (!gone(e)) throw e; });
  else if (item.kind === 'volume') await docker.getVolume(item.id).remove().catch((e: unknown) => { if (!gone(e)) throw e; });
  else await deleteKindCluster(docker, item.name);
}

/** `kind delete cluster` with a throw-away kubeconfig (the user's is never edited); without kind, its labelled nodes. */
async function deleteKindCluster(docker: Docker, cluster: string): Promise<void> {
  const kind = findTool('kind');
  const scratch = await mkdtemp(join(tmpdir(), 'prodlike-gc-'));
  try {
    const r = await run(kind, ['delete', 'cluster', '--name', cluster, '--kubeconfig', join(scratch, 'kubeconfig')], { timeoutMs: 5 * 60_000, allowFailure: true }).catch(() => undefined);
    if (r && r.exitCode === 0) return;
    const nodes = await docker.listContainers({ all: true, filters: { label: [`${KIND_CLUSTER_LABEL}=${cluster}`] } });
    for (const n of nodes) await docker.getContainer(n.Id).remove({ force: true, v: true });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
