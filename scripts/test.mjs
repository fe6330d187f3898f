#!/usr/bin/env node
// Runs vitest (all projects, or the ones given: `npm test -- --project unit`) and ends with the line
// `N passed, N failed, N skipped` that CI reads, after the wall time of each vitest project (projects of
// one group run at the same time: see vitest.config.ts). The exit code is vitest's (the worst of its passes).
//
// Without arguments, two vitest passes: every project but `scenarios-saasit`, then `scenarios-saasit`. A
// project's global teardown (scenarios/support/shared-env-teardown.ts: the shared kind cluster removed) runs
// only when its whole vitest run ends, so in one pass the scenarios-kind cluster would still be running while
// examples/saasit's cluster is created and measured beside it on two cores.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const PASSES = [
  ['unit', 'integration', 'integration-kind', 'integration-cluster', 'integration-online', 'calibration', 'scenarios', 'scenarios-kind'],
  ['scenarios-saasit'],
];
const given = process.argv.slice(2);
const passes = given.length ? [given] : PASSES.map((projects) => projects.flatMap((p) => ['--project', p]));
mkdirSync('runs', { recursive: true });
const reporter = join('src', 'cli', 'vitest-outcome-reporter.ts');
const started = Date.now();
let passed = 0;
let failed = 0;
let skipped = 0;
let status = 0;
let times = '';
for (const [i, passArgs] of passes.entries()) {
  const suffix = passes.length > 1 ? `-${i + 1}` : '';
  const out = join('runs', `test-results${suffix}.json`);
  const outcomesFile = join('runs', `test-outcomes${suffix}.json`);
  for (const f of [out, outcomesFile]) if (existsSync(f)) rmSync(f);
  if (passes.length > 1) process.stdout.write(`\n=== vitest pass ${i + 1} of ${passes.length}: ${passArgs.filter((a) => a !== '--project').join(', ')}\n`);
  const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, `--reporter=./${reporter}`, ...passArgs];
  const child = spawnSync('npx', args, { stdio: 'inherit', env: { ...process.env, PRODLIKE_VITEST_OUTCOMES: outcomesFile } });
  // 130/143: interrupted; no second pass after Ctrl-C.
  if (child.signal || child.status === 130 || child.status === 143) {
    status = child.status ?? 130;
    break;
  }
  if ((child.status ?? 1) !== 0) status = status || (child.status ?? 1);
  if (existsSync(out)) {
    const report = JSON.parse(readFileSync(out, 'utf8'));
    passed += report.numPassedTests ?? 0;
    failed += (report.numFailedTests ?? 0) + suitesFailedWithoutTests(report);
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    times += projectTimes(report, outcomesFile);
  } else if (child.status !== 0) failed += 1;
}
if (times) process.stdout.write(`\nvitest projects (wall time from first file start to last file end):\n${times}`);
process.stdout.write(`\nvitest: ${seconds(Date.now() - started)} in all\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(status);

// A file that fails to load (or a failing hook) is a failed suite with no failed test: count it once.
function suitesFailedWithoutTests(report) {
  return (report.testResults ?? []).filter((s) => s.status === 'failed' && !(s.assertionResults ?? []).some((a) => a.status === 'failed')).length;
}

// Per project: first file start to last file end (wall time), the files' summed time and the slowest file.
// The project of each file comes from the outcome reporter (src/cli/vitest-outcome-reporter.ts).
function projectTimes(report, outcomesFile) {
  if (!existsSync(outcomesFile)) return '';
  // A file run by two projects (failover.test.ts in `scenarios` and `scenarios-kind`) appears twice under
  // one name: groups run one after the other, so its runs, by start time, are its projects by group order.
  const projectsOf = new Map();
  for (const m of JSON.parse(readFileSync(outcomesFile, 'utf8')).modules) projectsOf.set(m.file, [...(projectsOf.get(m.file) ?? []), m]);
  for (const list of projectsOf.values()) list.sort((a, b) => (a.groupOrder ?? 0) - (b.groupOrder ?? 0));
  // The reporter's own times (module start to end, its beforeAll hooks included) win over the JSON report's,
  // which start a file at its first test: integration-kind showed 35 s for a file that took 147 s.
  const reporterRuns = [...projectsOf.values()].flat().filter((m) => m.startedAt > 0 && m.endedAt >= m.startedAt)
    .map((m) => ({ name: m.file, startTime: m.startedAt, endTime: m.endedAt, project: m.project }));
  const runs = (reporterRuns.length ? reporterRuns : [...(report.testResults ?? [])]).sort((a, b) => a.startTime - b.startTime);
  const seen = new Map();
  const byProject = new Map();
  for (const file of runs) {
    if (!(file.startTime > 0 && file.endTime >= file.startTime)) continue;
    const nth = seen.get(file.name) ?? 0;
    seen.set(file.name, nth + 1);
    const candidates = projectsOf.get(file.name) ?? [];
    const project = file.project ?? (candidates[nth] ?? candidates[candidates.length - 1])?.project ?? '?';
    const p = byProject.get(project) ?? { start: Infinity, end: 0, sum: 0, files: 0, slowest: { ms: 0, name: '' } };
    p.start = Math.min(p.start, file.startTime);
    p.end = Math.max(p.end, file.endTime);
    p.sum += file.endTime - file.startTime;
    p.files += 1;
    if (file.endTime - file.startTime > p.slowest.ms) p.slowest = { ms: file.endTime - file.startTime, name: relative(process.cwd(), file.name) };
    byProject.set(project, p);
  }
  const rows = [...byProject].sort((a, b) => a[1].start - b[1].start)
    .map(([name, p]) => `  ${name.padEnd(16)} ${seconds(p.end - p.start).padStart(8)} wall, ${seconds(p.sum).padStart(8)} in ${p.files} file(s); slowest ${p.slowest.name} ${seconds(p.slowest.ms)}`);
  return rows.length ? `${rows.join('\n')}\n` : '';
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
