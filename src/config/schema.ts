import { z } from 'zod';
import { DOCUMENTED_DEFAULTS } from './defaults.ts';
import { ProdlikeError } from '../core/errors.ts';

/** The roles prodlike knows in the documented topology (document 001 + the object store of 000/004). */
export const WORKLOAD_ROLES = ['postgres', 'redis', 'minio', 'backend', 'worker', 'frontend'] as const;
export type WorkloadRole = (typeof WORKLOAD_ROLES)[number];
/** The roles that may have several workloads (`topology.<role>.additional`): a read replica, a second database. */
export const DATA_STORE_ROLES = ['postgres', 'redis', 'minio'] as const;
export type DataStoreRole = (typeof DATA_STORE_ROLES)[number];
/**
 * A workload prodlike addresses: a role (its primary workload, the one credentials, probes, sentinels and
 * backups refer to) or one of a data-store role's additional workloads, `<role>/<name>` (e.g. postgres/replica).
 */
export type WorkloadRef = WorkloadRole | `${DataStoreRole}/${string}`;

/**
 * What only some applications offer (the reference app does): endpoints that scenarios use to show what a
 * fault did to the application's own work. A scenario that needs one skips with that reason when the
 * configuration does not declare it; RPO sentinels are then written by prodlike into the data stores.
 */
export const APPLICATION_APIS = ['records', 'executions', 'files', 'work'] as const;
export type ApplicationApi = (typeof APPLICATION_APIS)[number];

