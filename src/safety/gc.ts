import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import { run } from '../core/exec.ts';
import { cacheDir } from '../core/paths.ts';
import { findTool } from '../kube/kubectl.ts';
import { isStale, readLock, LOCK_FILE } from './env-lock.ts';
import { KIND_CLUSTER_LABEL, PRODLIKE_LABELS } from './ownership.ts';

/**
 * `prodlike gc`: removes what environments of *this project* left behind once their state is gone.
 * Candidates are only docker objects labelled `io.prodlike.managed=true` and kind clusters named
 * `prodlike*` (found by their node containers' `io.x-k8s.kind.cluster` label). An environment is alive,
 * and kept, when `<project>/.prodlike/<env>/state.json` exists or a live process holds its lock (an `up`
 * in progress).
 *
 * Project scope: the docker provider labels everything with `io.prodlike.project=<project dir>`, and the
 * kind provider records each cluster it creates in `<cache>/kind-clusters/<cluster>.json`. An object of
 * another project is never collected (its state lives in that project); an object without any project
 * record (made before prodlike recorded projects) is collected only when `--env` names its environment.
 * Containers without an environment label are removed only when they are setup's smoke containers
 * (`io.prodlike.smoke=true`) and no longer running: `io.prodlike.managed=true` alone is not proof, since
 * every container made from a prodlike image inherits it from the image's labels.
 * Nothing unlabelled is ever listed or touched.
 */
const SMOKE_LABEL = 'io.prodlike.smoke';
export const PROJECT_LABEL = 'io.prodlike.project';

/** Where the kind provider records which project created a cluster (kind's nodes carry no custom labels). */
export function kindClusterRecord(cluster: string): string {
  return join(cacheDir(), 'kind-clusters', `${cluster}.json`);
}

/** Called by the kind provider once it created `cluster` for the project in `projectDir`. */
export async function recordKindCluster(cluster: string, projectDir: string, env: string): Promise<void> {
  await mkdir(join(cacheDir(), 'kind-clusters'), { recursive: true });
  await writeFile(kindClusterRecord(cluster), `${JSON.stringify({ cluster, env, projectDir: resolve(projectDir), createdAt: new Date().toISOString() }, null, 2)}\n`);
}

async function kindClusterProject(cluster: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(kindClusterRecord(cluster), 'utf8')) as { projectDir?: string }).projectDir;
  } catch {
    return undefined;
  }
}

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
  /** Orphans left alone because they are not this project's (or carry no project record and --env did not name them). */
  skipped: GarbageItem[];
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
  const skipped: GarbageItem[] = [];
  const managed = { label: [`${PRODLIKE_LABELS.managed}=true`] };
  const project = resolve(options.projectDir);
  /** Sorts an orphan of `env` into garbage or skipped by the project that made it. */
  const classify = (item: Omit<GarbageItem, 'reason'>, owner: string | undefined) => {
    if (owner === project) garbage.push({ ...item, reason: reason(item.env) });
    else if (owner !== undefined) skipped.push({ ...item, reason: `belongs to another project (${owner})` });
    else if (options.envs?.includes(item.env ?? '')) garbage.push({ ...item, reason: `${reason(item.env)}; no project recorded on it, collected because --env names it` });
    else skipped.push({ ...item, reason: 'no project recorded on it (made before prodlike recorded projects): name its environment with --env to collect it' });
  };

  for (const c of await docker.listContainers({ all: true, filters: managed })) {
    const env = c.Labels[PRODLIKE_LABELS.env];
    if (!wanted(env) || !orphan(env)) continue;
    // Without an env label only setup's smoke containers are prodlike's own: every container made from a
    // prodlike image inherits io.prodlike.managed=true from the image, so that label alone proves nothing.
    if (env === undefined) {
      if (c.Labels[SMOKE_LABEL] === 'true' && !['running', 'paused', 'restarting'].includes(c.State)) garbage.push({ kind: 'container', name: c.Names[0]?.replace(/^\//, '') ?? c.Id, id: c.Id, env, reason: reason(env) });
      continue;
    }
    classify({ kind: 'container', name: c.Names[0]?.replace(/^\//, '') ?? c.Id, id: c.Id, env }, c.Labels[PROJECT_LABEL]);
  }
  for (const n of await docker.listNetworks({ filters: managed })) {
    const env = n.Labels?.[PRODLIKE_LABELS.env];
    if (!wanted(env) || !orphan(env) || env === undefined) continue;
    classify({ kind: 'network', name: n.Name, id: n.Id, env }, n.Labels?.[PROJECT_LABEL]);
  }
  const { Volumes: volumes } = await docker.listVolumes({ filters: managed });
  for (const v of volumes ?? []) {
    const env = v.Labels?.[PRODLIKE_LABELS.env];
    if (!wanted(env) || !orphan(env) || env === undefined) continue;
    classify({ kind: 'volume', name: v.Name, id: v.Name, env }, v.Labels?.[PROJECT_LABEL]);
  }
  // kind clusters: node containers carry kind's cluster label; the env is the cluster name itself
  // (`prodlike`, `prodlike-x` when name: prodlike-x) or the name after `prodlike-`.
  const nodes = await docker.listContainers({ all: true, filters: { label: [KIND_CLUSTER_LABEL] } });
  const clusters = [...new Set(nodes.map((n) => n.Labels[KIND_CLUSTER_LABEL]).filter((c): c is string => !!c && /^prodlike(-|$)/.test(c)))];
  for (const cluster of clusters) {
    const candidates = [cluster, ...(cluster.startsWith('prodlike-') ? [cluster.slice('prodlike-'.length)] : [])];
    if (candidates.some((env) => alive.includes(env))) continue;
    if (options.envs !== undefined && !candidates.some((env) => options.envs!.includes(env))) continue;
    const env = candidates.find((e) => options.envs?.includes(e)) ?? candidates.at(-1);
    const owner = await kindClusterProject(cluster);
    const item = { kind: 'kind-cluster' as const, name: cluster, id: cluster, env };
    const why = `no environment state for kind cluster ${cluster} (looked for ${candidates.map((e) => join('.prodlike', e)).join(' and ')})`;
    if (owner === project) garbage.push({ ...item, reason: why });
    else if (owner !== undefined) skipped.push({ ...item, reason: `created by another project (${owner})` });
    else if (options.envs !== undefined) garbage.push({ ...item, reason: `${why}; no project recorded for it, collected because --env names it` });
    else skipped.push({ ...item, reason: `no project recorded for it (${kindClusterRecord(cluster)}): name its environment with --env to collect it` });
  }
  return { projectDir: options.projectDir, alive, garbage, skipped };
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
  else {
    await deleteKindCluster(docker, item.name);
    await rm(kindClusterRecord(item.name), { force: true });
  }
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
