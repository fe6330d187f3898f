import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.ts';
import { stateDir } from '../core/paths.ts';
import { cli, docker, dockerSkipReason, makeProject, removeTempDirs, removeTestObjects, sleeper, TEST_LABEL } from '../safety/testing/docker-env.ts';
import { refuseConflictingEnvironment } from './environment-conflicts.ts';
import type { EnvironmentState } from './environment-state.ts';

/**
 * Issue #16 with the real engine and the real CLI, cheaply: an environment "up" on docker is a state file
 * plus a container carrying its labels (no topology is started). `prodlike run --provider kind` under the
 * same name is refused at once (exit 2, the way out named, no run folder, no kind cluster); once the
 * container is gone the state file is stale and no longer blocks; another environment whose container
 * publishes one of kind's host ports blocks with the port named.
 */
const skipReason = await dockerSkipReason({ images: false });
const tag = `conflicts-${process.pid}`;
afterAll(async () => {
  await removeTestObjects(tag);
  await removeTempDirs();
});

async function recordUp(dir: string, env: string, provider: 'docker' | 'kind'): Promise<EnvironmentState> {
  const state: EnvironmentState = { env, provider, runId: 'test', createdAt: new Date().toISOString(), imageSource: 'offline', replicas: {} };
  await mkdir(stateDir(dir, env), { recursive: true });
  await writeFile(join(stateDir(dir, env), 'state.json'), JSON.stringify(state));
  return state;
}

const labels = (env: string) => ({ [TEST_LABEL]: tag, 'io.prodlike.managed': 'true', 'io.prodlike.env': env, 'io.prodlike.role': 'ingress' });

describe.skipIf(Boolean(skipReason))(`environments in each other's way${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('`run --provider kind` with the same name up on docker is refused before anything starts; a stale state file does not block', async () => {
    const project = await makeProject(`conflict-${process.pid}`);
    const state = await recordUp(project.dir, project.name, 'docker');
    const container = await sleeper(`prodlike-${project.name}-ingress-0`, labels(project.name));

    const started = performance.now();
    const r = await cli(project, ['--json', 'run', 'failover', '--provider', 'kind'], { PRODLIKE_LOCK_WAIT_MS: '0' });
    const tookMs = performance.now() - started;
    expect(r.exitCode, r.stderr).toBe(2);
    const error = (JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string } }).error;
    expect(error.code).toBe('ENVIRONMENT_CONFLICT');
    expect(error.message).toContain(`environment "${project.name}" is up on docker (created ${state.createdAt})`);
    expect(error.hint).toContain('`prodlike down --provider docker` first');
    expect(error.hint).toContain('`--provider docker` to run against it');
    expect(existsSync(join(project.dir, 'runs')), 'no suite started: no run folder').toBe(false);
    expect(await docker.listContainers({ all: true, filters: { label: [`io.x-k8s.kind.cluster=prodlike-${project.name}`] } })).toEqual([]);
    expect(tookMs).toBeLessThan(30_000); // the CLI's own start (tsx) included; the check itself is two engine calls

    await container.remove({ force: true });
    const loaded = { config: configSchema.parse({ ...project.config, provider: 'kind' }), file: undefined, baseDir: project.dir };
    await expect(refuseConflictingEnvironment({ loaded, provider: 'kind', command: 'run' })).resolves.toBeUndefined();
  });

  it('another environment whose container publishes one of kind\'s host ports is in the way, the port named', async () => {
    const project = await makeProject(`conflict-a-${process.pid}`);
    const other = `conflict-b-${process.pid}`;
    await recordUp(project.dir, other, 'docker');
    const c = await sleeper(`prodlike-${other}-ingress-0`, labels(other), { ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } } });
    const port = Number((await c.inspect()).NetworkSettings.Ports['80/tcp']?.[0]?.HostPort);
    expect(port).toBeGreaterThan(1024 + 3);
    // kind binds entry+3 for the PostgreSQL probe port: make that the port the other environment holds.
    const loaded = { config: configSchema.parse({ ...project.config, provider: 'kind', ports: { entry: port - 3 } }), file: undefined, baseDir: project.dir };
    await expect(refuseConflictingEnvironment({ loaded, provider: 'kind', command: 'up' })).rejects.toMatchObject({
      code: 'ENVIRONMENT_CONFLICT',
      message: expect.stringContaining(`environment "${other}" is up on docker`) as unknown,
      details: { conflicts: [{ reason: 'ports', env: other, ports: [port] }] },
    });
    // The docker provider binds only the entry: no conflict there.
    await expect(refuseConflictingEnvironment({ loaded: { ...loaded, config: { ...loaded.config, provider: 'docker' } }, provider: 'docker', command: 'up' })).resolves.toBeUndefined();
  });
});
