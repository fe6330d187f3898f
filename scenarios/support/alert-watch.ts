import { AlertTimeline, judgeAlert, renderAlertTable, type AlertExpectation, type AlertTiming, type AlertVerdict } from '../../src/measure/alert-timeline.ts';
import { hrNow } from '../../src/measure/clock.ts';
import { waitFor } from '../../src/core/wait.ts';
import { prometheusHostPort } from '../../src/providers/kind/cluster-config.ts';
import { alertingRules, readRuleFiles, type RuleSpec } from '../../src/providers/kind/monitoring-config.ts';
import type { ScenarioEnvironment } from './scenario-env.ts';

/**
 * The documented alerts during a suite (issue #21): one AlertTimeline on the monitoring add-on's Prometheus for the
 * whole suite; each scenario says which alerts its fault is meant to raise and when their condition started and ended,
 * and gets the verdicts (judgeAlert) and a table. Alerts whose window ends after the scenario (PodCrashLooping's for:
 * 5m after a crash) are judged once more at the end of the suite, with everything the watcher saw until then.
 */

/** What a scenario declares: an alert of the rule files, the labels of the instance meant, the condition's span. */
export interface ScenarioAlert { alert: string; labels?: Record<string, string>; conditionAt: number; conditionEndAt?: number; note?: string }
export interface AlertRow extends AlertVerdict { scenario: string; note?: string }

export class AlertWatch {
  readonly rows: AlertRow[] = [];
  readonly #deferred: { scenario: string; expectation: ScenarioAlert }[] = [];
  readonly #timeline: AlertTimeline;
  readonly rules: RuleSpec[];
  readonly timing: AlertTiming;

  constructor(timeline: AlertTimeline, rules: RuleSpec[], timing: AlertTiming) {
    this.#timeline = timeline;
    this.rules = rules;
    this.timing = timing;
  }

  rule(alert: string): RuleSpec {
    const rule = this.rules.find((r) => r.alert === alert);
    if (!rule) throw new Error(`no alerting rule ${alert} in monitoring.rules (${this.rules.map((r) => r.alert).join(', ')})`);
    return rule;
  }

  /** The latest an alert may fire after its condition started: for: + scrape + evaluation + margin. */
  windowEndMs(alert: string): number {
    return this.rule(alert).forMs + this.timing.scrapeMs + this.timing.evaluationMs + this.timing.marginMs;
  }

  #judge(expectation: ScenarioAlert, observedUntil: number): AlertVerdict {
    const rule = this.rule(expectation.alert);
    const e: AlertExpectation = { alert: rule.alert, forMs: rule.forMs, conditionAt: expectation.conditionAt, ...(expectation.labels ? { labels: expectation.labels } : {}) };
    // A condition still on when observation ended counts up to then: an alert cannot be held to a window not yet over.
    const end = Math.min(expectation.conditionEndAt ?? observedUntil, observedUntil);
    return judgeAlert(this.#timeline.records(), { ...e, conditionEndAt: end }, this.timing);
  }

  /**
   * Judges a scenario's alerts now (after waiting, at most 30 s, for those that fired to resolve once their condition
   * ended); those whose window ends after now are deferred to the end of the suite. Returns the rows and their table.
   */
  async scenario(scenario: string, alerts: ScenarioAlert[]): Promise<{ rows: AlertRow[]; table: string }> {
    const now = () => hrNow();
    const fired = (a: ScenarioAlert) => this.#timeline.records().filter((r) => r.alert === a.alert && r.firingAt !== undefined && r.pendingAt >= a.conditionAt - this.timing.evaluationMs && Object.entries(a.labels ?? {}).every(([k, v]) => r.labels[k] === v));
    const ended = alerts.filter((a) => a.conditionEndAt !== undefined && fired(a).length);
    if (ended.length) {
      await waitFor(async () => ended.every((a) => fired(a).every((r) => r.resolvedAt !== undefined)), { timeoutMs: 30_000, intervalMs: 500, description: `${ended.map((a) => a.alert).join(', ')} to resolve` }).catch(() => undefined);
    }
    const rows: AlertRow[] = [];
    for (const a of alerts) {
      if (a.conditionAt + this.windowEndMs(a.alert) > now() && (a.conditionEndAt === undefined || a.conditionEndAt - a.conditionAt >= this.rule(a.alert).forMs)) {
        this.#deferred.push({ scenario, expectation: a });
        continue;
      }
      rows.push({ scenario, ...this.#judge(a, now()), ...(a.note ? { note: a.note } : {}) });
    }
    this.rows.push(...rows);
    return { rows, table: rows.length ? renderAlertTable(rows) : '(judged at the end of the suite)' };
  }

  /** Stops watching; judges the deferred alerts with all that was seen; the suite's table with a scenario column. */
  async finish(): Promise<{ rows: AlertRow[]; table: string; errors: string[] }> {
    await this.#timeline.stop();
    const until = hrNow();
    for (const d of this.#deferred) {
      const v = this.#judge(d.expectation, until);
      const open = v.expected !== 'fire' && v.firedAfterMs === undefined && d.expectation.conditionAt + this.windowEndMs(d.expectation.alert) > until;
      this.rows.push({ scenario: d.scenario, ...v, ...(open ? { verdict: 'OPEN' as const, expected: 'fire' as const, reason: `${v.firedAfterMs === undefined && v.pendingAfterMs !== undefined ? 'pending' : 'not fired'} when the suite ended, ${((until - d.expectation.conditionAt) / 1000).toFixed(0)} s after the condition; its window ends at +${(this.windowEndMs(d.expectation.alert) / 1000).toFixed(0)} s` } : {}), ...(d.expectation.note ? { note: d.expectation.note } : {}) });
    }
    const table = renderAlertTable(this.rows.map((r) => ({ ...r, alert: `${r.scenario.replace(/^failover\./, '')}: ${r.alert}` })));
    return { rows: this.rows, table, errors: [...new Set(this.#timeline.errors)].slice(0, 5) };
  }
}

/**
 * The suite's watcher when the environment has the monitoring add-on (kind, monitoring.enabled) and its Prometheus
 * answers; otherwise undefined and the reason (the suite runs without alert verdicts).
 */
export async function startAlertWatch(env: ScenarioEnvironment): Promise<{ watch?: AlertWatch; reason?: string }> {
  if (env.providerName !== 'kind') return { reason: `the ${env.providerName} provider has no monitoring add-on` };
  if (!env.config.monitoring.enabled) return { reason: 'monitoring.enabled is false' };
  const url = `http://127.0.0.1:${prometheusHostPort(env.config)}`;
  const timeline = new AlertTimeline(url, { intervalMs: 1000 });
  try {
    await timeline.start();
  } catch (error) {
    return { reason: `${(error as Error).message} (a cluster created before the add-on has no such port: \`prodlike down\` then \`up\`)` };
  }
  const interval = Number(env.config.monitoring.interval.replace(/s$/, '')) * 1000;
  // Margin: one more evaluation (up{job=…} is a recording rule over the exporter's pg_up/redis_up: monitoring-config.ts),
  // the watcher's 1 s poll and 2 s for the exporter's own timeout to a hung database (--connection-timeout=2s).
  const timing = { scrapeMs: interval, evaluationMs: interval, marginMs: interval + 1000 + 2000 };
  const rules = alertingRules(await readRuleFiles(env.config, env.loaded.baseDir));
  return { watch: new AlertWatch(timeline, rules, timing) };
}
