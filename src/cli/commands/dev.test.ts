import { describe, expect, it } from 'vitest';
import type { DevCycleEvent } from '../../core/events.ts';
import { cycleLine } from './dev.ts';

const base: DevCycleEvent = { kind: 'dev.cycle', cycle: 3, outcome: 'rolled-out', images: ['team/app:1'], paths: ['app/src/backend.ts'], buildMs: 6100, rolloutMs: 2000, readyMs: 9300, totalMs: 17_800, rolled: 'backend ×3, worker ×1 on team/app:1' };
const at = new Date('2026-12-04T13:52:07Z');

describe('prodlike dev: one line per cycle', () => {
  it('a roll-out: what changed, what runs it now, each phase and edit→ready', () => {
    expect(cycleLine(base, at)).toBe('✔ 13:52:07 #3 app/src/backend.ts → backend ×3, worker ×1 on team/app:1 · build 6.10s · roll-out 2.00s · ready 9.30s · edit→ready 17.8s');
    expect(cycleLine({ ...base, loadMs: 4200, paths: ['a', 'b', 'c'] }, at)).toMatch(/#3 a, b \+1 → .* · build 6\.10s · load 4\.20s · roll-out/);
  });

  it('a failed build: its last lines and that the running image keeps running', () => {
    const text = cycleLine({ ...base, outcome: 'build-failed', tail: ['src/backend.ts:3:1: ERROR: Expected ";"'], error: 'Building team/app:1 failed (exit 1)' }, at);
    expect(text.split('\n')).toEqual([
      '✖ 13:52:07 #3 app/src/backend.ts: build failed after 6.10s; the running image keeps running, still watching',
      '    │ src/backend.ts:3:1: ERROR: Expected ";"',
      '    Building team/app:1 failed (exit 1)',
    ]);
  });

  it('nothing to do when the inputs hash did not change', () => {
    expect(cycleLine({ ...base, outcome: 'up-to-date' }, at)).toContain('team/app:1 up to date');
  });
});
