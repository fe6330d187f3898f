import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { which } from '../../core/exec.ts';
import { waitFor } from '../../core/wait.ts';
import { EnvironmentStore } from '../../providers/environment-state.ts';
import { BIN, cli, dockerSkipReason, freePort, makeProject, removeTempDirs, type TestProject } from '../../safety/testing/docker-env.ts';

/**
 * `prodlike logs` and `prodlike connect` against a real docker environment (issue #19): two backend
 * replicas, logs prefixed per container, `-f` until SIGINT, `--print` redacted, and the real clients when
 * this host has them (psql from postgresql-client, redis-cli from redis-tools; .ci/run installs both).
 */
const skipReason = await dockerSkipReason();
const clients = { psql: Boolean(await which('psql')), redisCli: Boolean(await which('redis-cli')) };
const name = `devloop-${process.pid}`;
const topology = { backend: { replicas: 2 }, frontend: { replicas: 1 }, worker: { replicas: 1 } };

/** `prodlike up` on a free entry port; when another process takes that port before Docker binds it, again on a new one. */
async function upOnFreePort(): Promise<TestProject> {
  for (let attempt = 1; ; attempt++) {
    const project = await makeProject(name, { entry: await freePort(), extra: { topology } });
    const up = await cli(project, ['up']);
    if (up.exitCode === 0) return project;
    await cli(project, ['down']);
    const taken = `${up.stdout}\n${up.stderr}`.includes(`127.0.0.1:${project.entry}`);
    if (!taken || attempt >= 3) throw new Error(`prodlike up failed (exit ${up.exitCode}):\n${up.stderr}`);
  }
}

describe.skipIf(Boolean(skipReason))(`prodlike logs and connect on docker${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await upOnFreePort();
  }, 600_000);

  afterAll(async () => {
    if (project) await cli(project, ['down']);
    await removeTempDirs();
  }, 300_000);

  it('logs: the lines of every replica, each prefixed by its container, no colour on a pipe', async () => {
    const r = await cli(project, ['logs', 'backend', '--tail', '3']);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    for (const replica of [0, 1]) expect(r.stdout).toMatch(new RegExp(`^prodlike-${name}-backend-${replica} \\| \\{`, 'm'));
    expect(lines.every((l) => /^prodlike-\S+-backend-\d \| /.test(l))).toBe(true);
    expect(r.stdout).not.toContain('\x1b[');
    const all = await cli(project, ['logs', '--tail', '1']);
    for (const role of ['postgres', 'redis', 'minio', 'backend', 'worker', 'frontend']) expect(all.stdout).toContain(`prodlike-${name}-${role}-0`);
  });

  it('logs -f keeps following until Ctrl-C (SIGINT), then ends with exit 0 and no stack trace', async () => {
    const child = execa('node', [BIN, 'logs', 'postgres', '-f', '--tail', '2'], { cwd: project.dir, reject: false, env: { CI: 'true' } });
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    await waitFor(async () => out.split('\n').filter(Boolean).length >= 2, { timeoutMs: 90_000, intervalMs: 200, description: 'two followed log lines' });
    expect(child.exitCode).toBeNull(); // still following
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(r.stderr).not.toMatch(/Error|at .*\.ts:\d+/);
    expect(out).toMatch(new RegExp(`^prodlike-${name}-postgres-0 \\| `, 'm'));
  });

  it('connect --print: the connection string with the secrets as *** unless --show-secrets', async () => {
    const secrets = await new EnvironmentStore(project.dir, name).secrets();
    const hidden = await cli(project, ['connect', 'postgres', '--print']);
    expect(hidden.exitCode).toBe(0);
    expect(hidden.stdout).toMatch(/^DATABASE_URL='postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/ai_saas_db'$/m);
    for (const service of ['redis', 'minio']) {
      const r = await cli(project, ['connect', service, '--print']);
      expect(r.exitCode).toBe(0);
      for (const s of Object.values(secrets)) expect(r.stdout).not.toContain(s);
    }
    for (const s of Object.values(secrets)) expect(hidden.stdout).not.toContain(s);
    const shown = await cli(project, ['connect', 'postgres', '--print', '--show-secrets']);
    expect(shown.stdout).toContain(`PGPASSWORD='${secrets.postgresPassword}'`);
  });

  it.skipIf(!clients.psql)('connect postgres runs psql with the environment\'s credentials (select 1)', async () => {
    const r = await cli(project, ['connect', 'postgres', '--', '-tAc', 'select 1']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe('1');
  });

  it.skipIf(!clients.redisCli)('connect redis runs redis-cli with REDISCLI_AUTH (ping)', async () => {
    const r = await cli(project, ['connect', 'redis', '--', 'ping']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe('PONG');
  });

  it('an environment that is not up: logs and connect exit 3 with "run prodlike up first"', async () => {
    const other = await makeProject(`devloop-none-${process.pid}`);
    for (const args of [['logs', 'backend'], ['connect', 'postgres', '--print']]) {
      const r = await cli(other, args);
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toMatch(/is not up/);
      expect(r.stderr).toMatch(/prodlike up --provider docker` first/);
    }
  });
});
