import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import type { KubeObject } from '../../kube/objects.ts';
import { loadImageCatalog } from '../../setup/image-catalog.ts';
import { configSchema } from '../../config/schema.ts';
import { ingressHostPorts, kindPortMappings } from './cluster-config.ts';
import { ingressClassesToServe, ingressControllerObjects, INGRESS_NAMESPACE, NGINX_CONTROLLER } from './ingress-controller.ts';

/** A field of a plain object by path (the add-on's objects are untyped JSON). */
const get = (o: unknown, ...path: Array<string | number>): unknown => path.reduce<unknown>((x, k) => (x as Record<string | number, unknown> | undefined)?.[k], o);
const ing = (name: string, className?: string): KubeObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'a' }, spec: className ? { ingressClassName: className } : {} });

describe('ingress controller add-on', () => {
  it('serves the classes the rendered Ingresses use, except those the manifests define themselves', () => {
    expect(ingressClassesToServe([ing('x', 'nginx'), ing('y', 'nginx'), ing('z', 'team'), ing('w')])).toEqual(['nginx', 'team']);
    expect(ingressClassesToServe([ing('x', 'nginx'), { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' } }])).toEqual([]);
    expect(ingressClassesToServe([])).toEqual([]);
  });

  it('runs Traefik with the Ingress NGINX provider on the ingress-ready control plane, hostPorts 80/443, as prodlike\'s', () => {
    const objects = ingressControllerObjects({ image: 'prodlike.local/traefik:v3.7.13', classes: ['nginx'] });
    const byKind = (k: string) => objects.filter((o) => get(o, 'kind') === k);
    expect(get(byKind('Namespace')[0], 'metadata')).toMatchObject({ name: INGRESS_NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'prodlike' } });
    expect(get(byKind('Namespace')[0], 'metadata', 'labels', 'io.prodlike.env')).toBeUndefined(); // reset keeps the add-on
    expect(byKind('IngressClass').map((c) => [get(c, 'metadata', 'name'), get(c, 'spec', 'controller')])).toEqual([['nginx', NGINX_CONTROLLER]]);
    const pod = get(byKind('Deployment')[0], 'spec', 'template', 'spec');
    expect(get(pod, 'nodeSelector')).toEqual({ 'ingress-ready': 'true' });
    const c = get(pod, 'containers', 0);
    expect(get(c, 'image')).toBe('prodlike.local/traefik:v3.7.13');
    expect(get(c, 'args')).toEqual(expect.arrayContaining(['--providers.kubernetesIngressNGINX=true', '--providers.kubernetesIngressNGINX.httpsEntryPoint=websecure', '--entryPoints.websecure.http.tls=true', '--global.checkNewVersion=false', '--global.sendAnonymousUsage=false']));
    expect((get(c, 'ports') as unknown[]).map((p) => get(p, 'hostPort')).filter(Boolean)).toEqual([80, 443]);
    const rules = (get(byKind('ClusterRole')[0], 'rules') as unknown[]).flatMap((r) => get(r, 'resources') as string[]);
    for (const r of ['ingresses', 'ingressclasses', 'services', 'endpointslices', 'secrets', 'namespaces', 'ingresses/status']) expect(rules).toContain(r);
    expect(get(byKind('ConfigMap')[0], 'data', 'dynamic.yaml')).toMatch(/minVersion: VersionTLS12[\s\S]*maxVersion: VersionTLS13/);
  });

  it('maps http to entry+2 and https to entry+6 on 127.0.0.1, beside the access NodePorts', () => {
    const config = configSchema.parse({ ports: { entry: 19280 } });
    expect(ingressHostPorts(config)).toEqual({ http: 19282, https: 19286 });
    const m = kindPortMappings(config, { ingressController: true });
    expect(m.filter((x) => x.containerPort === 80 || x.containerPort === 443).map((x) => [x.containerPort, x.hostPort, x.listenAddress])).toEqual([[80, 19282, '127.0.0.1'], [443, 19286, '127.0.0.1']]);
    expect(new Set(m.map((x) => x.hostPort)).size).toBe(m.length);
  });

  it('uses the catalogue\'s Traefik images, and the node image build pins the same version', async () => {
    const entry = (await loadImageCatalog()).kindAddons?.['traefik'];
    expect(entry?.online).toMatch(/^traefik:v3\.7\.\d+$/);
    const script = await readFile(join(PACKAGE_ROOT, 'fixtures', 'images', 'kind-node', 'build-node-image.sh'), 'utf8');
    const version = /^TRAEFIK_VERSION=(v\S+)/m.exec(script)?.[1];
    expect(entry?.offline).toBe(`prodlike.local/traefik:${version}`);
    expect(entry?.online).toBe(`traefik:${version}`);
  });
});