export const PROVIDERS = ['kind', 'docker', 'cluster'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export const IMAGE_SOURCES = ['online', 'offline', 'auto'] as const;
export type ImageSource = (typeof IMAGE_SOURCES)[number];

const workloadSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Deploy this workload.'),
  replicas: z.number().int().min(0).max(50).describe('Replica count (docker provider; kind uses the manifests unless set).').optional(),
  namespace: z.string().min(1).describe('Kubernetes namespace of the workload in the manifests.').optional(),
  workload: z
    .string()
    .regex(/^(deployment|statefulset)\/[a-z0-9-]+$/, 'must look like deployment/<name> or statefulset/<name>')
    .describe('The workload object in the manifests, e.g. statefulset/postgres.')
    .optional(),
  service: z.string().min(1).describe('Service name other workloads use to reach it (default: the one document 001 gives the role).').optional(),
  selector: z.record(z.string(), z.string()).describe('Pod labels that select this workload.').optional(),
  accessSelector: z
    .record(z.string(), z.string())
    .describe('kind: labels the pods must carry, besides `selector`, to be reached from the host (prodlike\'s access Service: probes, sentinels, `connect`). For a replicated store whose members take no writes, e.g. Patroni 3\'s role label { spilo-role: master } (kind/manifests/overlays/kind-ha): the access follows the leader. Status and readiness still count every pod of `selector`.')
    .optional(),
  port: z
    .number()
    .int()
    .min(1)
    .max(65535)
    .describe('Port the workload\'s pods serve on (default: the one document 001 gives the role). On kind, prodlike\'s host-access Service and NetworkPolicy for the role use it.')
    .optional(),
  health: z
    .string()
    .regex(/^\/[^\s?#]*$/, 'must be a path starting with /, e.g. /healthz')
    .describe('HTTP path on `port` that answers 200 when a pod of the role is ready (its readiness probe\'s path). Default for the backend: document 001\'s /health/ready. Scenarios probe it to tell "the server is back" from "users are served" (application.health at the entry).')
    .optional(),
});
export type WorkloadConfig = z.infer<typeof workloadSchema>;

const INSTANCE_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const additionalWorkloadSchema = z.strictObject({
  name: z.string().regex(INSTANCE_NAME, 'must be 2-32 chars of lowercase letters, digits and dashes, starting with a letter').describe('Its name in prodlike: <role>/<name> in `status`, `logs` and the scenarios, e.g. replica.'),
  namespace: z.string().min(1).describe('Its namespace (default: the role\'s).').optional(),
  workload: z
    .string()
    .regex(/^(deployment|statefulset)\/[a-z0-9-]+$/, 'must look like deployment/<name> or statefulset/<name>')
    .describe('The workload object in the manifests, e.g. statefulset/postgres-replica.'),
  service: z.string().min(1).describe('Its Service, if it has one.').optional(),
  selector: z.record(z.string(), z.string()).describe('Pod labels that select this workload and not the role\'s primary (e.g. { app: postgres-replica }).'),
  port: z.number().int().min(1).max(65535).describe('Port its pods serve on (default: the role\'s).').optional(),
});
export type AdditionalWorkloadConfig = z.infer<typeof additionalWorkloadSchema>;
const dataStoreSchema = workloadSchema.extend({
  additional: z
    .array(additionalWorkloadSchema)
    .max(8)
    .describe('kind and cluster: further workloads of this data-store role besides its primary (document 000\'s RDS read replica, a second database): prodlike waits for them at `up`, shows them in `status` as <role>/<name>, addresses them in `logs`, kill and exec, and the failover suite crashes each one under traffic. Credentials, probes from the host, sentinels, backups and exporters stay the primary\'s. The docker provider runs the reference topology and leaves them out.')
    .optional(),
});

/** A URL path at the entry point. */
const PATH = /^\/[^\s?#]*$/;
const apiPath = (what: string) => z.string().regex(PATH, 'must be a path starting with /, e.g. /api/records').describe(what).optional();

const applicationSchema = z.strictObject({
  health: z
    .string()
    .regex(PATH, 'must be a path starting with /, e.g. /healthz')
    .default(DOCUMENTED_DEFAULTS.application.health)
    .describe('Path at the entry point (ports.entry) that answers 200 when the application can serve users: every scenario probes it as the user-facing outage.'),
  api: z
    .strictObject({
      records: apiPath('POST {"clientId", "seq", "ts"} stores a record and answers 2xx; it is read back from PostgreSQL\'s `records` table. Without it, RPO sentinels are rows prodlike writes into its own table.'),
      executions: apiPath('POST submits an execution (202 {id}), GET <path>/<id> gives its status (QUEUED, RUNNING, COMPLETED, FAILED); completions are counted in `execution_logs`. Scenarios about queued work (worker lost, worker crash, execution load) need it.'),
      files: apiPath('POST <path>?filename=… stores a file (2xx {id}), GET <path>/<id>?download=1 returns it. Without it, object sentinels are objects prodlike writes under its own prefix.'),
      work: apiPath('POST <path>?ms=N burns N ms of CPU and answers 200: where the HPA scenario puts its load (sent to the backend Service, so the backend must serve the same path).'),
    })
    .default(DOCUMENTED_DEFAULTS.application.api)
    .describe('The application\'s own endpoints that some scenarios use (default: the reference application\'s). `api: {}` declares none: scenarios that need one skip with that reason.'),
});
export type ApplicationConfig = z.infer<typeof applicationSchema>;

/** What a Secret value may contain besides text: the environment's credentials, made by prodlike. */
/** The environment's credentials a team's own Secret may supply (`credentials:`); the rest of SECRET_PLACEHOLDERS are configuration or per apply. */
export const CREDENTIAL_NAMES = ['postgres.password', 'redis.password', 'minio.accessKey', 'minio.secretKey'] as const;
export type CredentialName = (typeof CREDENTIAL_NAMES)[number];
export const SECRET_PLACEHOLDERS = ['postgres.password', 'postgres.user', 'postgres.database', 'redis.password', 'minio.accessKey', 'minio.secretKey', 'random'] as const;
export type SecretPlaceholder = (typeof SECRET_PLACEHOLDERS)[number];
const PLACEHOLDER = /\$\{([^}]*)\}/g;
/** The placeholders of a Secret template that prodlike does not know. */
export function unknownPlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((p) => !(SECRET_PLACEHOLDERS as readonly string[]).includes(p));
}
/** A Secret template with its placeholders filled in. */
export function renderSecretTemplate(template: string, values: Readonly<Record<SecretPlaceholder, string>>): string {
  return template.replace(PLACEHOLDER, (_, p: string) => values[p as SecretPlaceholder]);
}
const secretValue = z.string().superRefine((value, ctx) => {
  for (const p of unknownPlaceholders(value)) ctx.addIssue({ code: 'custom', message: `unknown placeholder \${${p}}: use one of ${SECRET_PLACEHOLDERS.map((x) => `\${${x}}`).join(', ')}` });
});
/** A Secret's name and data keys as Kubernetes allows them. */
const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

const NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
/** A Kubernetes namespace name (RFC 1123 label, at most 63 characters). */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** An S3 bucket name (3-63 chars of lowercase letters, digits, dots and dashes). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z
    .string()
    .regex(NAME, 'must be 2-32 chars of lowercase letters, digits and dashes, starting with a letter')
    .default('prodlike')
    .describe('Environment name: the kind cluster is kind-<name>, docker resources are prodlike-<name>-*.'),
  provider: z.enum(PROVIDERS).default('kind').describe('Where the environment runs: kind (a cluster prodlike creates), docker (plain containers), cluster (an existing cluster you name in `cluster:`; prodlike owns only the namespaces it creates there).'),
  imageSource: z
    .enum(IMAGE_SOURCES)
    .default('auto')
    .describe('online: official images from registries; offline: images built locally by `prodlike setup`; auto: probe the registry once.'),
  manifests: z.string().min(1).default('kind/manifests/overlays/kind').describe('Kustomize directory with the application manifests.'),
  targets: z
    .strictObject({
      file: z.string().min(1).default('fixtures/targets.yaml').describe('Targets file (documented RTO/RPO/p95… with sources).'),
      profile: z.string().min(1).default('onprem').describe('Target profile to check against.'),
    })
    .prefault({}),
  topology: z
    .strictObject(
      Object.fromEntries(WORKLOAD_ROLES.map((role) => [role, (isDataStoreRole(role) ? dataStoreSchema : workloadSchema).optional()])) as Record<Exclude<WorkloadRole, DataStoreRole>, z.ZodOptional<typeof workloadSchema>> & Record<DataStoreRole, z.ZodOptional<typeof dataStoreSchema>>,
    )
    .superRefine((topology, ctx) => {
      for (const role of DATA_STORE_ROLES) {
        const primary = topology[role]?.selector ?? { app: role };
        const seen = new Set<string>();
        (topology[role]?.additional ?? []).forEach((a, i) => {
          if (seen.has(a.name)) ctx.addIssue({ code: 'custom', path: [role, 'additional', i, 'name'], message: `${role}/${a.name} is named twice: each additional workload needs its own name` });
          seen.add(a.name);
          const sameKeys = Object.keys(a.selector).length === Object.keys(primary).length;
          if (sameKeys && Object.entries(primary).every(([k, v]) => a.selector[k] === v)) {
            ctx.addIssue({ code: 'custom', path: [role, 'additional', i, 'selector'], message: `selects the same pods as the ${role} role's primary (${Object.entries(primary).map(([k, v]) => `${k}=${v}`).join(',')}): give it its own labels` });
          }
        });
      }
    })
    .prefault({})
    .describe('Which workloads exist and how to find them in the manifests.'),
  check: z
    .strictObject({
      allocatable: z
        .strictObject({
          cpu: z.union([z.string(), z.number()]).describe('CPU of the cluster (sum of the nodes\' allocatable), a Kubernetes quantity, e.g. 48 or 47500m.'),
          memory: z.string().min(1).describe('Memory of the cluster (sum of the nodes\' allocatable), e.g. 180Gi.'),
        })
        .describe('The cluster the manifests run on, for capacity-exceeds-cluster (--allocatable overrides it). Without it, capacity is only compared for the local kind cluster.')
        .optional(),
      components: z
        .record(z.string(), z.array(z.string().regex(/^([a-z0-9-]+\/)?(deployment|statefulset|daemonset)\/[a-z0-9.-]+$/, 'must look like [namespace/]statefulset/<name>')).min(1))
        .describe('Which workloads a documented component (postgres, redis, minio, backend, api, application-pods…) stands for, e.g. postgres: [statefulset/pgsql, statefulset/codeintel-db]. Wins over recognition by image, port and labels.')
        .optional(),
    })
    .prefault({})
    .describe('`prodlike check`: the cluster the manifests are meant for and component mappings.'),
  executions: z
    .strictObject({
      namespace: z
        .string()
        .max(63)
        .regex(NAMESPACE, 'must be a Kubernetes namespace name (lowercase letters, digits and dashes)')
        .default(DOCUMENTED_DEFAULTS.executionsNamespace)
        .describe('Namespace where the worker runs one Kubernetes Job per execution (document 000 §6): it gets the backend Secrets, and the kind backup procedures may act in it.'),
      selector: z
        .record(z.string(), z.string())
        .default(DOCUMENTED_DEFAULTS.executionsSelector)
        .describe('Labels of the execution Jobs and their pods (document 000 §6\'s template: app: saasit-executor); the execution-load suite watches them.'),
    })
    .prefault({})
    .describe('The application\'s execution Jobs (kind).'),
  objectStore: z
    .strictObject({
      bucket: z
        .string()
        .regex(BUCKET, 'must be an S3 bucket name (3-63 chars of lowercase letters, digits, dots and dashes)')
        .default(DOCUMENTED_DEFAULTS.bucket)
        .describe('The application\'s artifacts bucket (document 000 §S3 Bucket Setup): the docker provider creates it and passes it as S3_BUCKET; on kind the manifests create it.'),
    })
    .prefault({})
    .describe('The application\'s object store (the minio role).'),
  database: z
    .strictObject({
      name: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier').default(DOCUMENTED_DEFAULTS.database.name).describe('The application\'s PostgreSQL database.'),
      user: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase SQL identifier').default(DOCUMENTED_DEFAULTS.database.user).describe('The PostgreSQL user the manifests create (POSTGRES_USER); prodlike connects as it.'),
    })
    .prefault({})
    .describe('The PostgreSQL database and user that probes, sentinels and backups use (the postgres role).'),
  backup: z
    .strictObject({
      bucket: z
        .string()
        .regex(BUCKET, 'must be an S3 bucket name (3-63 chars of lowercase letters, digits, dots and dashes)')
        .default(DOCUMENTED_DEFAULTS.backup.bucket)
        .describe('The bucket backups go to, in the environment\'s object store (the minio role): the kind CronJob uploads there, prodlike\'s own procedures (Redis snapshots, file mirrors, WAL archive) too.'),
      postgres: z
        .strictObject({
          cronJob: z
            .string()
            .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes object name')
            .max(52)
            .default(DOCUMENTED_DEFAULTS.backup.postgresCronJob)
            .describe('kind: the CronJob, in the postgres role\'s namespace, that dumps the database (pg_dump | gzip, plain SQL) and uploads it to the backup bucket. Scenarios run it on demand (kubectl create job --from=cronjob/…) and read its schedule as the worst-case RPO.'),
          prefix: z
            .string()
            .regex(/^([A-Za-z0-9._-]+\/)*$/, 'must be an object key prefix ending in / (or empty)')
            .default(DOCUMENTED_DEFAULTS.backup.postgresPrefix)
            .describe('Where in the bucket the CronJob puts its dumps: the newest object under it written after the Job started is the backup (unless the Job\'s log names it, as "Uploaded: s3://<bucket>/<key>").'),
        })
        .prefault({}),
    })
    .prefault({})
    .describe('Where backups live and which CronJob makes the PostgreSQL backup (backup-restore suite).'),
  secrets: z
    .record(z.string().regex(SECRET_NAME, 'must be a Kubernetes Secret name'), z.record(z.string().regex(SECRET_KEY, 'must be a Secret data key (letters, digits, -, _ and .)'), secretValue))
    .default(DOCUMENTED_DEFAULTS.secrets)
    .describe('kind: the Secrets prodlike creates in the application\'s namespaces (every role\'s but the frontend\'s, and executions.namespace), name → key → value. Values are text with the environment\'s credentials as ${postgres.password}, ${postgres.user}, ${postgres.database}, ${redis.password}, ${minio.accessKey}, ${minio.secretKey} and ${random}, e.g. url: postgres://${postgres.user}:${postgres.password}@postgres:5432/${postgres.database}. Default: the Secrets document 001\'s manifests read.'),
  credentials: z
    .partialRecord(
      z.enum(CREDENTIAL_NAMES),
      z.strictObject({
        secret: z.string().regex(SECRET_NAME, 'must be a Kubernetes Secret name').describe('A Secret the team\'s rendered manifests define (e.g. a laptop overlay\'s dev credentials).'),
        namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name').optional().describe('Default: the namespace of the credential\'s role (topology.<role>.namespace).'),
        key: z.string().regex(SECRET_KEY, 'must be a Secret data key (letters, digits, -, _ and .)'),
      }),
    )
    .default({})
    .describe('kind: credentials the team\'s manifests already carry, read from their Secret (data or stringData) instead of generated by prodlike, e.g. minio.secretKey: { secret: minio-dev-credentials, key: MINIO_ROOT_PASSWORD }. Probes, sentinels, backups, `connect` and the ${…} placeholders of `secrets:` then use them. The docker provider always generates its own.'),
  application: applicationSchema
    .prefault({})
    .describe('What the application offers at the entry point: its user-facing health URL and, optionally, endpoints scenarios can use.'),
  build: z
    .array(
      z.strictObject({
        image: z
          .string()
          .regex(/^[a-z0-9./_-]+:[A-Za-z0-9._-]+$/, 'must be an image reference with a tag, as the manifests name it, e.g. prodlike.local/app:0.1.0')
          .describe('The image as the manifests (kind) and the topology (docker) name it: the tag the build produces.'),
        context: z.string().min(1).describe('Build context, relative to prodlike.yaml (its .dockerignore is honoured for the change hash when it has no `!` rules).'),
        dockerfile: z.string().min(1).optional().describe('Dockerfile, relative to the context (default: <context>/Dockerfile). Never edited: offline, its FROM of an official image in fixtures/images/images.yaml is redirected to the locally built equivalent.'),
        script: z.string().min(1).optional().describe('A build script (fixtures/images/lib.sh contract: IMAGE_TAG, IMAGE_INPUTS, NODE_IMAGE, NGINX_IMAGE) run instead of `docker build`, relative to prodlike.yaml; the reference application\'s fixtures/app/build.sh bundles before building.'),
        roles: z.array(z.enum(WORKLOAD_ROLES)).min(1).optional().describe('Topology roles whose workloads run the image: `up --build` rolls them out when it changed (default: backend and worker).'),
      }),
    )
    .optional()
    .describe('`prodlike up --build`: the application\'s images and how to build them. Default: the reference application (fixtures/app/build.sh, prodlike.local/app for backend and worker).'),
  ports: z
    .strictObject({
      entry: z.number().int().min(1024).max(65535).default(18080).describe('Host port (127.0.0.1) of the entry point: ingress / load balancer.'),
    })
    .prefault({}),
  cluster: z
    .strictObject({
      context: z.string().min(1).describe('The kube context to use, always passed explicitly (--context): prodlike never uses or changes the current context.'),
      kubeconfig: z.string().min(1).optional().describe('Kubeconfig file holding `context`, relative to prodlike.yaml (default: $KUBECONFIG\'s first file, else ~/.kube/config). Only read.'),
      namespaces: z
        .record(z.string().regex(NAMESPACE, 'must be a namespace name'), z.string().max(63).regex(NAMESPACE, 'must be a namespace name'))
        .default({})
        .describe('Manifest namespace → the namespace prodlike creates for it, e.g. { data: pl-demo-data }. Namespaces not listed get `namespacePrefix`.'),
      namespacePrefix: z
        .string()
        .max(30)
        .regex(/^[a-z0-9]([-a-z0-9]*-)?$/, 'must be lowercase letters, digits and dashes, ending in a dash, e.g. pl-demo-')
        .optional()
        .describe('Prefix for manifest namespaces not in `namespaces` (default: pl-<name>-). The created namespaces carry io.prodlike.managed=true and io.prodlike.env=<name>; every destructive call checks them.'),
    })
    .optional()
    .describe('provider: cluster — an existing Kubernetes cluster (staging, a cluster you made). Images come from your registry (the manifests name them); nothing outside the mapped namespaces is changed.'),
  kind: z
    .strictObject({
      kubernetesVersion: z.string().regex(/^v1\.\d+\.\d+$/, 'must look like v1.34.4').default('v1.34.4'),
      workers: z.number().int().min(0).max(4).default(2).describe('Worker nodes besides the control plane.'),
      nodeImage: z.string().min(1).optional().describe('Override the node image (default: kindest/node online, the locally built one offline).'),
      registryMirrors: z
        .record(
          z.string().regex(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?$/, 'must be a registry host such as docker.io, quay.io or registry.corp:5000'),
          z.array(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })).min(1),
        )
        .optional()
        .describe('kind: pull-through mirrors (registry caches, Harbor, Artifactory) the nodes\' containerd pulls from, registry host -> endpoints tried in order before the registry itself, e.g. { docker.io: [http://harbor.corp:5000] }; written to /etc/containerd/certs.d/<host>/hosts.toml in every node. An endpoint must be reachable from the node containers (on the kind network). The node image itself is pulled by the host\'s Docker engine: its own registry-mirrors (daemon.json) apply there.'),
    })
    .prefault({}),
  monitoring: z
    .strictObject({
      enabled: z.boolean().default(true).describe('kind: install the monitoring add-on at `up` (namespace prodlike-monitoring): Prometheus on 127.0.0.1:<ports.entry+7>, the PostgreSQL and Redis exporters, kube-state-metrics, and the alert rules below. Failover scenarios then record which alerts fired.'),
      rules: z
        .array(z.string().min(1))
        .min(1)
        .default(['kind/monitoring/document-001-alerts.yaml', 'kind/monitoring/broken-rule.yaml'])
        .describe('Prometheus rule files, relative to prodlike.yaml, loaded as they are. Default: document 001 §High Availability 6\'s four rules verbatim, and one rule broken on purpose (a wrong job label) that the failover suite must report "never fired".'),
      interval: z
        .string()
        .regex(/^[1-9][0-9]*s$/, 'must be whole seconds, e.g. 5s')
        .default('5s')
        .describe('Prometheus scrape and rule evaluation interval: an alert fires at most for: + 2 intervals (+ the exporter\'s readiness) after its condition starts, which is the window the scenarios hold it to.'),
      metricsPath: z
        .string()
        .regex(/^\/[^\s?#]*$/, 'must be a path starting with /, e.g. /metrics')
        .default('/metrics')
        .describe('The application\'s metrics path on the backend role\'s port (topology.backend): scraped per pod as job "app".'),
    })
    .prefault({})
    .describe('kind: Prometheus as document 001 §High Availability 6 describes it, scraping job="postgres" and job="redis" through their exporters, kube-state-metrics and the application\'s /metrics.'),
  networkPolicies: z
    .strictObject({
      enforce: z.boolean().default(true).describe('kind: enforce the manifests\' NetworkPolicies (the network-policy add-on: kube-network-policies on every node, installed at `up` before the application). false: they are applied but not enforced, as by a CNI without a policy engine.'),
    })
    .prefault({})
    .describe('kind: NetworkPolicy enforcement, as production\'s CNI does it: a default-deny that forgets a dependency breaks here too.'),
});

