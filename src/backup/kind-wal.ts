import { ownLabels } from '../safety/ownership.ts';
import { walShipperScript } from './wal-archive.ts';

/**
 * The objects of WAL archiving on kind (src/backup/kind-wal-procedure.ts), pure: one helper pod on
 * PostgreSQL's PersistentVolumeClaim (the local-path volume pins it to PostgreSQL's node; ReadWriteOnce
 * admits pods of the same node) that ships the local WAL archive to MinIO and, once shipping stops, serves
 * the base backup upload, the disk wipe and the restore through `kubectl exec`; the mc alias in a Secret;
 * and the NetworkPolicies that admit it to MinIO under enforcement (the documented base manifests are not
 * touched: policies are additive). Everything carries the environment's ownership labels.
 */

/** The helper's own label (with ownLabels): what its policies select. */
export const WAL_HELPER_LABEL = 'io.prodlike.job';
export const WAL_HELPER_NAME = 'prodlike-wal-archive';
/** Where the helper mounts PostgreSQL's volume (the scripts of wal-archive.ts expect it there). */
export const WAL_HELPER_MOUNT = '/pgvol';
/** The helper's control folder (in its own filesystem): `stop` asks the shipper to end, `stopped` says it did. */
export const WAL_HELPER_CTL = '/tmp/ctl';

export interface WalHelperSpec {
  env: string;
  /** PostgreSQL's namespace and the claim its data directory's volume is (from the running pod). */
  namespace: string;
  claim: string;
  /** The image the environment's MinIO runs (it ships `mc`). */
  image: string;
  /** uid/gid PostgreSQL runs as: the helper writes its files as the same user. */
  uid: number;
  gid: number;
  /** MinIO as the configuration names it (`topology.minio`). */
  minio: { namespace: string; service: string; port: number; selector: Record<string, string> };
  /**
   * Whether NetworkPolicies already isolate MinIO's pods for ingress (policy-isolation.ts). Only then does the helper
   * need a policy admitting it: one on pods nothing isolates would isolate them, cutting every other client off
   * (the application, prodlike's host access: examples/saasit, where MinIO is not isolated).
   */
  minioIsolated: boolean;
  /** `http://<key>:<secret>@host:port` for the `backup` alias (mcEnv), kept in a Secret. */
  mcHost: string;
  bucket: string;
  intervalSeconds: number;
}

type Obj = Record<string, unknown>;

export function walHelperLabels(env: string): Record<string, string> {
  return { ...ownLabels(env), [WAL_HELPER_LABEL]: 'wal-archive' };
}

/** The helper's command: the shipper loop, `stopped` written when it ended, then idle until deleted. */
export function walHelperScript(bucket: string, intervalSeconds: number): string {
  const c = WAL_HELPER_CTL;
  return [
    `mkdir -p ${c}`,
    `( ${walShipperScript({ bucket, intervalSeconds, ctl: c })} ) > ${c}/shipper.out 2>&1`,
    `touch ${c}/stopped`,
    'trap "exit 0" TERM',
    'while :; do sleep 1; done',
  ].join('\n');
}

/** The in-cluster address of MinIO (`<service>.<namespace>.svc.cluster.local:<port>`). */
export function minioAddress(minio: WalHelperSpec['minio']): string {
  return `${minio.service}.${minio.namespace}.svc.cluster.local:${minio.port}`;
}

/** Secret, the NetworkPolicies (helper -> MinIO and the cluster DNS egress; MinIO ingress from the helper when MinIO is isolated), the pod: apply in this order. */
export function walHelperObjects(spec: WalHelperSpec): Obj[] {
  const labels = walHelperLabels(spec.env);
  const helper = { [WAL_HELPER_LABEL]: labels[WAL_HELPER_LABEL]! };
  const sameNs = spec.namespace === spec.minio.namespace;
  const port = [{ protocol: 'TCP', port: spec.minio.port }];
  const secret = `${WAL_HELPER_NAME}-mc`;
  return [
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret, namespace: spec.namespace, labels }, type: 'Opaque', stringData: { MC_HOST_backup: spec.mcHost } },
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
      metadata: { name: `${WAL_HELPER_NAME}-egress`, namespace: spec.namespace, labels },
      spec: {
        podSelector: { matchLabels: helper }, policyTypes: ['Egress'],
        egress: [
          { to: [{ ...(sameNs ? {} : { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': spec.minio.namespace } } }), podSelector: { matchLabels: spec.minio.selector } }], ports: port },
          // This policy isolates the helper's egress: without the cluster DNS, MinIO's Service name does not resolve
          // (examples/saasit, whose namespace allows no DNS by itself: the lookup of its Service name timed out).
          { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        ],
      },
    },
    ...(!spec.minioIsolated ? [] : [{
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
      metadata: { name: `${WAL_HELPER_NAME}-minio`, namespace: spec.minio.namespace, labels },
      spec: {
        podSelector: { matchLabels: spec.minio.selector }, policyTypes: ['Ingress'],
        ingress: [{ from: [{ ...(sameNs ? {} : { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': spec.namespace } } }), podSelector: { matchLabels: helper } }], ports: port }],
      },
    }]),
    {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: WAL_HELPER_NAME, namespace: spec.namespace, labels },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        automountServiceAccountToken: false,
        // Pod Security "restricted" (document 001 §Pod Security Standards), as PostgreSQL's own identity.
        securityContext: { runAsNonRoot: true, runAsUser: spec.uid, runAsGroup: spec.gid, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{
          name: 'wal', image: spec.image, imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', walHelperScript(spec.bucket, spec.intervalSeconds)],
          env: [{ name: 'HOME', value: '/tmp' }],
          envFrom: [{ secretRef: { name: secret } }],
          volumeMounts: [{ name: 'pgvol', mountPath: WAL_HELPER_MOUNT }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        }],
        volumes: [{ name: 'pgvol', persistentVolumeClaim: { claimName: spec.claim } }],
      },
    },
  ];
}
