import { type Command, Option } from 'commander';
import { parseAllocatable, runCheck } from '../../check/check.ts';
import { formatTable, toSarif } from '../../check/format.ts';
import { resolveFrom } from '../../config/load-config.ts';
import { loadTargets, selectProfile } from '../../config/load-targets.ts';
import { EXIT_CODES, toProdlikeError, type ExitCode } from '../../core/errors.ts';
import { act, type CliContext } from '../context.ts';

/** `prodlike check`. */
export function registerCheck(program: Command, ctx: CliContext): void {
  program
    .command('check')
    .description('Statically check the rendered manifests against the documented targets (PDB vs HPA, probe '
      + 'timing vs RTO, backup schedule vs RPO, HPA speed vs "scale within", network policies…). No cluster needed.')
    .argument('[kustomize-dir]', 'manifests to check: a kustomize directory, a directory of YAML or a file (default: manifests in the config)')
    .option('--profile <name>', 'target profile (default: targets.profile in the config)')
    .addOption(new Option('--format <format>', 'output format (JSON documented in docs/check.md; --json = --format json)').choices(['table', 'json', 'sarif']).default('table'))
    .option('--allocatable <resources>', 'CPU and memory of the cluster the manifests run on, e.g. cpu=48,memory=180Gi (default: check.allocatable in the config; for the local kind cluster, this host: cpu=2,memory=24Gi; otherwise capacity is not compared)')
    .option('--local', 'check for the local kind cluster: pull-policy advice, this host\'s capacity (default: when checking the configured manifests with provider kind)')
    .option('--no-local', 'check for a real cluster: no advice that only holds for the local kind cluster')
    .option('--loadtests <dir>', 'k6 scripts whose thresholds are compared with the SLO (default: loadtests/)')
    .action(act(ctx, async (dir: string | undefined, opts: CheckOptions) => {
      if (opts.format !== 'json' || ctx.json) return check(dir, opts);
      // --format json: errors as JSON on stdout too, as with --json (docs/check.md).
      try {
        return await check(dir, opts);
      } catch (error) {
        const e = toProdlikeError(error);
        ctx.stdout(JSON.stringify({ error: e.toJSON() }, null, 2));
        return e.exitCode;
      }
    }));

  async function check(dir: string | undefined, opts: CheckOptions): Promise<ExitCode> {
    const loaded = await ctx.load(opts.profile ? { profile: opts.profile } : {});
    const { config } = loaded;
    const selected = selectProfile(await loadTargets(resolveFrom(loaded, config.targets.file)), config.targets.profile, config.targets.file);
    const report = await runCheck({
      manifestsPath: dir ?? resolveFrom(loaded, config.manifests),
      selected,
      config,
      baseDir: loaded.baseDir,
      ...(opts.allocatable ? { allocatable: parseAllocatable(opts.allocatable) } : {}),
      ...(opts.local !== undefined ? { localCluster: opts.local } : {}),
      ...(opts.loadtests ? { loadtestsDir: opts.loadtests } : {}),
      signal: ctx.abort.signal,
    });
    const format = ctx.json && opts.format === 'table' ? 'json' : opts.format;
    if (format === 'json') ctx.stdout(JSON.stringify(report, null, 2));
    else if (format === 'sarif') ctx.stdout(JSON.stringify(toSarif(report), null, 2));
    else ctx.stdout(formatTable(report));
    return report.summary.exitCode === 1 ? EXIT_CODES.targetMissed : EXIT_CODES.ok;
  }
}

interface CheckOptions {
  profile?: string;
  format: 'table' | 'json' | 'sarif';
  allocatable?: string;
  local?: boolean;
  loadtests?: string;
}
