import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { configSchema } from '../../config/schema.ts';
import { ProdlikeError } from '../../core/errors.ts';
import { EventBus, type TimedEvent } from '../../core/events.ts';
import { stateDir } from '../../core/paths.ts';
import { FaultJournal } from '../../safety/fault-journal.ts';
import { partitionService, scaleService, stopNode, type FaultContext } from '../../safety/faults.ts';
import { ALLOW_FOREIGN_FLAG, guardProvider } from '../../safety/ownership.ts';
import { RollbackRegistry } from '../../safety/rollbacks.ts';
import { cli } from '../../safety/testing/docker-env.ts';
import { docker, dockerSkipReason, removeTempDirs, removeTestObjects, sleeper, tempDir, TEST_LABEL } from '../../safety/testing/docker-env.ts';
import { clusterName } from './cluster-config.ts';
import { KindProvider } from './kind-provider.ts';
import { Kubectl } from '../../kube/kubectl.ts';

/**
 * Ownership guard, kind provider (issue #11). No real cluster is needed: the environment's kubeconfig is
 * pointed at a decoy (context kind-decoy, server 127.0.0.1:1) and every destructive method (scale, kill,
 * exec, destroy) must refuse with OWNERSHIP_REFUSED *before any command runs*. kubectl, kind and docker
 * are replaced on PATH / in the tool cache by recorders that log every invocation, so "nothing ran" is
 * checked, not assumed. A fake kind node (a container with kind's labels publishing a port for 6443)
 * shows the guard letting a matching target through, with explicit --kubeconfig and --context.
 */
const skipReason = await dockerSkipReason({ images: false });
afterAll(removeTempDirs);
const tag = `kind-own-${process.pid}`;
const env = `safety-kind-${process.pid}`;
const cluster = clusterName(env);
const context = `kind-${cluster}`;

let root: string;
let project: string;
let log: string;
const saved = { PATH: process.env.PATH, PRODLIKE_CACHE: process.env.PRODLIKE_CACHE };

function kubeconfig(contextName: string, server: string, current = contextName): string {
  return stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': current,
    contexts: [{ name: contextName, context: { cluster: contextName, user: contextName } }],
    clusters: [{ name: contextName, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: contextName, user: { token: 'decoy' } }],
  });
}

async function writeKubeconfig(text: string): Promise<void> {
  await mkdir(stateDir(project, env), { recursive: true });
  await writeFile(join(stateDir(project, env), 'kubeconfig'), text);
}

function provider(options: { allowForeignTarget?: boolean; bus?: EventBus } = {}): KindProvider {
  const config = configSchema.parse({ name: env, provider: 'kind', imageSource: 'offline' });
  return new KindProvider({ config, projectDir: project, manifestsDir: join(project, 'manifests'), imageSource: 'offline', nodeImage: 'prodlike.local/kind-node:none', localImages: [], ...options });
}

const recorded = async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean);

const DESTRUCTIVE: [string, (p: KindProvider) => Promise<unknown>][] = [
  ['scale', (p) => p.scale('backend', 0)],
  ['kill', (p) => p.kill('postgres')],
  ['exec', (p) => p.exec('postgres', ['psql', '-c', 'DROP DATABASE ai_saas_db'])],
  ['destroy', (p) => p.destroy()],
  ['stopNode', (p) => p.stopNode(`${cluster}-worker`)],
  ['startNode', (p) => p.startNode(`${cluster}-worker`)],
  ['partition', (p) => p.partition('redis')],
  ['heal', (p) => p.heal('redis')],
  ['deploy', (p) => p.deploy([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }])],
];

/** The scenario faults (src/safety/faults.ts) as a scenario drives them, with scenario-env's guard. */
const SCENARIO_FAULTS: [string, (p: KindProvider, ctx: FaultContext) => Promise<unknown>][] = [
  ['scaleService', (p, ctx) => scaleService(p, ctx, 'backend', 0)],
  ['partitionService', (p, ctx) => partitionService(p, ctx, 'redis')],
  ['stopNode', (p, ctx) => stopNode(p, ctx, `${cluster}-worker`)],
  ['kill', (p) => p.kill('redis')],
];

