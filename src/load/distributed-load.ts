import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SelectedProfile } from '../config/load-targets.ts';
import { parseDuration } from '../core/duration.ts';
import { ProdlikeError, UsageError } from '../core/errors.ts';
import { outcome as stepOutcome, type EventBus } from '../core/events.ts';
import { waitFor } from '../core/wait.ts';
import type { Kubectl } from '../kube/kubectl.ts';
import { EnvironmentStore } from '../providers/environment-state.ts';
import { ensureK6Operator } from '../providers/kind/k6-operator-addon.ts';
import { canKubernetes, type Provider } from '../providers/provider.ts';
import { ownLabels } from '../safety/ownership.ts';
import { imageFor, loadImageCatalog } from '../setup/image-catalog.ts';
import { classifyK6Exit } from './k6.ts';
import { K6_JOB_NAMESPACE } from './k6-job-manifests.ts';
import { scriptFiles } from './k6-job.ts';
import { headlineNumbers, mergedSummary, parseK6JsonLines, type MetricType, type RawSample, type RunnerNumbers } from './raw-metrics-merge.ts';
import { measuresFromSummary } from './results.ts';
import { assessLoad, planFor, writeLoadResult, type LoadRunResult } from './runner.ts';
import { shapeEnv, tailSeconds, type LoadProfileName, type LoadShape, type ResolvedScript } from './scripts.ts';
import { runnerIndex, testRunName, testRunObjects } from './testrun-manifests.ts';

/**
 * `prodlike load <script> --parallelism N` on kind: the script as a k6 operator TestRun with N runners (the
 * add-on is installed on first use), every runner's raw samples read back from its pod log, merged, and the
 * documented targets judged ONCE on the merged samples (raw-metrics-merge.ts). Same thresholds, result rows and
 * exit mapping as `prodlike load` (target missed: exit 1; a runner that could not run: exit 3).
 */
export interface DistributedLoadOptions {
  kubectl: Kubectl;
  cluster: string;
  envName: string;
  imageSource: 'online' | 'offline';
  runnerImage: string;
  operatorImage: string;
  script: ResolvedScript;
  loadProfile: LoadProfileName | 'custom';
  shape: LoadShape;
  targets: SelectedProfile[];
  parallelism: number;
  /** In-cluster entry (inClusterEntry(config)). */
  baseUrl: string;
  outDir: string;
  bus: EventBus;
  signal?: AbortSignal | undefined;
}

export interface RunnerResult {
  index: number;
  pod: string;
  node: string | undefined;
  exitCode: number;
  numbers: RunnerNumbers;
  /** The request count the runner's own handleSummary line reports (`summary: N requests`), the integrity check. */
  ownCount: number | undefined;
  /** Its raw samples (http_reqs/http_req_duration/http_req_failed Points) as written to the run directory. */
  file: string;
}

export interface DistributedLoadResult extends LoadRunResult {
  testRun: string;
  parallelism: number;
  runners: RunnerResult[];
  merged: RunnerNumbers;
}

interface PodList {
  items: Array<{ metadata: { name: string; labels?: Record<string, string> }; spec?: { nodeName?: string }; status?: { phase?: string; containerStatuses?: Array<{ state?: { terminated?: { exitCode: number }; waiting?: { reason?: string; message?: string } } }> } }>;
}
interface TestRunStatus { status?: { stage?: string; conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } }

/** The metrics a merged summary needs: those the thresholds name, and what measuresFromSummary reads. */
const BASE_METRICS = ['http_reqs', 'http_req_duration', 'http_req_failed', 'iterations', 'dropped_iterations'];
const RAW_FILE_METRICS = new Set(['http_reqs', 'http_req_duration', 'http_req_failed']);

