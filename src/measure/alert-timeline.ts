import { ProdlikeError } from '../core/errors.ts';
import { table } from '../core/text-table.ts';
import { hrNow } from './clock.ts';

/**
 * Which alerts fired, and when: a watcher of Prometheus' `/api/v1/alerts` (pending and firing alerts, each with the
 * `activeAt` at which its expression first held) and a verdict helper that holds an alert to the window a rule
 * promises: it must fire within `for:` + one scrape + one evaluation (+ a stated margin) after the fault's effect.
 *
 * Per alert instance (alert name + labels):
 * - pendingAt: Prometheus' activeAt (the evaluation at which the expression first held);
 * - firingAt: the first poll that saw it firing (Prometheus gives no firing timestamp: an upper bound, within one
 *   poll interval; never before activeAt + for:);
 * - resolvedAt: the first poll that no longer listed it (the API lists only pending and firing alerts).
 */

export type AlertState = 'pending' | 'firing';
export interface AlertRecord {
  alert: string;
  labels: Record<string, string>;
  /** Epoch ms (Prometheus' activeAt). */
  pendingAt: number;
  firingAt?: number;
  resolvedAt?: number;
}

interface ApiAlert { labels?: Record<string, string>; state?: string; activeAt?: string }

const keyOf = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

/**
 * Polls `<baseUrl>/api/v1/alerts` every `intervalMs` (default 1 s) from start() to stop(). Every instance seen is kept,
 * resolved ones included; a poll error is kept as a note (the series goes on), never thrown from the loop.
 */
export class AlertTimeline {
  readonly #url: string;
  readonly #intervalMs: number;
  readonly #records = new Map<string, AlertRecord>();
  readonly errors: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #stopped = false;

  constructor(baseUrl: string, options: { intervalMs?: number } = {}) {
    this.#url = `${baseUrl.replace(/\/$/, '')}/api/v1/alerts`;
    this.#intervalMs = options.intervalMs ?? 1000;
  }

  /** One poll now (start() fails when Prometheus does not answer: the watcher would record nothing). */
  async start(): Promise<this> {
    await this.#poll(true);
    this.#schedule();
    return this;
  }

  async stop(): Promise<AlertRecord[]> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#polling;
    return this.records();
  }

  records(): AlertRecord[] {
    return [...this.#records.values()].map((r) => ({ ...r, labels: { ...r.labels } })).sort((a, b) => a.pendingAt - b.pendingAt);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#polling = this.#poll(false).finally(() => this.#schedule());
    }, this.#intervalMs);
  }

  async #poll(strict: boolean): Promise<void> {
    const at = hrNow();
    let alerts: ApiAlert[];
    try {
      const res = await fetch(this.#url, { signal: AbortSignal.timeout(Math.max(2000, this.#intervalMs * 2)) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = (await res.json()) as { status?: string; data?: { alerts?: ApiAlert[] } };
      if (body.status !== 'success' || !Array.isArray(body.data?.alerts)) throw new Error(`unexpected answer (status ${String(body.status)})`);
      alerts = body.data.alerts;
    } catch (error) {
      const message = `${new Date(at).toISOString()} ${this.#url}: ${(error as Error).message}`;
      if (strict) throw new ProdlikeError('PROVIDER_FAILED', `Prometheus' alerts API does not answer: ${message}`, { hint: 'The monitoring add-on of the kind provider (monitoring.enabled) serves it on 127.0.0.1:<ports.entry+7>.' });
      this.errors.push(message);
      return;
    }
    const seen = new Set<string>();
    for (const a of alerts) {
      const labels = a.labels ?? {};
      const alert = labels.alertname ?? '?';
      const activeAt = a.activeAt ? Date.parse(a.activeAt) : at;
      // A new activeAt is a new episode of the same instance (it resolved between two polls and came back).
      const key = `${keyOf(labels)}@${activeAt}`;
      seen.add(key);
      const record = this.#records.get(key) ?? { alert, labels, pendingAt: activeAt };
      if (a.state === 'firing' && record.firingAt === undefined) record.firingAt = at;
      this.#records.set(key, record);
    }
    for (const [key, record] of this.#records) if (record.resolvedAt === undefined && !seen.has(key)) record.resolvedAt = at;
  }
}

/** What a scenario expects of one alert, from the rule and the fault's effect. */
export interface AlertExpectation {
  alert: string;
  /** The rule's `for:` (ms). */
  forMs: number;
  /** When the alert's condition started (the fault's effect on what the rule reads), epoch ms. */
  conditionAt: number;
  /** When the condition ended (the fault healed and the service back), epoch ms; undefined = still on at the end. */
  conditionEndAt?: number;
  /** Only instances with these labels count (e.g. { job: 'redis' }). */
  labels?: Record<string, string>;
}

