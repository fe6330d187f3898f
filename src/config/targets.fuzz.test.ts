import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { deleteAt, randomDocument, setAt, unknownKey, validate, wrongTypeFor, yamlSoup } from '../safety/testing/fuzz.ts';
import { METRICS, targetsFileSchema } from './targets-schema.ts';

/**
 * Property-based: 1000 generated bad targets files (mutations of fixtures/targets.yaml: unknown keys,
 * wrong types, broken rules, missing keys, duplicate ids, unknown documents; plus random YAML). Every
 * one is rejected with a ConfigError naming the key path (or the YAML position); nothing else is thrown.
 */
const FULL = parse(readFileSync(join(PACKAGE_ROOT, 'fixtures', 'targets.yaml'), 'utf8')) as { profiles: Record<string, Record<string, unknown[]>> } & Record<string, unknown>;
// The real file, cut to one profile with 3 targets, 1 HPA and 1 PDB: every schema level is present and a
// run of 1000 stays within a few seconds.
const onprem = FULL.profiles.onprem!;
const VALID: Record<string, unknown> = {
  ...FULL,
  profiles: { onprem: { ...onprem, targets: onprem.targets!.slice(0, 3), autoscaling: onprem.autoscaling!.slice(0, 1), disruptionBudgets: onprem.disruptionBudgets!.slice(0, 1) } },
};
const P = 'profiles.onprem';
const T = `${P}.targets.0`;

const OBJECTS: Record<string, readonly string[]> = {
  '': ['$schema', 'documents', 'defaultProfile', 'profiles'],
  [P]: ['title', 'documents', 'description', 'targets', 'autoscaling', 'disruptionBudgets'],
  [T]: ['id', 'metric', 'component', 'kind', 'max', 'min', 'for', 'source', 'note'],
  [`${T}.source`]: ['doc', 'section', 'quote'],
  [`${P}.autoscaling.0`]: ['component', 'minReplicas', 'maxReplicas', 'cpuUtilization', 'memoryUtilization', 'behavior', 'source'],
  [`${P}.autoscaling.0.behavior`]: ['scaleUp', 'scaleDown'],
  [`${P}.autoscaling.0.behavior.scaleUp`]: ['stabilizationWindowSeconds', 'selectPolicy', 'policies'],
  [`${P}.disruptionBudgets.0`]: ['component', 'minAvailable', 'maxUnavailable', 'source'],
};

const notQuantity = fc.oneof(fc.boolean(), wrongTypeFor('number').filter((v) => typeof v === 'object'));
const LEAVES: [string, fc.Arbitrary<unknown>][] = [
  ['documents', wrongTypeFor('object')], ['defaultProfile', wrongTypeFor('string')], ['profiles', wrongTypeFor('object')],
  [`${P}.title`, wrongTypeFor('string')], [`${P}.documents`, wrongTypeFor('array')], [`${P}.targets`, wrongTypeFor('array')],
  [`${T}.id`, wrongTypeFor('string')], [`${T}.metric`, wrongTypeFor('string')], [`${T}.component`, wrongTypeFor('string')],
  [`${T}.kind`, wrongTypeFor('string')], [`${T}.max`, notQuantity], [`${T}.for`, wrongTypeFor('string')],
  [`${T}.source`, wrongTypeFor('object')], [`${T}.source.doc`, wrongTypeFor('string')], [`${T}.source.section`, wrongTypeFor('string')],
  [`${P}.autoscaling.0.minReplicas`, wrongTypeFor('number')], [`${P}.autoscaling.0.source`, wrongTypeFor('object')],
  [`${P}.autoscaling.0.behavior.scaleUp.policies`, wrongTypeFor('array')], [`${P}.disruptionBudgets.0.minAvailable`, wrongTypeFor('number')],
];
const OUT_OF_RULE: [string, fc.Arbitrary<unknown>][] = [
  [`${T}.metric`, fc.string({ maxLength: 14 }).filter((s) => !(s in METRICS))],
  [`${T}.max`, fc.oneof(fc.constantFrom('abc', '5 parsecs', '-3m', '2mm', '', '1h30', 'ms'), fc.stringMatching(/^[a-z]{1,6}$/))],
  [`${T}.id`, fc.oneof(fc.stringMatching(/^[A-Z][A-Za-z]{0,8}$/), fc.constantFrom('', '.x', '-x', 'a b'))],
  [`${T}.kind`, fc.string({ maxLength: 8 }).filter((s) => !['slo', 'alert', 'report'].includes(s))],
  [`${T}.source.doc`, fc.oneof(fc.constantFrom('1', '0001', 'abc', '', '999'), fc.integer({ min: 0, max: 99 }).map(String))],
  [`${P}.autoscaling.0.cpuUtilization`, fc.oneof(fc.integer({ min: 101, max: 10_000 }), fc.integer({ min: -100, max: 0 }))],
  [`${P}.autoscaling.0.minReplicas`, fc.oneof(fc.integer({ min: -100, max: 0 }), fc.double({ min: 1.1, max: 9.9, noInteger: true }))],
  [`${P}.autoscaling.0.behavior.scaleUp.selectPolicy`, fc.string({ maxLength: 8 }).filter((s) => !['Max', 'Min', 'Disabled'].includes(s))],
  ['defaultProfile', fc.stringMatching(/^[a-z]{1,10}$/).filter((s) => !Object.keys(VALID.profiles as object).includes(s))],
  [`${P}.documents`, fc.constant([])],
];
const REQUIRED = ['documents', 'defaultProfile', 'profiles', `${P}.title`, `${P}.documents`, `${T}.id`, `${T}.metric`, `${T}.component`, `${T}.source`, `${T}.source.doc`, `${P}.autoscaling.0.minReplicas`];

