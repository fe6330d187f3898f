import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { accessObjects, NODE_ADDRESS_BLOCKS, type AccessNetworkPolicy, type AccessObject, type AccessService } from './access-objects.ts';
import { kindPortMappings } from './cluster-config.ts';

const ids = (objects: KubeObject[]) => objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);

/** Whether an IPv4 address lies in a CIDR block. */
function inCidr(ip: string, cidr: string): boolean {
  const toInt = (a: string) => a.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const [base = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
}

/** Whether `policy` admits TCP from `ip` to `port` (its peers are ipBlocks only). */
function admits(policy: AccessNetworkPolicy, ip: string, port: number): boolean {
  return policy.spec.ingress.some((rule) => rule.from.some((peer) => inCidr(ip, peer.ipBlock.cidr)) && rule.ports.some((p) => p.protocol === 'TCP' && p.port === port));
}
const services = (objects: AccessObject[]) => objects.filter((o): o is AccessService => o.kind === 'Service');
const policies = (objects: AccessObject[]) => objects.filter((o): o is AccessNetworkPolicy => o.kind === 'NetworkPolicy');

describe('prodlike\'s host-access objects on kind', () => {
  const defaults = configSchema.parse({ name: 'demo' });

  it('are a NodePort Service and a NetworkPolicy per role with a port (document 001 defaults), the worker none', () => {
    expect(ids(accessObjects(defaults))).toEqual([
      'Service/app-frontend/prodlike-access-frontend', 'NetworkPolicy/app-frontend/prodlike-access-frontend',
      'Service/app-backend/prodlike-access-backend', 'NetworkPolicy/app-backend/prodlike-access-backend',
      'Service/app-backend/prodlike-access-postgres', 'NetworkPolicy/app-backend/prodlike-access-postgres',
      'Service/app-backend/prodlike-access-redis', 'NetworkPolicy/app-backend/prodlike-access-redis',
      'Service/app-backend/prodlike-access-minio', 'NetworkPolicy/app-backend/prodlike-access-minio',
    ]);
    const backend = services(accessObjects(defaults)).find((o) => o.metadata.name === 'prodlike-access-backend');
    expect(backend?.spec).toEqual({ type: 'NodePort', selector: { app: 'backend' }, ports: [{ name: 'access', protocol: 'TCP', port: 5000, targetPort: 5000, nodePort: 30500 }] });
    expect(services(accessObjects(defaults)).map((s) => [s.metadata.name, s.spec.ports[0]])).toEqual([
      ['prodlike-access-frontend', expect.objectContaining({ port: 80, targetPort: 80, nodePort: 30080 })],
      ['prodlike-access-backend', expect.objectContaining({ port: 5000, nodePort: 30500 })],
      ['prodlike-access-postgres', expect.objectContaining({ port: 5432, nodePort: 30432 })],
      ['prodlike-access-redis', expect.objectContaining({ port: 6379, nodePort: 30379 })],
      ['prodlike-access-minio', expect.objectContaining({ port: 9000, nodePort: 30900 })],
    ]);
  });

  it('are labelled as prodlike\'s own for the environment', () => {
    for (const o of accessObjects(defaults)) {
      expect(o.metadata.labels, o.metadata.name).toEqual({ 'io.prodlike.managed': 'true', 'io.prodlike.env': 'demo', 'app.kubernetes.io/managed-by': 'prodlike' });
    }
  });

  it('follow the configured namespace, selector and port, and leave out a disabled role', () => {
    const config = configSchema.parse({
      name: 'shop',
      topology: {
        backend: { namespace: 'api', selector: { 'app.kubernetes.io/name': 'api' }, port: 8080 },
        postgres: { namespace: 'data', selector: { role: 'db' } },
        redis: { enabled: false },
        minio: { enabled: false },
        frontend: { namespace: 'web', port: 3000 },
      },
    });
    const objects = accessObjects(config);
    expect(ids(objects)).toEqual([
      'Service/web/prodlike-access-frontend', 'NetworkPolicy/web/prodlike-access-frontend',
      'Service/api/prodlike-access-backend', 'NetworkPolicy/api/prodlike-access-backend',
      'Service/data/prodlike-access-postgres', 'NetworkPolicy/data/prodlike-access-postgres',
    ]);
    const [frontend, backend, postgres] = services(objects);
    expect(frontend?.spec.ports).toEqual([{ name: 'access', protocol: 'TCP', port: 3000, targetPort: 3000, nodePort: 30080 }]);
    expect(backend?.spec).toEqual({ type: 'NodePort', selector: { 'app.kubernetes.io/name': 'api' }, ports: [{ name: 'access', protocol: 'TCP', port: 8080, targetPort: 8080, nodePort: 30500 }] });
    expect(postgres?.spec.selector).toEqual({ role: 'db' });
    const backendPolicy = policies(objects)[1];
    expect(backendPolicy?.spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'api' } });
    expect(backendPolicy?.spec.policyTypes).toEqual(['Ingress']);
    expect(backendPolicy && admits(backendPolicy, '172.18.0.3', 8080)).toBe(true);
    expect(backendPolicy && admits(backendPolicy, '172.18.0.3', 5000)).toBe(false);
    for (const o of objects) expect(o.metadata.labels?.['io.prodlike.env']).toBe('shop');
  });

  it('reach only the pods of accessSelector too (a replicated store\'s leader), while the policy admits every member', () => {
    const ha = configSchema.parse({ name: 'demo', topology: { postgres: { workload: 'statefulset/postgres-ha', selector: { app: 'postgres' }, accessSelector: { 'spilo-role': 'master' } } } });
    const objects = accessObjects(ha).filter((o) => o.metadata.name === 'prodlike-access-postgres');
    expect(services(objects)[0]!.spec.selector).toEqual({ app: 'postgres', 'spilo-role': 'master' });
    expect(policies(objects)[0]!.spec.podSelector.matchLabels).toEqual({ app: 'postgres' });
    expect(services(accessObjects(defaults)).find((o) => o.metadata.name === 'prodlike-access-postgres')!.spec.selector).toEqual({ app: 'postgres' });
  });

  it('admit node addresses (Docker\'s default pools) to each role\'s port and keep pod addresses denied', () => {
    expect(NODE_ADDRESS_BLOCKS).toEqual(['172.16.0.0/12', '192.168.0.0/16']);
    const all = policies(accessObjects(defaults));
    const ports: Record<string, number> = { frontend: 80, backend: 5000, postgres: 5432, redis: 6379, minio: 9000 };
    expect(all).toHaveLength(5);
    for (const policy of all) {
      const role = policy.metadata.name.replace('prodlike-access-', '');
      const port = ports[role] ?? 0;
      expect(policy.spec.podSelector, role).toEqual({ matchLabels: { app: role } });
      // kind's network (172.18.0.0/16 by default) and the other default pools: the node addresses kube-proxy masquerades NodePort traffic to.
      for (const node of ['172.18.0.2', '172.31.255.254', '192.168.49.2']) expect(admits(policy, node, port), `${role}: node ${node}:${port}`).toBe(true);
      // Pods (10.244.0.0/16) and anything outside the pools stay denied; other ports too.
      for (const other of ['10.244.1.7', '10.96.0.10', '172.32.0.1', '8.8.8.8']) expect(admits(policy, other, port), `${role}: ${other}:${port}`).toBe(false);
      expect(admits(policy, '172.18.0.2', port + 1), `${role}: another port`).toBe(false);
      // Only ipBlock peers (no pod or namespace selector), no exceptions carved out.
      expect(policy.spec.ingress, role).toEqual([{ from: [{ ipBlock: { cidr: '172.16.0.0/12' } }, { ipBlock: { cidr: '192.168.0.0/16' } }], ports: [{ protocol: 'TCP', port }] }]);
    }
  });

  it('use the NodePorts kindPortMappings maps to 127.0.0.1', () => {
    const mapped = kindPortMappings(configSchema.parse({ ports: { entry: 19000 } }), { ingressController: false });
    const nodePorts = services(accessObjects(defaults)).map((s) => s.spec.ports[0]?.nodePort);
    expect(nodePorts.sort()).toEqual(mapped.map((m) => m.containerPort).sort());
    for (const m of mapped) expect(m.listenAddress).toBe('127.0.0.1');
  });
});
