import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import { stateDir } from '../../core/paths.ts';
import { cli, docker, dockerSkipReason, makeProject, removeEnvironment, removeTempDirs, type TestProject } from '../../safety/testing/docker-env.ts';
import { topologyImages } from '../create-provider.ts';
import { DockerProvider } from './docker-provider.ts';
import { resourcePrefix } from './topology.ts';

/**
 * Data volumes that outlive their environment's credentials (a deleted `.prodlike/<env>/`, or a fresh
 * clone on a host that kept its Docker volumes — what failed CI once: every PostgreSQL readiness gate
 * timed out after 120 s on "password authentication failed"). prodlike must say so at once, name the
 * volumes and the way out, never delete the data on its own, and `prodlike down` must clear it.
 */
const skipReason = await dockerSkipReason();
afterAll(removeTempDirs);

describe.skipIf(Boolean(skipReason))(`stale data volumes${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let project: TestProject;
  const volume = () => `${resourcePrefix(project.name)}-postgres-data`;
  const exists = (name: string) => docker.getVolume(name).inspect().then(() => true, () => false);

  beforeAll(async () => {
    project = await makeProject(`safety-stale-${process.pid}`);
  });
  afterAll(async () => {
    if (project) await removeEnvironment(project.name);
  }, 120_000);

  it('`prodlike up` refuses at once when a data volume exists without credentials, keeps it, and `prodlike down` removes it', async () => {
    // What an earlier environment of the same name leaves behind: a labelled volume, no .prodlike/<env>/.
    await docker.createVolume({ Name: volume(), Labels: { 'io.prodlike.managed': 'true', 'io.prodlike.env': project.name, 'io.prodlike.project': '/elsewhere/old-clone', 'io.prodlike.role': 'postgres' } });
    const started = performance.now();
    const up = await cli(project, ['up']);
    const tookMs = performance.now() - started;
    const out = `${up.stdout}\n${up.stderr}`;
    expect(up.exitCode, out).toBe(3); // harness/environment, not "target missed"
    expect(out).toContain(volume());
    expect(out).toContain('/elsewhere/old-clone');
    expect(out).toContain('prodlike down');
    expect(tookMs, `refused after ${Math.round(tookMs)} ms`).toBeLessThan(30_000);
    expect(await exists(volume()), 'the data must not be deleted by `up`').toBe(true);
    expect((await docker.listContainers({ all: true, filters: { label: [`io.prodlike.env=${project.name}`] } })).length, 'nothing started').toBe(0);

    const down = await cli(project, ['down']);
    expect(down.exitCode, `${down.stdout}\n${down.stderr}`).toBe(0);
    expect(await exists(volume())).toBe(false);
  }, 120_000);

  it('a real PostgreSQL that rejects the environment\'s password fails readiness at once with STALE_DATA, not after the 120 s timeout', async () => {
    const provider = new DockerProvider({ config: configSchema.parse(project.config), images: await topologyImages('offline'), projectDir: project.dir, imageSource: 'offline' });
    try {
      await provider.create();
      // Credentials replaced behind the data's back (the volume keeps the password it was initialised with).
      const file = join(stateDir(project.dir, project.name), 'secrets.json');
      const secrets = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
      await writeFile(file, JSON.stringify({ ...secrets, postgresPassword: 'f'.repeat(48) }), { mode: 0o600 });
      const started = performance.now();
      const error = await provider.create().catch((e: unknown) => e);
      const tookMs = performance.now() - started;
      expect(error).toBeInstanceOf(ProdlikeError);
      expect((error as ProdlikeError).code, (error as Error).message).toBe('STALE_DATA');
      expect((error as Error).message).toContain('postgres');
      expect(tookMs, `failed after ${Math.round(tookMs)} ms`).toBeLessThan(60_000);
      expect(await exists(volume()), 'the data must not be deleted').toBe(true);
    } finally {
      await provider.destroy().catch(() => undefined);
    }
  }, 300_000);
});
