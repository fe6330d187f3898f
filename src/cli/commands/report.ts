import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.ts';
import { EXIT_CODES } from '../../core/errors.ts';
import { compareRuns, renderComparison } from '../../report/compare-runs.ts';
import { readRunResults, rerenderRun } from '../../report/report-writer.ts';
import { resolveRunDirectory } from '../../report/run-directory.ts';
import { runOutcome } from '../../report/run-outcome.ts';
import { renderSummaryTable } from '../../report/summary-table.ts';
import { act, type CliContext } from '../context.ts';

/** `prodlike report`. */
export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('Re-render a past run (runs/<id>/) as a table and report.html, or compare two runs for RTO/RPO/p95 regressions.')
    .argument('[run]', 'run folder, id or unique part of it (default: the latest)')
    .option('--compare <runs...>', 'compare two runs: A B')
    .action(act(ctx, async (run: string | undefined, opts: { compare?: string[] }) => {
      const root = join(process.cwd(), 'runs');
      if (opts.compare) {
        if (opts.compare.length !== 2) throw new UsageError('--compare takes exactly two runs: A B.');
        const [a, b] = await Promise.all(opts.compare.map(async (r) => readRunResults(await resolveRunDirectory(r, root))));
        const comparison = compareRuns(a!, b!);
        if (ctx.json) ctx.stdout(JSON.stringify(comparison, null, 2));
        else ctx.stdout(renderComparison(comparison));
        return comparison.changes.some((c) => c.kind === 'regression') ? EXIT_CODES.targetMissed : EXIT_CODES.ok;
      }
      const dir = await resolveRunDirectory(run, root);
      const { run: results, html } = await rerenderRun(dir);
      if (ctx.json) ctx.stdout(JSON.stringify(results, null, 2));
      else ctx.stdout(`${renderSummaryTable(results)}\n\nreport: ${html}`);
      return runOutcome(results).exitCode;
    }));
}
