import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, stateDir } from '../../core/paths.ts';
import { waitFor } from '../../core/wait.ts';
import { FAULT_JOURNAL_FILE } from '../../safety/fault-journal.ts';
import { ALLOW_FOREIGN_FLAG } from '../../safety/ownership.ts';
import { BIN, cli, docker, dockerSkipReason, labelledResources, makeProject, removeEnvironment, removeTempDirs, type TestProject, upOnFreeEntry, waitForLine } from '../../safety/testing/docker-env.ts';

/**
 * Ctrl-C in the middle of a real failover scenario (issue #11): `prodlike run failover` runs as a child
 * process against its own docker environment; while a fault is held (the worker scaled to 0, then Redis
 * paused) the test sends SIGINT to the CLI, as Ctrl-C would. Afterwards: no container is paused, none is
 * cut off the environment network, every service has the replica count of the config, the fault journal
 * is empty, no process of the suite is left running, and `prodlike status` describes a healthy environment.
 */
const skipReason = await dockerSkipReason();
afterAll(removeTempDirs);

const REPLICAS = { postgres: 1, redis: 1, minio: 1, backend: 1, frontend: 1, worker: 1, ingress: 1 } as const;

/** Processes (other than us) whose environment names this scenario environment: a leftover suite worker. */
async function processesOf(env: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p)).map(Number)) {
    if (pid === process.pid) continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(`PRODLIKE_SCENARIO_ENV=${env}`)) found.push(pid);
  }
  return found;
}

/** Who healed `description`: the suite itself (its journal.ndjson) or `prodlike run` replaying the fault journal. */
async function healedBy(out: string, description: string): Promise<string[]> {
  const who: string[] = [];
  const report = /report: (\S+)\/report\.html/.exec(out)?.[1];
  if (report) {
    for (const entry of await readdir(report, { recursive: true })) {
      if (!String(entry).endsWith('journal.ndjson')) continue;
      const text = await readFile(join(report, String(entry)), 'utf8');
      if (text.includes(`rollback ${description}: ok`)) who.push(`the suite (${join(dirname(String(entry)), 'journal.ndjson')})`);
    }
  }
  if (out.includes(`rollback ${description} (left by`) && /: ok/.test(out.slice(out.indexOf(`rollback ${description} (left by`)))) who.push('prodlike run (fault journal replay)');
  return who;
}

