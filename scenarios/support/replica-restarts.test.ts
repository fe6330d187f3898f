import { describe, expect, it } from 'vitest';
import { compareRestarts, replicaRestarts } from './replica-restarts.ts';

const r = (id: string, restarts: number) => ({ id, name: `backend-${id}`, restarts });

describe('compareRestarts', () => {
  it('a replica gone (HPA scale-down) is not a restart; a rising count on the same replica is', () => {
    const before = replicaRestarts([r('a', 1), r('b', 0), r('c', 0)]);
    const scaledDown = compareRestarts(before, replicaRestarts([r('a', 1), r('b', 0)]));
    expect(scaledDown).toMatchObject({ restarted: [], removed: ['backend-c'], added: [] });
    expect(scaledDown.text).toMatch(/no replica restarted; gone \(scaled down or replaced, not a restart\): backend-c/);
    const restarted = compareRestarts(before, replicaRestarts([r('a', 1), r('b', 1), r('c', 0), r('d', 0)]));
    expect(restarted).toMatchObject({ restarted: ['backend-b (0 → 1)'], removed: [], added: ['backend-d'] });
  });
});
