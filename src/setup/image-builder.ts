import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ProdlikeError } from '../core/errors.ts';
import { run } from '../core/exec.ts';

export interface ImageInfo {
  id: string;
  inputs: string | undefined;
}

export async function inspectImage(tag: string): Promise<ImageInfo | undefined> {
  const r = await run('docker', ['image', 'inspect', '--format', '{{.Id}} {{index .Config.Labels "io.prodlike.inputs"}}', tag], {
    allowFailure: true,
    timeoutMs: 30_000,
  });
  if (r.exitCode !== 0) return undefined;
  const [id = '', inputs] = r.stdout.trim().split(' ');
  return { id, inputs: inputs && inputs !== '<no value>' ? inputs : undefined };
}

export interface BuildScriptOptions {
  script: string;
  tag: string;
  inputs: string;
  cacheDir: string;
  env?: Record<string, string>;
  timeoutMs: number;
  progress: (line: string) => void;
  signal?: AbortSignal | undefined;
}

/** Runs a build.sh under the contract of fixtures/images/lib.sh, keeping its full log in the cache. */
export async function runBuildScript(options: BuildScriptOptions): Promise<void> {
  const logFile = join(options.cacheDir, 'logs', `${options.tag.replace(/[/:]/g, '_')}.log`);
  await mkdir(dirname(logFile), { recursive: true });
  const lines: string[] = [];
  const result = await run('bash', [options.script], {
    cwd: dirname(options.script),
    timeoutMs: options.timeoutMs,
    allowFailure: true,
    ...(options.signal ? { signal: options.signal } : {}),
    env: { IMAGE_TAG: options.tag, IMAGE_INPUTS: options.inputs, PRODLIKE_CACHE: options.cacheDir, ...options.env },
    onLine: (line) => {
      lines.push(line);
      options.progress(line);
    },
  });
  await writeFile(logFile, `${result.stdout}\n--- stderr ---\n${result.stderr}\n`);
  if (result.exitCode !== 0) {
    throw new ProdlikeError('BUILD_FAILED', `Building ${options.tag} failed (exit ${result.exitCode}): ${lines.slice(-3).join(' | ')}`, {
      hint: `Full log: ${logFile}. Fix the cause and run setup again; finished artifacts are kept.`,
      details: { tag: options.tag, logFile },
    });
  }
}

/** A JSON stamp under <cache>/stamps/: proof that a check passed for a given artifact version. */
export async function readStamp<T>(cacheDir: string, name: string): Promise<T | undefined> {
  const file = join(cacheDir, 'stamps', `${name}.json`);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export async function writeStamp(cacheDir: string, name: string, value: unknown): Promise<void> {
  const file = join(cacheDir, 'stamps', `${name}.json`);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}
