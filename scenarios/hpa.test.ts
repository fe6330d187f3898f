/**
 * HPA suite (issue #9; kind only, real metrics-server and HorizontalPodAutoscaler): CPU load at the
 * backend (k6 loadtests/hpa-drive.js, POST /api/work burns real CPU), and a timeline from the
 * Kubernetes API — HPA status (CPU utilisation, desiredReplicas), pods (scheduled, Ready) and the
 * Service's EndpointSlices (endpoint ready) — plus k6's per-request latency (p95 per 10 s window).
 *
 * Asserts document 003's "Auto-scaling: Scale within 2 minutes" (profile performance, target
 * `scale-up`): load start → the replica count the HPA asked for under this load all ready in the
 * Service's endpoints. Next to it, the fastest time the live HPA spec allows for the same scale-up
 * (src/check/hpa-math.ts fastestScaleUp), so a miss says whether the manifest or the cluster is the
 * cause. Before the load, the cluster's capacity (nodes' allocatable minus requests, the namespace's
 * ResourceQuota) is compared with maxReplicas × requests and the ceiling is recorded.
 *
 * Load path: prodlike's own backend Service (prodlike-access-backend in the backend's namespace, on the
 * backend's port, both from the configuration: src/providers/kind/access-objects.ts) → kube-proxy →
 * backend pods; from a k6 Job in the cluster (default) by its cluster DNS name, from k6 on this host by its
 * NodePort (127.0.0.1:<entry+1>). One new connection per request so pods the HPA adds get their share.
 * (The documented backend-service has sessionAffinity ClientIP: one client sticks to one pod for 3 h, so a
 * single load generator would never reach new pods through it; prodlike's Service has no affinity.)
 *
 * Env: PRODLIKE_PROVIDER=kind (required), PRODLIKE_SCENARIO_ENV / PRODLIKE_SCENARIO_PORT (env name and
 * entry port), PRODLIKE_HPA_RATE (req/s, default 8), PRODLIKE_HPA_WORK_MS (CPU ms per request, default
 * 100), PRODLIKE_HPA_HOLD (seconds of full load, default the scale-up target + 60 s), PRODLIKE_HPA_LONG=1 (also verify
 * scale-down: 300 s stabilization, 1 pod per 120 s; adds 10+ minutes).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastestScaleUp, formatTimeline, type FastestScaleUpResult } from '../src/check/hpa-math.ts';
import type { HpaBehavior } from '../src/check/model.ts';
import { findTarget, loadTargets, selectProfile } from '../src/config/load-targets.ts';
import { resolveWorkload } from '../src/config/schema.ts';
import { run } from '../src/core/exec.ts';
import { PACKAGE_ROOT } from '../src/core/paths.ts';
import { waitFor } from '../src/core/wait.ts';
import { findK6, classifyK6Exit } from '../src/load/k6.ts';
import { jobName, K6_JOB_NAMESPACE, k6Image, runK6Job, scriptFiles } from '../src/load/k6-job.ts';
import { latencySeries, latencyWindows, p95Between, parseK6JsonLines } from '../src/measure/k6-points.ts';
import { planFor } from '../src/load/runner.ts';
import { resolveScript } from '../src/load/scripts.ts';
import { parseK6Summary } from '../src/load/summary.ts';
import { hrNow } from '../src/measure/clock.ts';
import { capacityCeiling, podLimits, podRequests, type CapacityReport } from '../src/measure/hpa-capacity.ts';
import type { HpaObject, KubeList, NodeObject, PodObject, ResourceQuotaObject } from '../src/kube/objects.ts';
import { hpaCurrentUtilization, KubeWatch } from '../src/measure/kube-watch.ts';
import { Timeline, type IntervalSpec, type TimelineEvent } from '../src/measure/timeline.ts';
import { evaluateTarget, type Verdict } from '../src/measure/verdict.ts';
import { EnvironmentStore } from '../src/providers/environment-state.ts';
import { accessName } from '../src/providers/kind/access-objects.ts';
import type { Kubectl } from '../src/kube/kubectl.ts';
import { canKubernetes, type Provider, type SupportsKubernetes } from '../src/providers/provider.ts';
import { buildScenarioResult } from '../src/report/scenario-result.ts';
import { scenarioSkipReason, startScenarioEnvironment, type ScenarioEnvironment } from './support/scenario-env.ts';
import { requireApi } from './support/app-api.ts';

// The backend's namespace, Deployment, Service and pod selector come from the configuration
// (topology.backend); its HPA is the one whose scaleTargetRef is that Deployment, found in the cluster.
let NS: string;
let HPA: string;
let SERVICE: string;
let DEPLOYMENT: string;
let POD_SELECTOR: string;
const WARM_S = 30; // 1 req/s before the load: the "before" p95
const RATE = Number(process.env.PRODLIKE_HPA_RATE ?? 8);
const WORK_MS = Number(process.env.PRODLIKE_HPA_WORK_MS ?? 100);

const LONG = process.env.PRODLIKE_HPA_LONG === '1';
const WINDOW_MS = 10_000;
/** `job` (default): k6 as a Job inside the cluster; `host`: k6 on this host through the 127.0.0.1 backend entry. */
const MODE = (process.env.PRODLIKE_HPA_K6 ?? 'job') === 'host' ? 'host' : 'job';

