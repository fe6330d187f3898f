import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.ts';
import { PACKAGE_ROOT, stateDir } from '../../core/paths.ts';
import { waitFor } from '../../core/wait.ts';
import { BIN, cli, createOnFreeEntry, describeResources, docker, dockerSkipReason, labelledResources, makeProject, onFreeEntry, removeEnvironment, removeTempDirs, type TestProject, waitForLine } from '../../safety/testing/docker-env.ts';
import { topologyImages } from '../create-provider.ts';
import { DockerProvider } from './docker-provider.ts';

/**
 * Cleanup on Ctrl-C (issue #11), with real containers:
 * 1. a child process pauses a service and partitions another through the rollback registry and gets
 *    SIGINT (after the faults, and in the middle of injecting them): afterwards nothing is paused or
 *    partitioned and the environment is healthy again;
 * 2. `prodlike up --provider docker` gets SIGINT once its first containers exist (and later, mid-way):
 *    no labelled container, network or volume of that environment is left, and `status` says so.
 */
const skipReason = await dockerSkipReason();
afterAll(removeTempDirs);
const CHILD = join(PACKAGE_ROOT, 'src', 'safety', 'testing', 'rollback-child.ts');

describe.skipIf(Boolean(skipReason))(`rollbacks on SIGINT${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let project: TestProject;
  let provider: DockerProvider;

  beforeAll(async () => {
    project = await makeProject(`safety-rb-${process.pid}`);
    const started = performance.now();
    const created = await createOnFreeEntry(project, async (config) => {
      provider = new DockerProvider({ config: configSchema.parse(config), images: await topologyImages('offline'), projectDir: project.dir, imageSource: 'offline' });
      return provider.create();
    });
    expect(created.status.healthy).toBe(true);
    process.stdout.write(`environment ${project.name} up in ${((performance.now() - started) / 1000).toFixed(1)}s\n`);
  }, 300_000);

  afterAll(async () => {
    await provider?.destroy().catch(() => undefined);
    if (project) await removeEnvironment(project.name);
  }, 120_000);

  const container = (role: string) => docker.getContainer(`prodlike-${project.name}-${role}-0`).inspect();
  const onNetwork = async (role: string) => Boolean((await container(role)).NetworkSettings.Networks?.[`prodlike-${project.name}`]);

  async function interruptChild(mode: 'after-faults' | 'while-injecting') {
    const child = execa('node', ['--import', 'tsx', CHILD, project.dir, JSON.stringify(project.config), 'redis', 'worker', ...(mode === 'while-injecting' ? ['--interrupt-early'] : [])], { cwd: PACKAGE_ROOT, reject: false, timeout: 180_000 });
    await waitForLine(child, (l) => l === (mode === 'while-injecting' ? 'INJECTING' : 'FAULTS-INJECTED'), 120_000);
    if (mode === 'after-faults') {
      // The faults are real before we interrupt.
      expect((await container('redis')).State.Paused).toBe(true);
      expect(await onNetwork('worker')).toBe(false);
    }
    const sent = performance.now();
    child.kill('SIGINT');
    const result = await child;
    const tookMs = performance.now() - sent;
    const report = JSON.parse(result.stdout.split('\n').find((l) => l.startsWith('ROLLBACKS '))?.slice('ROLLBACKS '.length) ?? 'null') as { outcomes: { description: string; status: string }[] } | null;
    return { result, report, tookMs };
  }

  async function expectClean() {
    expect((await container('redis')).State.Paused).toBe(false);
    expect(await onNetwork('worker')).toBe(true);
    const all = await labelledResources(project.name);
    expect(all.containers.filter((c) => c.State === 'paused').map((c) => c.Names[0])).toEqual([]);
    for (const c of all.containers) {
      const info = await docker.getContainer(c.Id).inspect();
      expect(Object.keys(info.NetworkSettings.Networks ?? {}), `${info.Name} is partitioned`).toContain(`prodlike-${project.name}`);
    }
    await waitFor(async () => (await provider.status()).healthy, { timeoutMs: 90_000, intervalMs: 500, description: 'the environment to be healthy after the rollbacks' });
  }

  it('SIGINT after pause + partition: both are rolled back (newest first), nothing is left paused or partitioned', async () => {
    const { result, report, tookMs } = await interruptChild('after-faults');
    expect(result.exitCode, `${result.stdout.slice(-3000)}\n${result.stderr}`).toBe(130);
    expect(result.stdout).toContain('ENDED interrupted by SIGINT');
    expect(report?.outcomes.map((o) => [o.description, o.status])).toEqual([['heal partition of worker', 'ok'], ['unpause redis[0]', 'ok']]);
    process.stdout.write(`rollbacks done ${(tookMs / 1000).toFixed(1)}s after SIGINT\n`);
    await expectClean();
  }, 240_000);

  it('SIGINT while the faults are being injected: whatever got applied is rolled back', async () => {
    const { result } = await interruptChild('while-injecting');
    expect(result.exitCode, result.stderr).toBe(130);
    await expectClean();
  }, 240_000);
});

describe.skipIf(Boolean(skipReason))(`SIGINT during \`prodlike up --provider docker\`${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const projects: TestProject[] = [];
  const outputs: { exitCode: number | undefined; stderr: string }[] = [];
  afterAll(async () => {
    for (const p of projects) {
      await cli(p, ['down']);
      await removeEnvironment(p.name);
    }
  }, 120_000);

  it.each([
    ['once the first containers exist', 1],
    ['mid-way (5 containers)', 5],
  ])('SIGINT %s leaves no labelled container, network or volume', async (_when, containers) => {
    const project = await makeProject(`safety-int${containers}-${process.pid}`);
    projects.push(project);
    // `up` runs again on a new entry port when another process took makeProject's before Docker bound it
    // (onFreeEntry; issue #14): whether `up` ended on it before the interrupt or before the SIGINT reached it.
    const { seen, result, cleanupMs } = await onFreeEntry(project, async () => {
      const child = execa('node', [BIN, 'up', '--provider', 'docker'], { cwd: project.dir, reject: false, env: { CI: 'true' }, timeout: 240_000 });
      const seen = await waitFor(async () => {
        if (child.exitCode !== null) return 'ended';
        const r = await labelledResources(project.name);
        return r.containers.length >= containers ? r.containers.length : undefined;
      }, { timeoutMs: 180_000, intervalMs: 50, description: `${containers} container(s) of ${project.name} to exist` });
      const sent = performance.now();
      if (seen !== 'ended') child.kill('SIGINT');
      const result = await child;
      return { seen, result, cleanupMs: performance.now() - sent };
    }, (r) => r.result);
    if (seen === 'ended') throw new Error(`up ended before the interrupt: exit ${result.exitCode}\n${result.stderr.slice(-2000)}`);
    outputs.push({ exitCode: result.exitCode, stderr: result.stderr });
    process.stdout.write(`SIGINT with ${seen} containers: up exited ${result.exitCode} after ${(cleanupMs / 1000).toFixed(1)}s\n${result.stderr.split('\n').slice(-6).join('\n')}\n`);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('interrupted: stopping and cleaning up');
    const left = await labelledResources(project.name);
    expect(describeResources(left)).toEqual([]);
    expect(existsSync(join(stateDir(project.dir, project.name), 'state.json'))).toBe(false);
    const status = await cli(project, ['status']);
    expect(status.stdout).toContain(`environment "${project.name}" (docker) is not up`);
  }, 300_000);

  // Ctrl-C is the user's choice, not a bug: exit 130 (or 3, INTERRUPTED), no "bug in prodlike", no stack.
  it('reports the interruption as such: not exit 70, no stack trace', () => {
    expect(outputs.length).toBeGreaterThan(0);
    for (const o of outputs) {
      expect([130, 3], o.stderr).toContain(o.exitCode);
      expect(o.stderr).not.toMatch(/bug in prodlike|^\s+at .+:\d+:\d+\)?$/m);
    }
  });
});
