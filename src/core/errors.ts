/**
 * One error taxonomy for the whole tool. Every error has a stable `code`, an `exitCode` and a `hint`
 * (what to do about it); causes are chained with the standard `cause`. "A target was missed" is a
 * result, not a crash, and has its own exit code, distinct from "the harness could not run".
 */
export const EXIT_CODES = {
  ok: 0,
  targetMissed: 1,
  usage: 2,
  environment: 3,
  internal: 70,
} as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

export const ERROR_CODES = [
  'CONFIG_INVALID',
  'CONFIG_NOT_FOUND',
  'USAGE',
  'NOT_BUILT_YET',
  'TOOL_MISSING',
  'COMMAND_FAILED',
  'DOCKER_UNAVAILABLE',
  'PORT_IN_USE',
  'ENVIRONMENT_CONFLICT',
  'READINESS_TIMEOUT',
  'ENVIRONMENT_UNHEALTHY',
  'PROVIDER_FAILED',
  'IMAGE_MISSING',
  'BUILD_FAILED',
  'OWNERSHIP_REFUSED',
  'STALE_DATA',
  'INTERRUPTED',
  'TARGET_MISSED',
  'FAULT_NO_EFFECT',
  'BASELINE_MISSING',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const EXIT_BY_CODE: Record<ErrorCode, ExitCode> = {
  CONFIG_INVALID: EXIT_CODES.usage,
  CONFIG_NOT_FOUND: EXIT_CODES.usage,
  USAGE: EXIT_CODES.usage,
  NOT_BUILT_YET: EXIT_CODES.environment,
  TOOL_MISSING: EXIT_CODES.environment,
  COMMAND_FAILED: EXIT_CODES.environment,
  DOCKER_UNAVAILABLE: EXIT_CODES.environment,
  PORT_IN_USE: EXIT_CODES.environment,
  // Another environment of this project is up under the same name on the other provider, or holds host ports
  // this one needs: the request contradicts what exists (refused before anything starts), like a usage error.
  ENVIRONMENT_CONFLICT: EXIT_CODES.usage,
  READINESS_TIMEOUT: EXIT_CODES.environment,
  // `prodlike run` found the environment up but not every workload ready, and it did not become ready in time.
  ENVIRONMENT_UNHEALTHY: EXIT_CODES.environment,
  PROVIDER_FAILED: EXIT_CODES.environment,
  IMAGE_MISSING: EXIT_CODES.environment,
  BUILD_FAILED: EXIT_CODES.environment,
  OWNERSHIP_REFUSED: EXIT_CODES.environment,
  STALE_DATA: EXIT_CODES.environment,
  INTERRUPTED: EXIT_CODES.environment,
  TARGET_MISSED: EXIT_CODES.targetMissed,
  // A fault that changed nothing observable, or a baseline that never held: nothing valid could be measured
  // (the fault missed its workload, the environment was not healthy first), so the scenario fails as
  // "could not run" (exit 3) with what was expected; it is never turned into an RTO of 0.
  FAULT_NO_EFFECT: EXIT_CODES.environment,
  BASELINE_MISSING: EXIT_CODES.environment,
  INTERNAL: EXIT_CODES.internal,
};

export interface ProdlikeErrorOptions {
  /** What the user should do about it. */
  hint?: string;
  cause?: unknown;
  /** Structured context (file, key path, object name…) kept for JSON output and reports. */
  details?: Record<string, unknown>;
}

export class ProdlikeError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: ProdlikeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  get exitCode(): ExitCode {
    return EXIT_BY_CODE[this.code];
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      exitCode: this.exitCode,
      message: this.message,
      hint: this.hint,
      details: this.details,
      cause: this.cause instanceof Error ? this.cause.message : this.cause,
    };
  }
}

export class ConfigError extends ProdlikeError {
  constructor(message: string, options: ProdlikeErrorOptions = {}) {
    super('CONFIG_INVALID', message, options);
  }
}

export class UsageError extends ProdlikeError {
  constructor(message: string, options: ProdlikeErrorOptions = {}) {
    super('USAGE', message, options);
  }
}

export class NotBuiltYetError extends ProdlikeError {
  constructor(feature: string, issue: string) {
    super('NOT_BUILT_YET', `${feature} is not built yet (tracked in ${issue}); nothing was run.`, {
      hint: 'This command exists so the CLI is complete; see README.md for what works today.',
      details: { feature, issue },
    });
  }
}

export class ToolMissingError extends ProdlikeError {
  constructor(tool: string, hint: string, cause?: unknown) {
    super('TOOL_MISSING', `${tool} was not found on this machine.`, { hint, cause, details: { tool } });
  }
}

/** The environment does not exist (yet): a command that needs it running says how to start it. Exit 3. */
export class EnvironmentNotUpError extends ProdlikeError {
  constructor(env: string, provider: string, detail = '') {
    super('PROVIDER_FAILED', `Environment "${env}" (${provider}) is not up${detail ? ` (${detail})` : ''}.`, {
      hint: `Run \`npx prodlike up --provider ${provider}\` first.`,
      details: { env, provider },
    });
  }
}

/** A documented target (RTO, RPO, p95…) was measured and missed. Exit 1, never 3. */
export class TargetMissedError extends ProdlikeError {
  constructor(message: string, options: ProdlikeErrorOptions = {}) {
    super('TARGET_MISSED', message, options);
  }
}

export class InternalError extends ProdlikeError {
  constructor(message: string, cause?: unknown) {
    super('INTERNAL', message, {
      cause,
      hint: 'This is a bug in prodlike; please report it with the journal of the run.',
    });
  }
}

/** The only place `unknown` becomes a ProdlikeError: at the CLI boundary. */
export function toProdlikeError(error: unknown): ProdlikeError {
  if (error instanceof ProdlikeError) return error;
  if (error instanceof Error) return new InternalError(error.message, error);
  return new InternalError(String(error), error);
}

export function exitCodeFor(error: unknown): ExitCode {
  return toProdlikeError(error).exitCode;
}