function faultContext(p: KindProvider, journal: FaultJournal): FaultContext {
  return { registry: new RollbackRegistry(), scenario: 'decoy', journal, guard: (operation, service) => guardProvider({ env }, p, operation, service) };
}

async function expectRefused(work: Promise<unknown>, mentions: RegExp): Promise<void> {
  const error = await work.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ProdlikeError);
  expect((error as ProdlikeError).code, (error as Error).message).toBe('OWNERSHIP_REFUSED');
  expect((error as ProdlikeError).exitCode).toBe(3);
  expect((error as Error).message).toMatch(mentions);
  expect(await recorded(), 'no kubectl/kind/docker command may run before the refusal').toEqual([]);
}

describe.skipIf(Boolean(skipReason))(`ownership guard, kind provider${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    root = await tempDir('prodlike-kind-own-');
    project = join(root, 'project');
    log = join(root, 'calls.log');
    await writeFile(log, '');
    const bin = join(root, 'bin');
    await mkdir(join(root, 'cache', 'bin'), { recursive: true });
    await mkdir(bin, { recursive: true });
    for (const tool of ['kubectl', 'kind', 'docker']) {
      const script = `#!/bin/sh\necho "${tool} $*" >> '${log}'\nexit 1\n`;
      for (const dir of [bin, join(root, 'cache', 'bin')]) {
        await writeFile(join(dir, tool), script);
        await chmod(join(dir, tool), 0o755);
      }
    }
    process.env.PATH = `${bin}:${saved.PATH}`;
    process.env.PRODLIKE_CACHE = join(root, 'cache');
  });

  afterEach(async () => {
    await writeFile(log, '');
  });

  afterAll(async () => {
    process.env.PATH = saved.PATH;
    if (saved.PRODLIKE_CACHE === undefined) delete process.env.PRODLIKE_CACHE;
    else process.env.PRODLIKE_CACHE = saved.PRODLIKE_CACHE;
    await removeTestObjects(tag);
  }, 60_000);

  it('uses the recorders (the test would prove nothing otherwise)', () => {
    expect(provider().kubectl.bin).toBe(join(root, 'cache', 'bin', 'kubectl'));
  });

  describe('kubeconfig current-context is a decoy (kind-decoy -> 127.0.0.1:1)', () => {
    beforeAll(async () => writeKubeconfig(kubeconfig('kind-decoy', 'https://127.0.0.1:1')));
    it.each(DESTRUCTIVE)('%s refuses before any command, naming the context', async (_name, op) => {
      await expectRefused(op(provider()), /kube context "kind-decoy" \(current-context of .*kubeconfig\) is not kind-prodlike-safety-kind-/);
    });

    it.each(SCENARIO_FAULTS)('scenario fault %s refuses before anything reaches the cluster (not even a read), and journals nothing', async (_name, fault) => {
      const p = provider();
      const journal = FaultJournal.forEnvironment(project, env);
      await expectRefused(fault(p, faultContext(p, journal)), /kube context "kind-decoy" \(current-context of .*kubeconfig\) is not kind-prodlike-safety-kind-/);
      expect(await journal.pending()).toEqual([]);
    });

    it('`prodlike down` refuses with exit 3, naming the context, and runs nothing', async () => {
      await writeFile(join(stateDir(project, env), 'state.json'), JSON.stringify({ env, provider: 'kind', runId: 'decoy', createdAt: new Date().toISOString(), imageSource: 'offline', replicas: {} }));
      await writeFile(join(project, 'prodlike.yaml'), stringify({ name: env, provider: 'kind', imageSource: 'offline' }));
      const tools = { PATH: process.env.PATH ?? '', PRODLIKE_CACHE: process.env.PRODLIKE_CACHE ?? '' };
      const r = await cli({ dir: project }, ['down'], tools);
      expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(3);
      expect(r.stderr).toMatch(/Refusing to delete the kind cluster: kube context "kind-decoy" \(current-context of .*kubeconfig\) is not kind-prodlike-safety-kind-/);
      expect(r.stderr).toContain(ALLOW_FOREIGN_FLAG);
      expect(await recorded(), 'no kubectl/kind/docker command may run before the refusal').toEqual([]);
      const json = await cli({ dir: project }, ['down', '--json'], tools);
      expect(json.exitCode).toBe(3);
      expect((JSON.parse(json.stdout) as { error: { code: string } }).error.code).toBe('OWNERSHIP_REFUSED');
    }, 120_000);
  });

  describe('the right context name, but no kind cluster of that name on this host', () => {
    beforeAll(async () => writeKubeconfig(kubeconfig(context, 'https://127.0.0.1:1')));
    it.each(DESTRUCTIVE.filter(([n]) => n !== 'destroy'))('%s refuses: no node containers labelled io.x-k8s.kind.cluster', async (_name, op) => {
      await expectRefused(op(provider()), new RegExp(`has no kind node containers labelled io\\.x-k8s\\.kind\\.cluster=${cluster}`));
    });
  });

  describe('a kubectl bound to another --context than the environment\'s', () => {
    beforeAll(async () => writeKubeconfig(kubeconfig(context, 'https://127.0.0.1:1')));
    it.each(DESTRUCTIVE)('%s refuses, naming the context used', async (_name, op) => {
      const p = provider();
      Object.defineProperty(p, 'kubectl', { value: new Kubectl(p.kubeconfig, 'kind-decoy', p.kubectl.bin) });
      await expectRefused(op(p), /kube context "kind-decoy" is not the context prodlike created for this environment/);
    });
  });

  describe('with a (fake) kind node of this cluster publishing the API server', () => {
    let apiPort: number;
    beforeAll(async () => {
      // HostPort '0': Docker chooses a free port when it binds, and the test reads back what it chose (issue #14).
      const node = await sleeper(`${cluster}-control-plane`, {
        [TEST_LABEL]: tag, 'io.prodlike.managed': 'true', 'io.x-k8s.kind.cluster': cluster, 'io.x-k8s.kind.role': 'control-plane',
      }, { ExposedPorts: { '6443/tcp': {} }, HostConfig: { PortBindings: { '6443/tcp': [{ HostIp: '127.0.0.1', HostPort: '0' }] } } });
      apiPort = Number((await node.inspect()).NetworkSettings.Ports['6443/tcp']?.[0]?.HostPort);
      expect(apiPort, 'the port Docker published for 6443').toBeGreaterThan(0);
    }, 60_000);

    it.each(DESTRUCTIVE.filter(([n]) => n !== 'destroy'))('%s refuses a context whose server is not that node\'s API port', async (_name, op) => {
      await writeKubeconfig(kubeconfig(context, 'https://127.0.0.1:1'));
      await expectRefused(op(provider()), new RegExp(`server https://127\\.0\\.0\\.1:1\\) does not point at the API server of kind cluster ${cluster} \\(https://127\\.0\\.0\\.1:${apiPort}\\)`));
    });

    it('lets a matching target through, and the command names --kubeconfig and --context explicitly', async () => {
      await writeKubeconfig(kubeconfig(context, `https://127.0.0.1:${apiPort}`));
      const p = provider();
      const error = await p.scale('backend', 2).then(() => undefined, (e: unknown) => e as ProdlikeError);
      expect(error?.code).toBe('COMMAND_FAILED'); // the recorder exits 1
      const calls = await recorded();
      expect(calls[0]).toBe(`kubectl --kubeconfig ${p.kubeconfig} --context ${context} -n app-backend scale deployment/backend --replicas=2`);
    });
  });

  it('the override lets a decoy through and is recorded as a warning event', async () => {
    await writeKubeconfig(kubeconfig('kind-decoy', 'https://127.0.0.1:1'));
    const bus = new EventBus();
    const events: TimedEvent[] = [];
    bus.on((e) => events.push(e));
    await provider({ allowForeignTarget: true, bus }).scale('backend', 0).catch(() => undefined);
    const warnings = events.filter((e) => e.kind === 'log' && e.level === 'warn' && e.source === 'safety.ownership');
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0] && 'message' in warnings[0] ? warnings[0].message : '').toContain(`ownership override (${ALLOW_FOREIGN_FLAG}): scale backend to 0 on kube context "kind-decoy"`);
    expect((await recorded()).length).toBeGreaterThan(0);
  });

  it('never touched a real kind node or cluster', async () => {
    const nodes = await docker.listContainers({ all: true, filters: { label: [`io.x-k8s.kind.cluster=${cluster}`] } });
    expect(nodes.every((n) => n.Labels[TEST_LABEL] === tag)).toBe(true);
  });
});
