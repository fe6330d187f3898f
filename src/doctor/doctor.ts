import { readFile, statfs } from 'node:fs/promises';
import { createServer } from 'node:net';
import { release } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ProdlikeConfig, ProviderName } from '../config/schema.ts';
import { missingCapabilities, parseCapBnd } from '../core/capabilities.ts';
import { run, type RunResult } from '../core/exec.ts';
import { cacheDir, toolBinDir } from '../core/paths.ts';
import { loadImageCatalog, imageFor, type ImageCatalog } from '../setup/image-catalog.ts';
import { registryAnswers } from '../setup/image-source.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'info';

export interface DoctorCheck {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to do when the status is not ok. */
  hint?: string;
  /** Providers that cannot run while this check fails. */
  blocks: ProviderName[];
}

/** Everything doctor looks at, injectable so the checks are unit-tested without the tools present. */
export interface DoctorProbes {
  run(file: string, args: string[]): Promise<RunResult | undefined>;
  readText(path: string): Promise<string | undefined>;
  freeBytes(path: string): Promise<number | undefined>;
  portFree(port: number): Promise<boolean>;
  registryReachable(): Promise<boolean>;
  nodeVersion: string;
  isRoot: boolean;
  env: NodeJS.ProcessEnv;
  /** The running kernel's build configuration (/proc/config.gz or /boot/config-<release>); undefined when neither is readable. */
  kernelConfig?(): Promise<string | undefined>;
}

export function realProbes(env: NodeJS.ProcessEnv = process.env): DoctorProbes {
  return {
    async run(file, args) {
      try {
        return await run(file, args, { timeoutMs: 20_000, allowFailure: true });
      } catch {
        return undefined;
      }
    },
    readText: (path) => readFile(path, 'utf8').catch(() => undefined),
    async freeBytes(path) {
      try {
        const s = await statfs(path);
        return s.bavail * s.bsize;
      } catch {
        return undefined;
      }
    },
    portFree,
    registryReachable: registryAnswers,
    nodeVersion: process.versions.node,
    isRoot: process.getuid?.() === 0,
    env,
    kernelConfig: readKernelConfig,
  };
}

async function readKernelConfig(): Promise<string | undefined> {
  const gz = await readFile('/proc/config.gz').catch(() => undefined);
  if (gz) return gunzipSync(gz).toString('utf8');
  return readFile(`/boot/config-${release()}`, 'utf8').catch(() => undefined);
}

export interface DoctorOptions {
  config: ProdlikeConfig;
  probes?: DoctorProbes;
  catalog?: ImageCatalog;
}

export interface DoctorReport {
  provider: ProviderName;
  checks: DoctorCheck[];
  /** The chosen provider can run (no failing check blocks it). */
  ready: boolean;
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const probes = options.probes ?? realProbes();
  const catalog = options.catalog ?? (await loadImageCatalog());
  const { config } = options;
  const checks: DoctorCheck[] = [];
  const add = (check: DoctorCheck) => checks.push(check);
  const engineOk = await hostChecks(probes, add);
  await toolChecks(probes, add);
  await resourceChecks(probes, config, add);
  const source = await imageChecks(probes, config, catalog, engineOk, add);
  add(networkPolicyCheck(await probes.kernelConfig?.(), source, { enforce: config.networkPolicies.enforce }));
  const provider = config.provider;
  const ready = !checks.some((c) => c.status === 'fail' && c.blocks.includes(provider));
  return { provider, checks, ready };
}

type AddCheck = (check: DoctorCheck) => void;

/** Node.js, the Docker engine and privileged containers; returns whether the engine answers. */
async function hostChecks(probes: DoctorProbes, add: AddCheck): Promise<boolean> {
  const [major = 0, minor = 0] = probes.nodeVersion.split('.').map(Number);
  add({
    id: 'node', title: 'Node.js', blocks: ['kind', 'docker'],
    status: major > 20 || (major === 20 && minor >= 6) ? 'ok' : 'fail',
    detail: `v${probes.nodeVersion}`, hint: 'Install Node.js 20.6 or newer.',
  });

  const client = await probes.run('docker', ['version', '--format', '{{.Client.Version}}']);
  const server = await probes.run('docker', ['version', '--format', '{{.Server.Version}}']);
  const engineOk = server?.exitCode === 0 && server.stdout.trim() !== '';
  add({
    id: 'docker', title: 'Docker engine', blocks: ['kind', 'docker'],
    status: engineOk ? 'ok' : 'fail',
    detail: engineOk ? `server ${server.stdout.trim()}, client ${client?.stdout.trim() ?? '?'}` : client ? 'client present, engine not reachable' : 'docker not found',
    hint: engineOk ? undefined : probes.isRoot
      ? 'Run `npx prodlike setup`: it installs Debian\'s docker.io if needed and starts dockerd.'
      : 'Start Docker (e.g. `sudo systemctl start docker`) or run `npx prodlike setup` as root on Debian/Ubuntu.',
  });

  const status = await probes.readText('/proc/self/status');
  const bounding = status ? parseCapBnd(status) : undefined;
  const missing = bounding === undefined ? [] : missingCapabilities(bounding);
  let runtime = '';
  if (engineOk) runtime = (await probes.run('docker', ['info', '--format', '{{.DefaultRuntime}}']))?.stdout.trim() ?? '';
  const privilegedOk = missing.length === 0 || runtime === 'prodlike-runc';
  add({
    id: 'privileged', title: 'Privileged containers (kind nodes)', blocks: ['kind'],
    status: !engineOk ? 'fail' : privilegedOk ? 'ok' : 'fail',
    detail: missing.length === 0
      ? 'host capability bounding set is complete'
      : `host bounding set lacks ${missing.join(', ')}; default runtime: ${runtime || 'unknown'}${privilegedOk ? ' (shim active)' : ''}`,
    hint: privilegedOk ? undefined : 'Run `npx prodlike setup`: it registers the prodlike-runc runtime that drops missing capabilities.',
  });
  return engineOk;
}

