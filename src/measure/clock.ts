/**
 * The one clock of the measurement code: epoch milliseconds with sub-millisecond resolution,
 * `performance.timeOrigin + performance.now()`. Monotonic within a process (unlike `Date.now()`, it does
 * not jump when NTP adjusts the wall clock), and on the same epoch scale as `Date.now()` so probe
 * attempts, sentinel writes and EventBus events (`at: Date.now()`) can share one timeline. The two
 * clocks may drift apart by a few milliseconds over hours; events that need sub-ms precision relative
 * to probe attempts must be stamped with `hrNow()`.
 */
export function hrNow(): number {
  return performance.timeOrigin + performance.now();
}
