import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Argument, type Command, Option } from 'commander';
import { PROVIDERS, type ProviderName } from '../../config/schema.ts';
import { EnvironmentNotUpError, EXIT_CODES, ProdlikeError, ToolMissingError } from '../../core/errors.ts';
import { run, runInteractive } from '../../core/exec.ts';
import { toolBinDir } from '../../core/paths.ts';
import { topologyImages } from '../../providers/create-provider.ts';
import { EnvironmentStore } from '../../providers/environment-state.ts';
import { canEndpoint } from '../../providers/provider.ts';
import { connectClient, CONNECT_SERVICES, mcInImage, type ConnectClient, type ConnectService } from '../connect-client.ts';
import { act, type CliContext } from '../context.ts';
import { runningEnvironment } from '../running-environment.ts';

interface ConnectOptions {
  print?: boolean;
  showSecrets?: boolean;
  showSecret?: boolean;
  provider?: ProviderName;
}

/** prodlike's cached MinIO client, else `mc` from PATH. */
function mcBinary(): string {
  const cached = join(toolBinDir(), 'mc');
  return existsSync(cached) ? cached : 'mc';
}

/** The `mc` found must be MinIO's (Debian's `mc` is Midnight Commander): TOOL_MISSING otherwise. */
async function assertMinioClient(client: ConnectClient): Promise<void> {
  const probe = await run(client.file, ['--version'], { timeoutMs: 15_000, allowFailure: true }).catch((error: unknown) => {
    if (error instanceof ToolMissingError) throw new ToolMissingError(client.file, client.missingHint, error);
    throw error;
  });
  if (!/minio/i.test(`${probe.stdout}\n${probe.stderr}`)) {
    throw new ToolMissingError('the MinIO client (mc)', `${client.file} is not MinIO's mc (${probe.stdout.split('\n')[0] ?? ''}). ${client.missingHint}`);
  }
}

/** `prodlike connect`. */
export function registerConnect(program: Command, ctx: CliContext): void {
  program
    .command('connect')
    .description('Open psql, redis-cli or the MinIO client (mc) on the environment\'s PostgreSQL, Redis or MinIO at '
      + '127.0.0.1 with its credentials (passed in the client\'s environment: PGPASSWORD, REDISCLI_AUTH, '
      + 'MC_HOST_prodlike; never on the command line). --print prints the connection string and export lines '
      + 'instead, the secrets as *** unless --show-secrets. Arguments after -- go to the client.')
    .addArgument(new Argument('<service>', 'the data service').choices(CONNECT_SERVICES))
    .argument('[client-args...]', 'passed to the client after --, e.g. -- -c "select 1"')
    .option('--print', 'print the connection string and environment instead of opening the client')
    .option('--show-secrets', 'with --print: print the password and keys (keep them private)')
    .addOption(new Option('--show-secret').hideHelp())
    .addOption(new Option('-p, --provider <provider>', 'override provider from the config').choices(PROVIDERS))
    .addHelpText('after', `
Examples:
  $ prodlike connect postgres                      psql as database.user on database.name (postgres on ai_saas_db by default)
  $ prodlike connect redis -- ping
  $ prodlike connect minio -- ls prodlike          mc with the alias "prodlike"
  $ eval "$(prodlike connect postgres --print --show-secrets)" && psql -c 'select 1'`)
    .action(act(ctx, async (service: ConnectService, clientArgs: string[], opts: ConnectOptions) => {
      const { loaded, provider } = await runningEnvironment(ctx, opts.provider);
      if (!canEndpoint(provider)) throw new ProdlikeError('USAGE', `The ${provider.name} provider publishes no endpoints on 127.0.0.1.`);
      const store = new EnvironmentStore(loaded.baseDir, loaded.config.name);
      if (!store.hasSecrets()) throw new EnvironmentNotUpError(loaded.config.name, provider.name, `no credentials in ${store.dir}`);
      const client = connectClient(service, await provider.endpoint(service), await store.secrets(), {
        bucket: loaded.config.objectStore.bucket, database: loaded.config.database, extraArgs: clientArgs, ...(service === 'minio' ? { mc: mcBinary() } : {}),
      });
      if (opts.print) {
        const shown = client.print(Boolean(opts.showSecrets ?? opts.showSecret));
        if (ctx.json) ctx.stdout(JSON.stringify({ service, url: shown.url, env: shown.env, command: [client.file, ...client.args] }, null, 2));
        else for (const line of shown.lines) ctx.stdout(line);
        return EXIT_CODES.ok;
      }
      let runnable = client;
      if (service === 'minio') {
        runnable = await assertMinioClient(client).then(() => client, async (error: unknown) => {
          if (!(error instanceof ToolMissingError)) throw error;
          const source = (await store.readState())?.imageSource ?? 'offline';
          const image = (await topologyImages(source)).minio;
          ctx.bus.emit({ kind: 'log', level: 'info', source: 'connect', message: `MinIO's mc is not on this host: running the one in the environment's MinIO image (${image}) with docker` });
          return mcInImage(client, image);
        });
      }
      ctx.renderer.close();
      ctx.interrupt = 'child'; // Ctrl-C is the client's (psql cancels the running query)
      const code = await runInteractive(runnable.file, runnable.args, { env: runnable.env, missingHint: runnable.missingHint });
      if (code !== 0) throw new ProdlikeError('COMMAND_FAILED', `${runnable.file} exited with ${code}.`, { details: { service, exitCode: code } });
      return EXIT_CODES.ok;
    }));
}