/** kind, kubectl, k6, Go and debootstrap, from the prodlike cache or PATH. */
async function toolChecks(probes: DoctorProbes, add: AddCheck): Promise<void> {
  const bin = toolBinDir(probes.env);
  const tool = async (id: string, title: string, args: string[], blocks: ProviderName[], hint: string, parse: (out: string) => string = (s) => s.split('\n')[0] ?? '') => {
    const fromCache = await probes.run(join(bin, id), args);
    const result = fromCache?.exitCode === 0 ? fromCache : await probes.run(id, args);
    const ok = result?.exitCode === 0;
    add({
      id, title, blocks, status: ok ? 'ok' : blocks.length ? 'fail' : 'warn',
      detail: ok ? `${parse(result.stdout.trim())}${fromCache?.exitCode === 0 ? ` (${bin})` : ''}` : 'not found',
      ...(ok ? {} : { hint }),
    });
    return ok;
  };
  await tool('kind', 'kind', ['version'], ['kind'], 'Run `npx prodlike setup --kind` (builds kind with `go install`).');
  await tool('kubectl', 'kubectl', ['version', '--client'], ['kind'], 'Run `npx prodlike setup --kind` (kubectl comes from the Kubernetes build).');
  await tool('k6', 'k6', ['version'], [], 'Run `npx prodlike setup` (builds k6 with `go install`); needed for `prodlike load`.');
  await tool('go', 'Go toolchain', ['version'], [], 'Install Go 1.24+ (needed only to build images and tools offline).');
  await tool('debootstrap', 'debootstrap', ['--version'], [], 'apt-get install debootstrap (needed only to build images offline).');
}

/** Free disk in the cache and the entry port. */
async function resourceChecks(probes: DoctorProbes, config: ProdlikeConfig, add: AddCheck): Promise<void> {
  const cache = cacheDir(probes.env);
  const free = await probes.freeBytes(cache) ?? await probes.freeBytes(join(cache, '..'));
  const gib = free === undefined ? undefined : free / 2 ** 30;
  add({
    id: 'disk', title: 'Free disk (cache)', blocks: [],
    status: gib === undefined ? 'warn' : gib < 5 ? 'fail' : gib < 15 ? 'warn' : 'ok',
    detail: gib === undefined ? `cannot stat ${cache}` : `${gib.toFixed(1)} GiB free at ${cache}`,
    hint: 'Building the kind node image offline needs about 15 GB; images alone about 3 GB. Set PRODLIKE_CACHE to a larger disk.',
  });

  const entryFree = await probes.portFree(config.ports.entry);
  add({
    id: 'port.entry', title: `Port ${config.ports.entry} (entry point, 127.0.0.1)`, blocks: ['kind', 'docker'],
    status: entryFree ? 'ok' : 'warn',
    detail: entryFree ? 'free' : 'in use (fine if it is this environment, already up)',
    hint: entryFree ? undefined : `Something listens on 127.0.0.1:${config.ports.entry}. Stop it, or set ports.entry in prodlike.yaml.`,
  });
}

