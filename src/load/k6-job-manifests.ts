import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * The Kubernetes objects of a k6 run as a Job (namespace, ConfigMap with the script and harness, the
 * NetworkPolicies the load pod needs, the Job) and the reading of its pod log: pure, unit-tested; the
 * running is src/load/k6-job.ts.
 */

export const K6_JOB_NAMESPACE = 'prodlike-load';
export const MARKERS = {
  summaryBegin: '=====PRODLIKE-K6-SUMMARY-BEGIN=====',
  summaryEnd: '=====PRODLIKE-K6-SUMMARY-END=====',
  pointsBegin: '=====PRODLIKE-K6-POINTS-GZIP-BASE64-BEGIN=====',
  pointsEnd: '=====PRODLIKE-K6-POINTS-GZIP-BASE64-END=====',
} as const;

/** An ingress rule the load pod needs in a default-deny namespace. */
export interface AllowRule {
  namespace: string;
  podSelector: Record<string, string>;
  port: number;
}

export interface K6JobSpec {
  /** Job name (DNS-1123, ≤ 63 characters). */
  name: string;
  namespace?: string;
  envName: string;
  image: string;
  /** File name of the script in the ConfigMap, e.g. `hpa-drive.js`. */
  scriptName: string;
  /** Files for the ConfigMap: relative path (`hpa-drive.js`, `lib/harness.js`) → content. */
  files: Record<string, string>;
  env: Record<string, string>;
  /** Also return k6's per-request points (http_req_duration, http_req_failed). */
  points?: boolean;
  allow?: AllowRule[];
  activeDeadlineSeconds: number;
  resources?: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
}

type Obj = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels: Record<string, string> } };

export function jobLabels(spec: Pick<K6JobSpec, 'name' | 'envName'>): Record<string, string> {
  return { 'io.prodlike.managed': 'true', 'io.prodlike.env': spec.envName, 'io.prodlike.role': 'k6-load', 'io.prodlike.run': spec.name, 'app.kubernetes.io/part-of': 'prodlike' };
}

/** ConfigMap keys cannot hold `/`: `lib/harness.js` is stored as `lib__harness.js` and mounted back at its path. */
export function configMapKey(path: string): string {
  return path.replace(/\//g, '__');
}

/** The shell the container runs: k6, then the summary (and points) between markers, then k6's exit code. */
export function containerScript(spec: Pick<K6JobSpec, 'scriptName' | 'points'>): string {
  const out = spec.points ? ' --out json=/tmp/k6-points.json' : '';
  return [
    `k6 run --no-color --quiet --no-usage-report${out} /scripts/${spec.scriptName}`,
    'rc=$?',
    `echo '${MARKERS.summaryBegin}'`,
    'cat /tmp/k6-summary.json 2>/dev/null',
    'echo',
    `echo '${MARKERS.summaryEnd}'`,
    ...(spec.points
      ? [
          `echo '${MARKERS.pointsBegin}'`,
          `grep -E '"metric":"http_req_(duration|failed)"' /tmp/k6-points.json 2>/dev/null | grep '"type":"Point"' | gzip -c | base64 -w 0`,
          'echo',
          `echo '${MARKERS.pointsEnd}'`,
        ]
      : []),
    'exit $rc',
  ].join('\n');
}

/** Namespace, ConfigMap, NetworkPolicies and Job, in apply order. */
export function k6JobManifests(spec: K6JobSpec): Obj[] {
  const ns = spec.namespace ?? K6_JOB_NAMESPACE;
  const labels = jobLabels(spec);
  const namespace: Obj = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'io.prodlike.managed': 'true', 'io.prodlike.env': spec.envName, 'app.kubernetes.io/part-of': 'prodlike' } } };
  const configMap: Obj = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: spec.name, namespace: ns, labels },
    data: Object.fromEntries(Object.entries(spec.files).map(([path, text]) => [configMapKey(path), text])),
  };
  const policies: Obj[] = (spec.allow ?? []).map((rule, i) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `${spec.name}-allow-${i}`.slice(0, 63), namespace: rule.namespace, labels },
    spec: {
      podSelector: { matchLabels: rule.podSelector },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } }, podSelector: { matchLabels: { 'io.prodlike.run': spec.name } } }], ports: [{ protocol: 'TCP', port: rule.port }] }],
    },
  }));
  const resources = spec.resources ?? { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } };
  const job: Obj = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: spec.name, namespace: ns, labels },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: spec.activeDeadlineSeconds,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 12345, runAsGroup: 12345, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'k6',
              image: spec.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['sh', '-c', containerScript(spec)],
              env: Object.entries({ ...spec.env, SUMMARY_PATH: '/tmp/k6-summary.json', K6_NO_USAGE_REPORT: 'true' }).map(([name, value]) => ({ name, value })),
              resources,
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'scripts', mountPath: '/scripts', readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'scripts', configMap: { name: spec.name, items: Object.keys(spec.files).map((path) => ({ key: configMapKey(path), path })) } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
  return [namespace, configMap, ...policies, job];
}

export interface ParsedJobLog {
  /** k6's own output (before the markers). */
  k6Log: string;
  summaryText?: string;
  /** k6 JSON lines (http_req_duration/http_req_failed points). */
  pointsText?: string;
}

function between(lines: string[], begin: string, end: string): string | undefined {
  const b = lines.indexOf(begin);
  if (b < 0) return undefined;
  const e = lines.indexOf(end, b + 1);
  return lines.slice(b + 1, e < 0 ? undefined : e).join('\n').trim();
}

export function parseJobLog(log: string): ParsedJobLog {
  const lines = log.split('\n').map((l) => l.replace(/\r$/, ''));
  const cut = lines.indexOf(MARKERS.summaryBegin);
  const k6Log = (cut < 0 ? lines : lines.slice(0, cut)).join('\n');
  const summaryText = between(lines, MARKERS.summaryBegin, MARKERS.summaryEnd);
  const encoded = between(lines, MARKERS.pointsBegin, MARKERS.pointsEnd);
  let pointsText: string | undefined;
  if (encoded) {
    try {
      pointsText = gunzipSync(Buffer.from(encoded.replace(/\s+/g, ''), 'base64')).toString('utf8');
    } catch {
      pointsText = undefined;
    }
  }
  return { k6Log, ...(summaryText ? { summaryText } : {}), ...(pointsText !== undefined ? { pointsText } : {}) };
}

/** `prodlike-k6-hpa-drive-<base36 time>`, DNS-1123 and ≤ 52 characters (Job pod names add a suffix). */
export function jobName(script: string, now = Date.now()): string {
  const slug = basename(script).toLowerCase().replace(/\.(js|ts)$/, '').replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 24);
  return `prodlike-k6-${slug}-${now.toString(36)}`.slice(0, 52).replace(/-+$/, '');
}
