import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CycleQueue, type ChangeBatch } from './cycle-queue.ts';

describe('CycleQueue (prodlike dev: debounced, one cycle at a time)', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  function queue() {
    const batches: ChangeBatch[] = [];
    let finish: (() => void) | undefined;
    let running = 0;
    let maxRunning = 0;
    const errors: unknown[] = [];
    const q = new CycleQueue({
      debounceMs: 300,
      run: (batch) => {
        batches.push(batch);
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        return new Promise<void>((resolve) => { finish = () => { running -= 1; resolve(); }; });
      },
      onError: (e) => errors.push(e),
    });
    return { q, batches, errors, finish: () => finish?.(), maxRunning: () => maxRunning };
  }

  it('waits for 300 ms without a change, then runs one cycle with every change and the first change\'s time', async () => {
    const { q, batches } = queue();
    q.notify(['app'], '/p/a.ts', 1000);
    await vi.advanceTimersByTimeAsync(200);
    q.notify(['app', 'web'], '/p/b.ts', 900);
    await vi.advanceTimersByTimeAsync(200);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(batches).toEqual([{ images: ['app', 'web'], paths: ['/p/a.ts', '/p/b.ts'], firstChangeAt: 900 }]);
  });

  it('changes during a cycle queue exactly one more cycle after it, never two at once', async () => {
    const { q, batches, finish, maxRunning } = queue();
    q.notify(['app'], '/p/a.ts', 1);
    await vi.advanceTimersByTimeAsync(300);
    q.notify(['app'], '/p/b.ts', 2);
    q.notify(['app'], '/p/c.ts', 3);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(batches).toHaveLength(1);
    expect(q.idle).toBe(false);
    finish();
    await vi.advanceTimersByTimeAsync(300);
    expect(batches.map((b) => b.paths)).toEqual([['/p/a.ts'], ['/p/b.ts', '/p/c.ts']]);
    expect(maxRunning()).toBe(1);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(q.idle).toBe(true);
    await q.whenIdle();
  });

  it('ignores a change that affects no image; a failing cycle goes to onError and the queue keeps going', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const q = new CycleQueue({ debounceMs: 10, run: async () => { calls += 1; if (calls === 1) throw new Error('boom'); }, onError: (e) => errors.push(e) });
    q.notify([], '/p/README.md', 1);
    await vi.advanceTimersByTimeAsync(50);
    expect(calls).toBe(0);
    q.notify(['app'], '/p/a.ts', 1);
    await vi.advanceTimersByTimeAsync(50);
    q.notify(['app'], '/p/a.ts', 2);
    await vi.advanceTimersByTimeAsync(50);
    expect(calls).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
  });

  it('close(): no new cycle, whenIdle waits for the running one', async () => {
    const { q, batches, finish } = queue();
    q.notify(['app'], '/p/a.ts', 1);
    await vi.advanceTimersByTimeAsync(300);
    q.notify(['app'], '/p/b.ts', 2);
    q.close();
    let idle = false;
    void q.whenIdle().then(() => { idle = true; });
    await vi.advanceTimersByTimeAsync(0);
    expect(idle).toBe(false);
    finish();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(idle).toBe(true);
    expect(batches).toHaveLength(1);
  });
});