const targetsFile = await loadTargets(join(PACKAGE_ROOT, 'fixtures', 'targets.yaml'));
const performance = selectProfile(targetsFile, 'performance');
const SCALE_UP = findTarget(performance, 'scale-up');
if (!SCALE_UP?.maxValue) throw new Error('fixtures/targets.yaml: profile performance has no bounded scale-up target');
const SCALE_UP_MS = SCALE_UP.maxValue;
/**
 * Seconds of full load: by default the scale-up target plus 60 s (180 s for document 003's 2 minutes).
 * Long enough that a scale-up finishing a little after the target is still measured (CI 12/2026: 136 s)
 * and leaves about a minute of the "after" p95; one that is not reached within the hold is reported as
 * "≥ hold", which misses the target just as honestly as a longer wait would (240 s before: +60 s of CI).
 */
const HOLD_S = Number(process.env.PRODLIKE_HPA_HOLD ?? SCALE_UP_MS / 1000 + 60);

const log = (message: string) => process.stdout.write(`[hpa ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
const sec = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);

async function missingPrerequisite(): Promise<string | undefined> {
  if ((process.env.PRODLIKE_PROVIDER ?? 'docker') !== 'kind') return 'HPA needs Kubernetes: run with PRODLIKE_PROVIDER=kind';
  // k6 runs where the load comes from: the image for an in-cluster Job (default), the binary on this host otherwise.
  return scenarioSkipReason('kind', { k6: MODE === 'host' ? 'host' : 'image' });
}
const skip = await missingPrerequisite();

describe.skipIf(Boolean(skip))(`hpa${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let env: ScenarioEnvironment;
  let kubectl: Kubectl;
  let kube: Provider & SupportsKubernetes;
  let activeWatch: KubeWatch | undefined;

  beforeAll(async () => {
    log('starting the kind environment');
    env = await startScenarioEnvironment('hpa');
    if (!canKubernetes(env.provider)) throw new Error(`${env.providerName} provider has no kubectl`);
    kube = env.provider;
    kubectl = kube.kubectl;
    log(`environment ${env.created ? 'created' : 'reused'}: ${env.entry}`);
    const backend = resolveWorkload(env.config, 'backend');
    [NS, SERVICE, POD_SELECTOR] = [backend.namespace, backend.service, Object.entries(backend.selector).map(([k, v]) => `${k}=${v}`).join(',')];
    const [kind, name] = backend.workload.split('/') as [string, string];
    if (kind !== 'deployment') throw new Error(`topology.backend.workload is ${backend.workload}: the HPA scenario scales a Deployment`);
    DEPLOYMENT = name;
    const hpas = await kubectl.json<KubeList<HpaObject & { spec: { scaleTargetRef?: { kind: string; name: string } } }>>(['-n', NS, 'get', 'hpa']);
    const hpa = hpas.items.find((h) => h.spec.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === DEPLOYMENT);
    if (!hpa) throw new Error(`no HorizontalPodAutoscaler in namespace ${NS} scales deployment/${DEPLOYMENT} (topology.backend): the HPA scenario has nothing to measure`);
    HPA = hpa.metadata.name;
  }, 900_000);

  afterAll(async () => {
    activeWatch?.stop();
    await env?.teardown();
  }, 600_000);

  it(`backend scales from its starting replicas under CPU load within ${SCALE_UP_MS / 1000} s (document 003), measured from the Kubernetes API`, async (ctx) => {
    if (!requireApi(ctx, env, 'work', { id: 'hpa.backend-cpu', title: 'Backend HPA under CPU load', suite: 'hpa' })) return;
    const startedAt = Date.now();
    const notes: string[] = [];
    const outDir = env.recorder.path;

    // 1. metrics-server must be serving: the HPA reports a CPU utilisation.
    log('waiting for the HPA to report CPU utilisation (metrics-server)');
    const hpa0 = await waitFor(async () => {
      const h = await kubectl.json<HpaObject>(['-n', NS, 'get', 'hpa', HPA]).catch(() => undefined);
      return h && hpaCurrentUtilization(h, 'cpu') !== undefined ? h : undefined;
    }, { timeoutMs: 300_000, intervalMs: 3000, description: `HPA ${HPA} to report CPU utilisation (metrics-server up)` });
    // Steady before the load: the Deployment at the HPA's count, every pod Ready.
    const from = await waitFor(async () => {
      const d = await kubectl.json<{ spec: { replicas: number }; status: { readyReplicas?: number; updatedReplicas?: number } }>(['-n', NS, 'get', 'deployment', DEPLOYMENT]);
      const h = await kubectl.json<HpaObject>(['-n', NS, 'get', 'hpa', HPA]);
      return d.status.readyReplicas === d.spec.replicas && h.status?.desiredReplicas === d.spec.replicas ? d.spec.replicas : undefined;
    }, { timeoutMs: 600_000, intervalMs: 3000, description: 'the backend Deployment steady at the HPA desiredReplicas, all Ready' });
    const spec = hpa0.spec;
    const cpuTarget = spec.metrics?.find((m) => m.resource?.name === 'cpu')?.resource?.target.averageUtilization ?? 0;
    log(`HPA ${HPA}: ${spec.minReplicas}..${spec.maxReplicas} at ${cpuTarget}% CPU; ${from} replicas Ready; CPU now ${hpaCurrentUtilization(hpa0, 'cpu')}%`);

    // 2. Capacity honesty, before the load.
    const deployment = await kubectl.json<{ spec: { template: { spec: { containers: Array<{ resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }> } } } }>(['-n', NS, 'get', 'deployment', DEPLOYMENT]);
    const template: PodObject = { metadata: { name: 'template' }, spec: deployment.spec.template.spec };
    const perPod = { requests: podRequests(template), limits: podLimits(template) };
    const [nodes, pods, quotas] = await Promise.all([
      kubectl.json<KubeList<NodeObject>>(['get', 'nodes']),
      kubectl.json<KubeList<PodObject>>(['get', 'pods', '-A']),
      kubectl.json<KubeList<ResourceQuotaObject>>(['-n', NS, 'get', 'resourcequota']),
    ]);
    const capacity: CapacityReport = capacityCeiling({ nodes: nodes.items, pods: pods.items, quotas: quotas.items, perPod, current: from, maxReplicas: spec.maxReplicas });
    log(`capacity: ${capacity.summary}`);
    notes.push(`capacity before the load: ${capacity.summary}`);
    await writeFile(join(outDir, 'hpa-capacity.json'), `${JSON.stringify(capacity, null, 2)}\n`);

    // The k6 image must be in the nodes before the load (offline: no registry).
    let jobImage: string | undefined;
    if (MODE === 'job') {
      const state = await new EnvironmentStore(env.loaded.baseDir, env.config.name).readState();
      const source = state?.imageSource === 'online' ? 'online' : 'offline';
      jobImage = await k6Image(source);
      if (source === 'offline') {
        log(`loading ${jobImage} into the kind nodes`);
        await kube.loadImage(jobImage);
      }
    }

    // 3. Watches on.
    const watch = new KubeWatch({ kubeconfig: kubectl.kubeconfig, context: kubectl.context, namespace: NS, hpaName: HPA, podSelector: POD_SELECTOR, serviceName: SERVICE });
    activeWatch = watch;
    await watch.start();
    const tracker = watch.tracker;
    tracker.startTracking();

    // 4. Load: warm-up (1/s) then RATE/s of WORK_MS CPU each, for HOLD_S.
    const script = resolveScript('hpa-drive');
    const stages = [{ target: 1, duration: `${WARM_S}s` }, { target: RATE, duration: '1s' }, { target: RATE, duration: `${HOLD_S}s` }];
    const plan = planFor(script, { rate: RATE, duration: `${WARM_S + HOLD_S}s`, vus: 20 }, [performance]);
    const files = { points: join(outDir, 'hpa-k6-points.json'), summary: join(outDir, 'hpa-k6-summary.json'), log: join(outDir, 'hpa-k6.log') };
    const offered = RATE * WORK_MS;
    const k6Env = { STAGES: JSON.stringify(stages), WORK_MS: String(WORK_MS), WORK_PATH: env.config.application.api.work!, VUS: '20', MAX_VUS: '200', NEW_CONNECTIONS: '1', THRESHOLDS: JSON.stringify(plan.thresholds) };
    const backend = resolveWorkload(env.config, 'backend');
    const entryService = accessName('backend');
    const baseUrl = MODE === 'job' ? `http://${entryService}.${backend.namespace}.svc.cluster.local:${backend.port}` : `http://127.0.0.1:${env.config.ports.entry + 1}`;
    const where = MODE === 'job' ? `as a Job in the cluster (namespace ${K6_JOB_NAMESPACE}, image ${jobImage}) through ${baseUrl} (prodlike's Service ${entryService}, no session affinity)` : `on this host through ${baseUrl} (NodePort of prodlike's Service ${entryService})`;
    log(`k6 hpa-drive ${where}: ${WARM_S} s at 1/s, then ${RATE}/s × ${WORK_MS} ms CPU (≈${offered}m offered) for ${HOLD_S} s`);
    notes.push(`load: k6 hpa-drive ${where}, ${WARM_S} s at 1 req/s then ${RATE} req/s × ${WORK_MS} ms CPU (≈${offered}m of CPU offered) for ${HOLD_S} s, a new connection per request; the 2-core host is shared with the control plane and other work, so latencies are pessimistic`);
    const k6Started = hrNow();
    const lines: string[] = [];
    let exitCode: number;
    if (MODE === 'job') {
      const job = await runK6Job(kubectl, {
        name: jobName('hpa-drive'), envName: env.config.name, image: jobImage!, scriptName: basename(script.path), files: await scriptFiles(script.path),
        env: { ...k6Env, BASE_URL: baseUrl }, points: true, allow: [{ namespace: backend.namespace, podSelector: backend.selector, port: backend.port }],
        activeDeadlineSeconds: WARM_S + HOLD_S + 120,
      }, { onLine: (l) => lines.push(l) });
      exitCode = job.exitCode;
      if (job.summaryText) await writeFile(files.summary, job.summaryText);
      await writeFile(files.points, job.pointsText ?? '');
      notes.push(`k6 Job ${job.namespace}/${job.name}: container ran ${job.startedAt && job.finishedAt ? sec(job.finishedAt - job.startedAt) : '?'} (deleted afterwards)`);
    } else {
      const k6Run = await run(await findK6(), ['run', '--no-color', '--quiet', '--no-usage-report', '--out', `json=${files.points}`, script.path], {
        env: { ...k6Env, BASE_URL: baseUrl, SUMMARY_PATH: files.summary, K6_NO_USAGE_REPORT: 'true' },
        timeoutMs: (WARM_S + HOLD_S + 120) * 1000,
        allowFailure: true,
        onLine: (l) => lines.push(l),
      });
      exitCode = k6Run.exitCode;
    }
    const k6Ended = hrNow();
    await writeFile(files.log, `${lines.join('\n')}\n`);
    const outcome = classifyK6Exit(exitCode, { script: 'hpa-drive', logTail: lines.slice(-8).join('\n'), logFile: files.log });
    if (outcome.kind === 'harness-error') {
      watch.stop();
      throw outcome.error;
    }
    const summary = parseK6Summary(await readFile(files.summary, 'utf8'), files.summary);
    const points = parseK6JsonLines(await readFile(files.points, 'utf8'));
    expect(points.duration.length, 'k6 wrote no request points').toBeGreaterThan(0);
    // The scenario starts with the first request; the load step WARM_S later.
    const scenarioStart = points.duration[0]!.at;
    const loadStart = scenarioStart + WARM_S * 1000;
    const loadEnd = Math.min(k6Ended, loadStart + (HOLD_S + 1) * 1000);
    notes.push(`${MODE === 'job' ? 'k6 Job created' : 'k6 started'} → first request: ${sec(scenarioStart - k6Started)}${MODE === 'job' ? ' (Job start latency: scheduling, container start, k6 init)' : ''}`);

    // 5. Scale-down (long mode only).
    let scaleDown: string[] = [];
    if (LONG) {
      const minReplicas = spec.minReplicas ?? 1;
      const budget = ((spec.behavior as HpaBehavior | undefined)?.scaleDown?.stabilizationWindowSeconds ?? 300) + 120 * Math.max(1, (tracker.desiredReplicas ?? from) - minReplicas) + 120;
      log(`long mode: waiting up to ${budget} s for the HPA to scale back to ${Math.max(minReplicas, from)} (the starting replicas; minReplicas ${minReplicas})`);
      await waitFor(async () => ((tracker.desiredReplicas ?? 0) <= Math.max(minReplicas, from) ? true : undefined), { timeoutMs: budget * 1000, intervalMs: 2000, description: `the HPA to scale back down to ${Math.max(minReplicas, from)}` }).catch((e: unknown) => scaleDown.push(`not back down: ${(e as Error).message}`));
      scaleDown = [...scaleDown, ...scaleDownCheck(tracker.events, loadEnd)];
    }
    watch.stop();
    if (watch.errors.length) notes.push(`watch errors (re-opened): ${watch.errors.slice(0, 3).join('; ')}`);

    // 6. Timeline and derived numbers.
    const timeline = new Timeline(tracker.events);
    timeline.add({ at: scenarioStart, type: 'note', source: 'harness', subject: 'k6', detail: `k6 warm-up at 1 req/s (k6 process started ${((scenarioStart - k6Started) / 1000).toFixed(1)} s earlier)` });
    timeline.add({ at: loadStart, type: 'load.started', source: 'harness', subject: 'k6', detail: `${RATE} req/s × ${WORK_MS} ms CPU` });
    timeline.add({ at: loadEnd, type: 'load.stopped', source: 'harness', subject: 'k6' });
    const during = (e: TimelineEvent) => e.at >= loadStart && e.at <= loadEnd;
    const desiredChanges = tracker.events.filter((e) => e.type === 'hpa.desired-changed' && during(e));
    const peakDesired = Math.max(from, ...desiredChanges.map((e) => e.value ?? 0));
    const needed = Math.min(peakDesired, capacity.ceiling);
    const endpointCounts = tracker.events.filter((e) => e.type === 'replicas.changed' && e.at >= loadStart);
    const reachedAt = endpointCounts.find((e) => (e.value ?? 0) >= needed && needed > from)?.at;
    const peakEndpoints = Math.max(from, ...endpointCounts.filter(during).map((e) => e.value ?? 0));
    const firstScheduled = timeline.first('pod.scheduled', { after: loadStart });
    const firstEndpoint = timeline.first('endpoint.ready', { after: loadStart });

    const windows = latencyWindows(points, WINDOW_MS);
    const before = p95Between(points, scenarioStart, loadStart);
    const duringScale = p95Between(points, loadStart, reachedAt ?? loadEnd);
    const after = reachedAt ? p95Between(points, reachedAt, loadEnd) : { p95: undefined, count: 0 };
    // Recovered: the first window after the worst one (during the load) whose p95 is back within 1.5× the warm-up p95.
    const loaded = windows.filter((w) => w.start >= loadStart && w.end <= loadEnd + WINDOW_MS);
    const worst = loaded.reduce<(typeof windows)[number] | undefined>((m, w) => (!m || w.p95 > m.p95 ? w : m), undefined);
    const recoverBound = before.p95 !== undefined ? before.p95 * 1.5 : undefined;
    const recovered = worst && recoverBound !== undefined && worst.p95 > recoverBound ? loaded.find((w) => w.start > worst.start && w.p95 <= recoverBound) : undefined;
    if (recovered) timeline.add({ at: recovered.start, type: 'latency.recovered', source: 'harness', subject: 'k6', value: recovered.p95, detail: `p95 ${recovered.p95.toFixed(0)} ms ≤ 1.5 × warm-up p95 (${recoverBound!.toFixed(0)} ms)` });
    else if (worst && recoverBound !== undefined && worst.p95 <= recoverBound) notes.push(`p95 never rose above 1.5 × the warm-up p95 (${recoverBound.toFixed(0)} ms): worst window ${worst.p95.toFixed(0)} ms`);
    else if (worst) notes.push(`p95 did not recover to ≤ ${recoverBound?.toFixed(0) ?? '?'} ms before the load ended (worst window ${worst.p95.toFixed(0)} ms)`);

    // 7. The manifest's own bound: fastest possible scale-up from→needed by the live HPA spec.
    const fastest: FastestScaleUpResult = fastestScaleUp({ spec: { minReplicas: spec.minReplicas ?? 1, maxReplicas: spec.maxReplicas, ...(spec.behavior ? { behavior: spec.behavior as HpaBehavior } : {}) }, from, to: Math.max(needed, from + 1), demand: Math.max(needed, from + 1) });
    const fastestMs = Number.isFinite(fastest.seconds) ? fastest.seconds * 1000 : undefined;
    const fastestText = fastest.reached ? `${fastest.seconds} s (${formatTimeline(fastest.steps)})` : `never (${fastest.reason})`;

    const measuredMs = reachedAt !== undefined ? reachedAt - loadStart : loadEnd - loadStart;
    const cause = reachedAt === undefined
      ? peakDesired <= from ? `the HPA never asked for more than ${from} replicas (CPU peak ${tracker.cpuPeak ?? '?'}% vs target ${cpuTarget}%): the load was too small for this cluster` : `${needed} ready endpoints never reached before the load ended (peak ${peakEndpoints})`
      : fastestMs !== undefined && fastestMs > SCALE_UP_MS ? `the manifest alone needs ${fastest.seconds} s for ${from}→${needed} (stabilization and rate policies): the manifest is the cause` : measuredMs > SCALE_UP_MS ? `the spec alone would take ${fastest.seconds} s, so the remaining ${((measuredMs - (fastestMs ?? 0)) / 1000).toFixed(0)} s are the cluster (metrics lag, scheduling, start-up, readiness): the cluster is the cause` : 'within the target';
    const verdicts: Verdict[] = [
      evaluateTarget(SCALE_UP, needed > from
        ? { value: measuredMs, ...(reachedAt === undefined ? { lowerBound: true } : {}), note: `load start → ${needed} ready endpoints of ${SERVICE} (from ${from}; HPA peak desiredReplicas ${peakDesired}, capacity ceiling ${capacity.ceiling}); fastest the HPA spec allows: ${fastestText}; ${cause}` }
        : { skipped: `the HPA never scaled up under this load (CPU peak ${tracker.cpuPeak ?? '?'}% vs ${cpuTarget}%); raise PRODLIKE_HPA_RATE or PRODLIKE_HPA_WORK_MS` }, { file: targetsFile }),
      evaluateTarget({ ...SCALE_UP, id: 'scale-up.manifest-bound', kind: 'report' }, fastestMs !== undefined ? { value: fastestMs, note: `fastestScaleUp(${from}→${Math.max(needed, from + 1)}) from the live ${HPA} spec: ${fastestText}; a lower bound of any real scale-up (no metrics lag, scheduling or start-up)` } : { skipped: `the HPA spec never reaches ${needed}: ${fastest.reason}` }, { file: targetsFile }),
    ];

    const intervals: IntervalSpec[] = [
      { name: 'load start → CPU at or above target (HPA status)', from: 'load.started', to: 'metric.crossed' },
      { name: 'load start → desiredReplicas changed', from: 'load.started', to: 'hpa.desired-changed' },
      { name: 'load start → first new pod scheduled', from: 'load.started', to: 'pod.scheduled' },
      { name: 'load start → first new pod Ready', from: 'load.started', to: 'pod.ready' },
      { name: 'load start → first new pod in the Service endpoints', from: 'load.started', to: 'endpoint.ready' },
      { name: 'load start → p95 recovered', from: 'load.started', to: 'latency.recovered' },
    ];
    const result = buildScenarioResult({
      suite: 'hpa',
      id: 'hpa.backend-cpu',
      title: `Backend HPA under CPU load (${RATE} req/s × ${WORK_MS} ms)`,
      startedAt,
      endedAt: Date.now(),
      verdicts,
      timeline,
      intervals,
      series: [...tracker.series(), ...latencySeries(windows, WINDOW_MS)],
      notes: [
        ...notes,
        `time to scale: ${reachedAt !== undefined ? sec(measuredMs) : needed > from ? `not reached (≥ ${sec(measuredMs)})` : 'no scale-up asked for'} from load start to ${needed} ready endpoints (target ${SCALE_UP_MS / 1000} s); fastest the HPA spec allows: ${fastestText}`,
        `replicas: from ${from}, HPA peak desiredReplicas ${peakDesired}, peak ready endpoints ${peakEndpoints}, capacity ceiling ${capacity.ceiling} (${capacity.limitedBy})`,
        `CPU utilisation peak (HPA status): ${tracker.cpuPeak ?? '—'}% of requests (target ${cpuTarget}%)`,
        `p95 /api/work: before ${fmtMs(before.p95)} (warm-up, ${before.count} req), during scale-up ${fmtMs(duringScale.p95)} (${duringScale.count} req), after ${fmtMs(after.p95)} (${after.count} req); ${WORK_MS} ms of CPU per request is by design, so the 200 ms API target does not apply`,
        `k6: ${summary.metrics.http_reqs?.values?.count ?? '?'} requests, failed ${(((summary.metrics.http_req_failed?.values?.rate as number | undefined) ?? 0) * 100).toFixed(2)}%, exit ${exitCode} (${outcome.kind})`,
        ...(LONG ? [`scale-down: ${scaleDown.join('; ') || 'no scale-down event seen'}`] : ['scale-down not verified (set PRODLIKE_HPA_LONG=1)']),
      ],
    });
    if (firstScheduled && firstEndpoint) result.intervals.push({ name: 'first new pod scheduled → in endpoints', from: 'pod.scheduled', to: 'endpoint.ready', start: firstScheduled.at, end: firstEndpoint.at, durationMs: firstEndpoint.at - firstScheduled.at });
    if (reachedAt !== undefined) result.intervals.push({ name: `load start → ${needed} ready endpoints (time to scale)`, from: 'load.started', to: 'replicas.changed', start: loadStart, end: reachedAt, durationMs: reachedAt - loadStart });
    result.intervals.sort((a, b) => a.start - b.start || a.end - b.end);
    env.recorder.addScenario(result);
    await writeFile(join(outDir, 'hpa-timeline.json'), `${JSON.stringify({ timeline: timeline.toJSON(), intervals: result.intervals, capacity, fastest }, null, 2)}\n`);

    for (const n of result.notes) log(n);
    for (const i of result.intervals) log(`  ${i.name}: ${sec(i.durationMs)}`);
    for (const v of verdicts) log(`  ${v.targetId}: measured ${v.measured ?? '—'} ${v.unit} vs ${v.comparator ?? ''} ${v.limit ?? '—'} → ${v.verdict}${v.reason ? ` (${v.reason})` : ''}`);

    expect(peakDesired, `the HPA never scaled above ${from} (CPU peak ${tracker.cpuPeak ?? '?'}% vs ${cpuTarget}% target)`).toBeGreaterThan(from);
    if (LONG) expect(scaleDown.filter((l) => l.startsWith('VIOLATION') || l.startsWith('not back')), 'scale-down behaviour').toEqual([]);
    // The verdict is recorded either way (`prodlike run hpa` exits 1 on a miss). How fast a 2-core machine
    // shared with other work scales is not a property of the manifests, so as a test assertion the target
    // holds only with PRODLIKE_STRICT_TARGETS=1 (as in the execution-load suite).
    if (process.env.PRODLIKE_STRICT_TARGETS === '1') expect(verdicts[0]!.verdict, `time to scale ${sec(measuredMs)} vs target ${SCALE_UP_MS / 1000} s: ${cause}`).toBe('pass');
  }, (WARM_S + HOLD_S + 1500 + (LONG ? 1800 : 0)) * 1000);
});

function fmtMs(v: number | undefined): string {
  return v === undefined ? '—' : `${v.toFixed(0)} ms`;
}

/** Document 001's scale-down behaviour: nothing before 300 s after the load, then at most 1 pod per 120 s. */
function scaleDownCheck(events: readonly TimelineEvent[], loadEnd: number): string[] {
  const downs = events.filter((e) => e.type === 'hpa.desired-changed' && e.at > loadEnd);
  const out: string[] = [];
  let prev: { at: number; value: number } | undefined;
  for (const e of downs) {
    const since = (e.at - loadEnd) / 1000;
    const step = prev ? (prev.value - (e.value ?? 0)) : undefined;
    out.push(`${since.toFixed(0)} s after load: desired ${e.value}${prev ? ` (${step} pod(s) after ${((e.at - prev.at) / 1000).toFixed(0)} s)` : ''}`);
    if (!prev && since < 300) out.push(`VIOLATION: first scale-down ${since.toFixed(0)} s after the load, before the 300 s stabilization window`);
    if (prev && (e.at - prev.at) / 1000 < 115 && (step ?? 0) > 0) out.push('VIOLATION: more than 1 pod per 120 s');
    prev = { at: e.at, value: e.value ?? 0 };
  }
  return out;
}
