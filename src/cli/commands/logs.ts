import { type Command, Option } from 'commander';
import { parseWorkloadRef, PROVIDERS, resolveTopology, resolveWorkloads, WORKLOAD_ROLES, type ProdlikeConfig, type ProviderName, type WorkloadRef } from '../../config/schema.ts';
import { EXIT_CODES, UsageError } from '../../core/errors.ts';
import type { LogLine } from '../../providers/provider.ts';
import { act, durationOption, type CliContext } from '../context.ts';
import { LogPrefixer } from '../log-prefixer.ts';
import { runningEnvironment } from '../running-environment.ts';

const DEFAULT_TAIL = 100;

interface LogsOptions {
  follow?: boolean;
  since?: string;
  tail?: string;
  provider?: ProviderName;
}

/**
 * The workloads whose logs are read: the one named (a role, or <role>/<name> for an additional data-store
 * workload), or every enabled role's (additional ones too on the kind and cluster providers, which deploy them).
 */
function workloadsOf(service: string | undefined, config: ProdlikeConfig, provider: string): WorkloadRef[] {
  const enabled = (provider === 'docker' ? resolveTopology(config) : resolveWorkloads(config)).filter((w) => w.enabled).map((w) => w.ref);
  if (service === undefined) return enabled;
  const ref = parseWorkloadRef(config, service);
  if (!ref) throw new UsageError(`Unknown service "${service}".`, { hint: `Services: ${resolveWorkloads(config).map((w) => w.ref).join(', ')}.` });
  return [ref];
}

/** --tail: a count, or `all`; default 100 lines per replica, all with --since. */
function tailOf(opts: LogsOptions): number | undefined {
  if (opts.tail === undefined) return opts.since ? undefined : DEFAULT_TAIL;
  if (opts.tail === 'all') return undefined;
  const n = Number(opts.tail);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--tail "${opts.tail}" is not a line count (a whole number, or "all").`);
  return n;
}

function sinceOf(opts: LogsOptions): number | undefined {
  if (opts.since === undefined) return undefined;
  return durationOption('--since', opts.since) / 1000;
}

/** `prodlike logs`. */
export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .description('Print the logs of a service across all its replicas (docker: its containers; kind: its pods, '
      + 'found by the role\'s selector in its namespace), each line prefixed by container or pod/container '
      + '(a colour per source on a terminal). Without a service: every service. -f follows until Ctrl-C.')
    .argument('[service]', `one of ${WORKLOAD_ROLES.join(', ')}, or <role>/<name> for a data store's additional workload (topology.<role>.additional) (default: all)`)
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('--since <duration>', 'only lines of the last <duration>, e.g. 30s, 5m, 1h')
    .option('--tail <n>', `lines per replica from the end of its log, or "all" (default ${DEFAULT_TAIL}; all with --since)`)
    .addOption(new Option('-p, --provider <provider>', 'override provider from the config').choices(PROVIDERS))
    .addHelpText('after', `
Examples:
  $ prodlike logs backend -f            every backend replica, following
  $ prodlike logs --since 5m | grep -i error
  $ prodlike logs postgres --tail all   (--json: one {"source","text"} object per line)`)
    .action(act(ctx, async (service: string | undefined, opts: LogsOptions) => {
      const tail = tailOf(opts);
      const sinceSeconds = sinceOf(opts);
      const { loaded, provider } = await runningEnvironment(ctx, opts.provider);
      const roles = workloadsOf(service, loaded.config, provider.name);
      // Ctrl-C is how a followed log ends; a reader that goes away (`| head`) ends it too.
      ctx.interrupt = 'end';
      const stop = new AbortController();
      const signal = AbortSignal.any([stop.signal, ctx.abort.signal, ...(ctx.stdoutClosed ? [ctx.stdoutClosed] : [])]);
      const prefixer = new LogPrefixer({ colour: !ctx.json && LogPrefixer.colourFor(process.stdout) });
      const print = (line: LogLine) => ctx.stdout(ctx.json ? JSON.stringify(line) : prefixer.format(line));
      const options = { onLine: print, follow: Boolean(opts.follow), signal, ...(tail === undefined ? {} : { tail }), ...(sinceSeconds === undefined ? {} : { sinceSeconds }) };
      try {
        await Promise.all(roles.map((role) => provider.logs(role, options)));
      } finally {
        stop.abort(); // one service failing ends the others' streams too
      }
      return EXIT_CODES.ok;
    }));
}
