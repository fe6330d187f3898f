/** Pod templates of workloads (Deployment … CronJob, Pod): containers, probes with API defaults, volumes. */
import { parseLabelSelector } from './label-selector.ts';
import type { Container, K8sObject, Probe, ResourceAmounts, Workload, WorkloadKind } from './model-types.ts';
import { cpuMillis, parseQuantity } from '../core/quantity.ts';
import { arr, isRecord, labelsOf, mapOfStrings, num, rec, str } from './yaml-fields.ts';

export function parseWorkload(o: K8sObject, spec: Record<string, unknown>): Workload {
  const kind = o.kind as WorkloadKind;
  let podSpec: Record<string, unknown>;
  let podMeta: Record<string, unknown>;
  let replicas: number | undefined;
  let jobSpec = spec;
  if (kind === 'Pod') {
    podSpec = spec;
    podMeta = rec(o.raw.metadata);
    replicas = 1;
  } else if (kind === 'CronJob') {
    jobSpec = rec(rec(spec.jobTemplate).spec);
    const t = rec(jobSpec.template);
    podSpec = rec(t.spec);
    podMeta = rec(t.metadata);
    replicas = num(jobSpec.parallelism) ?? 1;
  } else {
    const t = rec(spec.template);
    podSpec = rec(t.spec);
    podMeta = rec(t.metadata);
    replicas = kind === 'DaemonSet' ? undefined : kind === 'Job' ? (num(spec.parallelism) ?? 1) : (num(spec.replicas) ?? 1);
  }
  const selector = kind === 'Pod' ? undefined : parseLabelSelector(kind === 'CronJob' ? jobSpec.selector : spec.selector);
  return {
    kind,
    namespace: o.namespace ?? 'default',
    name: o.name,
    replicas,
    ...(selector ? { selector } : {}),
    template: {
      labels: labelsOf({ metadata: podMeta }),
      annotations: mapOfStrings(podMeta.annotations),
      containers: arr(podSpec.containers).map((c) => parseContainer(c, false)),
      initContainers: arr(podSpec.initContainers).map((c) => parseContainer(c, true)),
      volumes: arr(podSpec.volumes).map((v) => {
        const r = rec(v);
        return {
          name: str(r.name) ?? '',
          ...(r.persistentVolumeClaim ? { persistentVolumeClaim: str(rec(r.persistentVolumeClaim).claimName) ?? '' } : {}),
          ...(r.emptyDir !== undefined && r.emptyDir !== null ? { emptyDir: true } : {}),
          ...(r.configMap ? { configMap: str(rec(r.configMap).name) ?? '' } : {}),
          ...(r.hostPath ? { hostPath: str(rec(r.hostPath).path) ?? '' } : {}),
        };
      }),
      terminationGracePeriodSeconds: num(podSpec.terminationGracePeriodSeconds) ?? 30,
      hostNetwork: podSpec.hostNetwork === true,
      serviceAccountName: str(podSpec.serviceAccountName) ?? str(podSpec.serviceAccount) ?? 'default',
    },
    volumeClaimTemplates: kind === 'StatefulSet' ? arr(spec.volumeClaimTemplates).map((v) => str(rec(rec(v).metadata).name) ?? '') : [],
    ...(kind === 'CronJob' ? { schedule: str(spec.schedule) ?? '', ...(str(spec.timeZone) ? { timeZone: str(spec.timeZone)! } : {}), suspend: spec.suspend === true } : {}),
    labels: labelsOf(o.raw),
  };
}

function parseContainer(raw: unknown, init: boolean): Container {
  const c = rec(raw);
  const resources = rec(c.resources);
  const amounts = (r: unknown): ResourceAmounts => {
    const x = rec(r);
    const cpu = cpuMillis(x.cpu);
    const memory = parseQuantity(x.memory);
    return { ...(cpu !== undefined ? { cpu } : {}), ...(memory !== undefined ? { memory } : {}) };
  };
  const probe = (p: unknown): Probe | undefined => {
    if (!isRecord(p)) return undefined;
    return {
      initialDelaySeconds: num(p.initialDelaySeconds) ?? 0,
      periodSeconds: num(p.periodSeconds) ?? 10,
      timeoutSeconds: num(p.timeoutSeconds) ?? 1,
      successThreshold: num(p.successThreshold) ?? 1,
      failureThreshold: num(p.failureThreshold) ?? 3,
    };
  };
  const liveness = probe(c.livenessProbe);
  const readiness = probe(c.readinessProbe);
  const startup = probe(c.startupProbe);
  return {
    name: str(c.name) ?? '',
    ...(str(c.image) ? { image: str(c.image)! } : {}),
    ...(str(c.imagePullPolicy) ? { imagePullPolicy: str(c.imagePullPolicy)! } : {}),
    command: arr(c.command).map(String),
    args: arr(c.args).map(String),
    env: arr(c.env).map((e) => {
      const r = rec(e);
      return { name: str(r.name) ?? '', ...(r.value !== undefined && r.value !== null ? { value: String(r.value) } : {}) };
    }),
    ports: arr(c.ports).map((p) => {
      const r = rec(p);
      return { ...(str(r.name) ? { name: str(r.name)! } : {}), containerPort: num(r.containerPort) ?? 0, protocol: str(r.protocol) ?? 'TCP' };
    }),
    requests: amounts(resources.requests),
    limits: amounts(resources.limits),
    ...(liveness ? { liveness } : {}),
    ...(readiness ? { readiness } : {}),
    ...(startup ? { startup } : {}),
    volumeMounts: arr(c.volumeMounts).map((v) => ({ name: str(rec(v).name) ?? '', mountPath: str(rec(v).mountPath) ?? '' })),
    sidecar: init && c.restartPolicy === 'Always',
  };
}
