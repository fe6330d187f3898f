import { ConfigError } from '../core/errors.ts';
import type { RunResults, ScenarioResult } from './run-results.ts';

/**
 * Compares the independent cross-check probe (scripts/crosscheck/probe.mjs: a separate process, a new
 * connection per attempt every 50 ms) with prodlike's own probes, per scenario and fault (issue #14).
 * The cross-check's outage is computed here with its own plain rule — first failed attempt ending after the
 * fault → end of the first successful attempt started after it — deliberately not with src/measure's
 * analysis, so a bug there cannot hide in both numbers. prodlike's outage is the window its own analysis
 * reported (results.json `summary.outages`) for the matched probe.
 */
export interface CrossCheckAttempt {
  target: string;
  kind: string;
  startedAt: number;
  endedAt: number;
  ok: boolean;
  error?: string;
}

export interface CrossCheckTarget {
  name: string;
  kind: string;
  describe?: string;
  /** The prodlike probe to compare with (by name); matched automatically when absent. */
  probe?: string;
}

export interface CrossCheckLog {
  intervalMs?: number;
  timeoutMs?: number;
  targets: CrossCheckTarget[];
  attempts: CrossCheckAttempt[];
}

export interface CrossCheckWindow {
  start: number;
  end: number;
  /** False when no success followed before the scenario ended: the duration is a lower bound. */
  recovered: boolean;
}

export interface CrossCheckRow {
  scenario: string;
  faultAt: number;
  fault: string;
  target: string;
  /** The prodlike probe compared with, or null when none matched. */
  probe: string | null;
  /** Cross-check outage in ms (0 = no failure seen); null when it made no attempt in the scenario. */
  crossOutageMs: number | null;
  crossWindow: CrossCheckWindow | null;
  /** prodlike's outage for the matched probe (0 = none); null when no probe matched. */
  prodlikeOutageMs: number | null;
  prodlikeWindow: CrossCheckWindow | null;
  /** cross − prodlike; null when either side is missing. */
  differenceMs: number | null;
  within: boolean;
  /**
   * The figure a verdict uses: the RTO by the rule prodlike states for the probe (fault → first answer of a
   * sustained run of successes after the first failure; answers slower than its threshold are failures),
   * recomputed here from the cross-check's attempts by this module's own code (crossCheckRto), next to the
   * RTO prodlike's analysis reported for its probe (summary.rto). Null when either side is missing.
   */
  crossRto: { ms: number; lowerBound: boolean } | null;
  prodlikeRto: { ms: number; lowerBound: boolean } | null;
  rtoWithin: boolean;
  /** What differs when not within (factual: start/end offsets, a missing side). */
  explanation?: string;
}

export interface CompareOptions {
  toleranceMs?: number;
  /** Cross-check target name → prodlike probe name (overrides the log's `probe` and the automatic match). */
  map?: Record<string, string>;
}

/** Reads the probe's NDJSON (`started` header, `attempt` lines, `stopped`); unknown lines are ignored. */
export function parseCrossCheckLog(text: string, where = 'cross-check NDJSON'): CrossCheckLog {
  const log: CrossCheckLog = { targets: [], attempts: [] };
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch (error) {
      // A line cut short by a killed process is the only expected damage: only the last line may be partial.
      if (i === text.trimEnd().split('\n').length - 1) return;
      throw new ConfigError(`${where}: line ${i + 1} is not JSON`, { hint: 'Pass the file written by scripts/crosscheck/probe.mjs --out.', cause: error });
    }
    if (row.type === 'started') {
      log.intervalMs = row.intervalMs as number;
      log.timeoutMs = row.timeoutMs as number;
      for (const t of (row.targets as CrossCheckTarget[]) ?? []) if (!log.targets.some((x) => x.name === t.name)) log.targets.push(t);
    } else if (row.type === 'attempt') {
      log.attempts.push({ target: String(row.target), kind: String(row.kind), startedAt: Number(row.startedAt), endedAt: Number(row.endedAt), ok: row.ok === true, ...(row.error ? { error: String(row.error) } : {}) });
    }
  });
  if (log.targets.length === 0) {
    for (const a of log.attempts) if (!log.targets.some((t) => t.name === a.target)) log.targets.push({ name: a.target, kind: a.kind });
  }
  log.attempts.sort((a, b) => a.startedAt - b.startedAt);
  return log;
}

/** An attempt that failed, or answered later than `slowMs` (prodlike's threshold for the matched probe: one rule for both sides). */
const failed = (a: CrossCheckAttempt, slowMs?: number) => !a.ok || (slowMs !== undefined && a.endedAt - a.startedAt > slowMs);