const text = (value: unknown) => stringify(value);
const badTargets: fc.Arbitrary<{ text: string; mustName?: string; label: string }> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...Object.keys(OBJECTS)).chain((parent) => fc.tuple(unknownKey(OBJECTS[parent]!), fc.oneof(fc.integer(), fc.string({ maxLength: 6 }))).map(([key, value]) => {
    const path = parent ? [...parent.split('.'), key] : [key];
    return { text: text(setAt(VALID, path, value)), mustName: path.join('.'), label: 'unknown key' };
  })) },
  { weight: 3, arbitrary: fc.constantFrom(...LEAVES).chain(([path, arb]) => arb.map((value) => ({ text: text(setAt(VALID, path.split('.'), value)), mustName: path, label: `wrong type at ${path}` }))) },
  { weight: 2, arbitrary: fc.constantFrom(...OUT_OF_RULE).chain(([path, arb]) => arb.map((value) => ({ text: text(setAt(VALID, path.split('.'), value)), mustName: path, label: `rule broken at ${path}` }))) },
  { weight: 1, arbitrary: fc.constantFrom(...REQUIRED).map((path) => ({ text: text(deleteAt(VALID, path.split('.'))), mustName: path, label: `missing ${path}` })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 2 }).map((i) => ({ text: text(setAt(VALID, `${P}.targets.${i}.id`.split('.'), 'pods.rto')), mustName: `${P}.targets.${i}.id`, label: 'duplicate id' })) },
  { weight: 1, arbitrary: fc.constant({ text: text(setAt(VALID, `${P}.disruptionBudgets.0.maxUnavailable`.split('.'), 1)), mustName: `${P}.disruptionBudgets.0`, label: 'budget with both bounds' }) },
  { weight: 1, arbitrary: yamlSoup.map((t) => ({ text: t, label: 'YAML soup' })) },
  { weight: 1, arbitrary: randomDocument.map((t) => ({ text: t, label: 'random document' })) },
);

describe('targets file fuzzing (fast-check)', () => {
  it('1000 bad targets files: only ConfigError, every problem names a key path or position, the broken key is named', () => {
    let rejected = 0;
    fc.assert(fc.property(badTargets, (c) => {
      const outcome = validate(c.text, targetsFileSchema);
      if (outcome.accepted) {
        expect(c.mustName, `${c.label} was accepted:\n${c.text.slice(0, 400)}`).toBeUndefined();
        return;
      }
      rejected += 1;
      if (c.mustName) {
        const named = outcome.problems.some((p) => p.path === c.mustName || p.path.startsWith(`${c.mustName}.`));
        expect(named, `${c.label}: no problem names ${c.mustName}: ${outcome.problems.map((p) => `${p.path} (${p.message})`).join(', ')}`).toBe(true);
      }
    }), { numRuns: 1000 });
    expect(rejected).toBeGreaterThan(900);
  }, 120_000);

  it('the real targets file and its cut are accepted (the generators mutate something real)', () => {
    expect(validate(text(FULL), targetsFileSchema).accepted).toBe(true);
    expect(validate(text(VALID), targetsFileSchema).accepted).toBe(true);
  });

  // Found by fuzzing: `defaultProfile in profiles` also sees Object.prototype, so these were accepted and
  // `selectProfile` would then return a function as the profile.
  it.each(['toString', 'constructor', 'hasOwnProperty', '__proto__'])('defaultProfile "%s" (an Object.prototype name) is rejected', (name) => {
    const outcome = validate(text(setAt(VALID, ['defaultProfile'], name)), targetsFileSchema);
    expect(outcome.accepted).toBe(false);
  });
});
