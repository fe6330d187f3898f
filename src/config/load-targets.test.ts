import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { describeSource, findTarget, loadTargets, selectProfile } from './load-targets.ts';
import { targetsFileSchema } from './targets-schema.ts';
import { validateYamlText } from './validate-yaml.ts';

const TARGETS = join(PACKAGE_ROOT, 'fixtures', 'targets.yaml');

describe('fixtures/targets.yaml', () => {
  it('holds the four documented profiles', async () => {
    const file = await loadTargets(TARGETS);
    expect(Object.keys(file.profiles).sort()).toEqual(['execution', 'onprem', 'performance', 'platform']);
    expect(file.defaultProfile).toBe('onprem');
  });

  it('onprem mirrors document 001 DR table as typed durations', async () => {
    const onprem = selectProfile(await loadTargets(TARGETS), 'onprem');
    const ms = (id: string) => findTarget(onprem, id)?.maxValue;
    expect(ms('pods.rto')).toBe(2 * 60_000);
    expect(ms('pods.rpo')).toBe(0);
    expect(ms('redis.rto')).toBe(5 * 60_000);
    expect(ms('redis.rpo')).toBe(60_000);
    expect(ms('postgres.restore.rto')).toBe(30 * 60_000);
    expect(ms('postgres.restore.rpo')).toBe(24 * 3_600_000);
    expect(ms('files.restore.rto')).toBe(15 * 60_000);
    expect(ms('files.restore.rpo')).toBe(24 * 3_600_000);
    for (const t of onprem.profile.targets) expect(t.source.doc).toBe('001');
    const backend = onprem.profile.autoscaling.find((a) => a.component === 'backend');
    expect(backend).toMatchObject({ minReplicas: 2, maxReplicas: 10, cpuUtilization: 70, memoryUtilization: 80 });
    expect(backend?.behavior?.scaleUp?.stabilizationWindowSeconds).toBe(60);
    expect(onprem.profile.disruptionBudgets).toEqual([
      expect.objectContaining({ component: 'backend', minAvailable: 2 }),
      expect.objectContaining({ component: 'frontend', maxUnavailable: 1 }),
      expect.objectContaining({ component: 'postgres', maxUnavailable: 0 }),
    ]);
  });

  it('keeps disagreeing documents as separate profiles with their sources', async () => {
    const file = await loadTargets(TARGETS);
    const platform = selectProfile(file, 'platform');
    expect(findTarget(platform, 'platform.rto')?.maxValue).toBe(3_600_000);
    expect(findTarget(platform, 'platform.rpo')?.maxValue).toBe(15 * 60_000);
    expect(findTarget(platform, 'data-corruption.restore')?.maxValue).toBe(30 * 60_000);
    expect(findTarget(platform, 'api.p95')?.maxValue).toBe(200);
    expect(findTarget(platform, 'availability')?.minValue).toBe(99.9);
    const perf = selectProfile(file, 'performance');
    expect(findTarget(perf, 'throughput')).toMatchObject({ minValue: 1000, unit: 'req/s' });
    expect(findTarget(perf, 'db.query.avg')?.maxValue).toBe(50);
    expect(findTarget(perf, 'scale-up')?.maxValue).toBe(120_000);
    expect(findTarget(perf, 'alert.error-rate')).toMatchObject({ kind: 'alert', maxValue: 5, forMs: 300_000 });
    expect(findTarget(perf, 'alert.latency')).toMatchObject({ maxValue: 500, forMs: 300_000 });
    const exec = selectProfile(file, 'execution');
    expect(findTarget(exec, 'queue.backlog')).toMatchObject({ maxValue: 100, forMs: 600_000, source: { doc: '000' } });
    expect(exec.profile.autoscaling.find((a) => a.component === 'backend')).toMatchObject({ minReplicas: 5, maxReplicas: 50 });
    expect(describeSource(findTarget(platform, 'platform.rpo')!, file)).toMatch(/^doc 004 \(Infrastructure Overview.*\) §Overview › Design Goals$/);
  });

  it('rejects an unknown profile with the known ones (exit 2)', async () => {
    const file = await loadTargets(TARGETS);
    expect(() => selectProfile(file, 'prod')).toThrow(ConfigError);
    expect(() => selectProfile(file, 'prod')).toThrow(/Unknown target profile "prod"/);
  });
});

describe('targets validation', () => {
  const base = (target: string) => `documents: { "001": doc }\ndefaultProfile: p\nprofiles:\n  p:\n    title: t\n    documents: ["001"]\n    targets:\n${target}`;
  const parse = (text: string) => validateYamlText(text, 't.yaml', targetsFileSchema, 'Targets');

  it('parses durations, percentages and rates by metric type', () => {
    const file = parse(base('      - { id: a, metric: rto, component: x, max: 1h30m, source: { doc: "001", section: s } }\n      - { id: b, metric: availability, component: x, min: 99.95%, source: { doc: "001", section: s } }\n      - { id: c, metric: throughput, component: x, min: 250/s, source: { doc: "001", section: s } }\n'));
    expect(file.profiles.p!.targets.map((t) => [t.maxValue, t.minValue, t.unit])).toEqual([[5_400_000, undefined, 'ms'], [undefined, 99.95, '%'], [undefined, 250, 'req/s']]);
  });

  it.each([
    ['a duration that is not one', '      - { id: a, metric: rto, component: x, max: 2 minutes, source: { doc: "001", section: s } }\n', /targets\.0\.max: "2 minutes" is not a duration/],
    ['a percentage without %', '      - { id: a, metric: availability, component: x, min: 99.9, source: { doc: "001", section: s } }\n', /is not a percentage/],
    ['an unknown metric', '      - { id: a, metric: p99, component: x, max: 1s, source: { doc: "001", section: s } }\n', /targets\.0\.metric/],
    ['an slo without a bound', '      - { id: a, metric: rto, component: x, source: { doc: "001", section: s } }\n', /needs max or min/],
    ['an unknown document', '      - { id: a, metric: rto, component: x, max: 1s, source: { doc: "009", section: s } }\n', /unknown document "009"/],
    ['a misspelt key', '      - { id: a, metric: rto, component: x, mx: 1s, source: { doc: "001", section: s } }\n', /unknown key "mx" \(did you mean "max"\?\)/],
  ])('rejects %s', (_name, target, pattern) => {
    expect(() => parse(base(target))).toThrow(pattern);
  });
});
