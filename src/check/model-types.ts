/**
 * Minimal typed models of the Kubernetes objects `prodlike check` reads (only the fields the rules use).
 * Parsing is in model.ts (objects), parse-pod.ts (pod templates) and parse-policies.ts (HPA, network,
 * RBAC…); API defaults are applied there so rules never guess.
 */
import type { LabelSelector, Labels } from './label-selector.ts';

export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

export interface SourceLocation {
  file: string;
  line?: number;
}

export interface K8sObject extends ObjectRef {
  apiVersion: string;
  raw: Record<string, unknown>;
  location?: SourceLocation;
}

export interface Probe {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export interface ResourceAmounts {
  /** millicores */
  cpu?: number;
  /** bytes */
  memory?: number;
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol: string;
}

export interface EnvVar {
  name: string;
  value?: string;
}

export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  command: string[];
  args: string[];
  env: EnvVar[];
  ports: ContainerPort[];
  requests: ResourceAmounts;
  limits: ResourceAmounts;
  liveness?: Probe;
  readiness?: Probe;
  startup?: Probe;
  volumeMounts: Array<{ name: string; mountPath: string }>;
  /** Native sidecar (init container with restartPolicy Always). */
  sidecar: boolean;
}

export interface Volume {
  name: string;
  persistentVolumeClaim?: string;
  emptyDir?: boolean;
  configMap?: string;
  hostPath?: string;
}

export interface PodTemplate {
  labels: Labels;
  annotations: Labels;
  containers: Container[];
  initContainers: Container[];
  volumes: Volume[];
  terminationGracePeriodSeconds: number;
  hostNetwork: boolean;
  /** spec.serviceAccountName (API default: "default"). */
  serviceAccountName: string;
}

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface Workload extends ObjectRef {
  kind: WorkloadKind;
  namespace: string;
  /** Declared replicas (Deployment/StatefulSet/ReplicaSet), Job parallelism; 1 for a Pod; undefined for a DaemonSet. */
  replicas: number | undefined;
  selector?: LabelSelector;
  template: PodTemplate;
  /** StatefulSet volumeClaimTemplates names. */
  volumeClaimTemplates: string[];
  /** CronJob */
  schedule?: string;
  timeZone?: string;
  suspend?: boolean;
  labels: Labels;
  /** A workload held as a template in a ConfigMap (created at run time by a program), not applied. */
  heldIn?: { configMap: ObjectRef; key: string };
}

export interface HpaMetric {
  type: string;
  resource?: string;
  container?: string;
  targetType?: string;
  averageUtilization?: number;
}

export interface HpaScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface HpaScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: HpaScalingPolicy[];
  /** autoscaling/v2 `tolerance` (HPAConfigurableTolerance, alpha in 1.33): a fraction, e.g. 0.05. */
  tolerance?: number;
}

export interface HpaBehavior {
  scaleUp?: HpaScalingRules;
  scaleDown?: HpaScalingRules;
}

export interface Hpa extends ObjectRef {
  namespace: string;
  target: { kind: string; name: string; apiVersion?: string };
  minReplicas: number;
  maxReplicas: number;
  metrics: HpaMetric[];
  behavior?: HpaBehavior;
}

export interface Pdb extends ObjectRef {
  namespace: string;
  selector?: LabelSelector;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except: string[] };
}

export interface NetworkPolicyPort {
  protocol: string;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyRule {
  /** undefined: every peer */
  peers?: NetworkPolicyPeer[];
  /** undefined: every port */
  ports?: NetworkPolicyPort[];
}

export interface NetworkPolicy extends ObjectRef {
  namespace: string;
  podSelector: LabelSelector;
  policyTypes: Array<'Ingress' | 'Egress'>;
  ingress: NetworkPolicyRule[];
  egress: NetworkPolicyRule[];
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort: number | string;
  protocol: string;
}

export interface Service extends ObjectRef {
  namespace: string;
  type: string;
  selector?: LabelSelector;
  ports: ServicePort[];
  labels: Labels;
}

export interface Namespace {
  name: string;
  labels: Labels;
}

export interface ResourceQuota extends ObjectRef {
  namespace: string;
  hard: Record<string, string>;
}

export interface LimitRangeContainer {
  default: ResourceAmounts;
  defaultRequest: ResourceAmounts;
}

export interface LimitRange extends ObjectRef {
  namespace: string;
  container: LimitRangeContainer;
}

export interface ConfigMap extends ObjectRef {
  namespace: string;
  data: Record<string, string>;
}

export interface Ingress extends ObjectRef {
  namespace: string;
  ingressClassName?: string;
  /** metadata.annotations (empty when none). */
  annotations: Record<string, string>;
  backends: Array<{ service: string; port?: number | string }>;
}

/** Velero Schedule (velero.io/v1): a backup of namespaces on a cron schedule. */
export interface BackupSchedule extends ObjectRef {
  schedule: string;
  includedNamespaces: string[];
}

export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
}

/** Role or ClusterRole. */
export interface RbacRole extends ObjectRef {
  rules: RbacRule[];
}

export interface RbacSubject {
  kind: string;
  name: string;
  namespace?: string;
}

/** RoleBinding or ClusterRoleBinding. */
export interface RbacBinding extends ObjectRef {
  roleRef: { kind: string; name: string };
  subjects: RbacSubject[];
}

export interface Manifests {
  objects: K8sObject[];
  workloads: Workload[];
  services: Service[];
  hpas: Hpa[];
  pdbs: Pdb[];
  networkPolicies: NetworkPolicy[];
  namespaces: Namespace[];
  quotas: ResourceQuota[];
  limitRanges: LimitRange[];
  configMaps: ConfigMap[];
  pvcs: ObjectRef[];
  ingresses: Ingress[];
  backupSchedules: BackupSchedule[];
  roles: RbacRole[];
  bindings: RbacBinding[];
  /** Jobs/CronJobs/Pods held as templates in ConfigMaps (placeholders such as {{ID}} blanked). */
  templatedWorkloads: Workload[];
}
