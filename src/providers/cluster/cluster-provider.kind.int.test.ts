import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type ProdlikeConfigInput } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import { EventBus } from '../../core/events.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { dockerEngineMissing, firstMissing, imagesMissing } from '../../core/prerequisites.ts';
import { kind, Kubectl } from '../../kube/kubectl.ts';
import { guardProvider } from '../../safety/ownership.ts';
import { loadImageCatalog } from '../../setup/image-catalog.ts';
import { topologyImages } from '../create-provider.ts';
import { canCheckOwnership, canEndpoint, canExec, canKill, canKubernetes, canNodes, canPartition, canPause, canScale } from '../provider.ts';
import { ClusterProvider } from './cluster-provider.ts';

/**
 * provider: cluster against a cluster prodlike did not create (issue #22): a plain `kind create cluster`
 * (or the cluster of PRODLIKE_CLUSTER_IT_KUBECONFIG + PRODLIKE_CLUSTER_IT_CONTEXT) plays the existing
 * cluster; the app's images are loaded with `kind load docker-image` beforehand, standing in for the
 * user's registry. A decoy namespace holds a Deployment, a StatefulSet with a PVC and a Secret, and a
 * second namespace carries prodlike's labels for ANOTHER environment. Every destructive capability is
 * called against them and must be refused (OWNERSHIP_REFUSED) with every decoy object's resourceVersion
 * unchanged; `up` deploys the reference manifests into pl-clit-* namespaces, the loopback port-forward
 * serves the entry point, and `down` removes exactly prodlike's namespaces, leaving both decoys as they were.
 *
 * Opt-in (PRODLIKE_CLUSTER_IT=1, which the CI project `integration-cluster` sets): it creates a kind cluster of its own (about 2 min).
 */
const ENV = 'clit';
const ENTRY = 19880;
const CLUSTER = 'ext-clit';
const docker = new Docker();
const images = await topologyImages('offline');
const nodeImage = (await loadImageCatalog()).kindNode.offline;
const DECOY_IMAGE = images.nginx;
const given = process.env.PRODLIKE_CLUSTER_IT_KUBECONFIG ? { kubeconfig: process.env.PRODLIKE_CLUSTER_IT_KUBECONFIG, context: process.env.PRODLIKE_CLUSTER_IT_CONTEXT ?? `kind-${CLUSTER}` } : undefined;

const skipReason = process.env.PRODLIKE_CLUSTER_IT !== '1'
  ? 'set PRODLIKE_CLUSTER_IT=1 (creates a kind cluster of its own)'
  : await firstMissing([
    ['docker', () => dockerEngineMissing(docker)],
    ['images', () => imagesMissing(docker, Object.values(images))],
    ['kind-node', () => (given ? Promise.resolve(undefined) : imagesMissing(docker, [nodeImage], 'npx prodlike setup --kind'))],
  ]);

