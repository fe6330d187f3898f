// Per-scenario comparison of the cross-check probe's outages with prodlike's (issue #14).
//
//   npx tsx scripts/crosscheck/compare.ts runs/<id> crosscheck.ndjson [--tolerance-ms 250] [--map target=probe ...]
//
// Reads runs/<id>/results.json and the probe's NDJSON, prints a Markdown table (scenario, fault time,
// cross-check outage, prodlike outage, difference, within ±tolerance, what differs) and writes it with the
// rows as JSON to runs/<id>/crosscheck.md and crosscheck.json. Exit 0 when every row is within the
// tolerance, 1 otherwise (each such row says what differs), 2 on unreadable input.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareCrossCheck, parseCrossCheckLog, renderCrossCheckTable } from '../../src/report/crosscheck-compare.ts';
import { parseRunResults } from '../../src/report/run-results.ts';

async function main(argv: string[]): Promise<number> {
  const positional: string[] = [];
  const map: Record<string, string> = {};
  let toleranceMs = 250;
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i]!;
    if (a === '--tolerance-ms') toleranceMs = Number(argv[(i += 1)]);
    else if (a === '--map') {
      const [k, v] = String(argv[(i += 1)]).split('=');
      if (!k || !v) throw new Error('--map expects target=probe');
      map[k] = v;
    } else positional.push(a);
  }
  const [runArg, ndjsonArg] = positional;
  if (!runArg || !ndjsonArg) throw new Error('usage: compare.ts <runs/<id> | results.json> <crosscheck.ndjson> [--tolerance-ms 250] [--map target=probe]');
  const isDir = (await stat(runArg)).isDirectory();
  const resultsFile = isDir ? join(runArg, 'results.json') : runArg;
  const results = parseRunResults(await readFile(resultsFile, 'utf8'), resultsFile);
  const log = parseCrossCheckLog(await readFile(ndjsonArg, 'utf8'), ndjsonArg);
  const rows = compareCrossCheck(results, log, { toleranceMs, map });
  const table = renderCrossCheckTable(rows, toleranceMs);
  const clock = 'Both processes stamp attempts with performance.timeOrigin + performance.now() (epoch ms) on this host.';
  console.log(table);
  if (isDir) {
    await writeFile(join(runArg, 'crosscheck.md'), `# Cross-check vs prodlike (${results.runId})\n\n${clock}\nCross-check outage: first failed attempt ending after the fault → end of the first success started after it (new connection per attempt, every ${log.intervalMs ?? '?'} ms, timeout ${log.timeoutMs ?? '?'} ms). prodlike outage: the window its own analysis reported for the matched probe. Answers slower than the probe's threshold are failures on both sides. RTO columns: the verdict's rule (fault → first answer of a sustained run of successes after the first failure) recomputed from the cross-check's attempts, next to the RTO prodlike reported.\n\n${table}\n`);
    await writeFile(join(runArg, 'crosscheck.json'), `${JSON.stringify({ toleranceMs, rows }, null, 2)}\n`);
  }
  return rows.every((r) => r.within) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`crosscheck compare: ${(error as Error).message}`);
    process.exit(2);
  },
);
