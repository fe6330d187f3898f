import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { ProdlikeConfig, WorkloadRole } from '../../config/schema.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';

export const CLUSTER_TEMPLATE = join(PACKAGE_ROOT, 'kind', 'cluster.yaml');

/** `prodlike` -> cluster `prodlike`; `demo` -> `prodlike-demo`. The kube context is `kind-<cluster>`. */
export function clusterName(envName: string): string {
  return envName === 'prodlike' || envName.startsWith('prodlike-') ? envName : `prodlike-${envName}`;
}

export interface PortMapping { containerPort: number; hostPort: number; listenAddress?: string; protocol?: string }
interface KindNode { role: string; image?: string; labels?: Record<string, string>; extraPortMappings?: PortMapping[] }
interface KindCluster { name: string; networking?: Record<string, unknown>; nodes: KindNode[] }

/**
 * NodePorts of the host-access Services prodlike makes for the frontend and the backend
 * (access-objects.ts): kindPortMappings maps them to 127.0.0.1:ports.entry and ports.entry+1.
 */
export const ENTRY_NODEPORTS = { frontend: 30080, backend: 30500 } as const;
/**
 * NodePorts of the host-access Services prodlike makes for the stateful services (access-objects.ts;
 * the scenarios' host probes and sentinel writers), and their 127.0.0.1 host port as an offset from
 * ports.entry (entry+2 and entry+6 are the ingress controller's: INGRESS_PORTS).
 */
export const DATA_NODEPORTS = {
  postgres: { nodePort: 30432, offset: 3 },
  redis: { nodePort: 30379, offset: 4 },
  minio: { nodePort: 30900, offset: 5 },
} as const;

/**
 * The ingress controller's (the Traefik add-on, ingress-controller.ts) hostPorts 80/443 on the control plane and
 * their 127.0.0.1 host port as an offset from ports.entry: http on entry+2, https on entry+6 (the first offset
 * after the data services' entry+3..5).
 */
export const INGRESS_PORTS = {
  http: { containerPort: 80, offset: 2 },
  https: { containerPort: 443, offset: 6 },
} as const;

/**
 * The monitoring add-on's Prometheus (monitoring-addon.ts): a NodePort on the control plane and its 127.0.0.1 host port
 * as an offset from ports.entry (entry+7, the first after the ingress controller's entry+6). A fixed loopback port
 * rather than a `kubectl port-forward`: it exists from the cluster's creation on, needs no process kept alive through a
 * scenario's faults, and `status` can print it.
 */
export const MONITORING_PORT = { nodePort: 30990, offset: 7 } as const;

/** 127.0.0.1 host port of Prometheus' HTTP API for this environment (kind, monitoring enabled). */
export function prometheusHostPort(config: Pick<ProdlikeConfig, 'ports'>): number {
  return config.ports.entry + MONITORING_PORT.offset;
}

/** 127.0.0.1 host ports of the ingress controller's http and https entry points for this environment. */
export function ingressHostPorts(config: Pick<ProdlikeConfig, 'ports'>): { http: number; https: number } {
  return { http: config.ports.entry + INGRESS_PORTS.http.offset, https: config.ports.entry + INGRESS_PORTS.https.offset };
}

/** The roles prodlike makes host access for on kind (access-objects.ts). */
export const ACCESS_ROLES = ['frontend', 'backend', 'postgres', 'redis', 'minio'] as const satisfies readonly WorkloadRole[];
export type AccessRole = (typeof ACCESS_ROLES)[number];

/** The fixed NodePort of each role's host-access Service. */
export const ACCESS_NODEPORTS: Readonly<Record<AccessRole, number>> = {
  frontend: ENTRY_NODEPORTS.frontend,
  backend: ENTRY_NODEPORTS.backend,
  postgres: DATA_NODEPORTS.postgres.nodePort,
  redis: DATA_NODEPORTS.redis.nodePort,
  minio: DATA_NODEPORTS.minio.nodePort,
};

