#!/usr/bin/env node
// Runs vitest (all projects, or the ones given: `npm test -- --project unit`) and ends with the line
// `N passed, N failed, N skipped` that CI reads, after the wall time of each vitest project (projects of
// one group run at the same time: see vitest.config.ts). The exit code is vitest's (the worst of its runs).
//
// Without arguments, four stages of vitest runs, one after the other:
//   1. `unit` beside the kind integration projects (`integration-kind`, `integration-cluster`,
//      `integration-online`): two vitest processes at once. Neither measures a time against a target that
//      the other's CPU use could move (the kind projects' few budgets are minutes wide), and the kind ones
//      spend most of their time waiting on cluster start-up: unit's ~2.5 min come off the run (its wall-clock
//      tests, *.timing.test.ts, run in `calibration`, alone). Measured (12/2026): the three kind projects in three
//      processes instead of one made the stage slower (418 s against 400 s; load 36) and the online project's
//      ingress rate limit read 19.5 req/s; in two (online apart) 354 s but its measurement beside the clusters. Unit's
//      output goes to runs/test-unit.log and is printed whole once the stage ends (never interleaved).
//   2. the measuring projects, alone on the machine: calibration, scenarios, scenarios-kind.
//   3. `integration` (real containers). A project's global teardown (scenarios/support/shared-env-teardown.ts:
//      the shared kind cluster removed) runs only when its whole vitest run ends: in stage 2's run, vitest
//      ran integration last, beside the idle scenarios-kind cluster, which took ~110 % of the 2 cores' 200 %.
//   4. `scenarios-saasit`, once that cluster is gone (else examples/saasit's cluster is created and measured beside it).
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const STAGES = [
  [{ projects: ['unit'], quiet: true }, { projects: ['integration-kind', 'integration-cluster', 'integration-online'] }],
  [{ projects: ['calibration', 'scenarios', 'scenarios-kind'] }],
  [{ projects: ['integration'] }],
  [{ projects: ['scenarios-saasit'] }],
];
const given = process.argv.slice(2);
// PRODLIKE_TEST_STAGES=2,3 runs only those stages (numbered as above).
const only = (process.env.PRODLIKE_TEST_STAGES ?? '').split(',').filter(Boolean).map(Number);
const stages = given.length ? [[{ args: given }]] : STAGES.map((runs, i) => Object.assign(runs.map((r) => ({ ...r, args: r.projects.flatMap((p) => ['--project', p]) })), { number: i + 1 })).filter((runs) => !only.length || only.includes(runs.number));
mkdirSync('runs', { recursive: true });
const reporter = join('src', 'cli', 'vitest-outcome-reporter.ts');
const started = Date.now();
let passed = 0;
let failed = 0;
let skipped = 0;
let status = 0;
let times = '';
const failures = [];
let interrupted = false;
const stageTimes = [];
for (const [i, runs] of stages.entries()) {
  const stageStarted = Date.now();
  if (stages.length > 1) process.stdout.write(`\n=== vitest stage ${runs.number ?? i + 1} of ${STAGES.length}: ${runs.map((r) => r.projects.join(', ') + (r.quiet ? ' (output printed when it ends)' : '')).join('  |  at the same time:  ')}\n`);
  const results = await Promise.all(runs.map((r, j) => vitest(r, `${stages.length > 1 ? `-${i + 1}` : ''}${runs.length > 1 ? `-${j + 1}` : ''}`)));
  for (const { code, signal, out, outcomesFile, log } of results) {
    if (log) process.stdout.write(`\n=== output of the ${log.projects} run (beside the kind projects)\n${readFileSync(log.file, 'utf8')}`);
    // 130/143: interrupted; no further stage after Ctrl-C.
    if (signal || code === 130 || code === 143) { status = code ?? 130; interrupted = true; }
    else if ((code ?? 1) !== 0) status = status || (code ?? 1);
    if (existsSync(out)) {
      const report = JSON.parse(readFileSync(out, 'utf8'));
      passed += report.numPassedTests ?? 0;
      failed += (report.numFailedTests ?? 0) + suitesFailedWithoutTests(report);
      skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
      // The outcome reporter's file (per module: project, times, failures), read once for both.
      const outcomes = existsSync(outcomesFile) ? JSON.parse(readFileSync(outcomesFile, 'utf8')) : undefined;
      times += projectTimes(report, outcomes);
      failures.push(...failedTests(report, outcomes));
    } else if (code !== 0) {
      failed += 1;
      failures.push(`vitest exited ${code ?? signal} without a report (${out}): see its output above`);
    }
  }
  if (stages.length > 1) stageTimes.push(`  stage ${runs.number ?? i + 1} ${seconds(Date.now() - stageStarted).padStart(9)}  ${runs.map((r) => r.projects.join(', ')).join('  |  ')}`);
  if (interrupted) break;
}
if (times) process.stdout.write(`\nvitest projects (wall time from first file start to last file end):\n${times}`);
if (stageTimes.length) process.stdout.write(`\nvitest stages:\n${stageTimes.join('\n')}\n`);
process.stdout.write(`\nvitest: ${seconds(Date.now() - started)} in all\n`);
// Named here, near the end, where CI's tail shows them: the counting line alone says how many, not which.
writeFileSync(join('runs', 'test-failures.txt'), failures.map((f) => `${f}\n`).join(''));
if (failures.length) process.stdout.write(`\nfailed (${failures.length}):\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(status);

/** One vitest process for some projects; `quiet`: its output to runs/test-<projects>.log instead of this terminal. */
function vitest(r, suffix) {
  const out = join('runs', `test-results${suffix}.json`);
  const outcomesFile = join('runs', `test-outcomes${suffix}.json`);
  for (const f of [out, outcomesFile]) if (existsSync(f)) rmSync(f);
  const args = [join('node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, `--reporter=./${reporter}`, ...r.args];
  const logFile = r.quiet ? join('runs', `test-${r.projects.join('-')}.log`) : undefined;
  // vitest's CLI on this Node, as `prodlike run` starts it (src/cli/run-scenarios.ts), not through npx.
  const child = spawn(process.execPath, args, { stdio: logFile ? ['ignore', 'pipe', 'pipe'] : 'inherit', env: { ...process.env, PRODLIKE_VITEST_OUTCOMES: outcomesFile } });
  const sink = logFile ? createWriteStream(logFile) : undefined;
  if (sink) {
    child.stdout.pipe(sink, { end: false });
    child.stderr.pipe(sink, { end: false });
  }
  // Ctrl-C reaches both children (same process group); this process waits for them to end.
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      const done = () => resolve({ code, signal, out, outcomesFile, log: logFile ? { file: logFile, projects: r.projects.join(', ') } : undefined });
      if (sink) sink.end(done);
      else done();
    });
  });
}

// A file that fails to load (or a failing hook) is a failed suite with no failed test: count it once.
function suitesFailedWithoutTests(report) {
  return (report.testResults ?? []).filter((s) => s.status === 'failed' && !(s.assertionResults ?? []).some((a) => a.status === 'failed')).length;
}

/**
 * Each failed test (project, file, title, the first line of its error), each file that failed outside its tests
 * and each unhandled error, from the outcome reporter's file (it knows the project: failover.test.ts runs in three);
 * from vitest's JSON report when that file is missing.
 */
function failedTests(report, outcomes) {
  const clean = (m, max = 400) => stripVTControlCharacters(String(m ?? '')).split('\n').find((l) => l.trim())?.trim().slice(0, max) ?? '';
  const coded = (e) => clean(e ? `${e.code ? `${e.code}: ` : ''}${e.message}` : '');
  if (outcomes) {
    return [
      ...outcomes.modules.flatMap((m) => {
        const where = `[${m.project ?? '?'}] ${relative(process.cwd(), m.file)}`;
        return [
          ...m.errors.map((e) => `${where} (${e.where}): ${coded(e)}`),
          ...m.tests.filter((t) => t.state === 'failed').map((t) => `${where} > ${clean(t.name, 140)}: ${coded(t.errors[0])}`),
        ];
      }),
      ...outcomes.unhandled.map((e) => `unhandled error: ${coded(e)}`),
    ];
  }
  return (report.testResults ?? []).flatMap((s) => {
    const file = relative(process.cwd(), s.name);
    const failedHere = (s.assertionResults ?? []).filter((a) => a.status === 'failed');
    return [
      ...failedHere.map((a) => `${file} > ${clean(a.fullName ?? a.title, 140)}: ${clean(a.failureMessages?.[0])}`),
      ...(s.status === 'failed' && !failedHere.length ? [`${file} (the file failed outside its tests): ${clean(s.message)}`] : []),
    ];
  });
}

// Per project: first file start to last file end (wall time), the files' summed time and the slowest file.
// The project of each file comes from the outcome reporter (src/cli/vitest-outcome-reporter.ts).
function projectTimes(report, outcomes) {
  if (!outcomes) return '';
  // A file run by two projects (failover.test.ts in `scenarios` and `scenarios-kind`) appears twice under
  // one name: groups run one after the other, so its runs, by start time, are its projects by group order.
  const projectsOf = new Map();
  for (const m of outcomes.modules) projectsOf.set(m.file, [...(projectsOf.get(m.file) ?? []), m]);
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
