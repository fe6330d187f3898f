import { ownLabels, PRODLIKE_LABELS } from '../safety/ownership.ts';
import { configMapKey } from './k6-job-manifests.ts';

/**
 * The objects of a distributed k6 run for the k6 operator (k6.io/v1alpha1 TestRun, operator v1.5.0): the
 * script's ConfigMap and the TestRun. Pure; the running is src/load/distributed-load.ts.
 *
 * How the operator runs it (internal/controller, pkg/resources/jobs): an initializer Job (`k6 archive` +
 * `k6 inspect --execution-requirements` in the runner image, read back from its log), then N runner Jobs
 * `k6 run --execution-segment i/N … --address=0.0.0.0:6565 --paused --tag instance_id=i`, each behind a
 * Service, and once every runner answers /v1/status a starter Job that un-pauses them all with
 * `curl -X PATCH …/v1/status` (so it needs sh + curl: the operator image here). The operator's verdict is per
 * runner (each judges thresholds on its segment: grafana/k6-operator#115), so the runners get NO thresholds;
 * they write every sample to stdout (`--out json=-`), prodlike reads each runner pod's log, merges and judges once.
 *
 * Choices forced by the operator:
 *   - `script.localFile` with prodlike's own ConfigMap mounted at /scripts (items map lib__harness.js back to
 *     lib/harness.js): `script.configMap` mounts a ConfigMap flat at /test, where `./lib/harness.js` cannot be.
 *   - `arguments` is split on spaces and, for a localFile, pasted into `sh -c`: only plain words, no quotes.
 *   - the initializer copies the runner's env into `k6 archive -e NAME="value"`: no `"` in values (THRESHOLDS
 *     JSON could not pass anyway, and runners must not judge).
 */
export const RUNNER_SYSTEM_TAGS = 'name,status,method,expected_response';
export const RUNNER_SCRIPTS_DIR = '/scripts';

export interface TestRunSpec {
  /** TestRun name (DNS-1123; the operator appends -initializer, -starter, -<i>, -service-<i>). */
  name: string;
  namespace: string;
  envName: string;
  parallelism: number;
  /** k6 image with k6 on PATH, sh and a writable /tmp (prodlike.local/k6 offline). */
  runnerImage: string;
  /** An image with sh and curl (the operator image offline). */
  starterImage: string;
  scriptName: string;
  /** Relative path (`read-heavy.js`, `lib/harness.js`) → content. */
  files: Record<string, string>;
  env: Record<string, string>;
  resources?: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
}

type Obj = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels: Record<string, string> } };

export function testRunLabels(spec: Pick<TestRunSpec, 'name' | 'envName'>): Record<string, string> {
  return { ...ownLabels(spec.envName), [PRODLIKE_LABELS.role]: 'k6-testrun', 'io.prodlike.run': spec.name };
}

/** The runner's `arguments`: raw samples to stdout, only the tags the merge uses, no usage report. */
export function runnerArguments(): string {
  return `--out json=- --system-tags=${RUNNER_SYSTEM_TAGS} --no-usage-report`;
}

/** Refuses what the operator would paste into a shell or into `-e NAME="value"` wrongly. */
export function assertPlainEnv(env: Record<string, string>): void {
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(k) || /["'`$\\\n]/.test(v)) throw new Error(`runner env ${k}=${v}: the k6 operator's initializer passes env as -e NAME="value" through sh; quotes, $, backslashes and newlines cannot pass`);
  }
}

/** ConfigMap and TestRun, in apply order (the namespace is the load namespace, made by the caller). */
export function testRunObjects(spec: TestRunSpec): Obj[] {
  assertPlainEnv(spec.env);
  const labels = testRunLabels(spec);
  const configMap: Obj = {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: spec.name, namespace: spec.namespace, labels },
    data: Object.fromEntries(Object.entries(spec.files).map(([path, text]) => [configMapKey(path), text])),
  };
  const pod = (image: string, uid: number) => ({
    image,
    imagePullPolicy: 'IfNotPresent',
    metadata: { labels },
    automountServiceAccountToken: 'false',
    securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, seccompProfile: { type: 'RuntimeDefault' } },
    containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  });
  const testRun: Obj = {
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: { name: spec.name, namespace: spec.namespace, labels },
    spec: {
      parallelism: spec.parallelism,
      script: { localFile: `${RUNNER_SCRIPTS_DIR}/${spec.scriptName}` },
      arguments: runnerArguments(),
      quiet: 'true',
      runner: {
        ...pod(spec.runnerImage, 12345),
        env: Object.entries({ ...spec.env, SUMMARY_PATH: '/tmp/k6-summary.json', K6_NO_USAGE_REPORT: 'true' }).map(([name, value]) => ({ name, value })),
        resources: spec.resources ?? { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
        volumes: [
          { name: 'scripts', configMap: { name: spec.name, items: Object.keys(spec.files).map((path) => ({ key: configMapKey(path), path })) } },
          { name: 'tmp', emptyDir: {} },
        ],
        volumeMounts: [
          { name: 'scripts', mountPath: RUNNER_SCRIPTS_DIR, readOnly: true },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      },
      starter: pod(spec.starterImage, 65532),
    },
  };
  return [configMap, testRun];
}

/** `prodlike-k6x-<script>-<base36 time>`: ≤ 40 characters, so the operator's `-service-<i>` names stay ≤ 63. */
export function testRunName(script: string, now = Date.now()): string {
  const slug = script.toLowerCase().replace(/\.(js|ts)$/, '').replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 16);
  return `prodlike-k6x-${slug}-${now.toString(36)}`.slice(0, 40).replace(/-+$/, '');
}

/** The runner index of a runner pod: its Job `<testrun>-<i>`. */
export function runnerIndex(testRun: string, jobName: string | undefined): number | undefined {
  if (!jobName?.startsWith(`${testRun}-`)) return undefined;
  const rest = jobName.slice(testRun.length + 1);
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}
