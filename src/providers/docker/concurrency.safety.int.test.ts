import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.ts';
import { stateDir } from '../../core/paths.ts';
import { waitFor } from '../../core/wait.ts';
import { BIN, cli, createOnFreeEntry, describeResources, dockerSkipReason, labelledResources, makeProject, onFreeEntry, removeEnvironment, removeTempDirs, type TestProject } from '../../safety/testing/docker-env.ts';
import { topologyImages } from '../create-provider.ts';
import { DockerProvider } from './docker-provider.ts';

/**
 * Concurrency (issue #11), real containers and the real CLI:
 * - two environments that ask for the same ports.entry: the second `up` fails with PORT_IN_USE naming
 *   the port, removes what it had started, and the first is untouched;
 * - two commands on one environment: `down` while `up` runs is refused at once (PRODLIKE_LOCK_WAIT_MS=0)
 *   with "environment X is busy: `prodlike up` (pid N) since …", and by default waits for `up` to end.
 * (Two environments with different names side by side: docker-provider.int.test.ts.)
 */
const skipReason = await dockerSkipReason();
afterAll(removeTempDirs);
const projects: TestProject[] = [];

afterAll(async () => {
  for (const p of projects) {
    await cli(p, ['down']);
    await removeEnvironment(p.name);
  }
}, 180_000);

describe.skipIf(Boolean(skipReason))(`two environments, one port${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('the second `up` on the same ports.entry fails with PORT_IN_USE naming the port and leaves the first alone', async () => {
    const a = await makeProject(`safety-pa-${process.pid}`);
    projects.push(a);
    let first!: DockerProvider;
    const created = await createOnFreeEntry(a, async (config) => {
      first = new DockerProvider({ config: configSchema.parse(config), images: await topologyImages('offline'), projectDir: a.dir, imageSource: 'offline' });
      return first.create();
    });
    expect(created.status.healthy).toBe(true);
    // b asks for the port a bound (chosen only now: a's first choice may have been taken and replaced).
    const b = await makeProject(`safety-pb-${process.pid}`, { entry: a.entry });
    projects.push(b);

    const r = await cli(b, ['up', '--provider', 'docker', '--json']);
    expect(r.exitCode, r.stderr).toBe(3);
    const error = (JSON.parse(r.stdout) as { error: { code: string; message: string; hint: string } }).error;
    expect(error.code).toBe('PORT_IN_USE');
    expect(error.message).toContain(String(a.entry));
    expect(error.hint).toContain(`ports.entry in prodlike.yaml (currently ${a.entry})`);
    expect(describeResources(await labelledResources(b.name))).toEqual([]);
    const status = await first.status();
    expect(status.healthy).toBe(true);
    expect((await fetch(`http://127.0.0.1:${a.entry}/api/health/ready`)).status).toBe(200);
  }, 300_000);
});

describe.skipIf(Boolean(skipReason))(`two commands, one environment${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('`down` during `up` is refused with a clear message, or waits for it by default (serialized)', async () => {
    const p = await makeProject(`safety-lk-${process.pid}`);
    projects.push(p);
    const lockFile = join(stateDir(p.dir, p.name), 'lock');
    // The whole exchange runs again on a new entry port when another process took makeProject's before
    // `up` bound it (onFreeEntry; issue #14): `up` then ends with PORT_IN_USE instead of 0.
    const { up, upEnded, refused, upRunning, waited, downEnded, upResult } = await onFreeEntry(p, async () => {
      const up = execa('node', [BIN, 'up', '--provider', 'docker'], { cwd: p.dir, reject: false, env: { CI: 'true' }, timeout: 240_000 });
      let upEnded = 0;
      void up.then(() => { upEnded = performance.now(); });
      await waitFor(async () => existsSync(lockFile), { timeoutMs: 60_000, intervalMs: 50, description: 'up to take the environment lock' });
      let waiting!: ReturnType<typeof cli>;

      // `up` is held still (SIGSTOP) while the two `down`s start: a CLI start takes seconds here, and a
      // docker `up` can finish within them (CI: the refused `down` once found the lock already released and
      // ran). A stopped process still holds its lock (its pid is alive), as a slow `up` would.
      process.kill(up.pid!, 'SIGSTOP');
      let refused;
      try {
        // The waiting `down` starts first, so that it certainly finds `up` holding the lock.
        const waitingStarted = cli(p, ['down']);
        refused = await cli(p, ['down'], { PRODLIKE_LOCK_WAIT_MS: '0' });
        waiting = waitingStarted;
      } finally {
        process.kill(up.pid!, 'SIGCONT');
      }
      const upRunning = up.exitCode === null;
      const waited = await waiting;
      const downEnded = performance.now();
      const upResult = await up;
      return { up, upEnded, refused, upRunning, waited, downEnded, upResult };
    }, (r) => r.upResult);
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toMatch(new RegExp(`environment "${p.name}" is busy: \`prodlike up\` \\(pid ${up.pid}\\) since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z`));
    expect(refused.stderr).toContain(`kill ${up.pid}`);
    expect(upRunning, 'up must still be running: the refused down did nothing').toBe(true);
    expect(upResult.exitCode, upResult.stderr).toBe(0);
    expect(waited.exitCode, waited.stderr).toBe(0);
    expect(waited.stderr).toMatch(/is busy: `prodlike up`.*waiting for it to finish/);
    expect(downEnded).toBeGreaterThan(upEnded);
    expect(waited.stdout).toMatch(/removed \d+ resources/);
    expect(describeResources(await labelledResources(p.name))).toEqual([]);
    expect(existsSync(lockFile)).toBe(false);
  }, 300_000);
});
