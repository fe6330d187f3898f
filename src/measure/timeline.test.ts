import { describe, expect, it } from 'vitest';
import { Timeline, deriveIntervals, probeTimelineEvents, timelineEventFromBus } from './timeline.ts';
import type { ProbeSummary } from './outage.ts';

describe('Timeline', () => {
  it('merges events from several sources in time order and derives intervals', () => {
    const provider = new Timeline([
      { at: 1300, type: 'container.started', source: 'provider', subject: 'redis' },
      { at: 1010, type: 'container.died', source: 'provider', subject: 'redis' },
    ]);
    const probe = [{ at: 1020, type: 'probe.first-failure' as const, source: 'probe' as const, subject: 'ping' }, { at: 1900, type: 'probe.first-success' as const, source: 'probe' as const, subject: 'ping' }];
    const t = new Timeline([{ at: 1000, type: 'fault.injected', source: 'harness', subject: 'redis' }]).merge(provider, probe);
    t.add({ at: 1850, type: 'container.ready', source: 'provider', subject: 'redis' });
    expect(t.events.map((e) => e.at)).toEqual([1000, 1010, 1020, 1300, 1850, 1900]);
    const byName = Object.fromEntries(t.intervals().map((i) => [i.name, i.durationMs]));
    expect(byName['fault → first probe failure (detection)']).toBe(20);
    expect(byName['fault → first probe success']).toBe(900);
    expect(byName['container died → started']).toBe(290);
    expect(byName['container started → ready']).toBe(550);
    expect(byName['fault → endpoint ready']).toBeUndefined();
    expect(t.first('container.died')?.subject).toBe('redis');
    expect(JSON.parse(JSON.stringify(t))).toHaveLength(6);
  });

  it('keeps report order for equal timestamps and only pairs a `to` at or after its `from`', () => {
    const t = new Timeline();
    t.add({ at: 5, type: 'note', source: 'harness', detail: 'a' }).add({ at: 5, type: 'note', source: 'harness', detail: 'b' });
    expect(t.events.map((e) => e.detail)).toEqual(['a', 'b']);
    const intervals = deriveIntervals(
      [
        { at: 10, type: 'backup.completed', source: 'harness' },
        { at: 20, type: 'backup.started', source: 'harness' },
        { at: 50, type: 'backup.completed', source: 'harness' },
      ],
      [{ name: 'backup', from: 'backup.started', to: 'backup.completed' }],
    );
    expect(intervals).toEqual([{ name: 'backup', from: 'backup.started', to: 'backup.completed', start: 20, end: 50, durationMs: 30 }]);
  });

  it('stamps marks with the high-resolution clock', () => {
    const t = new Timeline();
    const before = performance.timeOrigin + performance.now();
    const e = t.mark('fault.injected', 'harness', { subject: 'x' });
    expect(e.at).toBeGreaterThanOrEqual(before);
    expect(e.at - Date.now()).toBeLessThan(50);
  });

  it('derives probe events from a summary and maps bus fault events', () => {
    const summary = {
      name: 'api',
      target: 'GET /',
      outages: [],
      rto: { faultAt: 0, outageObserved: true, firstFailureAt: 10, firstSuccessAt: 100, sustainedSuccessAt: 300, rtoMs: 300, lowerBound: false, sustainedSuccesses: 3 },
    } as unknown as ProbeSummary;
    expect(probeTimelineEvents(summary).map((e) => [e.type, e.at])).toEqual([
      ['probe.first-failure', 10],
      ['probe.first-success', 100],
      ['probe.sustained-success', 300],
    ]);
    expect(timelineEventFromBus({ kind: 'fault.injected', scenario: 's', fault: 'kill', target: 'redis', at: 7 })).toMatchObject({ at: 7, type: 'fault.injected', subject: 'redis' });
    expect(timelineEventFromBus({ kind: 'log', level: 'info', message: 'x', at: 1 })).toBeUndefined();
  });
});