export type ProdlikeConfigInput = z.input<typeof configSchema>;
export type ProdlikeConfig = z.output<typeof configSchema>;
export type BuildEntryConfig = NonNullable<ProdlikeConfig['build']>[number];

export interface ResolvedWorkload {
  role: WorkloadRole;
  /** How prodlike addresses it: the role for its primary workload, `<role>/<name>` for an additional one. */
  ref: WorkloadRef;
  /** An additional workload's name (topology.<role>.additional[].name); absent for the role's primary. */
  instance?: string;
  enabled: boolean;
  replicas: number;
  namespace: string;
  workload: string;
  service: string;
  port: number;
  selector: Record<string, string>;
  /** Labels that, with `selector`, pick the pods reached from the host (a replicated store's leader); empty: every pod of `selector`. */
  accessSelector: Record<string, string>;
  /** Path on `port` that answers 200 when a pod is ready, when the configuration or the defaults know it. */
  health?: string;
}

export function resolveTopology(config: ProdlikeConfig): ResolvedWorkload[] {
  return WORKLOAD_ROLES.map((role) => {
    const base = DOCUMENTED_DEFAULTS.topology[role];
    const user = config.topology[role] ?? { enabled: true };
    return {
      role,
      ref: role,
      enabled: user.enabled,
      replicas: user.replicas ?? base.replicas,
      namespace: user.namespace ?? base.namespace,
      workload: user.workload ?? base.workload,
      service: user.service ?? base.service,
      port: user.port ?? base.port,
      selector: user.selector ?? { app: role },
      accessSelector: user.accessSelector ?? {},
      ...((user.health ?? base.health) ? { health: user.health ?? base.health } : {}),
    };
  });
}

