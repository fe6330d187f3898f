import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, exitCodeFor, TargetMissedError, ToolMissingError } from '../core/errors.ts';
import { classifyK6Exit, findK6, k6ApiPortTaken } from './k6.ts';

describe('classifyK6Exit: k6 exit code -> prodlike meaning', () => {
  it('0 is a pass', () => {
    expect(classifyK6Exit(0, { script: 'execution-load' })).toEqual({ kind: 'ok', exitCode: 0 });
  });

  it('99 (thresholds crossed) is a missed target: TargetMissedError, exit 1', () => {
    const outcome = classifyK6Exit(99, { script: 'execution-load', crossed: ['submit p95 245 ms (target < 200 ms)'] });
    expect(outcome.kind).toBe('target-missed');
    if (outcome.kind === 'ok') throw new Error('unreachable');
    expect(outcome.error).toBeInstanceOf(TargetMissedError);
    expect(outcome.error.message).toContain('submit p95 245 ms');
    expect(exitCodeFor(outcome.error)).toBe(EXIT_CODES.targetMissed);
  });

  it.each([
    [1, 'unknown k6 error'],
    [104, 'invalid configuration'],
    [105, 'aborted from outside'],
    [107, 'script exception'],
    [108, 'script aborted'],
    [110, 'marked as failed'],
    [137, 'killed by a signal'],
    [-1, 'killed by a signal'],
  ])('%i is a harness error (exit 3), never a missed target', (code, meaning) => {
    const outcome = classifyK6Exit(code, { script: 'read-heavy', logTail: 'ReferenceError: x is not defined', logFile: '/tmp/k6.log' });
    expect(outcome.kind).toBe('harness-error');
    if (outcome.kind === 'ok') throw new Error('unreachable');
    expect(outcome.error).not.toBeInstanceOf(TargetMissedError);
    expect(outcome.error.code).toBe('COMMAND_FAILED');
    expect(exitCodeFor(outcome.error)).toBe(EXIT_CODES.environment);
    expect(outcome.error.message).toContain(meaning);
    expect(outcome.error.message).toContain('ReferenceError');
    expect(outcome.error.hint).toContain('/tmp/k6.log');
  });
});

describe('k6ApiPortTaken: k6 could not bind its REST API port', () => {
  // k6 v1.8.1's output, provoked with the port held by another process (issue #14).
  const taken = ['time="2026-12-04T03:46:37Z" level=error msg="Error from API server" error="listen tcp 127.0.0.1:53451: bind: address already in use"'];

  it('is exit 106 with the API server bind error for that port', () => {
    expect(k6ApiPortTaken(106, taken, 53451)).toBe(true);
    expect(k6ApiPortTaken(106, ['some progress line', ...taken, 'another'], 53451)).toBe(true);
  });

  it('is not another exit code, another port, or another API server error', () => {
    expect(k6ApiPortTaken(107, taken, 53451)).toBe(false);
    expect(k6ApiPortTaken(106, taken, 53452)).toBe(false);
    expect(k6ApiPortTaken(106, ['time="…" level=error msg="Error from API server" error="listen tcp 127.0.0.1:53451: bind: permission denied"'], 53451)).toBe(false);
    expect(k6ApiPortTaken(106, [], 53451)).toBe(false);
    expect(k6ApiPortTaken(99, ['level=error msg="thresholds on metrics \'http_req_duration\' have been crossed"'], 53451)).toBe(false);
  });
});

describe('findK6', () => {
  it('prefers $PRODLIKE_CACHE/bin/k6, then PATH, and otherwise says how to get k6 (exit 3)', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'prodlike-k6-'));
    const pathDir = await mkdtemp(join(tmpdir(), 'prodlike-path-'));
    await expect(findK6({ PRODLIKE_CACHE: cache, PATH: '/nonexistent' })).rejects.toSatisfy((e: unknown) => e instanceof ToolMissingError && exitCodeFor(e) === EXIT_CODES.environment && /prodlike setup/.test(e.hint ?? ''));
    await writeFile(join(pathDir, 'k6'), '#!/bin/sh\n');
    await chmod(join(pathDir, 'k6'), 0o755);
    expect(await findK6({ PRODLIKE_CACHE: cache, PATH: pathDir })).toBe(join(pathDir, 'k6'));
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(cache, 'bin'));
    await writeFile(join(cache, 'bin', 'k6'), '#!/bin/sh\n');
    await chmod(join(cache, 'bin', 'k6'), 0o755);
    expect(await findK6({ PRODLIKE_CACHE: cache, PATH: pathDir })).toBe(join(cache, 'bin', 'k6'));
  });
});