const say = (line: string) => process.stdout.write(`[cluster-it] ${line}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const DECOY_NS = 'decoy-it';
const OTHER_NS = 'pl-other-data';
const decoyObjects = (ns: string) => [
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'decoy-secret', namespace: ns }, stringData: { password: 'not-prodlikes' } },
  {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'decoy-web', namespace: ns },
    spec: { replicas: 1, selector: { matchLabels: { app: 'decoy-web' } }, template: { metadata: { labels: { app: 'decoy-web' } }, spec: { containers: [{ name: 'web', image: DECOY_IMAGE, imagePullPolicy: 'IfNotPresent', resources: { requests: { cpu: '5m', memory: '8Mi' } } }] } } },
  },
  {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'decoy-db', namespace: ns },
    spec: {
      replicas: 1, serviceName: 'decoy-db', selector: { matchLabels: { app: 'decoy-db' } },
      template: { metadata: { labels: { app: 'decoy-db' } }, spec: { containers: [{ name: 'db', image: DECOY_IMAGE, imagePullPolicy: 'IfNotPresent', resources: { requests: { cpu: '5m', memory: '8Mi' } }, volumeMounts: [{ name: 'data', mountPath: '/data' }] }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } } }],
    },
  },
];

describe.skipIf(Boolean(skipReason))(`cluster provider on an existing cluster${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let dir: string;
  let target: { kubeconfig: string; context: string };
  let admin: Kubectl;
  let p: ClusterProvider;
  const fileStarted = performance.now();
  /** resourceVersion (and uid) of every object in the decoy namespaces, pods and PVCs included. */
  const snapshot = async () => {
    const out: Record<string, string> = {};
    for (const ns of [DECOY_NS, OTHER_NS]) {
      const nsObj = await admin.json<{ metadata: { resourceVersion: string; uid: string } }>(['get', 'namespace', ns]);
      out[`namespace/${ns}`] = `${nsObj.metadata.resourceVersion} ${nsObj.metadata.uid}`;
      const list = await admin.json<{ items: { kind: string; metadata: { name: string; resourceVersion: string; uid: string } }[] }>(['-n', ns, 'get', 'deployments,statefulsets,pods,pvc,secrets']);
      for (const o of list.items) out[`${ns}/${o.kind}/${o.metadata.name}`] = `${o.metadata.resourceVersion} ${o.metadata.uid}`;
    }
    return out;
  };
  let before: Record<string, string>;
  const configOf = (extra: Partial<ProdlikeConfigInput>) => configSchema.parse({ name: ENV, provider: 'cluster', imageSource: 'offline', ports: { entry: ENTRY }, cluster: { context: target.context, kubeconfig: target.kubeconfig }, ...extra });
  const providerOf = (config: ReturnType<typeof configOf>, bus?: EventBus) => new ClusterProvider({ config, projectDir: dir, manifestsDir: join(PACKAGE_ROOT, 'kind', 'manifests', 'overlays', 'kind'), kubeconfig: target.kubeconfig, imageSource: 'offline', readyTimeoutMs: 300_000, ...(bus ? { bus } : {}) });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prodlike-cluster-it-'));
    if (given) target = given;
    else {
      target = { kubeconfig: join(dir, 'ext.kubeconfig'), context: `kind-${CLUSTER}` };
      const started = performance.now();
      await kind(['create', 'cluster', '--name', CLUSTER, '--image', nodeImage, '--kubeconfig', target.kubeconfig, '--wait', '120s'], { timeoutMs: 600_000 });
      say(`kind create cluster ${CLUSTER} (outside prodlike): ${secs(performance.now() - started)}`);
      const loading = performance.now();
      // The user's registry, offline: the images the manifests name are put into the node beforehand.
      for (const image of [...new Set(Object.values(images))]) await kind(['load', 'docker-image', '--name', CLUSTER, image], { timeoutMs: 600_000 });
      say(`kind load docker-image (stand-in for a registry): ${secs(performance.now() - loading)}`);
    }
    admin = new Kubectl(target.kubeconfig, target.context);
    await admin.apply(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: DECOY_NS, labels: { team: 'payments' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OTHER_NS, labels: { 'io.prodlike.managed': 'true', 'io.prodlike.env': 'other' } } },
    ] }));
    await admin.apply(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [...decoyObjects(DECOY_NS), ...decoyObjects(OTHER_NS)] }));
    for (const ns of [DECOY_NS, OTHER_NS]) {
      await admin.run(['-n', ns, 'rollout', 'status', 'deployment/decoy-web', '--timeout=180s'], { timeoutMs: 200_000 });
      await admin.run(['-n', ns, 'rollout', 'status', 'statefulset/decoy-db', '--timeout=180s'], { timeoutMs: 200_000 });
    }
    before = await snapshot();
    const bus = new EventBus();
    const phases: string[] = [];
    bus.on((e) => { if (e.kind === 'step.end') phases.push(`${e.id.replace('cluster:', '')} ${secs(e.durationMs)}`); });
    p = providerOf(configOf({}), bus);
    const started = performance.now();
    const result = await p.create();
    say(`up (${result.outcome}) in ${secs(performance.now() - started)}: ${phases.join(', ')}`);
    expect(result.status.healthy, JSON.stringify(result.status.services.map((s) => [s.role, s.replicas.map((r) => r.health)]))).toBe(true);
  }, 1_500_000);

  afterAll(async () => {
    await p?.close();
    if (!given) await kind(['delete', 'cluster', '--name', CLUSTER, '--kubeconfig', target.kubeconfig], { timeoutMs: 300_000 }).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
    say(`file wall time ${secs(performance.now() - fileStarted)}`);
  }, 400_000);

  it('offers the capabilities an existing cluster allows, and no node-level ones', () => {
    expect({ scale: canScale(p), kill: canKill(p), exec: canExec(p), partition: canPartition(p), endpoint: canEndpoint(p), kubernetes: canKubernetes(p), ownership: canCheckOwnership(p), nodes: canNodes(p), pause: canPause(p) })
      .toEqual({ scale: true, kill: true, exec: true, partition: true, endpoint: true, kubernetes: true, ownership: true, nodes: false, pause: false });
  });

  it('serves the entry point on 127.0.0.1 through a port-forward per connection, and survives a killed frontend pod', async () => {
    const entry = await p.endpoint('frontend');
    expect(entry.host).toBe('127.0.0.1');
    // A new connection per request (no keep-alive): a kept connection to the killed pod would break with it.
    const health = () => new Promise<number>((resolve, reject) => {
      get({ host: '127.0.0.1', port: entry.port, path: p.config.application.health, agent: false, timeout: 5000 }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
    });
    expect(await health()).toBe(200);
    const killed = await p.kill('frontend');
    say(`killed ${killed.killed} via ${killed.via}`);
    expect(await health()).toBe(200); // the other frontend replicas answer at once
  }, 120_000);

  it('refuses every destructive capability against the decoy namespaces, with no state change', async () => {
    const decoyTopology = (ns: string) => ({
      topology: {
        backend: { namespace: 'decoy-src', workload: 'deployment/decoy-web', selector: { app: 'decoy-web' }, port: 80 },
        postgres: { namespace: 'decoy-src', workload: 'statefulset/decoy-db', selector: { app: 'decoy-db' }, port: 80 },
      },
      cluster: { context: target.context, kubeconfig: target.kubeconfig, namespaces: { 'decoy-src': ns } },
    });
    const rows: string[][] = [];
    for (const ns of [DECOY_NS, OTHER_NS]) {
      const d = providerOf(configOf(decoyTopology(ns)));
      const calls: [string, () => Promise<unknown>][] = [
        ['scale backend 0 (Deployment decoy-web)', () => d.scale('backend', 0)],
        ['kill backend (pod of decoy-web)', () => d.kill('backend')],
        ['kill postgres (pod of StatefulSet decoy-db)', () => d.kill('postgres')],
        ['exec in backend', () => d.exec('backend', ['true'])],
        ['exec in postgres (what a restore runs)', () => d.exec('postgres', ['true'])],
        ['partition backend', () => d.partition('backend')],
        ['heal backend', () => d.heal('backend')],
        ['restore database (scenario guard)', () => guardProvider({ env: ENV }, d, 'restore database', 'postgres')],
        ['delete job / FLUSHALL (scenario guard)', () => guardProvider({ env: ENV }, d, 'FLUSHALL', 'postgres')],
        ['up (apply secrets and workloads into it)', () => d.create()],
        // down selects by both labels, never by name: another environment's down aimed at it finds nothing.
        ['down of environment clitd mapped onto it', async () => {
          const { removed } = await providerOf(configOf({ ...decoyTopology(ns), name: 'clitd' })).destroy();
          if (removed.length) throw new Error(`removed ${removed.join(', ')}`);
          return 'NOTHING_SELECTED';
        }],
      ];
      for (const [call, act] of calls) {
        const outcome = await act().then((r) => (r === 'NOTHING_SELECTED' ? 'nothing selected (no labels): nothing removed' : 'ALLOWED'), (e: unknown) => (e instanceof ProdlikeError ? `${e.code}: ${e.message.split('\n')[0]!.slice(0, 110)}` : `error: ${String(e)}`));
        rows.push([call, ns, outcome]);
      }
    }
    const after = await snapshot();
    say(`refusal table\n| call | namespace | outcome |\n|---|---|---|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}`);
    for (const [call = '', ns, outcome] of rows) expect(outcome, `${call} on ${ns}`).toMatch(call.startsWith('down') ? /^nothing selected/ : /^OWNERSHIP_REFUSED/);
    expect(after).toEqual(before);
    say(`decoy objects unchanged: ${Object.keys(after).length} resourceVersions`);
  }, 300_000);

  it('down removes exactly prodlike\'s namespaces; the decoys are unchanged', async () => {
    const mine = (await admin.json<{ items: { metadata: { name: string } }[] }>(['get', 'namespaces', '-l', `io.prodlike.env=${ENV}`])).items.map((n) => n.metadata.name);
    expect(mine.length).toBeGreaterThan(0);
    const started = performance.now();
    const { removed } = await p.destroy();
    say(`down in ${secs(performance.now() - started)}: ${removed.join(', ')}`);
    const left = (await admin.json<{ items: unknown[] }>(['get', 'namespaces', '-l', `io.prodlike.env=${ENV}`])).items;
    expect(left).toEqual([]);
    const scoped = await admin.json<{ items: unknown[] }>(['get', 'clusterroles,clusterrolebindings,ingressclasses,storageclasses,priorityclasses', '-l', `io.prodlike.env=${ENV}`]);
    expect(scoped.items).toEqual([]);
    expect(await snapshot()).toEqual(before);
  }, 400_000);
});
