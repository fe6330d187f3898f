import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateDir } from '../../core/paths.ts';
import { acquireEnvLock, type EnvLock } from '../../safety/env-lock.ts';
import type { GcResult } from '../../safety/gc.ts';
import { cli, docker, dockerSkipReason, removeTempDirs, removeTestObjects, sleeper, tempDir, TEST_IMAGE, TEST_LABEL } from '../../safety/testing/docker-env.ts';

/**
 * `prodlike gc` (issue #11) with real docker objects: everything labelled for an environment whose state
 * is gone from the project (container, network, volume, and its kind cluster's node) is listed by
 * --dry-run and removed by gc; environments with a state file, or with a live lock (an `up` in progress),
 * are kept; an unlabelled container named like a prodlike one is never listed or touched.
 * Real removal is always scoped with --env: other environments on this host are not this test's.
 */
const skipReason = await dockerSkipReason({ images: false });
afterAll(removeTempDirs);
const tag = `gc-${process.pid}`;
const orphan = `safety-gco-${process.pid}`;
const kept = `safety-gck-${process.pid}`;
const locked = `safety-gcl-${process.pid}`;
const labels = (env: string, role: string) => ({ [TEST_LABEL]: tag, 'io.prodlike.managed': 'true', 'io.prodlike.env': env, 'io.prodlike.role': role });

describe.skipIf(Boolean(skipReason))(`prodlike gc${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let project: { dir: string };
  let lock: EnvLock;
  const exists = {
    container: (name: string) => docker.getContainer(name).inspect().then(() => true, () => false),
    network: (name: string) => docker.getNetwork(name).inspect().then(() => true, () => false),
    volume: (name: string) => docker.getVolume(name).inspect().then(() => true, () => false),
  };

  beforeAll(async () => {
    project = { dir: await tempDir('prodlike-gc-') };
    for (const env of [orphan, kept, locked]) {
      await docker.createNetwork({ Name: `prodlike-${env}`, Labels: labels(env, 'network') });
      await docker.createVolume({ Name: `prodlike-${env}-postgres-data`, Labels: labels(env, 'postgres') });
      await sleeper(`prodlike-${env}-backend-0`, labels(env, 'backend'), { HostConfig: { NetworkMode: `prodlike-${env}` } });
    }
    // The orphan's kind cluster: a node container with kind's labels.
    await sleeper(`prodlike-${orphan}-control-plane`, { [TEST_LABEL]: tag, 'io.x-k8s.kind.cluster': `prodlike-${orphan}`, 'io.x-k8s.kind.role': 'control-plane' });
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

  const names = (r: GcResult, env?: string) => r.garbage.filter((g) => env === undefined || g.env === env).map((g) => `${g.kind} ${g.name}`).sort();

  it('--dry-run lists exactly the orphan\'s labelled objects and its kind cluster, and removes nothing', async () => {
    const r = await cli(project, ['gc', '--dry-run', '--json']);
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
    expect(result.removed).toEqual([]);
    expect(await exists.container(`prodlike-${orphan}-backend-0`)).toBe(true);
    expect(await exists.container(`prodlike-${orphan}-control-plane`)).toBe(true);
  }, 60_000);

  it('--dry-run as a table says what would be removed and why', async () => {
    const r = await cli(project, ['gc', '--dry-run', '--env', orphan]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`container +prodlike-${orphan}-backend-0 +${orphan} +would remove +environment "${orphan}" has no state in `));
  }, 60_000);

  it('gc removes the orphan\'s objects and cluster; kept, locked and unlabelled ones stay', async () => {
    const r = await cli(project, ['gc', '--json', '--env', orphan, kept, locked]);
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
    const again = JSON.parse((await cli(project, ['gc', '--json', '--dry-run', '--env', orphan, kept, locked])).stdout) as GcResult;
    expect(again.garbage).toEqual([]);
  }, 180_000);

  it('once the lock holder is gone, the locked environment without state is collected too', async () => {
    await lock.release();
    const result = JSON.parse((await cli(project, ['gc', '--json', '--dry-run', '--env', locked])).stdout) as GcResult;
    expect(names(result)).toEqual([`container prodlike-${locked}-backend-0`, `network prodlike-${locked}`, `volume prodlike-${locked}-postgres-data`]);
  }, 60_000);
});
