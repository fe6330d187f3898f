import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { RunOptions, RunResult } from '../core/exec.ts';
import type { Kubectl } from '../kube/kubectl.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTargets, selectProfile } from '../config/load-targets.ts';
import { configSchema } from '../config/schema.ts';
import { EventBus } from '../core/events.ts';
import { PACKAGE_ROOT } from '../core/paths.ts';
import { resolveScript, resolveShape } from './scripts.ts';
import { configMapKey, containerScript, jobName, k6JobManifests, MARKERS, parseJobLog, type K6JobSpec } from './k6-job-manifests.ts';
import { inClusterEntry, runK6Job, runLoadInCluster } from './k6-job.ts';

const spec: K6JobSpec = {
  name: 'prodlike-k6-hpa-drive-abc',
  envName: 'hpa',
  image: 'prodlike.local/k6:1.8.1',
  scriptName: 'hpa-drive.js',
  files: { 'hpa-drive.js': 'export default function () {}', 'lib/harness.js': '// harness' },
  env: { BASE_URL: 'http://prodlike-access-backend.app-backend.svc.cluster.local:5000', RATE: '4' },
  points: true,
  allow: [{ namespace: 'app-backend', podSelector: { app: 'backend' }, port: 5000 }],
  activeDeadlineSeconds: 600,
};

const summary = JSON.stringify({ metrics: { http_reqs: { type: 'counter', contains: 'default', values: { count: 3, rate: 1 } } }, root_group: {} });
const pointsLine = '{"type":"Point","metric":"http_req_duration","data":{"time":"2026-01-01T00:00:00Z","value":12,"tags":{"name":"work"}}}';
const log = (extra = '') => ['running (0m03s)', 'summary: 3 requests', MARKERS.summaryBegin, summary, '', MARKERS.summaryEnd, MARKERS.pointsBegin, gzipSync(`${pointsLine}\n`).toString('base64'), MARKERS.pointsEnd, extra].join('\n');

