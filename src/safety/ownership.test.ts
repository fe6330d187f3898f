import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { EventBus, type TimedEvent } from '../core/events.ts';
import { ALLOW_FOREIGN_FLAG, allowForeignTargetFrom, allowForeignTargetOption, labelProblem, OwnershipRefusedError, refuseOrRecord } from './ownership.ts';

describe('ownership rules', () => {
  it('a docker object is this environment\'s only with managed=true and env=<env> (and the role, when asked)', () => {
    const mine = { 'io.prodlike.managed': 'true', 'io.prodlike.env': 'demo', 'io.prodlike.role': 'backend' };
    expect(labelProblem(mine, 'demo', 'backend')).toBeUndefined();
    expect(labelProblem(undefined, 'demo')).toBe('does not carry io.prodlike.managed=true');
    expect(labelProblem({ 'io.prodlike.managed': 'true' }, 'demo')).toBe('does not carry io.prodlike.env=demo');
    expect(labelProblem({ ...mine, 'io.prodlike.env': 'other' }, 'demo')).toMatch(/belongs to environment "other"/);
    expect(labelProblem(mine, 'demo', 'redis')).toMatch(/io.prodlike.role=backend, not redis/);
  });

  it('refuses with exit 3 naming the object, or records the override as a warning', () => {
    expect(() => refuseOrRecord({ env: 'demo' }, 'kill backend', 'container x', 'is foreign')).toThrow(OwnershipRefusedError);
    try {
      refuseOrRecord({ env: 'demo' }, 'kill backend', 'container x', 'is foreign');
    } catch (error) {
      expect((error as OwnershipRefusedError).exitCode).toBe(3);
      expect((error as Error).message).toBe('Refusing to kill backend: container x is foreign.');
    }
    const bus = new EventBus();
    const events: TimedEvent[] = [];
    bus.on((e) => events.push(e));
    refuseOrRecord({ env: 'demo', bus, allowForeignTarget: true }, 'kill backend', 'container x', 'is foreign');
    expect(events).toMatchObject([{ kind: 'log', level: 'warn', source: 'safety.ownership' }]);
  });

  it('offers the CLI override option', () => {
    let seen: boolean | undefined;
    new Command('x').addOption(allowForeignTargetOption()).action((o: Record<string, unknown>) => { seen = allowForeignTargetFrom(o); }).parse(['node', 'x', ALLOW_FOREIGN_FLAG]);
    expect(seen).toBe(true);
    new Command('x').addOption(allowForeignTargetOption()).action((o: Record<string, unknown>) => { seen = allowForeignTargetFrom(o); }).parse(['node', 'x']);
    expect(seen).toBe(false);
  });
});
