import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { PACKAGE_ROOT, stateDir } from '../core/paths.ts';
import { acquireEnvLock } from './env-lock.ts';
import { removeTempDirs, tempDir } from './testing/temp-dirs.ts';

/**
 * Two commands on one environment are serialized (issue #11): `run` and `load` take the environment's
 * lock like `up` and `down`. With PRODLIKE_LOCK_WAIT_MS=0 a busy environment fails at once with exit 3 and
 * names the holder; with a wait, the command says whom it waits for and goes on once the lock is free.
 * No Docker needed: the lock is taken before anything touches the environment.
 */
const BIN = join(PACKAGE_ROOT, 'bin', 'prodlike.mjs');
afterAll(removeTempDirs);

async function project(name: string): Promise<string> {
  const dir = await tempDir(`prodlike-lockcli-${name}-`);
  await writeFile(join(dir, 'prodlike.yaml'), stringify({ name, provider: 'docker', imageSource: 'offline', ports: { entry: 18420 } }));
  return dir;
}

describe('run and load take the environment lock', () => {
  it.each([
    ['run', ['run', 'failover']],
    ['load', ['load', 'api-smoke']],
  ])('`prodlike %s` on a busy environment fails at once with exit 3, naming the holder', async (_cmd, args) => {
    const env = `safety-lock-${process.pid}`;
    const dir = await project(env);
    const lock = await acquireEnvLock(stateDir(dir, env), { env, command: 'prodlike up' });
    try {
      const r = await execa('node', [BIN, ...args], { cwd: dir, reject: false, env: { CI: 'true', PRODLIKE_LOCK_WAIT_MS: '0' }, timeout: 60_000 });
      expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(3);
      expect(r.stderr).toContain(`environment "${env}" is busy: \`prodlike up\` (pid ${process.pid}) since ${lock.info.since}`);
      expect(r.stderr).toContain(`kill ${process.pid}`);
    } finally {
      await lock.release();
    }
  }, 60_000);

  it('a waiting `prodlike load` announces the holder and goes on once the lock is released', async () => {
    const env = `safety-lockw-${process.pid}`;
    const dir = await project(env);
    const lock = await acquireEnvLock(stateDir(dir, env), { env, command: 'prodlike run failover' });
    // An unknown script is a usage error (exit 2) raised only after the lock was taken: proof that it got it.
    const child = execa('node', [BIN, 'load', 'no-such-script'], { cwd: dir, reject: false, env: { CI: 'true', PRODLIKE_LOCK_WAIT_MS: '60000' }, timeout: 60_000 });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => { stderr += b.toString(); });
    await expect.poll(() => stderr, { timeout: 30_000, interval: 100 }).toContain(`environment "${env}" is busy: \`prodlike run failover\` (pid ${process.pid})`);
    expect(child.exitCode).toBeNull(); // still waiting
    await lock.release();
    const r = await child;
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain('Unknown load test "no-such-script"');
  }, 60_000);
});
