import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SelectedProfile } from '../config/load-targets.ts';
import { resolveWorkload, type ProdlikeConfig } from '../config/schema.ts';
import { parseDuration } from '../core/duration.ts';
import { ProdlikeError, UsageError } from '../core/errors.ts';
import { outcome as stepOutcome, type EventBus } from '../core/events.ts';
import { waitFor } from '../core/wait.ts';
import { EnvironmentStore } from '../providers/environment-state.ts';
import type { Kubectl } from '../kube/kubectl.ts';
import { canKubernetes, type Provider } from '../providers/provider.ts';
import { imageFor, loadImageCatalog } from '../setup/image-catalog.ts';
import { classifyK6Exit, type K6Outcome } from './k6.ts';
import type { QueueReport, QueueSampler } from './queue-sampler.ts';
import { measuresFromSummary } from './results.ts';
import { assessLoad, planFor, writeLoadResult, type LoadRunResult } from './runner.ts';
import { LOADTESTS_DIR, shapeEnv, tailSeconds, type LoadProfileName, type LoadShape, type ResolvedScript } from './scripts.ts';
import { parseK6Summary } from './summary.ts';
import { jobName, K6_JOB_NAMESPACE, k6JobManifests, parseJobLog, type AllowRule, type K6JobSpec } from './k6-job-manifests.ts';

/** The scenarios read these from here. */
export { jobName, K6_JOB_NAMESPACE } from './k6-job-manifests.ts';

/**
 * Runs a k6 script inside the kind cluster as a Kubernetes Job, so the load measures the in-cluster
 * path (pod → Service → pods), not the host's port mapping.
 *
 *   - the script and loadtests/lib/harness.js travel in a ConfigMap mounted at /scripts;
 *   - the Job (one pod, no retries, a deadline) runs the catalogue's k6 image (prodlike.local/k6:1.8.1
 *     offline, grafana/k6:1.8.1 online), non-root, read-only root filesystem, /tmp an emptyDir;
 *   - results come back through the pod log: the script's handleSummary writes SUMMARY_PATH in the
 *     pod, and the container prints it between marker lines after k6 exits (and, with `points`, k6's
 *     JSON output of http_req_duration/http_req_failed, gzip + base64) before exiting with k6's code;
 *   - k6's exit code is read from the pod status and mapped like the host runner (0 ok, 99 target
 *     missed, else harness error);
 *   - everything carries io.prodlike.* labels and is deleted afterwards (also on failure), including
 *     the NetworkPolicies the harness adds so the load pod may reach the documented default-deny
 *     namespaces.
 */

/** k6's image from the catalogue (fixtures/images/images.yaml): grafana/k6 online, prodlike.local/k6 offline. */
export async function k6Image(source: 'online' | 'offline'): Promise<string> {
  return imageFor(await loadImageCatalog(), 'k6', source);
}

/** The script and the shared harness, read from the host (loadtests/). */
export async function scriptFiles(scriptPath: string): Promise<Record<string, string>> {
  const harness = join(LOADTESTS_DIR, 'lib', 'harness.js');
  return { [basename(scriptPath)]: await readFile(scriptPath, 'utf8'), 'lib/harness.js': await readFile(harness, 'utf8') };
}

export interface K6JobResult {
  name: string;
  namespace: string;
  exitCode: number;
  outcome: K6Outcome;
  summaryText?: string;
  pointsText?: string;
  k6Log: string;
  /** Pod scheduled/started/finished (ms, host clock) from the pod status. */
  startedAt?: number;
  finishedAt?: number;
  durationMs: number;
}

interface PodStatusList {
  items: Array<{ metadata: { name: string }; status?: { phase?: string; startTime?: string; containerStatuses?: Array<{ state?: { terminated?: { exitCode: number; reason?: string; startedAt?: string; finishedAt?: string }; waiting?: { reason?: string; message?: string } } }> } }>;
}

/**
 * Applies the manifests, waits for the pod to finish, reads its log and exit code, deletes what it
 * created (namespace kept: it is shared by runs and labelled; `prodlike down` removes the cluster).
 * Throws a harness error when the pod cannot start (image, schedule) or the log has no summary.
 */
