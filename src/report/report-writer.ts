import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../core/errors.ts';
import { renderHtmlReport } from './html-report.ts';
import { renderJunit } from './junit-writer.ts';
import { redact } from './redact.ts';
import { parseRunResults, type RunResults } from './run-results.ts';

export interface RunReportFiles {
  results: string;
  junit: string;
  html: string;
}

export const REPORT_FILES = { results: 'results.json', junit: 'junit.xml', html: 'report.html', journal: 'journal.ndjson' } as const;

/** Writes results.json, junit.xml and report.html into a run directory (secrets redacted in each). */
export async function writeRunReport(dir: string, results: RunResults, options: { secrets?: readonly string[] } = {}): Promise<RunReportFiles> {
  const files = { results: join(dir, REPORT_FILES.results), junit: join(dir, REPORT_FILES.junit), html: join(dir, REPORT_FILES.html) };
  await writeFile(files.results, `${redact(JSON.stringify(results, null, 2), options.secrets)}\n`);
  await writeFile(files.junit, renderJunit(results, options));
  await writeFile(files.html, renderHtmlReport(results, options));
  return files;
}

export async function readRunResults(dir: string): Promise<RunResults> {
  const path = join(dir, REPORT_FILES.results);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${path} does not exist.`, { hint: 'This directory is not a finished run (it has no results.json); pick another with `prodlike report <run>`.', cause: error });
  }
  return parseRunResults(text, path);
}

/** `prodlike report [run]`: re-renders junit.xml and report.html of a past run from its results.json. */
export async function rerenderRun(dir: string, options: { secrets?: readonly string[] } = {}): Promise<RunReportFiles & { run: RunResults }> {
  const run = await readRunResults(dir);
  const files = await writeRunReport(dir, run, options);
  return { ...files, run };
}