/** The registry, the catalogue's images for the image source, and the kind node image. */
/** Returns the image source in effect (auto resolved by the registry probe). */
async function imageChecks(probes: DoctorProbes, config: ProdlikeConfig, catalog: ImageCatalog, engineOk: boolean, add: AddCheck): Promise<'online' | 'offline'> {
  let online = false;
  if (config.imageSource !== 'offline') online = await probes.registryReachable();
  const source = config.imageSource === 'auto' ? (online ? 'online' : 'offline') : config.imageSource;
  add({
    id: 'registry', title: 'Container registry', blocks: [],
    status: online ? 'ok' : source === 'online' ? 'fail' : 'info',
    detail: config.imageSource === 'offline' ? 'not probed (imageSource: offline)' : online ? 'reachable: official images can be pulled' : 'not reachable: images are built locally',
    ...(source === 'online' && !online ? { hint: 'Set imageSource: offline (or auto) in prodlike.yaml, then run `npx prodlike setup`.' } : {}),
  });

  const missingImages: string[] = [];
  if (engineOk) {
    for (const name of Object.keys(catalog.images)) {
      if (name === 'debian-base' && source === 'online') continue;
      const tag = imageFor(catalog, name, source);
      const inspect = await probes.run('docker', ['image', 'inspect', '--format', '{{.Id}}', tag]);
      if (inspect?.exitCode !== 0) missingImages.push(tag);
    }
  }
  add({
    id: 'images', title: `Images (${source})`, blocks: ['kind', 'docker'],
    status: !engineOk ? 'fail' : missingImages.length === 0 ? 'ok' : 'fail',
    detail: !engineOk ? 'engine not reachable' : missingImages.length === 0 ? `all ${Object.keys(catalog.images).length} present` : `missing: ${missingImages.join(', ')}`,
    hint: 'Run `npx prodlike setup` to pull (online) or build (offline) them.',
  });

  const nodeImage = config.kind.nodeImage ?? catalog.kindNode[source];
  const nodeImageOk = engineOk && (await probes.run('docker', ['image', 'inspect', '--format', '{{.Id}}', nodeImage]))?.exitCode === 0;
  add({
    id: 'kind.node-image', title: 'kind node image', blocks: ['kind'],
    status: nodeImageOk ? 'ok' : 'fail',
    detail: nodeImageOk ? nodeImage : `${nodeImage} not present`,
    hint: source === 'online' ? `It is pulled by \`kind create cluster\`; or run \`npx prodlike setup --kind\`.` : 'Run `npx prodlike setup --kind` (cold build about 25 min on 2 cores, cached afterwards).',
  });
  return source;
}

/**
 * Whether NetworkPolicies are enforced on kind here (issue #20). prodlike's network-policy add-on
 * (src/providers/kind/network-policy-addon.ts, `networkPolicies.enforce`, default on) runs kube-network-policies on
 * every node; it hands the first packet of each pod flow to user space through nfnetlink_queue. Upstream's image
 * (online) queues with nftables' `queue` expression, which needs CONFIG_NFT_QUEUE. prodlike's offline build is patched
 * to queue with the xtables NFQUEUE target through nft_compat instead (CONFIG_NFT_COMPAT,
 * CONFIG_NETFILTER_XT_TARGET_NFQUEUE), which kernels without NFT_QUEUE often have — this Firecracker VM's does.
 * Both need CONFIG_NETFILTER_NETLINK_QUEUE.
 */
export function networkPolicyCheck(kernelConfig: string | undefined, imageSource: 'online' | 'offline', options: { enforce?: boolean } = {}): DoctorCheck {
  const base = { id: 'kind.network-policy', title: 'NetworkPolicy enforcement (kind)', blocks: [] as ProviderName[] };
  if (options.enforce === false) return { ...base, status: 'info', detail: 'off: networkPolicies.enforce is false, NetworkPolicies are applied and checked (`prodlike check`), not enforced', hint: 'Remove networkPolicies.enforce: false from prodlike.yaml to enforce them (the network-policy add-on).' };
  if (kernelConfig === undefined) return { ...base, status: 'info', detail: 'the kernel configuration is not readable (/proc/config.gz, /boot/config-<release>): whether the network-policy add-on can queue packets is known only at `up` (it waits for its nftables table in every node)' };
  const has = (option: string) => new RegExp(`^CONFIG_${option}=[ym]$`, 'm').test(kernelConfig);
  const nfqueue = has('NETFILTER_NETLINK_QUEUE');
  const nftQueue = nfqueue && has('NFT_QUEUE');
  const xtQueue = nfqueue && has('NFT_COMPAT') && has('NETFILTER_XT_TARGET_NFQUEUE');
  const kernel = `kernel: nft queue (CONFIG_NFT_QUEUE) ${nftQueue ? 'yes' : 'no'}, xtables NFQUEUE target through nft_compat ${xtQueue ? 'yes' : 'no'}`;
  if (imageSource === 'offline') {
    if (xtQueue) return { ...base, status: 'ok', detail: `enforced: prodlike's network-policy add-on (kube-network-policies, built offline) queues through the xtables NFQUEUE target (nft_compat)${nftQueue ? '' : ', which works here although the kernel lacks nft queue'}; ${kernel}` };
    return { ...base, status: 'warn', detail: `not enforced: the network-policy add-on queues through the xtables NFQUEUE target, which this kernel lacks; ${kernel}`, hint: 'A kernel with CONFIG_NFT_COMPAT and CONFIG_NETFILTER_XT_TARGET_NFQUEUE (and CONFIG_NETFILTER_NETLINK_QUEUE) is needed; else set networkPolicies.enforce: false (`up` would wait for the agent\'s table in vain).' };
  }
  if (nftQueue) return { ...base, status: 'ok', detail: `enforced: the network-policy add-on (upstream kube-network-policies image) queues with nft queue; ${kernel}` };
  return {
    ...base, status: 'warn', detail: `not enforced online: upstream's kube-network-policies image queues with nft queue, which this kernel lacks; ${kernel}`,
    hint: xtQueue ? 'imageSource: offline uses prodlike\'s build, patched to the xtables NFQUEUE target this kernel has.' : 'Set networkPolicies.enforce: false, or use a kernel with CONFIG_NFT_QUEUE.',
  };
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}
