import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { run, runStreaming, type RunOptions, type RunResult, type StreamOptions } from '../core/exec.ts';
import { cacheDir, toolBinDir } from '../core/paths.ts';

/** kind, kubectl and crictl as prodlike built them (cache bin) or from PATH. */
export function findTool(name: 'kind' | 'kubectl', env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [join(toolBinDir(env), name), ...(name === 'kubectl' ? [join(cacheDir(env), 'kubernetes', 'v1.34.4', 'kubectl')] : [])];
  return candidates.find((c) => existsSync(c)) ?? name;
}

const KUBECTL_MISSING = 'Run `npx prodlike setup --kind` (kubectl comes from the Kubernetes build).';

/** Where a kubectl call goes: one kubeconfig file and one context, both always explicit. */
export interface KubeTarget {
  readonly kubeconfig: string;
  readonly context: string;
}

/** An API client configuration for `target` (watches, typed reads), never the user's current context. */
export function kubeConfigFor(target: KubeTarget): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(target.kubeconfig);
  kc.setCurrentContext(target.context);
  return kc;
}

/**
 * `kubectl` with binary stdin and/or stdout streams (`gunzip -c dump | kubectl exec -i … psql`, `kubectl exec
 * … cat file > local`), through core/exec.ts's runStreaming. Resolves with the exit code and stderr when
 * `allowFailure` is set; otherwise a non-zero exit throws.
 */
export async function kubectlStream(kubectl: KubeTarget & { readonly bin: string }, args: readonly string[], options: StreamOptions = {}): Promise<RunResult> {
  return runStreaming(kubectl.bin, ['--kubeconfig', kubectl.kubeconfig, '--context', kubectl.context, ...args], { timeoutMs: 5 * 60_000, missingHint: KUBECTL_MISSING, ...options });
}

/**
 * kubectl bound to one kubeconfig file and one context, always passed explicitly: prodlike never
 * reads or changes the user's current context.
 */
export class Kubectl implements KubeTarget {
  constructor(readonly kubeconfig: string, readonly context: string, readonly bin = findTool('kubectl')) {}

  async run(args: string[], options: RunOptions = {}): Promise<RunResult> {
    return run(this.bin, ['--kubeconfig', this.kubeconfig, '--context', this.context, ...args], {
      timeoutMs: 120_000,
      missingHint: KUBECTL_MISSING,
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

  /** kubectl with streamed stdin/stdout (see kubectlStream). */
  async stream(args: readonly string[], options: StreamOptions = {}): Promise<RunResult> {
    return kubectlStream(this, args, options);
  }

  /** The same kubeconfig and context as an API client configuration. */
  kubeConfig(): KubeConfig {
    return kubeConfigFor(this);
  }
}

export async function kind(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return run(findTool('kind'), args, { timeoutMs: 10 * 60_000, missingHint: 'Run `npx prodlike setup --kind` (builds kind with `go install`).', ...options });
}
