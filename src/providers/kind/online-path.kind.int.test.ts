import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../core/exec.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { dockerEngineMissing, firstMissing, imagesMissing } from '../../core/prerequisites.ts';
import { loadImageCatalog } from '../../setup/image-catalog.ts';
import { clusterName } from './cluster-config.ts';
import { engineMirrorUnavailable, LoopbackMirror, splitReference, useEngineMirror, type PushedImage } from './testing/loopback-mirror.ts';

/**
 * `imageSource: online` end to end (issue #18), the path users with a registry take, on a host without one: a
 * loopback registry serves the images `prodlike setup` built here under their official names (LoopbackMirror), the
 * host's Docker engine pulls docker.io through it (kind's pull of `kindest/node`) and the nodes' containerd pulls
 * every registry through it (`kind.registryMirrors`). Then, through the CLI as a user runs it: `prodlike up` (the
 * node image pulled, the cluster created, the manifests' official images pulled by the nodes, deployed and ready),
 * one scenario suite passing (`prodlike run ingress`), `prodlike down`.
 * What this cannot show (the official images' contracts against ours: same names, our builds) is in the README.
 * Opt-in (PRODLIKE_ONLINE_IT=1; .ci/run sets it): it changes the host engine's daemon.json for its duration.
 * Environment `online` on 127.0.0.1:18980. The pulled node image is removed afterwards when it was absent before,
 * so the next run pulls it again; the registry's volume is kept (pushes then send only new layers).
 */
const ENV = 'online';
const ENTRY = 18980;
const MIRROR = 'prodlike-online-mirror';
const docker = new Docker();
const catalog = await loadImageCatalog();
const registryImage = catalog.images['registry']!.offline;

/** Every catalogue image built here, with the official name it stands for (the app is always built locally). */
const served = [
  ...Object.values(catalog.images),
  { online: catalog.kindNode.online, offline: catalog.kindNode.offline },
  ...Object.values(catalog.kindAddons ?? {}),
].map((e) => ({ local: e.offline, official: e.online }));

async function skipReasonOf(): Promise<string> {
  const reason = await firstMissing([
    ['docker', () => dockerEngineMissing(docker)],
    ['images', () => imagesMissing(docker, [registryImage, catalog.app.backend, catalog.app.frontend, ...Object.values(catalog.images).map((e) => e.offline).filter((i) => !i.includes('patroni'))])],
    ['kind-node', () => imagesMissing(docker, [catalog.kindNode.offline, ...Object.values(catalog.kindAddons ?? {}).map((e) => e.offline)], 'npx prodlike setup --kind')],
  ]);
  if (reason) return reason;
  // It reconfigures this host's Docker engine for its duration: run only when asked (.ci/run asks).
  const consent = process.env.PRODLIKE_ONLINE_IT === '1' ? undefined : 'it gives this host\'s Docker engine a registry mirror for its duration (/etc/docker/daemon.json registry-mirrors, reloaded by SIGHUP, put back afterwards): PRODLIKE_ONLINE_IT=1 runs it (.ci/run sets it)';
  return (await firstMissing([['engine-mirror', async () => consent ?? (await engineMirrorUnavailable())]])) ?? '';
}
const skipReason = await skipReasonOf();

const say = (line: string) => process.stdout.write(`[online] ${line}\n`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const present = async (image: string) => (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { allowFailure: true, timeoutMs: 30_000 })).exitCode === 0;

