import { parseAllDocuments } from 'yaml';
import { ProdlikeError } from '../../core/errors.ts';
import { outcome, type EventBus } from '../../core/events.ts';
import { run } from '../../core/exec.ts';
import { waitFor } from '../../core/wait.ts';
import type { Kubectl } from '../../kube/kubectl.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { ownLabels, PRODLIKE_LABELS } from '../../safety/ownership.ts';
import { ensureImagesOnNode, imageNodes } from './kind-images.ts';
import { toApplyList } from './kind-workloads.ts';

/**
 * The k6 operator add-on of the kind provider (issue #22: distributed load). Installed on demand — by the first
 * `prodlike load --parallelism N` with N > 1 — not at `up`: nothing else needs it, and `up` stays as fast as it
 * was. What it installs, all labelled as this environment's (ownLabels):
 *   - the operator's CRDs (TestRun, and PrivateLoadZone because the manager runs both controllers and exits when
 *     either kind is unknown), read from the operator image (/k6-operator/crd, copied there from the module's
 *     config/crd/bases by fixtures/images/k6-operator/build.sh);
 *   - the controller in namespace prodlike-k6-operator, watching ONE namespace (WATCH_NAMESPACE: prodlike's load
 *     namespace) with a Role there — not upstream's ClusterRole over every namespace: it creates the initializer,
 *     runner and starter Jobs and the runners' Services, reads the initializer's log (pods/log), and reads the
 *     runners' /v1/status over their Services. No leader election (one replica), no metrics endpoint.
 * Offline the controller and the runner/starter images are loaded into the nodes from the local engine.
 */
