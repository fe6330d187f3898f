import { describe, expect, it } from 'vitest';
import { compactRanges, computeRpo, type SentinelWrite } from './rpo.ts';

/** Writes every 100 ms from t=10_000, seq 0..n-1; `unacked` seqs failed. */
function writes(n: number, unacked: number[] = []): SentinelWrite[] {
  return Array.from({ length: n }, (_, seq) => {
    const t = 10_000 + seq * 100;
    return { seq, writtenAt: t, sentAt: t, settledAt: t + 2, acked: !unacked.includes(seq), ...(unacked.includes(seq) ? { error: 'ECONNREFUSED' } : {}) };
  });
}
const survivors = (seqs: number[]) => seqs.map((seq) => ({ seq, writtenAt: 10_000 + seq * 100 }));
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('computeRpo', () => {
  it('is 0 when every acknowledged write from before the fault survived', () => {
    const r = computeRpo({ writes: writes(20, [15, 16]), survivors: survivors([...range(0, 14), ...range(17, 19)]), faultAt: 11_450 });
    expect(r).toMatchObject({ rpoMs: 0, lostAcked: [], acked: 18, unacked: 2, ackedBeforeFault: 15, lowerBound: false });
    expect(r.recoveryPoint).toEqual({ seq: 14, writtenAt: 11_400 });
    expect(r.summary).toContain('RPO 0 ms');
  });

  it('is fault − newest surviving acknowledged write when the tail was lost (Redis AOF everysec)', () => {
    // Fault at t=11_950 (between seq 19 and 20); seq 12..19 lost.
    const r = computeRpo({ writes: writes(30), survivors: survivors([...range(0, 11), ...range(20, 29)]), faultAt: 11_950 });
    expect(r.lostAcked).toEqual(range(12, 19));
    expect(r.recoveryPoint).toEqual({ seq: 11, writtenAt: 11_100 });
    expect(r.rpoMs).toBe(850);
    expect(r.holes).toEqual([]);
    expect(r.summary).toContain('seq 12-19');
  });

  it('uses the last point before which nothing was lost when the loss has holes', () => {
    const r = computeRpo({ writes: writes(20), survivors: survivors([...range(0, 4), ...range(6, 19)]), faultAt: 12_000 });
    expect(r.lostAcked).toEqual([5]);
    expect(r.holes).toEqual([5]);
    expect(r.newestSurvivor?.seq).toBe(19);
    expect(r.recoveryPoint?.seq).toBe(4);
    expect(r.rpoMs).toBe(12_000 - 10_400);
  });

  it('reports a lower bound when even the first acknowledged write was lost', () => {
    const r = computeRpo({ writes: writes(10), survivors: [], faultAt: 11_000 });
    expect(r).toMatchObject({ lowerBound: true, rpoMs: 1_000, recoveryPoint: null });
    expect(r.summary).toContain('RPO ≥ 1000 ms');
  });

  it('keeps writes acknowledged after the fault out of the RPO but lists their loss', () => {
    const r = computeRpo({ writes: writes(10), survivors: survivors(range(0, 6)), faultAt: 10_650 });
    expect(r.lostAcked).toEqual([]);
    expect(r.lostAckedAfterFault).toEqual([7, 8, 9]);
    expect(r.rpoMs).toBe(0);
  });

  it('flags unacknowledged survivors, timestamp mismatches and records it never wrote', () => {
    const s = survivors(range(0, 9));
    s[3] = { seq: 3, writtenAt: 99 };
    const r = computeRpo({ writes: writes(10, [8]).filter((w) => w.seq !== 5), survivors: s, faultAt: 20_000 });
    expect(r.survivedUnacked).toBe(1);
    expect(r.timestampMismatches).toEqual([3]);
    expect(r.unexpected).toEqual([5]);
  });

  it('compacts sequence numbers into ranges', () => {
    expect(compactRanges([9, 1, 2, 3, 7, 10, 2])).toBe('1-3,7,9-10');
    expect(compactRanges([])).toBe('');
  });
});