describe.skipIf(Boolean(skipReason))(`imageSource online through a loopback registry${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const projectDir = join(tmpdir(), 'prodlike-online');
  const configFile = join(projectDir, 'prodlike.yaml');
  const cli = (args: string[], timeoutMs: number) => run(process.execPath, [join(PACKAGE_ROOT, 'bin', 'prodlike.mjs'), ...args, '--config', configFile], { allowFailure: true, timeoutMs, cwd: projectDir, env: { NO_COLOR: '1' } });
  let mirror: LoopbackMirror | undefined;
  let engineMirror: AsyncDisposable | undefined;
  let nodeImageWasPresent = true;
  const pushed: PushedImage[] = [];

  beforeAll(async () => {
    await mkdir(projectDir, { recursive: true });
    // Only the node image is pulled into the engine (the nodes pull the rest): removed afterwards unless it was here.
    nodeImageWasPresent = await present(catalog.kindNode.online);
    // The kind network exists once any kind cluster was made on this host; the registry must be on it before the
    // cluster is, so that the nodes reach it by name from their first pull.
    if ((await run('docker', ['network', 'inspect', 'kind'], { allowFailure: true, timeoutMs: 30_000 })).exitCode !== 0) {
      await run('docker', ['network', 'create', 'kind'], { timeoutMs: 30_000 });
    }
    mirror = await LoopbackMirror.start({ name: MIRROR, image: registryImage, network: 'kind', volume: MIRROR });
    const started = performance.now();
    for (const s of served) if (await present(s.local)) pushed.push(await mirror.push(s.local, s.official));
    say(`served ${pushed.length} images under their official names on http://${mirror.hostAddress} in ${secs(performance.now() - started)}: ${pushed.map((p) => `${p.official} (${secs(p.ms)})`).join(', ')}`);
    engineMirror = await useEngineMirror(`http://${mirror.hostAddress}`);
    const hosts = [...new Set(served.map((s) => splitReference(s.official).host))].sort();
    await writeFile(configFile, stringify({
      name: ENV, provider: 'kind', imageSource: 'online',
      manifests: join(PACKAGE_ROOT, 'kind', 'manifests', 'overlays', 'kind'),
      targets: { file: join(PACKAGE_ROOT, 'fixtures', 'targets.yaml'), profile: 'onprem' },
      ports: { entry: ENTRY },
      // One worker: the pulls and the deployment are what is exercised here, not scheduling across nodes (the kind
      // overlay's anti-affinity is preferred, so the reference topology fits on one).
      kind: { workers: 1, registryMirrors: Object.fromEntries(hosts.map((h) => [h, [mirror!.nodeEndpoint]])) },
    }));
  }, 20 * 60_000);

  afterAll(async () => {
    const down = await cli(['down'], 5 * 60_000).catch((e: unknown) => e);
    say(`down: ${down && typeof down === 'object' && 'exitCode' in down ? `exit ${String(down.exitCode)}` : String(down)}`);
    if (!nodeImageWasPresent) await run('docker', ['rmi', catalog.kindNode.online], { allowFailure: true, timeoutMs: 120_000 });
    await engineMirror?.[Symbol.asyncDispose]();
    await mirror?.[Symbol.asyncDispose]();
  }, 10 * 60_000);

  it('prodlike up pulls the node image through the engine and every official image through the nodes, deploys and is healthy; one scenario suite passes', async () => {
    const up = await cli(['up'], 20 * 60_000);
    say(`up: exit ${up.exitCode} in ${secs(up.durationMs)}\n${[...up.stderr.split('\n').filter((l) => /image|pull|kindest/i.test(l)).slice(-10), ...up.stdout.trim().split('\n').slice(-12)].join('\n')}`);
    expect(up.exitCode, `${up.stdout.slice(-3000)}\n${up.stderr.slice(-3000)}`).toBe(0);

    // The node image came from the registry (a repo digest), not from a local tag.
    const digests = (await run('docker', ['image', 'inspect', '--format', '{{json .RepoDigests}}', catalog.kindNode.online], { timeoutMs: 30_000 })).stdout;
    if (!nodeImageWasPresent) expect(digests).toContain('kindest/node@sha256:');
    // What the nodes pulled through the mirror: the registry's access log (containerd names the upstream registry in ?ns=).
    const pulls = await mirror!.manifestPulls();
    const byNs = new Map<string, Set<string>>();
    for (const p of pulls) byNs.set(p.ns, (byNs.get(p.ns) ?? new Set()).add(p.repository));
    say(`manifest pulls through the mirror by upstream registry:\n${[...byNs].map(([ns, repos]) => `  ${ns}: ${[...repos].join(', ')}`).join('\n')}`);
    const workers = [`${clusterName(ENV)}-worker`];
    const images = (await Promise.all(workers.map(async (w) => (await run('docker', ['exec', w, 'crictl', 'images'], { timeoutMs: 60_000 })).stdout))).join('\n');
    for (const official of ['postgres', 'redis', 'minio']) {
      const name = catalog.images[official]!.online;
      const { host, path } = splitReference(name);
      expect(byNs.get(host)?.size ?? 0, `no pull from ${host} through the mirror`).toBeGreaterThan(0);
      expect(images, `${name} is in no worker node`).toContain(`${host}/${path.split(':')[0]}`);
    }

    const suite = await cli(['run', 'ingress'], 15 * 60_000);
    say(`run ingress: exit ${suite.exitCode} in ${secs(suite.durationMs)}\n${suite.stdout.split('\n').slice(-30).join('\n')}`);
    expect(suite.exitCode, `${suite.stdout.slice(-4000)}\n${suite.stderr.slice(-2000)}`).toBe(0);
  }, 40 * 60_000);
});
