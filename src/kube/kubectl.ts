import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run, type RunOptions, type RunResult } from '../../core/exec.ts';
import { cacheDir, toolBinDir } from '../../core/paths.ts';

/** kind, kubectl and crictl as prodlike built them (cache bin) or from PATH. */
export function findTool(name: 'kind' | 'kubectl', env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [join(toolBinDir(env), name), ...(name === 'kubectl' ? [join(cacheDir(env), 'kubernetes', 'v1.34.4', 'kubectl')] : [])];
  return candidates.find((c) => existsSync(c)) ?? name;
}

/**
 * kubectl bound to one kubeconfig file and one context, always passed explicitly: prodlike never
 * reads or changes the user's current context.
 */
export class Kubectl {
  constructor(readonly kubeconfig: string, readonly context: string, readonly bin = findTool('kubectl')) {}

  async run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return run(this.bin, ['--kubeconfig', this.kubeconfig, '--context', this.context, ...args], {
      timeoutMs: 120_000,
      missingHint: 'Run `npx prodlike setup --kind` (kubectl comes from the Kubernetes build).',
      ...options,
    });
  }

  async json<T>(args: string[], options: RunOptions = {}): Promise<T> {
    const r = await this.run([...args, '-o', 'json'], options);
    return JSON.parse(r.stdout) as T;
  }

  async apply(yaml: string, options: RunOptions = {}): Promise<RunResult> {
    return this.run(['apply', '--server-side', '--force-conflicts', '--field-manager=prodlike', '-f', '-'], { ...options, input: yaml });
  }
}

export async function kind(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(findTool('kind'), args, { timeoutMs: 10 * 60_000, missingHint: 'Run `npx prodlike setup --kind` (builds kind with `go install`).', ...options });
}
