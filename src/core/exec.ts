import { execa, type Options, type Result } from 'execa';
import { ProdlikeError, ToolMissingError } from './errors.ts';

export interface RunOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  signal?: AbortSignal;
  /** Called with each line of stdout/stderr as it arrives (progress of long steps). */
  onLine?: (line: string) => void;
  /** Do not throw on a non-zero exit; the caller interprets the exit code. */
  allowFailure?: boolean;
  /** What to tell the user if the tool is not installed. */
  missingHint?: string;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** The one way prodlike runs a subprocess: argument arrays, a timeout, cleanup, no shell. */
export async function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const execaOptions: Options = {
    reject: false,
    timeout: options.timeoutMs ?? 10 * 60_000,
    forceKillAfterDelay: 5_000,
    cleanup: true,
    all: false,
    stripFinalNewline: true,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env, extendEnv: true } : {}),
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  };
  const child = execa(file, [...args], execaOptions);
  if (options.onLine) {
    const emit = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) options.onLine?.(line);
    };
    child.stdout?.on('data', emit);
    child.stderr?.on('data', emit);
  }
  const result = (await child) as Result;
  const durationMs = performance.now() - started;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new ToolMissingError(file, options.missingHint ?? `Install ${file} or run \`prodlike setup\`.`, result);
  }
  const exitCode = result.exitCode ?? -1;
  if (result.timedOut) {
    throw new ProdlikeError('COMMAND_FAILED', `\`${file} ${args.join(' ')}\` timed out after ${execaOptions.timeout} ms.`, {
      hint: 'Check that the service it talks to is up (`prodlike doctor`), or raise the timeout.',
      details: { file, args, stderr: text(result.stderr).slice(-2000) },
    });
  }
  if (result.isCanceled) {
    throw new ProdlikeError('INTERRUPTED', `\`${file}\` was cancelled.`, { details: { file, args } });
  }
  if (exitCode !== 0 && !options.allowFailure) {
    const stderr = text(result.stderr).trim();
    throw new ProdlikeError('COMMAND_FAILED', `\`${file} ${args.join(' ')}\` exited with ${exitCode}${stderr ? `: ${lastLines(stderr, 8)}` : ''}`, {
      details: { file, args, exitCode, stderr: stderr.slice(-4000) },
    });
  }
  return { exitCode, stdout: text(result.stdout), stderr: text(result.stderr), durationMs };
}

/** Is `file` runnable? (`file --version`-style probe that never throws.) */
export async function which(file: string, probeArgs: readonly string[] = ['--version']): Promise<RunResult | undefined> {
  try {
    const result = await run(file, probeArgs, { timeoutMs: 15_000, allowFailure: true });
    return result;
  } catch {
    return undefined;
  }
}

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n).join('\n');
}