/** The cross-check's own outage rule (see the module comment), within [from, until). */
export function crossCheckWindow(attempts: readonly CrossCheckAttempt[], from: number, until: number, slowMs?: number): CrossCheckWindow | null {
  const sorted = [...attempts].filter((a) => a.startedAt < until).sort((a, b) => a.startedAt - b.startedAt);
  const failure = sorted.find((a) => failed(a, slowMs) && a.endedAt > from);
  if (!failure) return null;
  const success = sorted.find((a) => !failed(a, slowMs) && a.startedAt > failure.startedAt);
  if (success) return { start: failure.startedAt, end: success.endedAt, recovered: true };
  const lastEnd = sorted.reduce((m, a) => Math.max(m, a.endedAt), failure.endedAt);
  return { start: failure.startedAt, end: lastEnd, recovered: false };
}

/**
 * The RTO by prodlike's stated rule, written again here from the rule's words (not src/measure's code): the
 * first failure ending after the fault; then the earliest answer of a success after which every attempt
 * started before that answer + `sustainedMs` succeeded and one answered at or after it. RTO = that answer −
 * fault (0 without a failure). No such run before `until`: the last answer − fault, a lower bound.
 */
export function crossCheckRto(attempts: readonly CrossCheckAttempt[], faultAt: number, until: number, rule: { sustainedMs: number; slowMs?: number }): { ms: number; lowerBound: boolean } {
  const sorted = [...attempts].filter((a) => a.startedAt < until).sort((a, b) => a.startedAt - b.startedAt);
  const first = sorted.findIndex((a) => failed(a, rule.slowMs) && a.endedAt > faultAt);
  if (first < 0) return { ms: 0, lowerBound: false };
  const after = sorted.slice(first + 1);
  const answers = after.filter((a) => !failed(a, rule.slowMs)).map((a) => a.endedAt).sort((x, y) => x - y);
  for (const at of answers) {
    const span = after.filter((a) => a.startedAt >= at && a.startedAt < at + rule.sustainedMs);
    if (span.some((a) => failed(a, rule.slowMs))) continue;
    if (!after.some((a) => !failed(a, rule.slowMs) && a.endedAt >= at + rule.sustainedMs)) break;
    return { ms: Math.max(0, at - faultAt), lowerBound: false };
  }
  return { ms: Math.max(0, sorted.reduce((m, a) => Math.max(m, a.endedAt), faultAt) - faultAt), lowerBound: true };
}

export function compareCrossCheck(results: RunResults, log: CrossCheckLog, options: CompareOptions = {}): CrossCheckRow[] {
  const tolerance = options.toleranceMs ?? 250;
  const rows: CrossCheckRow[] = [];
  for (const scenario of results.scenarios) {
    const faults = scenario.timeline.filter((e) => e.type === 'fault.injected').sort((a, b) => a.at - b.at);
    const end = scenario.probes.reduce((m, p) => Math.max(m, p.summary.stoppedAt), scenario.endedAt);
    faults.forEach((fault, i) => {
      const until = faults[i + 1]?.at ?? end;
      for (const target of log.targets) {
        const own = log.attempts.filter((a) => a.target === target.name && a.startedAt >= scenario.startedAt && a.startedAt < end);
        const probeName = options.map?.[target.name] ?? target.probe ?? matchProbe(scenario, target);
        const probe = probeName === null ? undefined : scenario.probes.find((p) => p.summary.name === probeName);
        const slowMs = probe?.summary.slowThresholdMs ?? undefined;
        const crossWindow = own.length ? crossCheckWindow(own, fault.at, until, slowMs) : null;
        const crossOutageMs = own.length ? (crossWindow ? crossWindow.end - crossWindow.start : 0) : null;
        const pw = probe?.summary.outages.find((w) => w.end > fault.at && w.start < until);
        const prodlikeWindow = pw ? { start: pw.start, end: pw.end, recovered: pw.recovered } : null;
        const prodlikeOutageMs = probe ? (pw ? pw.durationMs : 0) : null;
        const differenceMs = crossOutageMs === null || prodlikeOutageMs === null ? null : crossOutageMs - prodlikeOutageMs;
        const within = differenceMs !== null && Math.abs(differenceMs) <= tolerance && (crossWindow?.recovered ?? true) && (prodlikeWindow?.recovered ?? true);
        // Only the fault the probe's RTO was measured from (a scenario's RTO belongs to its first fault).
        const rto = probe?.summary.rto && Math.abs(probe.summary.rto.faultAt - fault.at) < 1 ? probe.summary.rto : undefined;
        const prodlikeRto = rto ? { ms: rto.rtoMs, lowerBound: rto.lowerBound } : null;
        const crossRto = rto && own.length ? crossCheckRto(own, fault.at, until, { sustainedMs: rto.sustainedMs, ...(slowMs === undefined ? {} : { slowMs }) }) : null;
        const rtoWithin = crossRto !== null && prodlikeRto !== null && Math.abs(crossRto.ms - prodlikeRto.ms) <= tolerance && !crossRto.lowerBound && !prodlikeRto.lowerBound;
        const row: CrossCheckRow = {
          scenario: scenario.id,
          faultAt: fault.at,
          fault: `${fault.subject ?? ''}${fault.detail ? ` — ${fault.detail}` : ''}`.trim(),
          target: target.name,
          probe: probe ? probe.summary.name : null,
          crossOutageMs,
          crossWindow,
          prodlikeOutageMs,
          prodlikeWindow,
          differenceMs,
          within,
          crossRto,
          prodlikeRto,
          rtoWithin,
        };
        const explanation = within ? undefined : explain(row, own.length);
        rows.push(explanation ? { ...row, explanation } : row);
      }
    });
  }
  return rows;
}

