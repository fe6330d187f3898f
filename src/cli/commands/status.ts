import { type Command, Option } from 'commander';
import { PROVIDERS, type ProviderName } from '../../config/schema.ts';
import { EXIT_CODES } from '../../core/errors.ts';
import { createProvider } from '../../providers/create-provider.ts';
import { EnvironmentStore } from '../../providers/environment-state.ts';
import { canKubernetes } from '../../providers/provider.ts';
import { FaultJournal, heldByLiveProcess } from '../../safety/fault-journal.ts';
import { act, type CliContext } from '../context.ts';
import { clusterStatusText } from '../render.ts';
import { statusTable } from './status-table.ts';

/** `prodlike status`. */
export function registerStatus(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('Show the environment: workloads and their health, replicas, endpoints (kind: nodes, HPA current/target, PVCs).')
    .addOption(new Option('-p, --provider <provider>', 'override provider from the config').choices(PROVIDERS))
    .option('--show-secrets', 'also print the generated passwords and keys')
    .action(act(ctx, async (opts: { provider?: ProviderName; showSecrets?: boolean }) => {
      const loaded = await ctx.load(opts.provider ? { provider: opts.provider } : {});
      const provider = await createProvider({ loaded, bus: ctx.bus }, opts.provider);
      const status = await provider.status();
      const secrets = opts.showSecrets ? await new EnvironmentStore(loaded.baseDir, loaded.config.name).secrets() : undefined;
      const pendingFaults = (await FaultJournal.forEnvironment(loaded.baseDir, loaded.config.name).pending()).map((f) => ({ undo: f.description, scenario: f.scenario, since: f.since, pid: f.pid, running: heldByLiveProcess(f) }));
      if (!ctx.json) {
        for (const f of pendingFaults) {
          ctx.stdout(f.running
            ? `⚠ fault held by a running scenario: ${f.scenario} (pid ${f.pid}) will ${f.undo} when it ends`
            : `⚠ fault left by an interrupted scenario (${f.scenario}, pid ${f.pid} is gone) since ${f.since}: not healed yet (${f.undo}); \`prodlike up\` or the next \`prodlike run\` heals it`);
        }
      }
      // kind: the environment's own kubeconfig, for kubectl, k9s and Lens (`prodlike kubeconfig --export`).
      const kubeconfig = status.exists && canKubernetes(provider) ? provider.kubeconfig : undefined;
      if (ctx.json) ctx.stdout(JSON.stringify({ ...status, ...(kubeconfig ? { kubeconfig } : {}), ...(pendingFaults.length ? { pendingFaults } : {}), ...(secrets ? { secrets } : {}) }, null, 2));
      else if (!status.exists) ctx.stdout(`environment "${status.env}" (${status.provider}) is not up. Start it with \`npx prodlike up --provider ${status.provider}\`.`);
      else {
        ctx.stdout(statusTable(status));
        if (status.cluster) ctx.stdout(`\n${clusterStatusText(status.cluster)}`);
        ctx.stdout(`\n${status.healthy ? 'healthy' : 'NOT healthy'} · entry point ${status.entry}/`);
        if (kubeconfig) ctx.stdout(`KUBECONFIG=${kubeconfig}`);
        if (secrets) ctx.stdout(`\nsecrets (keep them private):\n${Object.entries(secrets).map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
      }
      return status.exists && status.healthy ? EXIT_CODES.ok : EXIT_CODES.environment;
    }));
}