export async function runDistributedLoad(o: DistributedLoadOptions): Promise<DistributedLoadResult> {
  const { script, shape, kubectl } = o;
  const plan = planFor(script, shape, o.targets);
  const thresholds = Object.fromEntries(Object.entries(plan.thresholds).map(([k, list]) => [k, list.map((t) => t.threshold)]));
  const wanted = new Set([...BASE_METRICS, ...Object.keys(thresholds).map((k) => k.split('{')[0]!)]);
  const files = {
    summary: join(o.outDir, 'k6-summary.json'), summaryExport: join(o.outDir, 'k6-summary.json'), log: join(o.outDir, 'k6.log'),
    thresholds: join(o.outDir, 'thresholds.json'), result: join(o.outDir, 'result.json'),
  };
  await writeFile(files.thresholds, `${JSON.stringify({ thresholds: plan.thresholds, mappings: plan.mappings, unmapped: plan.unmapped, reported: plan.reported, judgedOn: 'merged raw samples of every runner' }, null, 2)}\n`);
  const ns = K6_JOB_NAMESPACE;
  await kubectl.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: ownLabels(o.envName) } }));
  await ensureK6Operator(kubectl, { envName: o.envName, image: o.operatorImage, watchNamespace: ns, cluster: o.cluster, imageSource: o.imageSource, images: [o.runnerImage], bus: o.bus, signal: o.signal });

  const name = testRunName(script.name);
  const startedAt = new Date();
  const title = `k6 ${script.name} as TestRun ${ns}/${name}: ${o.parallelism} runners (${o.loadProfile}: ${shape.rate !== undefined ? `${shape.rate}/s` : `${shape.vus} VUs`} in all, for ${shape.duration})`;
  return o.bus.step(`load:${script.name}`, title, async (progress) => {
    const log: string[] = [];
    const objects = testRunObjects({
      name, namespace: ns, envName: o.envName, parallelism: o.parallelism, runnerImage: o.runnerImage, starterImage: o.operatorImage,
      scriptName: basename(script.path), files: await scriptFiles(script.path), env: { ...shapeEnv(shape), BASE_URL: o.baseUrl },
    });
    const t0 = Date.now();
    try {
      await kubectl.apply(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
      const budgetMs = parseDuration(shape.duration) + tailSeconds(script, shape) * 1000 + 300_000;
      let lastStage = '';
      const stage = await waitFor(async () => {
        const tr = await kubectl.json<TestRunStatus>(['-n', ns, 'get', 'testrun', name]);
        const s = tr.status?.stage ?? 'pending';
        if (s !== lastStage) {
          lastStage = s;
          log.push(`+${((Date.now() - t0) / 1000).toFixed(1)}s stage ${s}`);
          progress(`TestRun stage: ${s}`);
        }
        await failOnStuckPods(kubectl, ns, name);
        return s === 'finished' || s === 'error' ? s : undefined;
      }, { timeoutMs: budgetMs, intervalMs: 1000, description: `TestRun ${ns}/${name} to finish`, fatal: (e) => e instanceof ProdlikeError && e.code === 'COMMAND_FAILED', ...(o.signal ? { signal: o.signal } : {}) });
      if (stage === 'error') {
        const init = await kubectl.run(['-n', ns, 'logs', `job/${name}-initializer`], { allowFailure: true });
        throw new ProdlikeError('COMMAND_FAILED', `TestRun ${name} ended in stage "error" (the k6 operator could not run the script).${init.stdout.trim() ? `\n  initializer log:\n    ${init.stdout.trim().split('\n').slice(-6).join('\n    ')}` : ''}`, { hint: `kubectl --kubeconfig ${kubectl.kubeconfig} -n ${ns} describe testrun ${name}; the operator's log: -n prodlike-k6-operator logs deploy/k6-operator.` });
      }
      progress(`finished after ${((Date.now() - t0) / 1000).toFixed(1)} s; reading ${o.parallelism} runner logs`);
      const pods = (await kubectl.json<PodList>(['-n', ns, 'get', 'pods', '-l', `k6_cr=${name},runner=true`])).items;
      const runners: RunnerResult[] = [];
      const all: RawSample[] = [];
      const types: Record<string, MetricType> = {};
      for (const pod of pods) {
        const index = runnerIndex(name, pod.metadata.labels?.['job-name']) ?? runners.length + 1;
        const exitCode = pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode ?? -1;
        const text = (await kubectl.run(['-n', ns, 'logs', pod.metadata.name, '-c', 'k6'], { timeoutMs: 180_000 })).stdout;
        const parsed = parseK6JsonLines(text, (m) => wanted.has(m));
        Object.assign(types, parsed.types);
        for (const l of parsed.otherLines) log.push(`[runner ${index}] ${l}`);
        const own = parsed.otherLines.map((l) => /summary: (\d+) requests/.exec(l)?.[1]).find(Boolean);
        const file = join(o.outDir, `runner-${index}.jsonl`);
        await writeFile(file, `${parsed.samples.filter((s) => RAW_FILE_METRICS.has(s.metric)).map((s) => JSON.stringify(s)).join('\n')}\n`);
        const numbers = headlineNumbers(parsed.samples);
        runners.push({ index, pod: pod.metadata.name, node: pod.spec?.nodeName, exitCode, numbers, ownCount: own === undefined ? undefined : Number(own), file });
        all.push(...parsed.samples);
        const k6 = classifyK6Exit(exitCode, { script: `${script.name} (runner ${index} of TestRun ${name})`, logTail: parsed.otherLines.slice(-6).join('\n') });
        if (k6.kind !== 'ok') throw k6.kind === 'harness-error' ? k6.error : new ProdlikeError('COMMAND_FAILED', `Runner ${index} exited 99 though it was given no thresholds.`);
      }
      runners.sort((a, b) => a.index - b.index);
      if (runners.length !== o.parallelism) throw new ProdlikeError('COMMAND_FAILED', `TestRun ${name} finished with ${runners.length} runner pods, not ${o.parallelism}.`);
      const incomplete = runners.filter((r) => r.ownCount !== undefined && r.ownCount !== r.numbers.requests);
      if (incomplete.length) {
        throw new ProdlikeError('COMMAND_FAILED', `Raw samples incomplete: ${incomplete.map((r) => `runner ${r.index} reported ${r.ownCount} requests, its log holds ${r.numbers.requests}`).join('; ')}.`, {
          hint: 'The kubelet rotates a container log at 10 MiB (about 4,000 requests of raw k6 JSON): use a shorter --duration, a lower --rate or more runners.',
        });
      }
      const summary = mergedSummary({ samples: all, types, thresholds, keys: script.endpoints.map((e) => `http_req_duration{name:${e}}`) });
      await writeFile(files.summary, `${JSON.stringify(summary, null, 2)}\n`);
      const crossed = Object.values(summary.metrics).some((m) => Object.values(m.thresholds ?? {}).some((t) => !t.ok));
      const measures = measuresFromSummary(summary, script.endpoints);
      const { rows, failures, error } = assessLoad({ script, summary, plan, measures, targets: o.targets, queue: undefined, queueSkipped: 'distributed runs do not sample the queue', outcome: crossed ? 'target-missed' : 'ok' });
      const merged = headlineNumbers(all);
      const result: DistributedLoadResult = {
        script: script.name, loadProfile: o.loadProfile, shape, baseUrl: o.baseUrl, targets: o.targets.map((t) => t.name), startedAt: startedAt.toISOString(),
        k6: { binary: `TestRun ${ns}/${name} (${o.runnerImage} x ${o.parallelism})`, exitCode: crossed ? 99 : 0, outcome: crossed ? 'target-missed' : 'ok', durationMs: Date.now() - t0, args: [] },
        plan, measures, queue: undefined, rows, passed: error === undefined, error, files,
        testRun: name, parallelism: o.parallelism, runners, merged,
      };
      await writeLoadResult(files.result, result);
      return stepOutcome(error ? 'warn' : 'ok', result, `${o.parallelism} runners, ${merged.requests} requests merged; ${failures.length ? `missed: ${failures.length} target(s)` : 'targets met'}`);
    } finally {
      await writeFile(files.log, `${log.join('\n')}\n`).catch(() => undefined);
      for (const obj of [...objects].reverse()) {
        await kubectl.run(['-n', ns, 'delete', obj.kind === 'TestRun' ? 'testrun' : 'configmap', obj.metadata.name, '--ignore-not-found', '--wait=false'], { allowFailure: true, timeoutMs: 60_000 });
      }
    }
  });
}

