import { describe, expect, it } from 'vitest';
import { ConfigError, EXIT_CODES, exitCodeFor, InternalError, NotBuiltYetError, ProdlikeError, TargetMissedError, toProdlikeError, ToolMissingError } from './errors.ts';

describe('exit codes', () => {
  it('separates a missed target (1) from a harness that could not run (3)', () => {
    expect(new TargetMissedError('redis RTO 6m > 5m').exitCode).toBe(EXIT_CODES.targetMissed);
    expect(new ProdlikeError('READINESS_TIMEOUT', 'x').exitCode).toBe(EXIT_CODES.environment);
    expect(new ProdlikeError('DOCKER_UNAVAILABLE', 'x').exitCode).toBe(EXIT_CODES.environment);
  });

  it('maps config and usage errors to 2', () => {
    expect(new ConfigError('bad').exitCode).toBe(2);
    expect(new ProdlikeError('USAGE', 'bad').exitCode).toBe(2);
    expect(new ProdlikeError('ENVIRONMENT_CONFLICT', 'up on docker').exitCode).toBe(2);
  });

  it('maps unknown throwables to an internal error (70), keeping the cause', () => {
    const cause = new TypeError('undefined is not a function');
    const e = toProdlikeError(cause);
    expect(e).toBeInstanceOf(InternalError);
    expect(e.exitCode).toBe(70);
    expect(e.cause).toBe(cause);
    expect(exitCodeFor('a string')).toBe(70);
  });

  it('keeps ProdlikeErrors as they are and serialises them', () => {
    const e = new ToolMissingError('kind', 'run prodlike setup --kind');
    expect(toProdlikeError(e)).toBe(e);
    expect(e.toJSON()).toMatchObject({ code: 'TOOL_MISSING', exitCode: 3, hint: 'run prodlike setup --kind' });
  });

  it('says clearly when a command is not built yet', () => {
    const e = new NotBuiltYetError('`prodlike up`', 'issue #5');
    expect(e.message).toMatch(/not built yet.*issue #5.*nothing was run/);
    expect(e.exitCode).toBe(3);
  });
});
