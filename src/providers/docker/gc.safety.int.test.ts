import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateDir } from '../../core/paths.ts';
import { acquireEnvLock, type EnvLock } from '../../safety/env-lock.ts';
import { PROJECT_LABEL, recordKindCluster, type GcResult } from '../../safety/gc.ts';
import { cli, docker, dockerSkipReason, removeTempDirs, removeTestObjects, sleeper, tempDir, TEST_IMAGE, TEST_LABEL } from '../../safety/testing/docker-env.ts';

/**
 * `prodlike gc` (issue #11) with real docker objects: everything labelled for an environment whose state
 * is gone from the project (container, network, volume, and its kind cluster's node) is listed by
 * --dry-run and removed by gc; environments with a state file, or with a live lock (an `up` in progress),
 * are kept; an unlabelled container named like a prodlike one is never listed or touched.
 * Project scope: objects labelled io.prodlike.project=<another dir> are never collected (their state is in
 * that project), not even with --env; objects without a project label (made before prodlike recorded
 * projects) only when --env names their environment; a kind cluster only when the cluster record written
 * at creation names this project (or --env names it).
 * Real removal is always scoped with --env: other environments on this host are not this test's.
 */
const skipReason = await dockerSkipReason({ images: false });
afterAll(removeTempDirs);
const tag = `gc-${process.pid}`;
const orphan = `safety-gco-${process.pid}`;
const kept = `safety-gck-${process.pid}`;
const locked = `safety-gcl-${process.pid}`;
const foreign = `safety-gcf-${process.pid}`;
const legacy = `safety-gcx-${process.pid}`;
let projectOf: (env: string) => string | undefined = () => undefined;
const labels = (env: string, role: string) => {
  const owner = projectOf(env);
  return { [TEST_LABEL]: tag, 'io.prodlike.managed': 'true', 'io.prodlike.env': env, 'io.prodlike.role': role, ...(owner ? { [PROJECT_LABEL]: owner } : {}) };
};