/** A runner, initializer or starter pod that can never start (no image, bad config) ends the wait at once. */
async function failOnStuckPods(kubectl: Kubectl, ns: string, name: string): Promise<void> {
  const pods = await kubectl.json<PodList>(['-n', ns, 'get', 'pods', '-l', `k6_cr=${name}`]);
  for (const pod of pods.items) {
    const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
    if (waiting?.reason && /ErrImage|ImagePull|CreateContainerConfigError|InvalidImageName/.test(waiting.reason)) {
      throw new ProdlikeError('COMMAND_FAILED', `Pod ${pod.metadata.name} of TestRun ${name} cannot start: ${waiting.reason}${waiting.message ? ` (${waiting.message})` : ''}.`, { hint: 'Offline, the runner and starter images are loaded into the nodes by the k6 operator add-on; run `npx prodlike setup`.' });
    }
  }
}


/** What a distributed run needs of the environment: kind (kubectl, cluster), the image source it was made with, the images. */
export async function distributedContext(provider: Provider, baseDir: string, envName: string): Promise<Pick<DistributedLoadOptions, 'kubectl' | 'cluster' | 'imageSource' | 'runnerImage' | 'operatorImage'>> {
  if (!canKubernetes(provider)) {
    throw new UsageError(`--parallelism runs k6 through the k6 operator in the cluster: it needs the kind provider, and environment "${envName}" runs on ${provider.name}.`, { hint: 'Drop --parallelism (k6 then runs on this host), or bring the environment up with `prodlike up --provider kind`.' });
  }
  const state = await new EnvironmentStore(baseDir, envName).readState();
  const imageSource = state?.imageSource === 'online' ? 'online' : 'offline';
  const catalog = await loadImageCatalog();
  return { kubectl: provider.kubectl, cluster: provider.cluster, imageSource, runnerImage: imageFor(catalog, 'k6', imageSource), operatorImage: imageFor(catalog, 'k6-operator', imageSource) };
}