export async function runK6Job(kubectl: Kubectl, spec: K6JobSpec, options: { onLine?: (line: string) => void; signal?: AbortSignal; keep?: boolean } = {}): Promise<K6JobResult> {
  const ns = spec.namespace ?? K6_JOB_NAMESPACE;
  const objects = k6JobManifests(spec);
  const started = Date.now();
  const created = objects.filter((o) => o.kind !== 'Namespace');
  try {
    await kubectl.apply(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    options.onLine?.(`k6 Job ${ns}/${spec.name} created (${spec.image})`);
    const pods = async () => kubectl.json<PodStatusList>(['-n', ns, 'get', 'pods', '-l', `job-name=${spec.name}`]);
    const terminated = await waitFor(async () => {
      const list = await pods();
      const pod = list.items[0];
      const cs = pod?.status?.containerStatuses?.[0];
      const waiting = cs?.state?.waiting;
      if (waiting?.reason && /ErrImage|ImagePull|CreateContainerConfigError|InvalidImageName/.test(waiting.reason)) {
        throw new ProdlikeError('COMMAND_FAILED', `k6 Job ${spec.name} cannot start: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}.`, {
          hint: `Load the image into the kind nodes (\`kind load docker-image --name <cluster> ${spec.image}\`); offline it comes from \`prodlike setup\`.`,
        });
      }
      const t = cs?.state?.terminated;
      return t ? { pod: pod!.metadata.name, ...t, startTime: pod!.status?.startTime } : undefined;
    }, { timeoutMs: (spec.activeDeadlineSeconds + 120) * 1000, intervalMs: 2000, description: `k6 Job ${spec.name} to finish`, ...(options.signal ? { signal: options.signal } : {}) });
    const logs = await kubectl.run(['-n', ns, 'logs', terminated.pod, '-c', 'k6'], { allowFailure: true, timeoutMs: 120_000 });
    const parsed = parseJobLog(logs.stdout);
    for (const line of parsed.k6Log.split('\n')) if (line.trim()) options.onLine?.(line);
    const logTail = parsed.k6Log.split('\n').filter((l) => l.trim()).slice(-8).join('\n');
    const outcome = classifyK6Exit(terminated.exitCode, { script: spec.scriptName, logTail });
    if (outcome.kind !== 'harness-error' && !parsed.summaryText) {
      throw new ProdlikeError('COMMAND_FAILED', `k6 Job ${spec.name} exited ${terminated.exitCode} but its log has no summary block.`, { hint: 'The script must export handleSummary (loadtests/lib/harness.js writeSummary) writing SUMMARY_PATH.' });
    }
    return {
      name: spec.name,
      namespace: ns,
      exitCode: terminated.exitCode,
      outcome,
      ...(parsed.summaryText ? { summaryText: parsed.summaryText } : {}),
      ...(parsed.pointsText !== undefined ? { pointsText: parsed.pointsText } : {}),
      k6Log: parsed.k6Log,
      ...(terminated.startedAt ? { startedAt: Date.parse(terminated.startedAt) } : {}),
      ...(terminated.finishedAt ? { finishedAt: Date.parse(terminated.finishedAt) } : {}),
      durationMs: Date.now() - started,
    };
  } finally {
    if (!options.keep) {
      for (const o of created.reverse()) {
        await kubectl.run(['-n', o.metadata.namespace ?? ns, 'delete', o.kind.toLowerCase(), o.metadata.name, '--ignore-not-found', '--wait=false', ...(o.kind === 'Job' ? ['--cascade=background'] : [])], { allowFailure: true, timeoutMs: 60_000 });
      }
    }
  }
}

/** In-cluster entry for `prodlike load --in-cluster`: the frontend role's Service in its namespace (serves `/`, proxies `/api`). */
export function inClusterEntry(config: ProdlikeConfig): string {
  const frontend = resolveWorkload(config, 'frontend');
  return `http://${frontend.service}.${frontend.namespace}.svc.cluster.local${frontend.port === 80 ? '' : `:${frontend.port}`}`;
}

export interface InClusterLoadOptions {
  kubectl: Kubectl;
  envName: string;
  image: string;
  script: ResolvedScript;
  loadProfile: LoadProfileName | 'custom';
  shape: LoadShape;
  targets: SelectedProfile[];
  outDir: string;
  bus: EventBus;
  /** Where k6 sends its requests from inside the cluster: inClusterEntry(config). */
  baseUrl: string;
  /**
   * Ingress rules to add for the load pod. Only for pods that a NetworkPolicy already isolates (e.g. the
   * backend under default-deny): a policy selecting non-isolated pods would isolate them.
   */
  allow?: AllowRule[];
  queue?: QueueSampler | undefined;
  queueSkipped?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * `runLoad` with k6 as a Job in the cluster: same thresholds (from the target profiles), same result
 * rows, same exit mapping (99 → target missed, other non-zero → harness error).
 */
export async function runLoadInCluster(options: InClusterLoadOptions): Promise<LoadRunResult> {
  const { script, shape } = options;
  const plan = planFor(script, shape, options.targets);
  const { baseUrl } = options;
  const files = {
    summary: join(options.outDir, 'k6-summary.json'),
    summaryExport: join(options.outDir, 'k6-summary.json'),
    log: join(options.outDir, 'k6.log'),
    thresholds: join(options.outDir, 'thresholds.json'),
    result: join(options.outDir, 'result.json'),
    ...(options.queue ? { queue: join(options.outDir, 'queue-samples.json') } : {}),
  };
  await writeFile(files.thresholds, `${JSON.stringify({ thresholds: plan.thresholds, mappings: plan.mappings, unmapped: plan.unmapped, reported: plan.reported }, null, 2)}\n`);
  const name = jobName(script.name);
  const startedAt = new Date();
  const title = `k6 ${script.name} as Job ${K6_JOB_NAMESPACE}/${name} (${options.loadProfile}: ${shape.rate !== undefined ? `${shape.rate}/s` : `${shape.vus} VUs`} for ${shape.duration})`;
  return options.bus.step(`load:${script.name}`, title, async (progress) => {
    if (options.queue) await options.queue.start();
    let job: K6JobResult;
    let queueReport: QueueReport | undefined;
    const log: string[] = [];
    try {
      job = await runK6Job(options.kubectl, {
        name,
        envName: options.envName,
        image: options.image,
        scriptName: basename(script.path),
        files: await scriptFiles(script.path),
        env: { ...shapeEnv(shape), BASE_URL: baseUrl, THRESHOLDS: JSON.stringify(plan.thresholds) },
        ...(options.allow ? { allow: options.allow } : {}),
        activeDeadlineSeconds: Math.ceil(parseDuration(shape.duration) / 1000) + tailSeconds(script, shape) + 120,
      }, { onLine: (l) => { log.push(l); progress(l); }, ...(options.signal ? { signal: options.signal } : {}) });
      if (options.queue) queueReport = await options.queue.stop();
    } finally {
      if (options.queue) await options.queue.stop().catch(() => undefined);
      await writeFile(files.log, `${log.join('\n')}\n`).catch(() => undefined);
    }
    if (job.outcome.kind === 'harness-error') throw job.outcome.error;
    await writeFile(files.summary, job.summaryText ?? '');
    const summary = parseK6Summary(job.summaryText ?? '', `k6 Job ${name} summary`);
    const measures = measuresFromSummary(summary, script.endpoints);
    const queue: LoadRunResult['queue'] = queueReport ? { ...queueReport } : undefined;
    if (queue && files.queue) await writeFile(files.queue, `${JSON.stringify(queue, null, 2)}\n`);
    const { rows, failures, error } = assessLoad({ script, summary, plan, measures, targets: options.targets, queue, queueSkipped: options.queueSkipped, outcome: job.outcome.kind });
    const result: LoadRunResult = {
      script: script.name,
      loadProfile: options.loadProfile,
      shape,
      baseUrl,
      targets: options.targets.map((t) => t.name),
      startedAt: startedAt.toISOString(),
      k6: { binary: `job ${job.namespace}/${job.name} (${options.image})`, exitCode: job.exitCode, outcome: job.outcome.kind, durationMs: job.durationMs, args: [] },
      plan,
      measures,
      queue,
      rows,
      passed: error === undefined,
      error,
      files,
    };
    await writeLoadResult(files.result, result);
    return stepOutcome(error ? 'warn' : 'ok', result, `${failures.length ? `missed: ${failures.length} target(s)` : 'targets met'}; Job ${job.name} deleted`);
  });
}

/** The kubectl and k6 image for an in-cluster run; offline, loads the image into the cluster's nodes. */
export async function inClusterContext(provider: Provider, baseDir: string, envName: string, onLine?: (line: string) => void): Promise<{ kubectl: Kubectl; image: string }> {
  if (!canKubernetes(provider)) {
    throw new UsageError(`--in-cluster runs k6 as a Kubernetes Job: it needs the kind provider, and environment "${envName}" runs on ${provider.name}.`, { hint: 'Drop --in-cluster (k6 then runs on this host against the 127.0.0.1 entry), or bring the environment up with `prodlike up --provider kind`.' });
  }
  const state = await new EnvironmentStore(baseDir, envName).readState();
  const source = state?.imageSource === 'online' ? 'online' : 'offline';
  const image = await k6Image(source);
  if (source === 'offline') await provider.loadImage(image, onLine ? { onLine } : {});
  return { kubectl: provider.kubectl, image };
}