function explain(row: CrossCheckRow, attempts: number): string {
  if (attempts === 0) return 'the cross-check made no attempt during this scenario (was it running?)';
  if (row.probe === null) return 'no prodlike probe of this scenario matches this target (pass --map target=probe)';
  const c = row.crossWindow;
  const p = row.prodlikeWindow;
  if (c && !c.recovered) return 'the cross-check saw no recovery before the scenario ended (lower bound)';
  if (p && !p.recovered) return "prodlike's probe saw no recovery before it stopped (lower bound)";
  if (!c && p) return 'the cross-check saw no failure after the fault (new connections every 50 ms): prodlike failed where a fresh connection succeeded';
  if (c && !p) return "prodlike's probe saw no failure after the fault: shorter than its timeout (seen as latency) or its connection was not affected";
  if (c && p) return `cross-check outage starts ${signed(c.start - p.start)} and ends ${signed(c.end - p.end)} relative to prodlike's`;
  return 'no outage on either side';
}

/** A probe of the scenario for this target: same kind and same port, or the only probe of that kind. */
function matchProbe(scenario: ScenarioResult, target: CrossCheckTarget): string | null {
  const sameKind = scenario.probes.filter((p) => p.summary.kind === target.kind);
  const port = target.describe ? /:(\d{2,5})\b/.exec(target.describe)?.[1] : undefined;
  const byPort = port ? sameKind.filter((p) => new RegExp(`:${port}\\b`).test(p.summary.target)) : [];
  if (byPort.length === 1) return byPort[0]!.summary.name;
  return sameKind.length === 1 ? sameKind[0]!.summary.name : null;
}

function signed(ms: number): string {
  return `${ms >= 0 ? '+' : '−'}${Math.abs(ms).toFixed(0)} ms`;
}

const ms = (v: number | null) => (v === null ? '—' : `${v.toFixed(0)} ms`);
const rtoText = (r: { ms: number; lowerBound: boolean } | null) => (r === null ? '—' : `${r.lowerBound ? '≥ ' : ''}${ms(r.ms)}`);

/** Markdown table: one row per scenario × fault × target. */
export function renderCrossCheckTable(rows: readonly CrossCheckRow[], toleranceMs = 250): string {
  const lines = [
    `| scenario | fault (time) | target ↔ prodlike probe | cross-check outage | prodlike outage | difference | within ±${toleranceMs} ms | cross-check RTO | prodlike RTO | RTO within ±${toleranceMs} ms | note |`,
    '|---|---|---|---:|---:|---:|---|---:|---:|---|---|',
  ];
  for (const r of rows) {
    const lb = (w: CrossCheckWindow | null) => (w && !w.recovered ? '≥ ' : '');
    lines.push(
      `| ${r.scenario} | ${r.fault || 'fault'} (${new Date(r.faultAt).toISOString().slice(11, 23)}Z) | ${r.target} ↔ ${r.probe ?? '—'} | ${lb(r.crossWindow)}${ms(r.crossOutageMs)} | ${lb(r.prodlikeWindow)}${ms(r.prodlikeOutageMs)} | ${r.differenceMs === null ? '—' : signed(r.differenceMs)} | ${r.within ? 'yes' : 'NO'} | ${rtoText(r.crossRto)} | ${rtoText(r.prodlikeRto)} | ${r.crossRto && r.prodlikeRto ? (r.rtoWithin ? 'yes' : 'NO') : '—'} | ${(r.explanation ?? '').replace(/\|/g, '/')} |`,
    );
  }
  if (rows.length === 0) lines.push('| — | no fault.injected events in results.json | | | | | | | | | |');
  return lines.join('\n');
}
