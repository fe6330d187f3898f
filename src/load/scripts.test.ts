import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';
import { run } from '../core/exec.ts';
import { findK6 } from './k6.ts';
import { LOAD_PROFILES, LOAD_SCRIPTS, resolveScript, resolveShape, shapeEnv, tailSeconds } from './scripts.ts';

const k6 = await findK6().catch(() => undefined);

describe('load script catalogue', () => {
  it.each(Object.keys(LOAD_SCRIPTS))('%s: exists, tags the requests it declares, defines its metrics, hard-codes no threshold', (name) => {
    const script = resolveScript(name);
    const text = readFileSync(script.path, 'utf8');
    for (const e of script.endpoints) expect(text).toContain(`name: '${e}'`);
    for (const m of script.metrics) expect(text).toContain(`'${m}'`);
    expect(text).not.toMatch(/p\(\d+\)\s*<\s*\d/);
    expect(text).toContain('thresholds: thresholdsFromEnv()');
    expect(text).toContain('handleSummary');
  });

  it('execution-load ci: 60 s of arrivals, at most 90 s with the polling tail', () => {
    const script = LOAD_SCRIPTS['execution-load']!;
    const shape = resolveShape(script, 'ci');
    const total = parseDuration(shape.duration) / 1000 + tailSeconds(script, shape);
    expect(parseDuration(shape.duration)).toBe(60_000);
    expect(total).toBeLessThanOrEqual(90);
    expect(shapeEnv(shape)).toMatchObject({ RATE: String(shape.rate), DURATION: '60s', MAX_POLLS: '100' });
  });

  it.skipIf(!k6)(`execution-load: a fractional RATE (Job mode on kind: 0.2/s) becomes arrivals per minute; whole rates stay per second${k6 ? '' : ' (skipped: k6 not installed)'}`, async () => {
    const options = async (rate: string) => {
      const r = await run(k6!, ['inspect', '-e', `RATE=${rate}`, resolveScript('execution-load').path], { timeoutMs: 30_000 });
      return (JSON.parse(r.stdout) as { scenarios: { executions: { rate: number; timeUnit: string } } }).scenarios.executions;
    };
    expect(await options('0.2')).toMatchObject({ rate: 12, timeUnit: '1m0s' });
    expect(await options('3')).toMatchObject({ rate: 3, timeUnit: '1s' });
  });

  it('every script has the three load profiles', () => {
    for (const s of Object.values(LOAD_SCRIPTS)) expect(Object.keys(s.profiles).sort()).toEqual([...LOAD_PROFILES].sort());
  });

  it('resolves names and paths, refuses unknown scripts with the list', () => {
    expect(resolveScript('loadtests/read-heavy.js').name).toBe('read-heavy');
    expect(resolveScript('execution-load.js').name).toBe('execution-load');
    expect(() => resolveScript('nope')).toThrow(UsageError);
    expect(() => resolveScript('nope')).toThrow(/Unknown load test/);
  });

  it('applies overrides and rejects nonsense', () => {
    const script = LOAD_SCRIPTS['execution-load']!;
    expect(resolveShape(script, 'smoke', { rate: 7, duration: '2m', vus: 40 })).toMatchObject({ rate: 7, duration: '2m', vus: 40, maxVus: 40 });
    expect(() => resolveShape(script, 'ci', { duration: 'soon' })).toThrow(UsageError);
    expect(() => resolveShape(script, 'ci', { rate: -1 })).toThrow(/--rate/);
    expect(() => resolveShape(LOAD_SCRIPTS['api-smoke']!, 'ci', { rate: 5 })).toThrow(/closed-loop/);
  });
});
