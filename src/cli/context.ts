import type { LoadedConfig } from '../config/load-config.ts';
import type { ImageSource, ProviderName } from '../config/schema.ts';
import { parseDuration } from '../core/duration.ts';
import { UsageError, type ExitCode } from '../core/errors.ts';
import type { EventBus } from '../core/events.ts';
import type { ProgressRenderer } from './render.ts';

/** What every command gets: the event bus, the progress renderer, stdout, the config loader, the abort signal. */
export interface CliContext {
  bus: EventBus;
  renderer: ProgressRenderer;
  json: boolean;
  stdout: (text: string) => void;
  load: (overrides?: { provider?: ProviderName; imageSource?: ImageSource; profile?: string }) => Promise<LoadedConfig>;
  exitCode: ExitCode;
  /** Aborted on Ctrl-C/SIGTERM: long steps stop and clean up. */
  abort: AbortController;
  /**
   * What Ctrl-C/SIGTERM means to the running command: `clean-up` (default) aborts and says cleanup runs;
   * `end` aborts quietly, as the normal end of a command that runs until interrupted (`logs -f`); `child`
   * leaves it to the interactive program that has the terminal (`connect`: psql cancels its query).
   */
  interrupt?: 'clean-up' | 'end' | 'child';
  /** Aborted when stdout's reader has gone (`prodlike logs -f | head`): a command that streams stops. */
  stdoutClosed?: AbortSignal;
}

/** A command action that returns its exit code (kept in the context for `main`). */
export function act<A extends unknown[]>(ctx: CliContext, fn: (...args: A) => Promise<ExitCode>): (...args: A) => Promise<void> {
  return async (...args: A): Promise<void> => {
    ctx.exitCode = await fn(...args);
  };
}

/** A duration option (`30s`, `5m`, `1h30m`) in milliseconds; anything else is a usage error naming the option. */
export function durationOption(option: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (cause) {
    throw new UsageError(`${option}: ${(cause as Error).message}.`, { cause });
  }
}

/** commander parser for --vus/--rate. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`"${value}" is not a positive number.`);
  return n;
}