/** 127.0.0.1 host port of a stateful service's host-access NodePort for this environment. */
export function dataHostPort(config: Pick<ProdlikeConfig, 'ports'>, service: keyof typeof DATA_NODEPORTS): number {
  return config.ports.entry + DATA_NODEPORTS[service].offset;
}

/** 127.0.0.1 host port of a role's host-access NodePort (as kindPortMappings maps it); undefined for a role without one. */
export function accessHostPort(config: Pick<ProdlikeConfig, 'ports'>, role: WorkloadRole): number | undefined {
  if (role === 'frontend') return config.ports.entry;
  if (role === 'backend') return config.ports.entry + 1;
  if (role === 'postgres' || role === 'redis' || role === 'minio') return dataHostPort(config, role);
  return undefined;
}

/**
 * The control plane's 127.0.0.1 host port mappings to the NodePorts of prodlike's host-access Services
 * (access-objects.ts): ports.entry -> the frontend's, entry+1 -> the backend's, entry+3/+4/+5 -> the
 * PostgreSQL, Redis and MinIO ones, and entry+2 / entry+6 -> the ingress controller's ports 80 / 443 (the
 * mappings exist from the cluster's creation on; the controller is installed when the manifests have Ingresses).
 */
export function kindPortMappings(config: Pick<ProdlikeConfig, 'ports'>, options: { ingressController: boolean; monitoring?: boolean }): PortMapping[] {
  const entry = config.ports.entry;
  return [
    { containerPort: ENTRY_NODEPORTS.frontend, hostPort: entry, listenAddress: '127.0.0.1', protocol: 'TCP' },
    { containerPort: ENTRY_NODEPORTS.backend, hostPort: entry + 1, listenAddress: '127.0.0.1', protocol: 'TCP' },
    ...Object.values(DATA_NODEPORTS).map((d) => ({ containerPort: d.nodePort, hostPort: entry + d.offset, listenAddress: '127.0.0.1', protocol: 'TCP' })),
    ...(options.ingressController ? Object.values(INGRESS_PORTS).map((p) => ({ containerPort: p.containerPort, hostPort: entry + p.offset, listenAddress: '127.0.0.1', protocol: 'TCP' })) : []),
    ...(options.monitoring ? [{ containerPort: MONITORING_PORT.nodePort, hostPort: entry + MONITORING_PORT.offset, listenAddress: '127.0.0.1', protocol: 'TCP' }] : []),
  ];
}

/**
 * kind/cluster.yaml with this environment's values: the cluster name, the node image, the number of
 * workers, and the host ports (127.0.0.1 only) of prodlike's host-access NodePorts (access-objects.ts):
 * ports.entry -> the frontend (which serves `/` and proxies `/api`), ports.entry+1 -> the backend,
 * ports.entry+3/+4/+5 -> PostgreSQL, Redis and MinIO (the scenarios' host-side probes), and with ingressController
 * ports.entry+2/+6 -> the ingress controller's 80/443 (INGRESS_PORTS; the Traefik add-on binds them as hostPorts).
 */
export async function renderClusterConfig(config: ProdlikeConfig, options: { nodeImage: string; ingressController: boolean }): Promise<string> {
  const cluster = parse(await readFile(CLUSTER_TEMPLATE, 'utf8')) as KindCluster;
  cluster.name = clusterName(config.name);
  cluster.networking = { ...cluster.networking, apiServerAddress: '127.0.0.1' };
  const controlPlane = cluster.nodes.find((n) => n.role === 'control-plane')!;
  const workerTemplate = cluster.nodes.find((n) => n.role === 'worker') ?? { role: 'worker' };
  controlPlane.extraPortMappings = kindPortMappings(config, { ...options, monitoring: config.monitoring.enabled });
  cluster.nodes = [controlPlane, ...Array.from({ length: config.kind.workers }, () => structuredClone(workerTemplate))];
  for (const node of cluster.nodes) node.image = options.nodeImage;
  for (const node of cluster.nodes) for (const m of node.extraPortMappings ?? []) if (m.listenAddress !== '127.0.0.1') throw new Error('every port mapping must listen on 127.0.0.1');
  return `# generated by prodlike from kind/cluster.yaml\n${stringify(cluster)}`;
}
