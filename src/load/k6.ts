import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { isBindError } from '../core/bind-error.ts';
import { ProdlikeError, TargetMissedError, ToolMissingError } from '../core/errors.ts';
import { toolBinDir } from '../core/paths.ts';

/** k6's own exit codes (go.k6.io/k6/errext/exitcodes), for messages. */
export const K6_EXIT_CODES: Record<number, string> = {
  97: 'cloud test run failed',
  98: 'cloud: failed to get progress',
  99: 'thresholds crossed',
  100: 'setup() timed out',
  101: 'teardown() timed out',
  102: 'generic timeout',
  103: 'engine error',
  104: 'invalid configuration (options, thresholds or environment)',
  105: 'aborted from outside (signal or REST API)',
  106: 'could not start the REST API (address in use?)',
  107: 'script exception (a JavaScript error in the script)',
  108: 'script aborted (test.abort() or a threshold with abortOnFail)',
  109: 'Go panic inside k6',
  110: 'marked as failed (exec.test.fail())',
};

export type K6Outcome =
  | { kind: 'ok'; exitCode: 0 }
  | { kind: 'target-missed'; exitCode: 99; error: TargetMissedError }
  | { kind: 'harness-error'; exitCode: number; error: ProdlikeError };

/**
 * k6's exit code → prodlike's meaning. 0: every threshold held. 99: thresholds were crossed — the run
 * was complete and a documented target was missed (exit 1). Anything else: k6 could not run the test
 * as asked (bad script, bad thresholds, setup failure, killed) — a harness error (exit 3).
 */
export function classifyK6Exit(exitCode: number, context: { script: string; crossed?: string[]; logTail?: string; logFile?: string } = { script: 'k6 script' }): K6Outcome {
  if (exitCode === 0) return { kind: 'ok', exitCode: 0 };
  if (exitCode === 99) {
    const crossed = context.crossed?.length ? `: ${context.crossed.join('; ')}` : '';
    return {
      kind: 'target-missed',
      exitCode: 99,
      error: new TargetMissedError(`Load test ${context.script} crossed its thresholds${crossed}.`, {
        hint: 'The table above shows each target, the document it comes from and the measured value. Lower the load (--rate) to see where the system holds, or look at the run directory for the k6 summary.',
        details: { k6ExitCode: 99, crossed: context.crossed ?? [] },
      }),
    };
  }
  const meaning = K6_EXIT_CODES[exitCode] ?? (exitCode < 0 || exitCode > 128 ? 'killed by a signal' : 'unknown k6 error');
  return {
    kind: 'harness-error',
    exitCode,
    error: new ProdlikeError('COMMAND_FAILED', `k6 could not run ${context.script}: exit ${exitCode} (${meaning}).${context.logTail ? `\n  last k6 output:\n    ${context.logTail.split('\n').join('\n    ')}` : ''}`, {
        hint: `Nothing was measured, so no target is judged. ${context.logFile ? `Full k6 output: ${context.logFile}. ` : ''}Check that the environment is up (\`prodlike status\`) and the script runs by hand (\`k6 run loadtests/<script>.js\`).`,
        details: { k6ExitCode: exitCode, meaning },
      }),
  };
}

/**
 * k6 ended because another process held its REST API address (`--address 127.0.0.1:<port>`): exit 106 and
 * k6's `Error from API server` log line with `listen tcp 127.0.0.1:<port>: bind: address already in use`.
 * Nothing ran (k6 exits as soon as the listener fails), so the run can start again on another port.
 */
export function k6ApiPortTaken(exitCode: number, output: readonly string[], port: number): boolean {
  return exitCode === 106 && output.some((line) => line.includes('Error from API server') && line.includes(`127.0.0.1:${port}`) && isBindError(line));
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** k6 built by `prodlike setup` ($PRODLIKE_CACHE/bin/k6), else the first k6 on PATH. */
export async function findK6(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const cached = join(toolBinDir(env), 'k6');
  if (await executable(cached)) return cached;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'k6');
    if (await executable(candidate)) return candidate;
  }
  throw new ToolMissingError('k6', `Run \`npx prodlike setup\` (builds k6 v1.8.1 into ${cached}) or install k6 and put it on PATH; \`prodlike load\` runs k6 on this host.`);
}
