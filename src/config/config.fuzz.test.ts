import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { badConfig, VALID } from '../safety/testing/config-arbitraries.ts';
import { validate } from '../safety/testing/fuzz.ts';
import { configSchema } from './schema.ts';

/**
 * Property-based: 1000 generated bad prodlike.yaml files (random YAML, random structures, a valid config
 * with an unknown key or a wrong-typed value at a known key). Every one is rejected with a ConfigError
 * (exit 2) naming the key path or the YAML position; nothing else is ever thrown.
 */
describe('prodlike.yaml fuzzing (fast-check)', () => {
  it('1000 bad configs: only ConfigError, every problem names a key path or position, the mutated key is named', () => {
    const stats = { rejected: 0, accepted: 0 };
    fc.assert(fc.property(badConfig, (c) => {
      const outcome = validate(c.text, configSchema);
      if (outcome.accepted) {
        // Only free-form generators may produce something valid (e.g. an empty document = all defaults).
        expect(c.mustName, `${c.label} was accepted:\n${c.text}`).toBeUndefined();
        stats.accepted += 1;
        return;
      }
      stats.rejected += 1;
      if (c.mustName) {
        const named = outcome.problems.some((p) => p.path === c.mustName || p.path.startsWith(`${c.mustName}.`));
        expect(named, `${c.label}: no problem names ${c.mustName}: ${outcome.problems.map((p) => p.path).join(', ')}`).toBe(true);
        expect(outcome.error.message).toContain(c.mustName);
      }
    }), { numRuns: 1000 });
    expect(stats.rejected + stats.accepted).toBe(1000);
    expect(stats.rejected).toBeGreaterThan(850);
  }, 120_000);

  it('the valid config itself is accepted (the generators mutate something real)', () => {
    expect(validate(stringify(VALID), configSchema).accepted).toBe(true);
  });

  // Found by fuzzing: yaml's toJS() throws ReferenceError for these, which the CLI turns into exit 70
  // with a stack trace. They must be ConfigErrors (exit 2) naming a position.
  it('an unresolved alias is a ConfigError, not a crash', () => {
    expect(validate('name: *nope\n', configSchema).accepted).toBe(false);
  });

  it('an alias bomb (billion laughs) is a ConfigError, not a crash or a hang', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++) levels.push(`l${i}: &l${i} [${Array.from({ length: 9 }, () => (i === 1 ? '*a' : `*l${i - 1}`)).join(',')}]`);
    const started = performance.now();
    expect(validate(`${levels.join('\n')}\n`, configSchema).accepted).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('deeply nested input is a ConfigError with a position', () => {
    const outcome = validate(`${'['.repeat(5000)}${']'.repeat(5000)}`, configSchema);
    expect(outcome.accepted).toBe(false);
  });
});
