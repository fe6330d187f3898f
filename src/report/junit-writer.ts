import type { Verdict } from '../measure/verdict.ts';
import { escapeXml } from './escape.ts';
import { formatMargin, formatQuantity } from './format.ts';
import { redact } from './redact.ts';
import type { RunResults, ScenarioResult } from './run-results.ts';

/**
 * JUnit XML for CI: one <testsuite> per scenario, one <testcase> per target verdict. Missed SLO targets are
 * <failure>s, skipped verdicts <skipped> with the reason, a scenario the harness could not run one
 * <error> testcase. Alert/report-kind targets never fail the build (the exit code does not either); their
 * verdict is kept as a property. Written by hand: the format is small and no JUnit package is installed.
 */
export function renderJunit(results: RunResults, options: { secrets?: readonly string[] } = {}): string {
  const suites = results.scenarios.map((s) => renderSuite(s, results));
  const totals = results.scenarios.map(suiteCounts).reduce(
    (a, b) => ({ tests: a.tests + b.tests, failures: a.failures + b.failures, errors: a.errors + b.errors, skipped: a.skipped + b.skipped }),
    { tests: 0, failures: 0, errors: 0, skipped: 0 },
  );
  const time = seconds(results.endedAt - results.startedAt);
  const name = `prodlike ${results.runId}${results.dataOrigin === 'synthetic' ? ' (SYNTHETIC DATA)' : ''}`;
  const xml = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(name)}" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" skipped="${totals.skipped}" time="${time}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
  return redact(xml, options.secrets);
}

function suiteCounts(s: ScenarioResult): { tests: number; failures: number; errors: number; skipped: number } {
  if (s.status !== 'completed' && s.verdicts.length === 0) return { tests: 1, failures: 0, errors: s.status === 'error' ? 1 : 0, skipped: s.status === 'skipped' ? 1 : 0 };
  return {
    tests: s.verdicts.length + (s.status === 'error' ? 1 : 0),
    failures: s.verdicts.filter(isFailure).length,
    errors: s.status === 'error' ? 1 : 0,
    skipped: s.verdicts.filter((v) => v.verdict === 'skipped').length,
  };
}

const isFailure = (v: Verdict) => v.verdict === 'fail' && v.targetKind === 'slo';

function renderSuite(s: ScenarioResult, results: RunResults): string {
  const c = suiteCounts(s);
  const classname = `prodlike.${s.suite ? `${s.suite}.` : ''}${s.id}`;
  const lines = [
    `  <testsuite name="${escapeXml(s.suite ? `${s.suite} › ${s.title}` : s.title)}" id="${escapeXml(s.id)}" tests="${c.tests}" failures="${c.failures}" errors="${c.errors}" skipped="${c.skipped}" time="${seconds(s.endedAt - s.startedAt)}" timestamp="${new Date(s.startedAt).toISOString()}">`,
    '    <properties>',
    ...[
      ['provider', results.provider],
      ['profile', results.profile],
      ['dataOrigin', results.dataOrigin],
      ['status', s.status],
    ]
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `      <property name="${k}" value="${escapeXml(v)}"/>`),
    '    </properties>',
  ];
  for (const v of s.verdicts) lines.push(renderCase(v, classname));
  if (s.status === 'error') {
    lines.push(`    <testcase name="harness" classname="${escapeXml(classname)}" time="0">`, `      <error type="HarnessError" message="${escapeXml(s.reason ?? 'the scenario could not run')}"/>`, '    </testcase>');
  } else if (s.status === 'skipped' && s.verdicts.length === 0) {
    lines.push(`    <testcase name="scenario" classname="${escapeXml(classname)}" time="0">`, `      <skipped message="${escapeXml(s.reason ?? 'skipped')}"/>`, '    </testcase>');
  }
  lines.push('  </testsuite>');
  return lines.join('\n');
}

function renderCase(v: Verdict, classname: string): string {
  const bound = v.limit === null ? 'no bound' : `${v.comparator} ${formatQuantity(v.limit, v.unit)}`;
  const name = `${v.targetId}: ${v.metric} ${bound}`;
  const measured = formatQuantity(v.measured, v.unit, { lowerBound: v.lowerBound === true });
  const detail = `measured ${measured}, limit ${bound}, margin ${formatMargin(v.margin, v.unit)}; source: ${v.source.label}${v.source.quote ? ` ("${v.source.quote}")` : ''}${v.reason ? `; ${v.reason}` : ''}`;
  const props = [
    ['measured', v.measured === null ? '' : String(v.measured)],
    ['unit', v.unit],
    ['limit', v.limit === null ? '' : String(v.limit)],
    ['margin', v.margin === null ? '' : String(v.margin)],
    ['verdict', v.verdict],
    ['targetKind', v.targetKind],
    ['source', v.source.label],
  ];
  const out = [
    `    <testcase name="${escapeXml(name)}" classname="${escapeXml(classname)}" time="0">`,
    '      <properties>',
    ...props.map(([k, val]) => `        <property name="${k}" value="${escapeXml(val)}"/>`),
    '      </properties>',
  ];
  if (isFailure(v)) out.push(`      <failure type="TargetMissed" message="${escapeXml(`${v.targetId} missed: ${detail}`)}">${escapeXml(detail)}</failure>`);
  else if (v.verdict === 'skipped') out.push(`      <skipped message="${escapeXml(v.reason ?? 'skipped')}"/>`);
  out.push(`      <system-out>${escapeXml(`${v.verdict.toUpperCase()}${v.verdict === 'fail' && v.targetKind !== 'slo' ? ` (${v.targetKind} target: reported, not enforced)` : ''} — ${detail}`)}</system-out>`);
  out.push('    </testcase>');
  return out.join('\n');
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}