export interface AlertTiming {
  /** Prometheus' scrape interval and rule evaluation interval (ms). */
  scrapeMs: number;
  evaluationMs: number;
  /** Stated slack on top: the exporter's readiness period, the watcher's poll interval, scheduling. */
  marginMs: number;
}

export interface AlertVerdict {
  alert: string;
  /** fire: the condition outlasted the whole window; no fire: it lasted less than for:; either: in between. */
  expected: 'fire' | 'no fire' | 'either';
  /** [earliest, latest] fire time relative to conditionAt (ms), when expected to fire. */
  windowMs: [number, number];
  pendingAfterMs?: number;
  firedAfterMs?: number;
  resolvedAfterMs?: number;
  /** OPEN: not judged, its window ends after what was observed (a caller's verdict; judgeAlert gives PASS or FAIL). */
  verdict: 'PASS' | 'FAIL' | 'OPEN';
  reason: string;
}

/**
 * Holds the alert to its rule: when the condition lasted at least for: + scrape + evaluation, it must fire between
 * conditionAt + for: and conditionAt + for: + scrape + evaluation + margin ("fired late" after, "never fired" without);
 * when it lasted less than for:, firing is the failure (a rule that pages on blips) and not firing is correct; in
 * between, either outcome is right.
 * Instances pending before the condition started (an earlier fault's) do not count.
 */
export function judgeAlert(records: readonly AlertRecord[], expectation: AlertExpectation, timing: AlertTiming): AlertVerdict {
  const { conditionAt, forMs } = expectation;
  const slack = timing.scrapeMs + timing.evaluationMs;
  const window: [number, number] = [forMs, forMs + slack + timing.marginMs];
  const matching = records.filter((r) => r.alert === expectation.alert && Object.entries(expectation.labels ?? {}).every(([k, v]) => r.labels[k] === v) && r.pendingAt >= conditionAt - timing.evaluationMs);
  const fired = matching.find((r) => r.firingAt !== undefined);
  const first = fired ?? matching[0];
  const rel = (t: number | undefined) => (t === undefined ? undefined : t - conditionAt);
  const lasted = expectation.conditionEndAt === undefined ? Infinity : expectation.conditionEndAt - conditionAt;
  const expected = lasted >= window[1] ? 'fire' : lasted < forMs ? 'no fire' : 'either';
  const base = {
    alert: expectation.alert, expected, windowMs: window,
    ...(first ? { pendingAfterMs: rel(first.pendingAt)! } : {}),
    ...(fired?.firingAt !== undefined ? { firedAfterMs: rel(fired.firingAt)! } : {}),
    ...(first?.resolvedAt !== undefined ? { resolvedAfterMs: rel(first.resolvedAt)! } : {}),
  } as const;
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  if (expected === 'no fire') {
    if (fired) return { ...base, verdict: 'FAIL', reason: `fired although its condition lasted ${s(lasted)}, less than for: ${s(forMs)} + ${s(slack)}` };
    return { ...base, verdict: 'PASS', reason: `not fired: the condition lasted ${s(lasted)}, shorter than for: ${s(forMs)}${first ? ' (it went pending, as it should)' : ''}` };
  }
  if (expected === 'either') return { ...base, verdict: 'PASS', reason: `${fired ? 'fired' : 'not fired'}: the condition lasted ${s(lasted)}, between for: and the end of the window, where either is right` };
  if (!fired) return { ...base, verdict: 'FAIL', reason: `never fired${first ? ' (went pending only)' : ''}: expected within ${s(window[0])}..${s(window[1])} of the condition` };
  const after = fired.firingAt! - conditionAt;
  if (after > window[1]) return { ...base, verdict: 'FAIL', reason: `fired late: ${s(after)} after the condition, the window ends at ${s(window[1])}` };
  return { ...base, verdict: 'PASS', reason: `fired ${s(after)} after the condition (window ${s(window[0])}..${s(window[1])})` };
}

/** The alert table of a scenario: alert, expected window, pending, fired, resolved (relative to the condition), verdict. */
export function renderAlertTable(verdicts: readonly AlertVerdict[]): string {
  const s = (ms: number | undefined) => (ms === undefined ? '-' : `+${(ms / 1000).toFixed(1)} s`);
  return table(['alert', 'expected', 'window', 'pending', 'fired', 'resolved', 'verdict'], verdicts.map((v) => [
    v.alert, v.expected, v.expected === 'no fire' ? `none (< for: ${(v.windowMs[0] / 1000).toFixed(0)} s)` : `${s(v.windowMs[0])}..${s(v.windowMs[1])}`, s(v.pendingAfterMs), s(v.firedAfterMs), s(v.resolvedAfterMs), `${v.verdict}: ${v.reason}`,
  ]));
}
