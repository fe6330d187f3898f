#!/usr/bin/env node
// Runs vitest (all projects, or the ones given: `npm test -- --project unit`) and ends with the line
// `N passed, N failed, N skipped` that CI reads. The exit code is vitest's.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const out = join('runs', 'test-results.json');
mkdirSync('runs', { recursive: true });
if (existsSync(out)) rmSync(out);
const args = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...process.argv.slice(2)];
const child = spawnSync('npx', args, { stdio: 'inherit' });
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(out)) {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = (report.numFailedTests ?? 0) + suitesFailedWithoutTests(report);
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
} else if (child.status !== 0) failed = 1;
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(child.status ?? 1);

// A file that fails to load (or a failing hook) is a failed suite with no failed test: count it once.
function suitesFailedWithoutTests(report) {
  return (report.testResults ?? []).filter((s) => s.status === 'failed' && !(s.assertionResults ?? []).some((a) => a.status === 'failed')).length;
}
