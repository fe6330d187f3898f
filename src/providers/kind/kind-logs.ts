import type { ResolvedWorkload } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import { lineWriter } from '../../core/line-writer.ts';
import type { Kubectl } from '../../kube/kubectl.ts';
import type { KubeList, PodObject } from '../../kube/objects.ts';
import type { LogLine, LogOptions } from '../provider.ts';
import { selectorOf } from './kind-workloads.ts';

/** kubectl's default of concurrent log streams; `-f` over more containers than this fails, so it is raised. */
const KUBECTL_MAX_LOG_REQUESTS = 5;

/**
 * `kubectl logs` arguments for a workload's logs: every pod of its selector in its namespace (or the one
 * `pod`), all containers, each line prefixed `[pod/<pod>/<container>]`; `--tail` always explicit (with a
 * selector kubectl's default is 10 lines); `-f` with `--max-log-requests` covering `streams` containers.
 */
export function kindLogsArgs(workload: Pick<ResolvedWorkload, 'namespace' | 'selector'>, options: Pick<LogOptions, 'tail' | 'sinceSeconds' | 'follow'> & { pod?: string; streams?: number } = {}): string[] {
  return [
    '-n', workload.namespace, 'logs',
    ...(options.pod ? [`pod/${options.pod}`] : ['-l', selectorOf(workload.selector)]),
    '--all-containers', '--prefix', '--ignore-errors',
    `--tail=${options.tail ?? -1}`,
    ...(options.sinceSeconds === undefined ? [] : [`--since=${Math.max(1, Math.round(options.sinceSeconds))}s`]),
    ...(options.follow ? ['-f', `--max-log-requests=${Math.max(KUBECTL_MAX_LOG_REQUESTS, options.streams ?? 0)}`] : []),
  ];
}

const PREFIXED = /^\[pod\/([^/\]]+)\/([^\]]+)\] ?(.*)$/;

/** A line of `kubectl logs --prefix` as source `<pod>/<container>` and text (a line without the prefix keeps it all as text). */
export function parsePrefixedLine(line: string, fallbackSource: string): LogLine {
  const m = PREFIXED.exec(line);
  return m ? { source: `${m[1]}/${m[2]}`, text: m[3] ?? '' } : { source: fallbackSource, text: line };
}

/**
 * The kind provider's `logs` (LogOptions): `kubectl logs` of the workload's pods through kubectl's streaming
 * helper, line by line. The text is one pod's (`replica`, default 0, pods sorted by name), its last 200 lines
 * by default; streaming reads every pod unless `replica` is set, and a followed stream ends, without an
 * error, when `signal` aborts.
 */
export async function readKindLogs(kubectl: Kubectl, workload: ResolvedWorkload, options: LogOptions = {}): Promise<string> {
  const { onLine, replica, signal, ...read } = options;
  const pods = (await kubectl.json<KubeList<PodObject>>(['-n', workload.namespace, 'get', 'pods', '-l', selectorOf(workload.selector)])).items
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const wanted = replica ?? (onLine ? undefined : 0);
  const pod = wanted === undefined ? undefined : pods[wanted]?.metadata.name;
  if (wanted !== undefined && !pod) {
    throw new ProdlikeError('PROVIDER_FAILED', `No ${workload.role} pod ${wanted} in namespace ${workload.namespace} (${pods.length} pods match ${selectorOf(workload.selector)}).`, { hint: 'Check `prodlike status`; is the environment up?' });
  }
  const streams = pods.reduce((n, p) => n + (p.spec?.containers?.length ?? 1), 0);
  const args = kindLogsArgs(workload, { ...read, ...(onLine ? {} : { tail: read.tail ?? 200 }), ...(pod ? { pod } : {}), streams });
  const lines: string[] = [];
  const emit = onLine ?? ((line: LogLine) => lines.push(line.text));
  const result = await kubectl.stream(args, {
    stdout: lineWriter((line) => emit(parsePrefixedLine(line, workload.role))),
    // A followed stream runs until Ctrl-C (the signal): no timeout.
    timeoutMs: read.follow ? 0 : 120_000,
    allowFailure: true,
    ...(signal ? { signal } : {}),
  }).catch((error: unknown) => {
    if (signal?.aborted) return undefined;
    throw error;
  });
  if (result && result.exitCode !== 0 && !signal?.aborted) {
    throw new ProdlikeError('COMMAND_FAILED', `\`kubectl logs\` of ${workload.role} exited with ${result.exitCode}: ${result.stderr.trim().split('\n').slice(-3).join(' ')}`, { details: { args } });
  }
  return onLine ? '' : lines.join('\n');
}