describe('k6 as a Kubernetes Job', () => {
  it('renders namespace, ConfigMap, NetworkPolicy and Job, all labelled io.prodlike.*', () => {
    const objs = k6JobManifests(spec);
    expect(objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      'Namespace//prodlike-load',
      'ConfigMap/prodlike-load/prodlike-k6-hpa-drive-abc',
      'NetworkPolicy/app-backend/prodlike-k6-hpa-drive-abc-allow-0',
      'Job/prodlike-load/prodlike-k6-hpa-drive-abc',
    ]);
    for (const o of objs) expect(o.metadata.labels['io.prodlike.managed']).toBe('true');
    for (const o of objs) expect(o.metadata.labels['io.prodlike.env']).toBe('hpa');
    const cm = objs[1] as unknown as { data: Record<string, string> };
    expect(Object.keys(cm.data)).toEqual(['hpa-drive.js', configMapKey('lib/harness.js')]);
    const job = objs[3] as unknown as { spec: { backoffLimit: number; template: { spec: { containers: Array<{ command: string[]; env: Array<{ name: string; value: string }>; securityContext: { readOnlyRootFilesystem: boolean } }>; volumes: Array<{ configMap?: { items: Array<{ key: string; path: string }> } }> } } } };
    expect(job.spec.backoffLimit).toBe(0);
    const c = job.spec.template.spec.containers[0]!;
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.env).toContainEqual({ name: 'SUMMARY_PATH', value: '/tmp/k6-summary.json' });
    expect(c.env).toContainEqual({ name: 'RATE', value: '4' });
    expect(job.spec.template.spec.volumes[0]!.configMap!.items).toContainEqual({ key: 'lib__harness.js', path: 'lib/harness.js' });
    const np = objs[2] as unknown as { spec: { ingress: Array<{ from: Array<{ namespaceSelector: { matchLabels: Record<string, string> } }>; ports: Array<{ port: number }> }> } };
    expect(np.spec.ingress[0]!.from[0]!.namespaceSelector.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'prodlike-load' });
    expect(np.spec.ingress[0]!.ports[0]!.port).toBe(5000);
  });

  it('the container script keeps k6 exit code and prints the blocks', () => {
    const s = containerScript(spec);
    expect(s.split('\n')[0]).toBe('k6 run --no-color --quiet --no-usage-report --out json=/tmp/k6-points.json /scripts/hpa-drive.js');
    expect(s.split('\n').at(-1)).toBe('exit $rc');
    expect(containerScript({ scriptName: 'x.js' })).not.toContain('POINTS');
  });

  it('parses the summary and the gzip+base64 points from the log', () => {
    const p = parseJobLog(log());
    expect(p.k6Log).toBe('running (0m03s)\nsummary: 3 requests');
    expect(JSON.parse(p.summaryText!)).toMatchObject({ metrics: { http_reqs: { values: { count: 3 } } } });
    expect(p.pointsText!.trim()).toBe(pointsLine);
    expect(parseJobLog('only k6 output')).toEqual({ k6Log: 'only k6 output' });
  });

  it('job names are DNS-1123 and short', () => {
    const n = jobName('loadtests/HPA_drive.js', 1_700_000_000_000);
    expect(n).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(n.length).toBeLessThanOrEqual(52);
    expect(n.startsWith('prodlike-k6-hpa-drive-')).toBe(true);
  });

  const fakeKubectl = (exitCode: number, podLog: string) => {
    const calls: string[][] = [];
    const k = {
      kubeconfig: '/dev/null',
      context: 'kind-test',
      apply: async () => ({ exitCode: 0, stdout: '', stderr: '', durationMs: 1 }),
      json: async () => ({ items: [{ metadata: { name: 'pod-1' }, status: { containerStatuses: [{ state: { terminated: { exitCode, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z' } } }] } }] }),
      run: async (args: string[], _o?: RunOptions): Promise<RunResult> => {
        calls.push(args);
        return { exitCode: 0, stdout: args.includes('logs') ? podLog : '', stderr: '', durationMs: 1 };
      },
    };
    return { kubectl: k as unknown as Kubectl, calls };
  };

  it('maps exit codes like the host runner (0 ok, 99 target missed, other harness error) and deletes what it created', async () => {
    const ok = fakeKubectl(0, log());
    const r0 = await runK6Job(ok.kubectl, spec);
    expect(r0.outcome.kind).toBe('ok');
    expect(r0.pointsText).toContain('http_req_duration');
    expect(r0.finishedAt! - r0.startedAt!).toBe(60_000);
    const deleted = ok.calls.filter((c) => c.includes('delete')).map((c) => `${c[3]}/${c[4]}`);
    expect(deleted).toEqual(['job/prodlike-k6-hpa-drive-abc', 'networkpolicy/prodlike-k6-hpa-drive-abc-allow-0', 'configmap/prodlike-k6-hpa-drive-abc']);

    const missed = await runK6Job(fakeKubectl(99, log()).kubectl, spec);
    expect(missed.outcome.kind).toBe('target-missed');
    const broken = await runK6Job(fakeKubectl(107, 'level=error msg="ReferenceError"').kubectl, spec);
    expect(broken.outcome.kind).toBe('harness-error');
    expect(broken.outcome.kind === 'harness-error' && broken.outcome.error.message).toContain('exit 107 (script exception');
    await expect(runK6Job(fakeKubectl(0, 'no markers').kubectl, spec)).rejects.toThrow(/no summary block/);
  });

  it('runLoadInCluster: thresholds from the target profile go to the Job; exit 99 becomes a target-missed error with the rows', async () => {
    const targets = [selectProfile(await loadTargets(join(PACKAGE_ROOT, 'fixtures', 'targets.yaml')), 'performance')];
    const script = resolveScript('api-smoke');
    const shape = resolveShape(script, 'smoke');
    const k6Summary = JSON.stringify({
      metrics: {
        http_reqs: { type: 'counter', contains: 'default', values: { count: 10, rate: 5 } },
        http_req_failed: { type: 'rate', contains: 'default', values: { rate: 0, passes: 0, fails: 10 } },
        http_req_duration: { type: 'trend', contains: 'time', values: { avg: 300, min: 1, med: 250, max: 900, 'p(90)': 500, 'p(95)': 600, 'p(99)': 800, count: 10 }, thresholds: { 'p(95)<200': { ok: false } } },
      },
      root_group: { name: '', path: '', id: 'x', groups: [], checks: [] },
    });
    const podLog = ['summary: 10 requests', MARKERS.summaryBegin, k6Summary, MARKERS.summaryEnd].join('\n');
    let applied = '';
    const { kubectl } = fakeKubectl(99, podLog);
    (kubectl as unknown as { apply: (y: string) => Promise<unknown> }).apply = async (y: string) => {
      applied = y;
      return { exitCode: 0, stdout: '', stderr: '', durationMs: 1 };
    };
    const outDir = await mkdtemp(join(tmpdir(), 'k6job-'));
    const baseUrl = inClusterEntry(configSchema.parse({}));
    expect(baseUrl).toBe('http://frontend-service.app-frontend.svc.cluster.local');
    const result = await runLoadInCluster({ kubectl, envName: 'hpa', image: 'prodlike.local/k6:1.8.1', script, loadProfile: 'smoke', shape, targets, outDir, bus: new EventBus(), baseUrl });
    expect(applied).toContain('THRESHOLDS');
    expect(applied).toContain('p(95)<200');
    expect(result.k6.outcome).toBe('target-missed');
    expect(result.passed).toBe(false);
    expect(result.error?.exitCode).toBe(1);
    expect(result.baseUrl).toBe('http://frontend-service.app-frontend.svc.cluster.local');
  });
});