export const K6_OPERATOR_NAMESPACE = 'prodlike-k6-operator';
const NAME = 'k6-operator';
const ROLE_LABEL = { [PRODLIKE_LABELS.role]: 'k6-operator' };
const POD_LABELS = { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/component': 'controller' };
/** Where the operator image keeps its CRDs (build.sh). */
export const CRD_DIR = '/k6-operator/crd';
const CRD_FILES = ['k6.io_testruns.yaml', 'k6.io_privateloadzones.yaml'] as const;

export interface K6OperatorOptions {
  envName: string;
  /** The controller image (catalogue entry k6-operator). */
  image: string;
  /** The one namespace whose TestRuns it runs (it must exist: the Role lives there). */
  watchNamespace: string;
}

/** The add-on's own objects (the CRDs come from the image): namespace, service account, Role and binding, Deployment. */
export function k6OperatorObjects(o: K6OperatorOptions): Array<KubeObject & Record<string, unknown>> {
  const labels = { ...ownLabels(o.envName), ...ROLE_LABEL };
  const meta = (name: string, namespace = K6_OPERATOR_NAMESPACE) => ({ name, namespace, labels });
  const restricted = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: K6_OPERATOR_NAMESPACE, labels } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(NAME) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(`prodlike-${NAME}`, o.watchNamespace),
      // From the operator's kubebuilder markers (config/rbac/role.yaml), less what prodlike never uses: Deployments and
      // Secrets (PrivateLoadZones / Grafana Cloud tokens) and leases (no leader election).
      rules: [
        { apiGroups: ['k6.io'], resources: ['testruns', 'privateloadzones'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
        { apiGroups: ['k6.io'], resources: ['testruns/status', 'testruns/finalizers', 'privateloadzones/status', 'privateloadzones/finalizers'], verbs: ['get', 'update', 'patch'] },
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
        { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
        { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(`prodlike-${NAME}`, o.watchNamespace),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `prodlike-${NAME}` },
      subjects: [{ kind: 'ServiceAccount', name: NAME, namespace: K6_OPERATOR_NAMESPACE }],
    },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(NAME),
      spec: {
        replicas: 1,
        selector: { matchLabels: POD_LABELS },
        template: {
          metadata: { labels: { ...labels, ...POD_LABELS } },
          spec: {
            serviceAccountName: NAME,
            securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
            terminationGracePeriodSeconds: 10,
            containers: [{
              name: 'manager',
              image: o.image,
              imagePullPolicy: 'IfNotPresent',
              args: ['--leader-elect=false', '--metrics-bind-address=0', '--health-probe-bind-address=:8081'],
              env: [{ name: 'WATCH_NAMESPACE', value: o.watchNamespace }],
              ports: [{ name: 'health', containerPort: 8081 }],
              readinessProbe: { httpGet: { path: '/readyz', port: 8081 }, periodSeconds: 2 },
              livenessProbe: { httpGet: { path: '/healthz', port: 8081 }, initialDelaySeconds: 15, periodSeconds: 20 },
              resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
              securityContext: restricted,
            }],
          },
        },
      },
    },
  ];
}

/** The CRD documents as the image carries them, each with this environment's labels added. */
export function labelCrds(texts: readonly string[], envName: string): KubeObject[] {
  const crds = texts.flatMap((t) => parseAllDocuments(t).map((d) => d.toJSON() as KubeObject | null)).filter((o): o is KubeObject => o?.kind === 'CustomResourceDefinition');
  return crds.map((c) => ({ ...c, metadata: { ...c.metadata, labels: { ...c.metadata.labels, ...ownLabels(envName), ...ROLE_LABEL } } }));
}

async function readCrds(image: string): Promise<string[]> {
  return Promise.all(CRD_FILES.map(async (f) => {
    const r = await run('docker', ['run', '--rm', '--label', 'io.prodlike.managed=true', '--entrypoint', 'cat', image, `${CRD_DIR}/${f}`], { timeoutMs: 120_000, allowFailure: true });
    if (r.exitCode !== 0) throw new ProdlikeError('IMAGE_MISSING', `Could not read ${CRD_DIR}/${f} from ${image}: ${r.stderr.trim().split('\n').at(-1) ?? `exit ${r.exitCode}`}.`, { hint: 'Build it with `npx prodlike setup` (fixtures/images/k6-operator/build.sh; see its header for where the source comes from).' });
    return r.stdout;
  }));
}

interface DeploymentStatus { spec?: { template?: { spec?: { containers?: { image?: string }[] } } }; status?: { readyReplicas?: number; updatedReplicas?: number; replicas?: number } }

/**
 * Installs the add-on unless it runs already with this image (then the phase row says `cached`), and waits until
 * the controller is ready. `images` are the images its Jobs run (runner, starter): offline they are put into every
 * node with the controller's.
 */
export async function ensureK6Operator(kubectl: Kubectl, o: K6OperatorOptions & { cluster: string; imageSource: 'online' | 'offline'; images: readonly string[]; bus: EventBus; signal?: AbortSignal | undefined }): Promise<void> {
  await o.bus.step('kind:k6-operator', `Add-on: k6 operator (${o.image}, watching ${o.watchNamespace})`, async (progress) => {
    const current = await kubectl.json<DeploymentStatus>(['-n', K6_OPERATOR_NAMESPACE, 'get', 'deployment', NAME], { allowFailure: false }).catch(() => undefined);
    const ready = (d: DeploymentStatus | undefined) => (d?.status?.readyReplicas ?? 0) >= 1 && d?.status?.updatedReplicas === d?.status?.replicas;
    const offline = o.imageSource === 'offline';
    const wanted = [...new Set([o.image, ...o.images])];
    // Every node at once (the load step of a distributed run was 54 s node after node, 12/2026).
    const loaded = offline ? (await Promise.all((await imageNodes(o.cluster)).map((node) => ensureImagesOnNode(node, wanted, o.cluster, progress)))).flat() : [];
    if (current?.spec?.template?.spec?.containers?.[0]?.image === o.image && ready(current) && loaded.length === 0) {
      return outcome('cached', undefined, `controller ready in ${K6_OPERATOR_NAMESPACE}`);
    }
    progress('CRDs (TestRun, PrivateLoadZone) from the operator image');
    const crds = labelCrds(await readCrds(o.image), o.envName);
    await kubectl.apply(toApplyList(crds), { timeoutMs: 120_000 });
    // Polled, not `kubectl wait --for=condition=Established`: right after the apply a CRD may have no status yet, and
    // kubectl wait then fails at once ("error: .status.conditions") instead of waiting (seen in CI).
    const names = crds.map((c) => c.metadata.name);
    await waitFor(async () => {
      type Crd = { status?: { conditions?: { type: string; status: string }[] } };
      const got = await kubectl.json<{ items?: Crd[] } & Crd>(['get', 'crd', ...names]);
      const items = got.items ?? [got]; // one name: kubectl prints the object, not a List
      return items.length === names.length && items.every((c) => (c.status?.conditions ?? []).some((x) => x.type === 'Established' && x.status === 'True'));
    }, {
      timeoutMs: 60_000, intervalMs: 500, description: `the k6 operator's CRDs (${names.join(', ')}) to be Established`,
      hint: `kubectl --kubeconfig ${kubectl.kubeconfig} get crd ${names.join(' ')} -o yaml`,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    await kubectl.apply(toApplyList(k6OperatorObjects(o)));
    progress(`waiting for the controller (deployment ${K6_OPERATOR_NAMESPACE}/${NAME}) to be ready`);
    await waitFor(async () => ready(await kubectl.json<DeploymentStatus>(['-n', K6_OPERATOR_NAMESPACE, 'get', 'deployment', NAME])), {
      timeoutMs: 120_000, intervalMs: 1000, description: `the k6 operator controller (deployment ${K6_OPERATOR_NAMESPACE}/${NAME}) to be ready`,
      hint: `kubectl --kubeconfig ${kubectl.kubeconfig} -n ${K6_OPERATOR_NAMESPACE} describe pods; offline the image comes from \`npx prodlike setup\`.`,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return outcome('ok', undefined, `controller ready${loaded.length ? `; loaded ${[...new Set(loaded)].join(', ')}` : ''}`);
  });
}
