import { formatMargin, formatQuantity } from './format.ts';
import { redact } from './redact.ts';
import { runOutcome } from './run-outcome.ts';
import type { RunResults } from './run-results.ts';

export interface SummaryTableOptions {
  /** Cut the "target (source)" column to this many characters. Default 70. */
  maxSourceWidth?: number;
  secrets?: readonly string[];
}

/**
 * The table the CLI ends with: scenario · target (source) · measured · margin · verdict, one row per
 * verdict plus one per scenario the harness could not run, then the counts and the exit code.
 */
export function renderSummaryTable(results: RunResults, options: SummaryTableOptions = {}): string {
  const width = options.maxSourceWidth ?? 70;
  const header = ['scenario', 'target (source)', 'measured', 'margin', 'verdict'];
  const rows: string[][] = [];
  for (const s of results.scenarios) {
    for (const v of s.verdicts) {
      const verdict = v.verdict === 'fail' && v.targetKind !== 'slo' ? `FAIL (${v.targetKind})` : v.verdict.toUpperCase();
      rows.push([
        s.id,
        cut(`${v.targetId} (${v.source.label})`, width),
        formatQuantity(v.measured, v.unit, { lowerBound: v.lowerBound === true }),
        formatMargin(v.margin, v.unit),
        v.verdict === 'skipped' && v.reason ? `SKIPPED: ${cut(v.reason, 60)}` : verdict,
      ]);
    }
    if (s.status === 'error') rows.push([s.id, '(harness)', '—', '—', `ERROR: ${cut(s.reason ?? '', 80)}`]);
    if (s.status === 'skipped' && s.verdicts.length === 0) rows.push([s.id, '(scenario)', '—', '—', `SKIPPED: ${cut(s.reason ?? '', 80)}`]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]!].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length))).join('  ').trimEnd();
  const outcome = runOutcome(results);
  const c = outcome.counts;
  const out = [
    ...(results.dataOrigin === 'synthetic' ? ['SYNTHETIC DATA — not a measurement'] : []),
    line(header),
    line(widths.map((w) => '─'.repeat(w))),
    ...(rows.length === 0 ? ['(no targets evaluated)'] : rows.map(line)),
    '',
    `${c.pass} passed, ${c.fail} failed, ${c.skipped} skipped${c.scenariosSkipped ? `, ${c.scenariosSkipped} scenario(s) skipped` : ''}${c.scenarioErrors ? `, ${c.scenarioErrors} scenario(s) could not run` : ''} — exit ${outcome.exitCode}`,
  ];
  return redact(out.join('\n'), options.secrets);
}

function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
