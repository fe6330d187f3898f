import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProbeAttempt, ProbeRecord } from './availability-probe.ts';
import { availabilityPercent, clientObservedRto, errorCount, firstFailureAfter, firstSuccessAfter, latencyStats, outageWindows, summarizeProbe } from './outage.ts';

/** Attempts every 100 ms from t=0; `pattern` is one char per attempt: `.` ok (2 ms), `x` refused (1 ms), `h` hang → timeout (1000 ms). */
function attemptsFrom(pattern: string, t0 = 1_000_000): ProbeAttempt[] {
  return [...pattern].map((c, i) => {
    const startedAt = t0 + i * 100;
    const latencyMs = c === '.' ? 2 : c === 'x' ? 1 : 1000;
    return { startedAt, endedAt: startedAt + latencyMs, ok: c === '.', latencyMs, ...(c === '.' ? {} : { error: c === 'x' ? 'ECONNREFUSED' : 'timeout' }) };
  });
}

describe('outage analysis', () => {
  it('opens a window at the first failure start and closes it at the end of the first success', () => {
    const attempts = attemptsFrom('...xxxxx...');
    const [w, ...rest] = outageWindows(attempts);
    expect(rest).toEqual([]);
    expect(w).toMatchObject({ start: 1_000_300, end: 1_000_802, durationMs: 502, recovered: true, failedAttempts: 5, errors: [{ error: 'ECONNREFUSED', count: 5 }] });
    expect(errorCount(attempts)).toBe(5);
    expect(availabilityPercent(attempts)).toBeCloseTo((6 / 11) * 100);
  });

  it('measures a hang from the first timed-out attempt to the first answer after it', () => {
    // Hang from t=300 to t=3300: attempts started 300..2200 time out; those started 2300..3200 are answered at 3300.
    const t0 = 0;
    const attempts: ProbeAttempt[] = [];
    for (let i = 0; i < 40; i += 1) {
      const s = t0 + i * 100;
      if (s < 300 || s >= 3300) attempts.push({ startedAt: s, endedAt: s + 1, ok: true, latencyMs: 1 });
      else if (s + 1000 <= 3300) attempts.push({ startedAt: s, endedAt: s + 1000, ok: false, latencyMs: 1000, error: 'timeout' });
      else attempts.push({ startedAt: s, endedAt: 3300.5, ok: true, latencyMs: 3300.5 - s });
    }
    const windows = outageWindows(attempts);
    expect(windows).toHaveLength(1);
    expect(windows[0]!.start).toBe(300);
    expect(windows[0]!.end).toBe(3300.5);
    expect(windows[0]!.durationMs).toBeCloseTo(3000.5);
    // With a client-side threshold the slow answers are failures and the outage ends with the first fast one.
    const strict = outageWindows(attempts, { slowThresholdMs: 50 });
    expect(strict[0]!.end).toBe(3301);
  });

  it('keeps one window when a failure started before the recovering answer arrived (overlapping attempts)', () => {
    // Seen in CI with Redis after `docker pause`: the answer that closes the outage takes 100 ms, and an attempt
    // started meanwhile fails (client still reconnecting). That is the same outage, not a second one.
    const attempts: ProbeAttempt[] = [
      { startedAt: 0, endedAt: 1, ok: true, latencyMs: 1 },
      { startedAt: 100, endedAt: 600, ok: false, latencyMs: 500, error: 'timeout' },
      { startedAt: 3000, endedAt: 3100, ok: true, latencyMs: 100 },
      { startedAt: 3050, endedAt: 3051, ok: false, latencyMs: 1, error: 'reconnecting' },
      { startedAt: 3150, endedAt: 3152, ok: true, latencyMs: 2 },
      { startedAt: 3250, endedAt: 3252, ok: true, latencyMs: 2 },
    ];
    const windows = outageWindows(attempts);
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ start: 100, end: 3152, recovered: true, failedAttempts: 2 });
    // A failure that starts after the closing answer arrived is a new outage.
    const later = outageWindows([...attempts, { startedAt: 3350, endedAt: 3351, ok: false, latencyMs: 1, error: 'x' }, { startedAt: 3450, endedAt: 3452, ok: true, latencyMs: 2 }]);
    expect(later).toHaveLength(2);
  });

  it('reports an outage still open when the probe stopped as not recovered', () => {
    const [w] = outageWindows(attemptsFrom('..xxx'));
    expect(w).toMatchObject({ recovered: false, start: 1_000_200, end: 1_000_401 });
  });

  it('finds the first failure after a fault and the first success after it', () => {
    const attempts = attemptsFrom('x...xx..');
    const failure = firstFailureAfter(attempts, 1_000_050);
    expect(failure?.startedAt).toBe(1_000_400);
    expect(firstSuccessAfter(attempts, failure!)?.startedAt).toBe(1_000_600);
  });

  it('computes the client-observed RTO to the first sustained run of successes', () => {
    const attempts = attemptsFrom('...xx.x..x.....');
    const faultAt = 1_000_250;
    const rto = clientObservedRto(attempts, faultAt, { sustainedSuccesses: 3 });
    expect(rto.outageObserved).toBe(true);
    expect(rto.firstFailureAt).toBe(1_000_300);
    expect(rto.firstSuccessAt).toBe(1_000_502);
    // The flaps at 6 and 9 break the runs; the first run of 3 starts at index 10.
    expect(rto.sustainedSuccessAt).toBe(1_001_002);
    expect(rto.rtoMs).toBe(752);
    expect(rto.lowerBound).toBe(false);
    expect(clientObservedRto(attempts, faultAt, { sustainedSuccesses: 1 }).rtoMs).toBe(252);
  });

  it('says RTO 0 when the client saw no failure after the fault, and "at least" when it never recovered', () => {
    expect(clientObservedRto(attemptsFrom('x......'), 1_000_050)).toMatchObject({ outageObserved: false, rtoMs: 0, lowerBound: false });
    const open = clientObservedRto(attemptsFrom('..xx..'), 1_000_150, { sustainedSuccesses: 3 });
    expect(open).toMatchObject({ outageObserved: true, sustainedSuccessAt: null, lowerBound: true });
    expect(open.rtoMs).toBe(1_000_502 - 1_000_150);
  });

  it('computes latency percentiles of successful attempts with the HDR histogram', () => {
    const attempts: ProbeAttempt[] = Array.from({ length: 100 }, (_, i) => ({ startedAt: i, endedAt: i + i + 1, ok: true, latencyMs: i + 1 }));
    attempts.push({ startedAt: 200, endedAt: 5200, ok: false, latencyMs: 5000, error: 'timeout' });
    const stats = latencyStats(attempts);
    expect(stats.count).toBe(100);
    expect(stats.p50).toBeCloseTo(50, 0);
    expect(stats.p95).toBeCloseTo(95, 0);
    expect(stats.p99).toBeCloseTo(99, 0);
    expect(stats.max).toBe(100);
    expect(latencyStats([])).toMatchObject({ count: 0, p95: null });
  });

  it('summarizes a probe record', () => {
    const attempts = attemptsFrom('..xxx....');
    const record: ProbeRecord = { name: 'api', kind: 'http', target: 'GET /', intervalMs: 100, timeoutMs: 1000, startedAt: 1_000_000, stoppedAt: 1_000_900, attempts, skippedTicks: 0 };
    const summary = summarizeProbe(record, { faultAt: 1_000_150, sustainedSuccesses: 2 });
    expect(summary).toMatchObject({ attempts: 9, successes: 6, errorCount: 3, totalOutageMs: 302, longestOutageMs: 302 });
    expect(summary.rto?.rtoMs).toBe(352);
  });

  it('never reports more outage than the probed span, and windows never overlap (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('.', 'x', 'h'), { minLength: 1, maxLength: 200 }), (chars) => {
        const attempts = attemptsFrom(chars.join(''), 0);
        const windows = outageWindows(attempts);
        const span = Math.max(...attempts.map((a) => a.endedAt)) - attempts[0]!.startedAt;
        expect(windows.reduce((s, w) => s + w.durationMs, 0)).toBeLessThanOrEqual(span + 1e-9);
        for (let i = 1; i < windows.length; i += 1) expect(windows[i]!.start).toBeGreaterThanOrEqual(windows[i - 1]!.start);
        expect(windows.reduce((s, w) => s + w.failedAttempts, 0)).toBe(errorCount(attempts));
      }),
    );
  });
});
