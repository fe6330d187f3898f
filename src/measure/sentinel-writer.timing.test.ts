import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ProdlikeError } from '../core/errors.ts';
import { hrNow } from './clock.ts';
import { SentinelWriter, type SentinelSink } from './sentinel-writer.ts';

/**
 * An in-memory store standing in for "a store", to test the writer's bookkeeping (schedule, acks,
 * read-back, RPO wiring). Real stores are exercised in sentinel-writer.int.test.ts.
 */
function memorySink(options: { failWhen?: () => boolean; readBackFails?: boolean } = {}) {
  const rows = new Map<number, number>();
  const sink: SentinelSink & { rows: Map<number, number> } = {
    kind: 'memory',
    target: 'a Map',
    rows,
    async prepare() {
      return { nextSeq: rows.size === 0 ? 0 : Math.max(...rows.keys()) + 1 };
    },
    async write(record) {
      if (options.failWhen?.()) throw new Error('store unavailable');
      rows.set(record.seq, record.writtenAt);
    },
    async readBack({ fromSeq, toSeq }) {
      if (options.readBackFails) throw new Error('connection refused');
      return [...rows].filter(([seq]) => seq >= fromSeq && seq <= toSeq).map(([seq, writtenAt]) => ({ seq, writtenAt }));
    },
    async close() {},
  };
  return sink;
}

describe('SentinelWriter', () => {
  it('writes at a fixed rate and computes RPO 0 when nothing acknowledged was lost', async () => {
    const sink = memorySink();
    await using writer = await new SentinelWriter(sink, { ratePerSecond: 50 }).start();
    await delay(300);
    const faultAt = hrNow();
    const log = await writer.stop();
    expect(log.writes.length).toBeGreaterThanOrEqual(12);
    expect(log.writes.every((w) => w.acked && Number.isInteger(w.writtenAt))).toBe(true);
    expect(log.writes.map((w) => w.seq)).toEqual(log.writes.map((_, i) => i));
    const v = await writer.verify({ faultAt });
    expect(v).toMatchObject({ rpoMs: 0, lostAcked: [], sink: 'memory', pendingSeqs: [] });
    expect(v.ackedBeforeFault).toBe(log.writes.length);
  });

  it('measures the window lost when the store drops its newest records', async () => {
    const sink = memorySink();
    const writer = await new SentinelWriter(sink, { ratePerSecond: 50 }).start();
    await delay(500);
    await writer.stop();
    const faultAt = hrNow();
    // "Crash": the store loses everything written in the last 200 ms before the fault.
    for (const [seq, ts] of sink.rows) if (ts > faultAt - 200) sink.rows.delete(seq);
    const v = await writer.verify({ faultAt });
    expect(v.lostAcked.length).toBeGreaterThanOrEqual(7);
    expect(v.rpoMs).toBeGreaterThanOrEqual(200);
    expect(v.rpoMs).toBeLessThan(200 + 40);
    expect(v.summary).toMatch(/acknowledged write\(s\) lost/);
  });

  it('counts writes the store refused as unacknowledged, not lost', async () => {
    let failing = false;
    const writer = await new SentinelWriter(memorySink({ failWhen: () => failing }), { ratePerSecond: 100 }).start();
    await delay(100);
    failing = true;
    await delay(100);
    failing = false;
    await delay(100);
    const log = await writer.stop();
    const v = await writer.verify({ faultAt: hrNow() });
    expect(log.writes.some((w) => !w.acked && w.error === 'store unavailable')).toBe(true);
    expect(v.unacked).toBeGreaterThan(0);
    expect(v.lostAcked).toEqual([]);
  });

  it('turns a failed read-back into an environment error (exit 3), never a result', async () => {
    const writer = await new SentinelWriter(memorySink({ readBackFails: true }), { ratePerSecond: 20 }).start();
    await delay(60);
    await writer.stop();
    const error = await writer.verify({ faultAt: hrNow() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProdlikeError);
    expect((error as ProdlikeError).exitCode).toBe(3);
    expect((error as ProdlikeError).message).toMatch(/Could not read back sentinel records from a Map: connection refused/);
  });
});
