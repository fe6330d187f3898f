/**
 * The Kubernetes objects prodlike reads, typed once: only the fields some code here uses, all optional
 * where the API may leave them out (status before the first reconcile, `null` lists). Pure types; the
 * API server's JSON (`kubectl get -o json`, watch events) is cast to them at the edge.
 */

/** The phases of a watch event that carry an object (BOOKMARK/ERROR are not passed on). */
export type WatchPhase = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  /** Changes when a pod of the same name (a StatefulSet's) replaces a deleted one. */
  uid?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  ownerReferences?: { kind: string; name: string }[];
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** Any object (`kubectl kustomize` output, apply lists, readiness per kind). */
export interface KubeObject {
  apiVersion?: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface KubeList<T> {
  items: T[];
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { exitCode?: number; reason?: string; startedAt?: string; finishedAt?: string };
}

export interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  containerID?: string;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface ContainerResources {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface ContainerSpec {
  name?: string;
  image?: string;
  resources?: ContainerResources;
}

export interface PodObject {
  metadata: ObjectMeta;
  spec?: { nodeName?: string; containers?: ContainerSpec[]; initContainers?: ContainerSpec[] };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: Condition[] | null;
    containerStatuses?: ContainerStatus[] | null;
    initContainerStatuses?: ContainerStatus[] | null;
  };
}

export interface JobObject {
  metadata: ObjectMeta;
  status?: { active?: number; succeeded?: number; failed?: number; startTime?: string; completionTime?: string; conditions?: Condition[] | null };
}

export interface HpaObject {
  metadata: ObjectMeta;
  spec: {
    scaleTargetRef?: { kind: string; name: string };
    minReplicas?: number;
    maxReplicas: number;
    metrics?: Array<{ type: string; resource?: { name: string; target: { type: string; averageUtilization?: number } } }>;
    behavior?: Record<string, unknown>;
  };
  status?: {
    currentReplicas?: number;
    desiredReplicas?: number;
    lastScaleTime?: string;
    currentMetrics?: Array<{ type: string; resource?: { name: string; current: { averageUtilization?: number; averageValue?: string } } }> | null;
    conditions?: Condition[];
  };
}

export interface EndpointSliceObject {
  metadata: ObjectMeta;
  endpoints?: Array<{ conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null }; targetRef?: { kind?: string; name?: string } }> | null;
}

export interface NodeObject {
  metadata: ObjectMeta;
  spec?: { unschedulable?: boolean; taints?: Array<{ key: string; effect: string }> };
  status?: { allocatable?: Record<string, string>; conditions?: Condition[] };
}

export interface ResourceQuotaObject {
  metadata: ObjectMeta;
  status?: { hard?: Record<string, string>; used?: Record<string, string> };
}

/** The first condition of `type` whose status is True. */
export function conditionTrue(conditions: readonly Condition[] | null | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type && c.status === 'True');
}
