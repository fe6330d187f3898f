import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './testing/temp-dirs.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import type { EventBus } from '../core/events.ts';
import { acquireEnvLock, EnvironmentBusyError, lockHostSetup, lockWaitMs, readLock } from './env-lock.ts';

const tmp = () => tempDir('prodlike-lock-');

afterAll(removeTempDirs);
describe('per-environment lock', () => {
  it('refuses a second holder with a message naming the command, pid and time; release frees it', async () => {
    const dir = join(await tmp(), '.prodlike', 'demo');
    const first = await acquireEnvLock(dir, { env: 'demo', command: 'prodlike up' });
    const holder = await readLock(first.file);
    expect(holder).toMatchObject({ pid: process.pid, command: 'prodlike up' });
    const error = await acquireEnvLock(dir, { env: 'demo', command: 'prodlike down' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentBusyError);
    expect((error as Error).message).toMatch(new RegExp(`^environment "demo" is busy: \`prodlike up\` \\(pid ${process.pid}\\) since \\d{4}-\\d\\d-\\d\\dT`));
    expect((error as EnvironmentBusyError).exitCode).toBe(3);
    await first.release();
    const second = await acquireEnvLock(dir, { env: 'demo', command: 'prodlike down' });
    await second.release();
    expect(existsSync(dir)).toBe(false); // an empty state dir is not left behind
  });

  it('waits for the holder (serialized), announcing it once', async () => {
    const dir = join(await tmp(), 'env');
    const first = await acquireEnvLock(dir, { env: 'x', command: 'prodlike up' });
    const messages: string[] = [];
    setTimeout(() => void first.release(), 300);
    const started = performance.now();
    const second = await acquireEnvLock(dir, { env: 'x', command: 'prodlike down', waitMs: 10_000, pollMs: 20, onWait: (m) => messages.push(m) });
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/is busy: `prodlike up`.*waiting for it to finish/);
    await second.release();
  });

  it('gives mutual exclusion to many concurrent acquirers', async () => {
    const dir = join(await tmp(), 'env');
    let inside = 0;
    let overlap = false;
    let done = 0;
    await Promise.all(Array.from({ length: 8 }, async (_, i) => {
      const lock = await acquireEnvLock(dir, { env: 'x', command: `c${i}`, waitMs: 20_000, pollMs: 5 });
      inside += 1;
      if (inside > 1) overlap = true;
      await delay(10);
      inside -= 1;
      done += 1;
      await lock.release();
    }));
    expect(overlap).toBe(false);
    expect(done).toBe(8);
  });

  it('takes over the lock of a dead process and of a torn lock file', async () => {
    const dir = join(await tmp(), 'env');
    const dead = await execa('node', ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(dead.stdout);
    await acquireEnvLock(dir, { env: 'x', command: 'seed' }).then((l) => l.release());
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'lock'), JSON.stringify({ pid: deadPid, host: (await import('node:os')).hostname(), command: 'prodlike up', since: '2020-01-01T00:00:00Z', nonce: 'dead' }));
    const lock = await acquireEnvLock(dir, { env: 'x', command: 'prodlike down' });
    expect(JSON.parse(await readFile(lock.file, 'utf8')).command).toBe('prodlike down');
    await lock.release();
  });

  it('serializes commands across processes; a killed holder does not block forever', async () => {
    const dir = join(await tmp(), 'env');
    const child = execa('node', ['--import', 'tsx', '-e', `
      const { acquireEnvLock } = await import(${JSON.stringify(join(PACKAGE_ROOT, 'src/safety/env-lock.ts'))});
      await acquireEnvLock(${JSON.stringify(dir)}, { env: 'x', command: 'prodlike up' });
      process.stdout.write('LOCKED\\n');
      setInterval(() => {}, 1000);
    `], { cwd: PACKAGE_ROOT, reject: false });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (b: Buffer) => { if (b.toString().includes('LOCKED')) resolve(); });
      setTimeout(() => reject(new Error('child did not take the lock')), 15_000);
    });
    const busy = await acquireEnvLock(dir, { env: 'x', command: 'prodlike down' }).catch((e: unknown) => e);
    expect((busy as Error).message).toContain(`\`prodlike up\` (pid ${child.pid})`);
    child.kill('SIGKILL');
    await child;
    const lock = await acquireEnvLock(dir, { env: 'x', command: 'prodlike down', waitMs: 5_000 });
    await lock.release();
  });

  it('stops waiting on abort', async () => {
    const dir = join(await tmp(), 'env');
    const first = await acquireEnvLock(dir, { env: 'x', command: 'prodlike up' });
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('interrupted')), 100);
    await expect(acquireEnvLock(dir, { env: 'x', command: 'prodlike down', waitMs: 60_000, signal: abort.signal })).rejects.toThrow(/^Stopped waiting: environment "x" is busy: `prodlike up`/);
    await first.release();
  });

  it('reads the wait from PRODLIKE_LOCK_WAIT_MS (default 15 min)', () => {
    expect(lockWaitMs({})).toBe(15 * 60_000);
    expect(lockWaitMs({ PRODLIKE_LOCK_WAIT_MS: '0' })).toBe(0);
    expect(lockWaitMs({ PRODLIKE_LOCK_WAIT_MS: 'soon' })).toBe(15 * 60_000);
  });
});

describe('host setup lock', () => {
  it('serializes setups sharing one cache, naming the cache and the holder while the second waits', async () => {
    const cache = await tmp();
    const env = { PRODLIKE_CACHE: cache };
    const first = await lockHostSetup('setup --kind', {}, env);
    expect(first.file).toBe(join(cache, 'setup-lock', 'lock'));
    const messages: string[] = [];
    const bus = { emit: (e: { message: string }) => messages.push(e.message) } as unknown as EventBus;
    setTimeout(() => void first.release(), 300);
    const second = await lockHostSetup('up (running setup)', { bus }, env);
    expect(messages).toEqual([expect.stringMatching(new RegExp(`^this host's image cache \\(${cache}\\) is busy: \`prodlike setup --kind\` \\(pid ${process.pid}\\).*waiting`))]);
    await second.release();
    expect(existsSync(join(cache, 'setup-lock'))).toBe(false);
  });
});
