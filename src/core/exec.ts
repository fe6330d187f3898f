import type { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

export interface StreamOptions extends Omit<RunOptions, 'input' | 'onLine'> {
  /** Piped into the process's stdin (ended when the stream ends), or a source and its transforms (file, gunzip); without it stdin is closed. */
  stdin?: Readable | readonly [Readable, ...Transform[]];
  /** Receives the process's stdout (binary); without it stdout is discarded. */
  stdout?: Writable;
}

/**
 * `run` for binary data in and out of a process (`gunzip -c dump | kubectl exec -i … psql`, `kubectl exec …
 * cat file > local`): the same argument arrays, timeout, cancellation and errors, with stdin and stdout as
 * streams instead of strings; stderr is kept (last 20 000 characters) for the message. A process that
 * stops reading early (psql with ON_ERROR_STOP) breaks the pipe: then its exit code and stderr say why, not
 * the EPIPE; with `allowFailure` the caller gets them as a result.
 */
export async function runStreaming(file: string, args: readonly string[], options: StreamOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const timeout = options.timeoutMs ?? 10 * 60_000;
  const child = execa(file, [...args], {
    reject: false,
    timeout,
    forceKillAfterDelay: 5_000,
    cleanup: true,
    encoding: 'buffer',
    // stdout goes to the caller's stream: kept in memory too it would end a large transfer at execa's maxBuffer.
    buffer: { stdout: !options.stdout },
    stdin: options.stdin ? 'pipe' : 'ignore',
    stdout: options.stdout ? 'pipe' : 'ignore',
    stderr: 'pipe',
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env, extendEnv: true } : {}),
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  const piping = Promise.all([
    options.stdin && child.stdin ? pipeline([...(Array.isArray(options.stdin) ? options.stdin : [options.stdin]), child.stdin]) : undefined,
    options.stdout && child.stdout ? pipeline(child.stdout, options.stdout) : undefined,
  ]).then(() => undefined, (error: unknown) => error);
  const result = await child;
  const pipeError = await piping;
  const durationMs = performance.now() - started;
  const stderr = Buffer.isBuffer(result.stderr) || result.stderr instanceof Uint8Array ? Buffer.from(result.stderr).toString('utf8').slice(-20_000) : '';
  if ((result as { code?: string }).code === 'ENOENT') {
    throw new ToolMissingError(file, options.missingHint ?? `Install ${file} or run \`prodlike setup\`.`, result);
  }
  if (result.timedOut) {
    throw new ProdlikeError('COMMAND_FAILED', `\`${file} ${args.join(' ')}\` timed out after ${timeout} ms.`, {
      hint: 'Check that the service it talks to is up (`prodlike doctor`), or raise the timeout.',
      details: { file, args, stderr: stderr.slice(-2000) },
    });
  }
  if (result.isCanceled) throw new ProdlikeError('INTERRUPTED', `\`${file}\` was cancelled.`, { details: { file, args } });
  const exitCode = result.exitCode ?? -1;
  if (exitCode !== 0) {
    if (options.allowFailure) return { exitCode, stdout: '', stderr, durationMs };
    throw new ProdlikeError('COMMAND_FAILED', `\`${file} ${args.join(' ')}\` exited with ${exitCode}${stderr.trim() ? `: ${lastLines(stderr.trim(), 8)}` : ''}`, {
      details: { file, args, exitCode, stderr: stderr.slice(-4000) },
    });
  }
  if (pipeError) throw pipeError;
  return { exitCode, stdout: '', stderr, durationMs };
}

export interface InteractiveOptions {
  /** Added to the environment (credentials go here, never into argv). */
  env?: Record<string, string>;
  /** What to tell the user if the program is not installed. */
  missingHint?: string;
}

/**
 * A program that takes over the terminal (`psql`, `redis-cli`): stdin, stdout and stderr are this process's,
 * there is no timeout (the user ends the session) and no cancel signal (Ctrl-C belongs to the program: psql
 * cancels its query with it). Resolves with the program's exit code; a missing program is TOOL_MISSING.
 */
export async function runInteractive(file: string, args: readonly string[], options: InteractiveOptions = {}): Promise<number> {
  const result = await execa(file, [...args], { reject: false, stdio: 'inherit', cleanup: true, ...(options.env ? { env: options.env, extendEnv: true } : {}) });
  if ((result as { code?: string }).code === 'ENOENT') throw new ToolMissingError(file, options.missingHint ?? `Install ${file}.`, result);
  return result.exitCode ?? (result.signal ? 128 : -1);
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