/** The data-store roles' additional workloads (topology.<role>.additional), of enabled roles, each resolved over its role's. */
export function resolveAdditional(config: ProdlikeConfig): ResolvedWorkload[] {
  return resolveTopology(config).filter((w) => w.enabled && isDataStoreRole(w.role)).flatMap((primary) =>
    (config.topology[primary.role as DataStoreRole]?.additional ?? []).map((a): ResolvedWorkload => ({
      role: primary.role,
      ref: `${primary.role as DataStoreRole}/${a.name}`,
      instance: a.name,
      enabled: true,
      replicas: 1,
      namespace: a.namespace ?? primary.namespace,
      workload: a.workload,
      service: a.service ?? '',
      port: a.port ?? primary.port,
      selector: a.selector,
      accessSelector: {},
    })));
}

/** Every workload prodlike knows: each role's primary, then the data stores' additional ones. */
export function resolveWorkloads(config: ProdlikeConfig): ResolvedWorkload[] {
  return [...resolveTopology(config), ...resolveAdditional(config)];
}

export function isDataStoreRole(role: string): role is DataStoreRole {
  return (DATA_STORE_ROLES as readonly string[]).includes(role);
}

/** A role or `<role>/<name>` as typed by a user (the CLI), checked against the configuration; undefined when it names nothing. */
export function parseWorkloadRef(config: ProdlikeConfig, text: string): WorkloadRef | undefined {
  return resolveWorkloads(config).find((w) => w.ref === text)?.ref;
}

/**
 * One workload, resolved (namespace, Service, port… from the configuration over document 001's defaults): a
 * role's primary, or `<role>/<name>`, one of its additional workloads. Throws for a name the configuration lacks.
 */
export function resolveWorkload(config: ProdlikeConfig, ref: WorkloadRef): ResolvedWorkload {
  const found = (ref.includes('/') ? resolveAdditional(config) : resolveTopology(config)).find((w) => w.ref === ref);
  if (!found) {
    const known = resolveAdditional(config).map((w) => w.ref);
    throw new ProdlikeError('USAGE', `No workload ${ref} in the configuration.`, { hint: `Additional data-store workloads are declared under topology.<role>.additional${known.length ? `; declared: ${known.join(', ')}` : ' (none is)'}.` });
  }
  return found;
}

/** The environment's namespaces: every workload's and the executions namespace, each once. */
export function environmentNamespaces(config: ProdlikeConfig): string[] {
  return [...new Set([...resolveWorkloads(config).map((w) => w.namespace), config.executions.namespace])];
}
