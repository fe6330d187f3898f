import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { removeTempDirs, tempDir } from '../safety/testing/temp-dirs.ts';
import { runBuildScript } from './image-builder.ts';

/**
 * The heartbeat of long image builds (fixtures/images/lib.sh, issue #18): while a Go build runs, a line
 * every PRODLIKE_HEARTBEAT_SECONDS says what is built, for how long, and how long is left judging by the
 * last build of that component here ($PRODLIKE_CACHE/build-times/NAME). The lines reach setup's step
 * renderer through runBuildScript; a failed build, Ctrl-C or a killed script leaves no loop behind.
 * Tiny bash scripts stand in for the builds (`sleep`), with the interval at 1 s.
 */
const LIB = join(PACKAGE_ROOT, 'fixtures', 'images', 'lib.sh');
const IMAGES = join(PACKAGE_ROOT, 'fixtures', 'images');
afterAll(removeTempDirs);

/** A build script like fixtures/images/<name>/build.sh: lib.sh, then BODY. */
async function script(dir: string, body: string): Promise<string> {
  const file = join(dir, 'build.sh');
  await writeFile(file, `#!/usr/bin/env bash\nset -euo pipefail\nsource ${JSON.stringify(LIB)}\n${body}\n`);
  return file;
}

/** A live (not zombie) process. */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/\) Z /.test(stat);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('lib.sh heartbeat of long builds', () => {
  it('formats the elapsed time and the estimate from the last build, or the typical first build', async () => {
    const r = await execa('bash', ['-c', `source ${JSON.stringify(LIB)}
      heartbeat_line "go install minio" 90 352 ""
      heartbeat_line "go install minio" 422 352 ""
      heartbeat_line "go install minio" 352 352 ""
      heartbeat_line "go install minio" 30 "" "$(typical_build_secs minio)"
      heartbeat_line "go build kubelet v1.34.4" 3725 "" "$(typical_build_secs kubelet)"
      heartbeat_line "go build demo" 5 "" "$(typical_build_secs demo)"`], { env: { PRODLIKE_CACHE: '/nonexistent' } });
    expect(r.stdout.split('\n').map((l) => l.replace(/^\[[^\]]*\] /, ''))).toEqual([
      'go install minio: 1m30s elapsed, about 4m20s left (last build here took 5m52s)',
      'go install minio: 7m02s elapsed, 1m10s longer than the last build here (5m52s)',
      'go install minio: 5m52s elapsed, as long as the last build here took',
      'go install minio: 30s elapsed (first build here: typically 6 min)',
      'go build kubelet v1.34.4: 1h02m elapsed (first build here: typically 12 min)',
      'go build demo: 5s elapsed (first build here)',
    ]);
  });

  it('shows progress through runBuildScript while a build runs, records its time, and estimates the next one from it', async () => {
    const cache = await tempDir('prodlike-heartbeat-');
    const file = await script(cache, 'heartbeat_start demo "build demo"\nsleep "$BUILD_SECONDS"\nheartbeat_stop\nlog "built"');
    const build = async (seconds: number) => {
      const lines: string[] = [];
      await runBuildScript({ script: file, tag: 'prodlike.local/demo:1', inputs: 'x', cacheDir: cache, timeoutMs: 30_000, progress: (l) => lines.push(l), env: { PRODLIKE_HEARTBEAT_SECONDS: '1', BUILD_SECONDS: String(seconds) } });
      return lines;
    };

    const first = await build(5);
    const beats = first.filter((l) => l.includes('build demo:'));
    expect(beats.length, first.join('\n')).toBeGreaterThanOrEqual(3);
    for (const l of beats) expect(l).toMatch(/build demo: \ds elapsed \(first build here\)$/);
    expect(first.at(-1)).toMatch(/built$/);
    const recorded = Number((await readFile(join(cache, 'build-times', 'demo'), 'utf8')).trim());
    expect(recorded).toBeGreaterThanOrEqual(5);
    expect(recorded).toBeLessThanOrEqual(6);

    const second = await build(2);
    const estimate = new RegExp(`build demo: (\\d)s elapsed, about (\\d)s left \\(last build here took ${recorded}s\\)$`);
    const estimates = second.map((l) => estimate.exec(l)).filter((m) => m !== null);
    expect(estimates.length, second.join('\n')).toBeGreaterThanOrEqual(1);
    for (const [, elapsed, left] of estimates) expect(Number(elapsed) + Number(left)).toBe(recorded);
    expect((await readFile(join(cache, 'build-times', 'demo'), 'utf8')).trim()).toMatch(/^[23]$/);
    expect((await readdir(join(cache, 'build-times'))).sort()).toEqual(['demo']);
  }, 30_000);

  it('stays silent with PRODLIKE_HEARTBEAT_SECONDS=0 and still records the time', async () => {
    const cache = await tempDir('prodlike-heartbeat-');
    const file = await script(cache, 'heartbeat_start k6 "go install k6"\nsleep 2\nheartbeat_stop');
    const r = await execa('bash', [file], { env: { PRODLIKE_CACHE: cache, PRODLIKE_HEARTBEAT_SECONDS: '0' } });
    expect(r.stdout + r.stderr).toBe('');
    expect((await readFile(join(cache, 'build-times', 'k6'), 'utf8')).trim()).toMatch(/^[23]$/);
  });

  it('a failing build (set -e) stops the loop and records nothing', async () => {
    const cache = await tempDir('prodlike-heartbeat-');
    const file = await script(cache, 'heartbeat_start demo "build demo"\necho "heartbeat $HEARTBEAT_PID"\nsleep 2\nfalse\nheartbeat_stop');
    const r = await execa('bash', [file], { env: { PRODLIKE_CACHE: cache, PRODLIKE_HEARTBEAT_SECONDS: '1' }, reject: false, timeout: 15_000 });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/build demo: \ds elapsed/);
    expect(await alive(Number(/heartbeat (\d+)/.exec(r.stdout)?.[1]))).toBe(false);
    await expect(readdir(join(cache, 'build-times'))).rejects.toThrow();
  }, 20_000);

  // Ctrl-C in a terminal: SIGINT to the whole process group (the script, the build, the loop — which, as an
  // asynchronous job of a non-interactive shell, ignores SIGINT: the trap must end it). TERM/KILL: the script
  // alone (a build it started is orphaned, as before); the loop must not outlive the shell that started it.
  it.each([
    ['Ctrl-C', 'direct', 'SIGINT'],
    ['Ctrl-C', 'in $(…) like go_install_cached', 'SIGINT'],
    ['kill -TERM', 'direct', 'SIGTERM'],
    ['kill -KILL', 'direct', 'SIGKILL'],
  ] as const)('%s of a build script (heartbeat %s) leaves no heartbeat loop', async (_what, where, signal) => {
    const cache = await tempDir('prodlike-heartbeat-');
    const body = 'heartbeat_start demo "build demo"\necho "heartbeat $HEARTBEAT_PID"\nsleep 30 >&2\nheartbeat_stop';
    const file = await script(cache, where === 'direct' ? body : `x="$(\n${body}\n)"\necho "$x"`);
    const child = spawn('bash', [file], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PRODLIKE_CACHE: cache, PRODLIKE_HEARTBEAT_SECONDS: '1' } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    try {
      await expect.poll(() => out, { timeout: 10_000, interval: 100 }).toMatch(/build demo: \d+s elapsed/);
      // in $(…) the pid is printed only at the end: find the loop as the subshell's child instead
      const heartbeat = where === 'direct' ? Number(/heartbeat (\d+)/.exec(out)?.[1]) : await loopPid(child.pid!);
      expect(await alive(heartbeat)).toBe(true);
      if (signal === 'SIGINT') process.kill(-child.pid!, signal);
      else process.kill(child.pid!, signal);
      expect(await exited).toBe(signal);
      await expect.poll(() => alive(heartbeat), { timeout: 3_000, interval: 100 }).toBe(false);
      const beats = out.split('\n').filter((l) => l.includes('build demo:')).length;
      await sleep(1_500);
      expect(out.split('\n').filter((l) => l.includes('build demo:')).length).toBe(beats);
    } finally {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* group already gone */ }
    }
  }, 30_000);

  it('go_caches: one GOCACHE and GOMODCACHE in the prodlike cache, -modcacherw added once, GOFLAGS in force kept', async () => {
    const cache = await tempDir('prodlike-heartbeat-');
    const bin = join(cache, 'fake-bin');
    await mkdir(bin);
    // a stand-in `go` whose `go env GOFLAGS` answers like a `go env -w GOFLAGS=-buildvcs=false` host
    await writeFile(join(bin, 'go'), '#!/bin/sh\n[ "$1 $2" = "env GOFLAGS" ] && echo "${GOFLAGS:--buildvcs=false}"\n');
    await chmod(join(bin, 'go'), 0o755);
    const r = await execa('bash', ['-c', `source ${JSON.stringify(LIB)}; go_caches; go_caches; echo "$GOCACHE|$GOMODCACHE|$GOFLAGS"`], {
      env: { PRODLIKE_CACHE: cache, PATH: `${bin}:${process.env.PATH}`, GOFLAGS: '' },
    });
    expect(r.stdout).toBe(`${cache}/go-build|${cache}/go-mod|-buildvcs=false -modcacherw`);
  });

  it('every image build script that runs go points it at the shared caches', async () => {
    const scripts: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(dir, e.name));
        else if (e.name.endsWith('.sh') && e.name !== 'lib.sh') scripts.push(join(dir, e.name));
      }
    };
    await walk(IMAGES);
    const offenders: string[] = [];
    for (const file of scripts) {
      const text = await readFile(file, 'utf8');
      if (/(^|[\s(;&|])go (build|install|mod)\b/m.test(text) && !/^\s*go_caches\b/m.test(text)) offenders.push(file.replace(`${PACKAGE_ROOT}/`, ''));
    }
    expect(offenders).toEqual([]);
  });
});

/** The heartbeat loop started inside the script's $(…) subshell: a bash grandchild of the script. */
async function loopPid(scriptPid: number): Promise<number> {
  const children = async (pid: number) =>
    (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean).map(Number);
  const comm = async (pid: number) => (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
  for (const sub of await children(scriptPid)) {
    for (const grandchild of await children(sub)) if ((await comm(grandchild)) === 'bash') return grandchild;
  }
  throw new Error(`no heartbeat loop under pid ${scriptPid}`);
}
