import { once } from 'node:events';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

/**
 * Starts the independent cross-check probe (probe.mjs, a separate Node process sharing no code with src/)
 * beside a suite, and stops it. Targets may carry credentials: they are written to a private temp file
 * (0600) that is removed on stop. The process is killed with the parent (`cleanup`) and after `maxLifetimeMs`.
 *
 *   const cross = await startCrossCheck({ targets: [{ name: 'entry', kind: 'http', url }], outFile: 'runs/…/crosscheck.ndjson' });
 *   … faults …
 *   await cross.stop();
 */
export interface CrossCheckTargetSpec {
  name: string;
  kind: 'http' | 'redis' | 'postgres' | 's3';
  /** http, redis (`redis://:password@host:port`), postgres (`postgres://user:password@host:port/db`). */
  url?: string;
  /** s3 */
  endpoint?: string;
  accessKey?: string;
  secretKey?: string;
  bucket?: string;
  /** The prodlike probe to compare with (matched by kind and port when absent). */
  probe?: string;
  /** http: the accepted status (default any < 500). */
  expectStatus?: number;
}

export interface CrossCheckOptions {
  targets: readonly CrossCheckTargetSpec[];
  /** NDJSON of every attempt (appended). */
  outFile: string;
  intervalMs?: number;
  timeoutMs?: number;
  /** Hard stop for a forgotten process. Default 2 h. */
  maxLifetimeMs?: number;
}

export interface CrossCheck {
  readonly outFile: string;
  readonly pid: number | undefined;
  /** SIGTERM, wait for attempts in flight and the final `stopped` line. */
  stop(): Promise<void>;
}

const PROBE = join(dirname(fileURLToPath(import.meta.url)), 'probe.mjs');

export async function startCrossCheck(options: CrossCheckOptions): Promise<CrossCheck> {
  const dir = await mkdtemp(join(tmpdir(), 'prodlike-crosscheck-'));
  const targetsFile = join(dir, 'targets.json');
  await writeFile(targetsFile, JSON.stringify(options.targets), { mode: 0o600 });
  await chmod(targetsFile, 0o600);
  const child: ResultPromise = execa(
    process.execPath,
    [PROBE, '--targets', targetsFile, '--out', options.outFile, '--interval-ms', String(options.intervalMs ?? 50), '--timeout-ms', String(options.timeoutMs ?? 1000)],
    { cleanup: true, reject: false, timeout: options.maxLifetimeMs ?? 2 * 60 * 60_000, killSignal: 'SIGTERM', stdio: ['ignore', 'ignore', 'pipe'] },
  );
  // Started = its header line is in the file (targets parsed, output open); an early exit is an error.
  const started = (async () => {
    for (;;) {
      const text = await readFile(options.outFile, 'utf8').catch(() => '');
      if (text.includes('"type":"started"') && text.includes(`"pid":${child.pid}`)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const exited = child.then((r) => {
    throw new Error(`cross-check probe exited at start (code ${r.exitCode}): ${String(r.stderr ?? '').trim()}`);
  });
  try {
    await Promise.race([started, exited, new Promise((_, reject) => setTimeout(() => reject(new Error('cross-check probe did not start within 10 s')), 10_000))]);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  exited.catch(() => undefined);
  return {
    outFile: options.outFile,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
