import { Command, CommanderError } from 'commander';
import { loadConfig } from '../config/load-config.ts';
import { EXIT_CODES, ProdlikeError, toProdlikeError, type ExitCode } from '../core/errors.ts';
import { EventBus } from '../core/events.ts';
import { PACKAGE_VERSION } from '../core/paths.ts';
import { registerCheck } from './commands/check.ts';
import { registerConnect } from './commands/connect.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerDev } from './commands/dev.ts';
import { registerDown } from './commands/down.ts';
import { registerGc } from './commands/gc.ts';
import { registerKubeconfig } from './commands/kubeconfig.ts';
import { registerLoad } from './commands/load.ts';
import { registerLogs } from './commands/logs.ts';
import { registerReport } from './commands/report.ts';
import { registerReset } from './commands/reset.ts';
import { registerRun } from './commands/run.ts';
import { registerSchema } from './commands/schema.ts';
import { registerSetup } from './commands/setup.ts';
import { registerStatus } from './commands/status.ts';
import { registerUp } from './commands/up.ts';
import type { CliContext } from './context.ts';
import { ProgressRenderer } from './render.ts';

interface GlobalOptions {
  config?: string;
  json?: boolean;
}

const HELP_FOOTER = `
Exit codes: 0 all targets met · 1 a documented target was missed · 2 usage or config error ·
            3 environment/infrastructure error (the harness could not run) · 70 internal bug
Config: prodlike.yaml in the current directory (or --config). Targets and their source documents:
        fixtures/targets.yaml. Docs: README.md.`;

/** The commands, in the order `--help` lists them: one module each under src/cli/commands/. */
const COMMANDS = [registerSetup, registerDoctor, registerUp, registerDev, registerReset, registerDown, registerStatus, registerLogs, registerConnect, registerKubeconfig, registerRun, registerLoad, registerCheck, registerReport, registerGc, registerSchema];

/** Builds the program. Exported for tests (exitOverride, captured output). */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('prodlike')
    .description('Boot the documented production architecture locally (kind or docker) and check its RTO/RPO/p95 promises with real measurements.')
    .version(PACKAGE_VERSION, '-V, --version')
    .option('-c, --config <file>', 'config file (default: ./prodlike.yaml)')
    .option('--json', 'print machine-readable JSON on stdout instead of tables')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addHelpText('after', HELP_FOOTER);
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/**
 * A reader that stops early (`prodlike --help | head -1`) closes stdout: further output is dropped instead
 * of an EPIPE stack trace, and the command ends as it would have (a run still heals its faults).
 */
const stdoutState = { closed: false, watched: false, gone: new AbortController() };
function quietWhenStdoutCloses(): { readonly closed: boolean; readonly gone: AbortController } {
  if (stdoutState.watched) return stdoutState;
  stdoutState.watched = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') {
      stdoutState.closed = true;
      stdoutState.gone.abort();
      return;
    }
    throw error;
  });
  return stdoutState;
}

export async function main(argv: string[]): Promise<ExitCode> {
  const stdout = quietWhenStdoutCloses();
  const bus = new EventBus();
  const renderer = new ProgressRenderer();
  const json = argv.includes('--json');
  if (!json) bus.on(renderer.handle);
  let global: GlobalOptions = {};
  const ctx: CliContext = {
    bus,
    renderer,
    json,
    stdout: (text) => {
      if (!stdout.closed) process.stdout.write(`${text}\n`);
    },
    load: (overrides = {}) => loadConfig({ ...(global.config ? { file: global.config } : {}), overrides }),
    exitCode: EXIT_CODES.ok,
    abort: new AbortController(),
    stdoutClosed: stdout.gone.signal,
  };
  const program = buildProgram(ctx);
  let code: ExitCode = EXIT_CODES.ok;
  program.hook('preAction', (cmd) => {
    global = cmd.optsWithGlobals() as GlobalOptions;
  });
  // First Ctrl-C: abort the running command (subprocesses are cancelled, rollbacks run), then exit.
  // A second Ctrl-C, or cleanup taking over 2 min (restoring a scaled-down service waits for readiness), exits at once.
  let interrupts = 0;
  const interrupted = () => {
    if (ctx.interrupt === 'child') return; // the interactive program has the terminal and handles Ctrl-C itself
    interrupts += 1;
    renderer.close();
    if (interrupts > 1) process.exit(130);
    if (ctx.interrupt === 'end') {
      ctx.abort.abort(new ProdlikeError('INTERRUPTED', 'Interrupted (Ctrl-C / SIGTERM).'));
      return;
    }
    process.stderr.write('\ninterrupted: stopping and cleaning up (Ctrl-C again to exit at once)\n');
    ctx.abort.abort(new ProdlikeError('INTERRUPTED', 'Interrupted (Ctrl-C / SIGTERM); cleanup ran.'));
    setTimeout(() => process.exit(130), 120_000).unref();
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  try {
    await program.parseAsync(argv);
    code = ctx.exitCode;
  } catch (error) {
    renderer.close();
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_CODES.ok;
      return EXIT_CODES.usage;
    }
    const e = toProdlikeError(error);
    if (json) ctx.stdout(JSON.stringify({ error: e.toJSON() }, null, 2));
    else {
      process.stderr.write(`\n✖ ${e.message}\n`);
      if (e.hint) process.stderr.write(`  → ${e.hint}\n`);
      if (e.code === 'INTERNAL' && e.cause instanceof Error && e.cause.stack) process.stderr.write(`${e.cause.stack}\n`);
    }
    code = e.exitCode;
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  }
  return code;
}
