import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProbeAttempt, ProbeRecord } from './availability-probe.ts';
import { availabilityPercent, clientObservedRto, describeAnalysis, errorCount, firstFailureAfter, firstSuccessAfter, latencyStats, outageWindows, summarizeProbe } from './outage.ts';

/**
 * Attempts every 100 ms from t=0; `pattern` is one char per attempt: `.` ok (2 ms), `s` ok but slow (600 ms),
 * `x` refused (1 ms), `h` hang → timeout (1000 ms).
 */
function attemptsFrom(pattern: string, t0 = 1_000_000): ProbeAttempt[] {
  return [...pattern].map((c, i) => {
    const startedAt = t0 + i * 100;
    const ok = c === '.' || c === 's';
    const latencyMs = c === '.' ? 2 : c === 's' ? 600 : c === 'x' ? 1 : 1000;
    return { startedAt, endedAt: startedAt + latencyMs, ok, latencyMs, ...(ok ? {} : { error: c === 'x' ? 'ECONNREFUSED' : 'timeout' }) };
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
    // started meanwhile fails (client still reconnecting). That is the same outage, not a second one; it ends
    // at the earliest recovering answer (3100), since that failure was answered before it.
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
    expect(windows[0]).toMatchObject({ start: 100, end: 3100, recovered: true, failedAttempts: 2 });
    // A failure that starts after the closing answer arrived is a new outage.
    const later = outageWindows([...attempts, { startedAt: 3350, endedAt: 3351, ok: false, latencyMs: 1, error: 'x' }, { startedAt: 3450, endedAt: 3452, ok: true, latencyMs: 2 }]);
    expect(later).toHaveLength(2);
  });

  it('ends an outage at the earliest recovering answer: attempts stuck in it that time out afterwards do not extend it', () => {
    // Seen in CI calibrating a PostgreSQL pause: attempts started during the freeze timed out 100-220 ms after
    // the thaw, while an attempt started at the thaw was answered in 54 ms. The outage ended with that answer.
    const attempts: ProbeAttempt[] = [
      { startedAt: 0, endedAt: 5, ok: true, latencyMs: 5 },
      { startedAt: 100, endedAt: 600, ok: false, latencyMs: 500, error: 'timeout' },
      { startedAt: 2780, endedAt: 3283, ok: false, latencyMs: 503, error: 'timeout' },
      { startedAt: 2880, endedAt: 3404, ok: false, latencyMs: 524, error: 'timeout' },
      { startedAt: 2978, endedAt: 3450, ok: true, latencyMs: 472 },
      { startedAt: 3095, endedAt: 3447, ok: true, latencyMs: 352 },
      { startedAt: 3184, endedAt: 3238, ok: true, latencyMs: 54 },
      { startedAt: 3282, endedAt: 3300, ok: true, latencyMs: 18 },
    ];
    expect(outageWindows(attempts)).toMatchObject([{ start: 100, end: 3238, recovered: true, failedAttempts: 3 }]);
    const rto = clientObservedRto([...attempts, ...[3400, 3500, 3600, 3700].map((t) => ({ startedAt: t, endedAt: t + 5, ok: true, latencyMs: 5 }))], 50, { sustainedMs: 300 });
    expect(rto).toMatchObject({ sustainedSuccessAt: 3238, lowerBound: false, falseRecoveries: 0 });
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

  it('computes the client-observed RTO to the first run of N successes when the window is 0 ms', () => {
    // sustainedMs: 0 isolates the count rule (the default 2 s window is covered by the flapping tests below).
    const attempts = attemptsFrom('...xx.x..x.....');
    const faultAt = 1_000_250;
    const rto = clientObservedRto(attempts, faultAt, { sustainedSuccesses: 3, sustainedMs: 0 });
    expect(rto.outageObserved).toBe(true);
    expect(rto.firstFailureAt).toBe(1_000_300);
    expect(rto.firstSuccessAt).toBe(1_000_502);
    // The flaps at 6 and 9 break the runs; the first run of 3 starts at index 10.
    expect(rto.sustainedSuccessAt).toBe(1_001_002);
    expect(rto.rtoMs).toBe(752);
    expect(rto.lowerBound).toBe(false);
    expect(rto.falseRecoveries).toBe(2);
    expect(clientObservedRto(attempts, faultAt, { sustainedSuccesses: 1, sustainedMs: 0 }).rtoMs).toBe(252);
  });

  it('does not call a flapping recovery recovered: the RTO runs to the start of the first 2 s of uninterrupted successes', () => {
    // Fault at 250; down 300..700; flaps: 5 good answers (0.5 s), a failure, 12 good (1.2 s), a failure, then steady.
    const pattern = `...xxxx${'.'.repeat(5)}x${'.'.repeat(12)}x${'.'.repeat(30)}`;
    const attempts = attemptsFrom(pattern);
    const rto = clientObservedRto(attempts, 1_000_250);
    expect(rto.sustainedMs).toBe(2000);
    expect(rto.firstSuccessAt).toBe(1_000_702); // the first good answer, 0.45 s after the fault
    const steadyFrom = 3 + 4 + 5 + 1 + 12 + 1; // index of the first attempt of the steady run
    expect(rto.sustainedSuccessAt).toBe(1_000_000 + steadyFrom * 100 + 2);
    expect(rto.rtoMs).toBe(steadyFrom * 100 + 2 - 250);
    expect(rto.falseRecoveries).toBe(2);
    expect(rto.lowerBound).toBe(false);
    // The window is measured answer to answer: 2000 ms after the first answer = 21 successes at 100 ms.
    expect(rto.sustainedSuccesses).toBe(21);
    // The old rule (3 successes, no time window) would have called the first flap a recovery.
    expect(clientObservedRto(attempts, 1_000_250, { sustainedMs: 0 }).sustainedSuccessAt).toBe(1_000_702);
    // A shorter window accepts the 1.2 s run.
    expect(clientObservedRto(attempts, 1_000_250, { sustainedMs: 1000 }).sustainedSuccessAt).toBe(1_000_000 + 13 * 100 + 2);
  });

  it('says "at least" when the probe stopped inside a recovery window that had not lasted sustainedMs yet', () => {
    const rto = clientObservedRto(attemptsFrom(`..xx${'.'.repeat(15)}`), 1_000_150);
    expect(rto).toMatchObject({ outageObserved: true, lowerBound: true, sustainedSuccessAt: null, firstSuccessAt: 1_000_402 });
    expect(rto.rtoMs).toBe(1_001_802 - 1_000_150);
  });

  it('lets a slow answer break a recovery window and count as a failure when slowThresholdMs is set', () => {
    // Steady after the outage except one 600 ms answer 1 s in.
    const pattern = `..xx${'.'.repeat(10)}s${'.'.repeat(30)}`;
    const attempts = attemptsFrom(pattern);
    const lenient = clientObservedRto(attempts, 1_000_150);
    expect(lenient.sustainedSuccessAt).toBe(1_000_402);
    const strict = clientObservedRto(attempts, 1_000_150, { slowThresholdMs: 500 });
    expect(strict.sustainedSuccessAt).toBe(1_000_000 + 15 * 100 + 2);
    expect(strict.falseRecoveries).toBe(1);
    expect(availabilityPercent(attempts, { slowThresholdMs: 500 })).toBeCloseTo((100 * (attempts.length - 3)) / attempts.length);
    expect(outageWindows(attempts, { slowThresholdMs: 500 })).toHaveLength(2);
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
    const summary = summarizeProbe(record, { faultAt: 1_000_150, sustainedSuccesses: 2, sustainedMs: 0 });
    expect(summary).toMatchObject({ attempts: 9, successes: 6, errorCount: 3, totalOutageMs: 302, longestOutageMs: 302, slowAnswers: 0 });
    expect(summary.slowThresholdMs).toBeUndefined();
    expect(summary.rto?.rtoMs).toBe(352);
  });

  it('summarizes slow answers as failures end to end when slowThresholdMs is given, and says so', () => {
    const attempts = attemptsFrom(`....ss${'.'.repeat(24)}`);
    const record: ProbeRecord = { name: 'entry', kind: 'http', target: 'GET /', intervalMs: 100, timeoutMs: 1000, startedAt: 1_000_000, stoppedAt: 1_003_000, attempts, skippedTicks: 0 };
    const summary = summarizeProbe(record, { faultAt: 1_000_350, slowThresholdMs: 500 });
    expect(summary).toMatchObject({ slowThresholdMs: 500, slowAnswers: 2, errorCount: 2, successes: 28 });
    expect(summary.availabilityPercent).toBeCloseTo((28 / 30) * 100);
    expect(summary.outages).toHaveLength(1);
    expect(summary.outages[0]!.errors).toEqual([{ error: 'slower than threshold', count: 2 }]);
    // Latency statistics still include the slow answers: hiding them would flatter the p99.
    expect(summary.latency.max).toBe(600);
    expect(summary.rto).toMatchObject({ outageObserved: true, lowerBound: false, sustainedSuccessAt: 1_000_602 });
    const text = describeAnalysis(summary);
    expect(text).toContain('answers slower than 500 ms count as failures');
    expect(text).toContain('recovered = 2 s of uninterrupted successes');
    expect(text).toContain('first success of that window');
    // Without the option a slow answer is a success.
    expect(summarizeProbe(record, { faultAt: 1_000_350 })).toMatchObject({ errorCount: 0, slowAnswers: 0, rto: { outageObserved: false } });
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