describe.skipIf(Boolean(skipReason))(`SIGINT during \`prodlike run failover\`${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let project: TestProject;
  const network = () => `prodlike-${project.name}`;
  const outputs: string[] = [];

  beforeAll(async () => {
    // Its own project directory: the suite reads the repository's targets (the project has no fixtures/).
    project = await makeProject(`safety-fo-${process.pid}`, { extra: { targets: { file: join(PACKAGE_ROOT, 'fixtures', 'targets.yaml'), profile: 'onprem' } } });
    // Up before the runs, on makeProject's free entry port or a new one when another process took it before
    // Docker bound it (upOnFreeEntry; issue #14): each `prodlike run` then reuses the healthy environment
    // and binds no port of its own.
    const up = await upOnFreeEntry(project);
    expect(up.exitCode, `${up.stdout.slice(-2000)}\n${up.stderr.slice(-2000)}`).toBe(0);
  }, 300_000);

  afterAll(async () => {
    if (!project) return;
    await cli(project, ['down']);
    await removeEnvironment(project.name);
  }, 180_000);

  async function interruptDuring(marker: string, holds: string, realFault: () => Promise<void>, interrupt?: () => Promise<void>, flags: string[] = []) {
    const child = execa('node', [BIN, 'run', 'failover', ...flags], { cwd: project.dir, reject: false, env: { CI: 'true', PRODLIKE_FAULT_HOLD_MS: holds }, timeout: 15 * 60_000 });
    let out = '';
    child.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr?.on('data', (b: Buffer) => { out += b.toString(); });
    await waitForLine(child, (l) => l.includes(marker), 10 * 60_000).catch(async (e: unknown) => {
      // Where it stands (a rehearsal once saw no output at all for 10 min after the override warning): the
      // processes of the run, with their state and what the kernel has them wait on.
      const ps = await execa('ps', ['-eo', 'pid,ppid,etimes,stat,wchan:24,args', '--sort=start_time'], { reject: false, timeout: 10_000 });
      const tree = ps.stdout.split('\n').filter((l, i) => i === 0 || /prodlike|vitest|npm|node /.test(l)).map((l) => l.slice(0, 240)).join('\n');
      throw new Error(`${(e as Error).message}\n--- output ---\n${out.slice(-4000)}\n--- processes ---\n${tree}`);
    });
    await realFault(); // the fault is really there when we interrupt
    const journal = JSON.parse(await readFile(join(stateDir(project.dir, project.name), FAULT_JOURNAL_FILE), 'utf8')) as { description: string }[];
    expect(journal.length, 'the held fault is journalled').toBe(1);
    const sent = performance.now();
    if (interrupt) await interrupt();
    else child.kill('SIGINT');
    const result = await child;
    outputs.push(out);
    const cleanupMs = performance.now() - sent;
    process.stdout.write(`[${marker}${interrupt ? ', suite killed' : ''}] prodlike run exited ${result.exitCode} ${(cleanupMs / 1000).toFixed(1)} s after SIGINT (journal held: ${journal.map((j) => j.description).join(', ')})\n`);
    return { result, out, cleanupMs, journal };
  }

  async function expectClean(out: string) {
    const { containers } = await labelledResources(project.name);
    expect(containers.filter((c) => c.State === 'paused').map((c) => c.Names[0]), 'paused containers left behind').toEqual([]);
    for (const c of containers.filter((x) => x.Labels['io.prodlike.role'] !== 'job')) {
      const info = await docker.getContainer(c.Id).inspect();
      expect(Object.keys(info.NetworkSettings.Networks ?? {}), `${info.Name} is cut off ${network()}`).toContain(network());
    }
    const counts = Object.fromEntries(Object.keys(REPLICAS).map((role) => [role, containers.filter((c) => c.Labels['io.prodlike.role'] === role).length]));
    expect(counts, 'replica counts as configured').toEqual(REPLICAS);
    const journal = join(stateDir(project.dir, project.name), FAULT_JOURNAL_FILE);
    expect(existsSync(journal) ? await readFile(journal, 'utf8') : '', 'fault journal left with entries').toBe('');
    expect(await processesOf(project.name), `suite processes still running\n${out.slice(-3000)}`).toEqual([]);
    const status = await waitFor(async () => {
      const r = await cli(project, ['status', '--json']);
      const parsed = JSON.parse(r.stdout) as { exists: boolean; healthy: boolean };
      return parsed.exists && parsed.healthy ? parsed : undefined;
    }, { timeoutMs: 120_000, intervalMs: 1000, description: `prodlike status to describe ${project.name} as up and healthy` });
    expect(status.healthy).toBe(true);
  }

  it('SIGINT while the worker is scaled to 0: the scale-down is undone, nothing else is left behind', async () => {
    const { result, out } = await interruptDuring('fault injected: worker scaled to 0', 'worker-lost=900000', async () => {
      const { containers } = await labelledResources(project.name);
      expect(containers.filter((c) => c.Labels['io.prodlike.role'] === 'worker'), 'the worker is really gone').toEqual([]);
    });
    expect([130, 3], out.slice(-3000)).toContain(result.exitCode);
    // (The suite's own stdout may be cut when the test runner's main process exits first: its journal is the record.)
    expect(out).not.toMatch(/bug in prodlike/);
    const who = await healedBy(out, 'restore worker to 1 replicas');
    process.stdout.write(`restore worker to 1 replicas healed by: ${who.join(' and ') || 'nobody'}\n`);
    expect(who.length, out.slice(-3000)).toBeGreaterThan(0);
    await expectClean(out);
  }, 20 * 60_000);

  it('SIGINT while Redis is paused: it is unpaused, nothing else is left behind (run with the ownership override, which the report records)', async () => {
    const { result, out } = await interruptDuring('fault injected: redis paused', 'worker-lost=500,redis-hang=900000', async () => {
      expect((await docker.getContainer(`prodlike-${project.name}-redis-0`).inspect()).State.Paused, 'redis is really paused').toBe(true);
    }, undefined, [ALLOW_FOREIGN_FLAG]);
    // The override is in the report: the scenario that finished before the interrupt carries the note,
    // in results.json and report.html of the run.
    const report = /report: (\S+)\/report\.html/.exec(out)?.[1];
    expect(report, out.slice(-2000)).toBeDefined();
    const results = JSON.parse(await readFile(join(report!, 'results.json'), 'utf8')) as { scenarios: { id: string; notes: string[] }[] };
    const workerLost = results.scenarios.find((x) => x.id === 'failover.worker-lost');
    expect(workerLost?.notes.join('\n'), JSON.stringify(results.scenarios.map((x) => x.id))).toContain(`ownership override ${ALLOW_FOREIGN_FLAG} was used`);
    expect(await readFile(join(report!, 'report.html'), 'utf8')).toContain(`ownership override ${ALLOW_FOREIGN_FLAG} was used`);
    expect([130, 3], out.slice(-3000)).toContain(result.exitCode);
    const who = await healedBy(out, 'unpause redis[0]');
    process.stdout.write(`unpause redis[0] healed by: ${who.join(' and ') || 'nobody'}\n`);
    expect(who.length, out.slice(-3000)).toBeGreaterThan(0);
    await expectClean(out);
  }, 20 * 60_000);

  it('the suite killed outright (SIGKILL, no chance to heal) while Redis is paused: `prodlike run` heals it from the fault journal', async () => {
    const { result, out } = await interruptDuring('fault injected: redis paused', 'worker-lost=500,redis-hang=900000', async () => {
      expect((await docker.getContainer(`prodlike-${project.name}-redis-0`).inspect()).State.Paused, 'redis is really paused').toBe(true);
    }, async () => {
      const suite = await processesOf(project.name);
      expect(suite.length, 'the suite\'s processes (npx, vitest, its worker)').toBeGreaterThan(0);
      for (const pid of suite) process.kill(pid, 'SIGKILL');
    });
    expect(result.exitCode, out.slice(-3000)).toBe(3); // the suite could not run to the end
    const who = await healedBy(out, 'unpause redis[0]');
    process.stdout.write(`unpause redis[0] healed by: ${who.join(' and ') || 'nobody'}\n`);
    expect(who).toEqual(['prodlike run (fault journal replay)']);
    await expectClean(out);
  }, 20 * 60_000);

  it('no generated secret appears in any artifact of these runs (reports, journals, JUnit, state) or in the CLI output', async () => {
    expect(outputs.length).toBeGreaterThan(0);
    const secrets = JSON.parse(await readFile(join(stateDir(project.dir, project.name), 'secrets.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(secrets).length).toBe(4);
    const files: string[] = [];
    for (const root of [join(project.dir, 'runs'), stateDir(project.dir, project.name)]) {
      if (!existsSync(root)) continue;
      for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) if (entry.isFile()) files.push(join(entry.parentPath, entry.name));
    }
    const artifacts = files.filter((f) => !f.endsWith('secrets.json'));
    expect(artifacts.some((f) => f.endsWith('journal.ndjson')) && artifacts.some((f) => f.endsWith('results.json')), artifacts.join('\n')).toBe(true);
    for (const file of artifacts) {
      const text = await readFile(file, 'utf8');
      for (const [key, value] of Object.entries(secrets)) expect(text.includes(value), `${key} in ${file}`).toBe(false);
    }
    for (const out of outputs) for (const [key, value] of Object.entries(secrets)) expect(out.includes(value), `${key} in the output of prodlike run`).toBe(false);
    process.stdout.write(`${artifacts.length} artifact files and ${outputs.length} CLI outputs grepped for ${Object.keys(secrets).length} secrets\n`);
  });
});