describe.skipIf(Boolean(skipReason))(`prodlike gc${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let project: { dir: string };
  let lock: EnvLock;
  let cacheEnv: Record<string, string>;
  const exists = {
    container: (name: string) => docker.getContainer(name).inspect().then(() => true, () => false),
    network: (name: string) => docker.getNetwork(name).inspect().then(() => true, () => false),
    volume: (name: string) => docker.getVolume(name).inspect().then(() => true, () => false),
  };

  beforeAll(async () => {
    project = { dir: await tempDir('prodlike-gc-') };
    const elsewhere = await tempDir('prodlike-gc-other-');
    projectOf = (env) => (env === foreign ? elsewhere : env === legacy ? undefined : project.dir);
    // The kind cluster records live in the tool cache: a private one for this test.
    cacheEnv = { PRODLIKE_CACHE: await tempDir('prodlike-gc-cache-') };
    const saved = process.env.PRODLIKE_CACHE;
    process.env.PRODLIKE_CACHE = cacheEnv.PRODLIKE_CACHE;
    await recordKindCluster(`prodlike-${orphan}`, project.dir, orphan);
    await recordKindCluster(`prodlike-${foreign}`, elsewhere, foreign);
    if (saved === undefined) delete process.env.PRODLIKE_CACHE;
    else process.env.PRODLIKE_CACHE = saved;
    for (const env of [orphan, kept, locked, foreign, legacy]) {
      await docker.createNetwork({ Name: `prodlike-${env}`, Labels: labels(env, 'network') });
      await docker.createVolume({ Name: `prodlike-${env}-postgres-data`, Labels: labels(env, 'postgres') });
      await sleeper(`prodlike-${env}-backend-0`, labels(env, 'backend'), { HostConfig: { NetworkMode: `prodlike-${env}` } });
    }
    // The orphan's kind cluster: a node container with kind's labels.
    await sleeper(`prodlike-${orphan}-control-plane`, { [TEST_LABEL]: tag, 'io.x-k8s.kind.cluster': `prodlike-${orphan}`, 'io.x-k8s.kind.role': 'control-plane' });
    // Another project's kind cluster (its record names the other directory): never collected from here.
    await sleeper(`prodlike-${foreign}-control-plane`, { [TEST_LABEL]: tag, 'io.x-k8s.kind.cluster': `prodlike-${foreign}`, 'io.x-k8s.kind.role': 'control-plane' });
    // A decoy: named like the orphan's, not labelled for any environment (it inherits io.prodlike.managed
    // from the image, which must not be enough), stopped.
    await docker.createContainer({ name: `prodlike-${orphan}-backend-1`, Image: TEST_IMAGE, Cmd: ['true'], Labels: { [TEST_LABEL]: tag } });
    // `kept` has a state file; `locked` has none yet but a live process holds its lock (an `up` running).
    await mkdir(stateDir(project.dir, kept), { recursive: true });
    await writeFile(join(stateDir(project.dir, kept), 'state.json'), JSON.stringify({ env: kept, provider: 'docker' }));
    lock = await acquireEnvLock(stateDir(project.dir, locked), { env: locked, command: 'prodlike up' });
  }, 120_000);

  afterAll(async () => {
    await lock?.release();
    await removeTestObjects(tag);
  }, 120_000);

  const gc = (args: string[]) => cli(project, args, cacheEnv);
  const names = (r: GcResult, env?: string) => r.garbage.filter((g) => env === undefined || g.env === env).map((g) => `${g.kind} ${g.name}`).sort();

  it('--dry-run lists exactly the orphan\'s labelled objects and its kind cluster, and removes nothing', async () => {
    const r = await gc(['gc', '--dry-run', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as GcResult & { dryRun: boolean };
    expect(result.dryRun).toBe(true);
    expect(result.alive).toEqual([kept, locked].sort());
    expect(names(result, orphan)).toEqual([
      `container prodlike-${orphan}-backend-0`,
      `kind-cluster prodlike-${orphan}`,
      `network prodlike-${orphan}`,
      `volume prodlike-${orphan}-postgres-data`,
    ]);
    const all = result.garbage.map((g) => g.name);
    for (const name of [`prodlike-${kept}-backend-0`, `prodlike-${locked}-backend-0`, `prodlike-${orphan}-backend-1`]) expect(all).not.toContain(name);
    // Not this project's: another project's objects and cluster, and objects with no project label.
    expect(names(result, foreign)).toEqual([]);
    expect(names(result, legacy)).toEqual([]);
    const skipped = (env: string) => result.skipped.filter((g) => g.env === env).map((g) => `${g.kind} ${g.name}: ${g.reason}`).sort();
    expect(skipped(foreign)).toEqual([
      expect.stringMatching(new RegExp(`^container prodlike-${foreign}-backend-0: belongs to another project \\(/`)),
      expect.stringMatching(new RegExp(`^kind-cluster prodlike-${foreign}: created by another project \\(/`)),
      expect.stringMatching(new RegExp(`^network prodlike-${foreign}: belongs to another project`)),
      expect.stringMatching(new RegExp(`^volume prodlike-${foreign}-postgres-data: belongs to another project`)),
    ]);
    expect(skipped(legacy)).toHaveLength(3);
    for (const line of skipped(legacy)) expect(line).toMatch(/no project recorded on it .*--env/);
    expect(result.removed).toEqual([]);
    expect(await exists.container(`prodlike-${orphan}-backend-0`)).toBe(true);
    expect(await exists.container(`prodlike-${orphan}-control-plane`)).toBe(true);
  }, 60_000);

  it('--dry-run as a table says what would be removed and why', async () => {
    const r = await gc(['gc', '--dry-run', '--env', orphan]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`container +prodlike-${orphan}-backend-0 +${orphan} +would remove +environment "${orphan}" has no state in `));
  }, 60_000);

  it('gc removes the orphan\'s objects and cluster; kept, locked and unlabelled ones stay', async () => {
    const r = await gc(['gc', '--json', '--env', orphan, kept, locked]);
    expect(r.exitCode, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as GcResult;
    expect(result.failed).toEqual([]);
    expect(result.removed.map((g) => `${g.kind} ${g.name}`).sort()).toEqual(names(result));
    expect(names(result)).toHaveLength(4);
    expect(await exists.container(`prodlike-${orphan}-backend-0`)).toBe(false);
    expect(await exists.container(`prodlike-${orphan}-control-plane`)).toBe(false);
    expect(await exists.network(`prodlike-${orphan}`)).toBe(false);
    expect(await exists.volume(`prodlike-${orphan}-postgres-data`)).toBe(false);
    for (const env of [kept, locked]) {
      expect(await exists.container(`prodlike-${env}-backend-0`)).toBe(true);
      expect(await exists.network(`prodlike-${env}`)).toBe(true);
      expect(await exists.volume(`prodlike-${env}-postgres-data`)).toBe(true);
    }
    expect(await exists.container(`prodlike-${orphan}-backend-1`)).toBe(true);
    const again = JSON.parse((await gc(['gc', '--json', '--dry-run', '--env', orphan, kept, locked])).stdout) as GcResult;
    expect(again.garbage).toEqual([]);
  }, 180_000);

  it('--env collects objects without a project label, never another project\'s', async () => {
    const result = JSON.parse((await gc(['gc', '--json', '--dry-run', '--env', foreign, legacy])).stdout) as GcResult;
    expect(names(result, foreign)).toEqual([]);
    expect(names(result, legacy)).toEqual([`container prodlike-${legacy}-backend-0`, `network prodlike-${legacy}`, `volume prodlike-${legacy}-postgres-data`]);
    expect(result.garbage.find((g) => g.env === legacy)?.reason).toMatch(/collected because --env names it/);
    const removed = JSON.parse((await gc(['gc', '--json', '--env', foreign, legacy])).stdout) as GcResult;
    expect(removed.removed.map((g) => g.env)).not.toContain(foreign);
    expect(await exists.container(`prodlike-${foreign}-backend-0`)).toBe(true);
    expect(await exists.container(`prodlike-${foreign}-control-plane`)).toBe(true);
    expect(await exists.container(`prodlike-${legacy}-backend-0`)).toBe(false);
  }, 120_000);

  it('once the lock holder is gone, the locked environment without state is collected too', async () => {
    await lock.release();
    const result = JSON.parse((await gc(['gc', '--json', '--dry-run', '--env', locked])).stdout) as GcResult;
    expect(names(result)).toEqual([`container prodlike-${locked}-backend-0`, `network prodlike-${locked}`, `volume prodlike-${locked}-postgres-data`]);
  }, 60_000);
});
