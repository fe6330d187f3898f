import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ProdlikeConfig } from '../config/schema.ts';
import { formatDuration } from '../core/duration.ts';
import { ProdlikeError } from '../core/errors.ts';
import { outcome, type EventBus, type StepOutcome } from '../core/events.ts';
import { run } from '../core/exec.ts';
import { cacheDir as defaultCacheDir, PACKAGE_ROOT, toolBinDir } from '../core/paths.ts';
import { appBuildScript, ensureAppImages } from './app-image.ts';
import { ensureGoToolchain } from './go-toolchain.ts';
import { ensureCommands, ensureDockerEngine, ensurePrivilegedRuntime } from './docker-engine.ts';
import { IMAGE_CATALOG_FILE, loadImageCatalog, type ImageCatalog, type ResolvedSource } from './image-catalog.ts';
import { inspectImage, readStamp, runBuildScript, writeStamp } from './image-builder.ts';
import { inputsHash } from './inputs-hash.ts';
import { ensureInotifyLimits, INOTIFY_MINIMUMS } from './inotify-limits.ts';
import { resolveImageSource } from './image-source.ts';

export interface SetupOptions {
  config: ProdlikeConfig;
  bus: EventBus;
  /** Also build the kind node image and the cluster add-on images. */
  kind: boolean;
  /** Run the smoke checks of images whose checks are not yet stamped as passed. */
  smoke: boolean;
  env?: NodeJS.ProcessEnv;
  /** Ctrl-C: the running build is cancelled; finished artifacts stay cached. */
  signal?: AbortSignal;
}

export interface SetupResult {
  ok: boolean;
  source: ResolvedSource;
  images: Record<string, { tag: string; status: 'cached' | 'built' | 'pulled' | 'present'; id: string }>;
  skipped: string[];
  summary: string;
}

const IMAGE_ORDER = ['debian-base', 'postgres', 'patroni', 'redis', 'nginx', 'node', 'minio', 'k6', 'prometheus', 'postgres-exporter', 'redis-exporter', 'registry'] as const;
/** Offline images built on another catalogue image than the Debian base (one earlier in IMAGE_ORDER). */
const BASE_OF: Readonly<Record<string, string>> = { patroni: 'postgres' };
const IMAGES_DIR = join(PACKAGE_ROOT, 'fixtures', 'images');
const BUILD_TIMEOUT_MS = 60 * 60_000;
/**
 * Images only some commands need, built after IMAGE_ORDER (k6-operator: `prodlike load --parallelism N`): a build
 * that cannot get its source (a module proxy that does not serve the pinned release) is a warning and a `skipped:`
 * line, not a failed setup; the command that needs the image says so (IMAGE_MISSING).
 */
const OPTIONAL_IMAGES = ['k6-operator'] as const;

/** `prodlike setup`: from nothing to ready, online or fully offline; idempotent and resumable. */
export async function runSetup(options: SetupOptions): Promise<SetupResult> {
  const { bus, config } = options;
  const env = options.env ?? process.env;
  const cache = defaultCacheDir(env);
  const ci = env.CI === 'true';
  const result: SetupResult = { ok: true, source: 'offline', images: {}, skipped: [], summary: '' };

  await bus.step('engine', 'Container engine', async (progress) => {
    const state = await ensureDockerEngine(cache, progress);
    const detail = `docker ${state.serverVersion}${state.installed ? ' (installed docker.io)' : ''}`;
    return state.started ? outcome('ok', state, `${detail}, dockerd started`) : outcome('cached', state, `${detail}, already running`);
  });

  await bus.step('privileged', 'Privileged containers', async (progress) => {
    const state = await ensurePrivilegedRuntime(progress);
    if (state.missing.length === 0) return outcome('cached', state, 'capability bounding set complete: nothing to do');
    return outcome(state.changed ? 'ok' : 'cached', state, `bounding set lacks ${state.missing.join(', ')}: default runtime prodlike-runc${state.changed ? ' (installed)' : ''}`);
  });

  const source = await bus.step('image-source', 'Image source', async () => {
    const resolved = await resolveImageSource(config.imageSource);
    return outcome('ok', resolved.source, resolved.reason);
  });
  result.source = source;
  const catalog = await loadImageCatalog();

  if (source === 'offline') {
    await bus.step('host-tools', 'Host tools for offline builds', async (progress) => {
      const installed = await ensureCommands({ debootstrap: 'debootstrap', jq: 'jq', gcc: 'gcc', unzip: 'unzip' }, progress);
      const go = await ensureGoToolchain({ cacheDir: cache, env: process.env, progress });
      const goDetail = go.source === 'host' ? `go ${go.version}` : `go ${go.version} (${go.source === 'downloaded' ? 'downloaded' : 'cached'} from the module proxy: ${go.binDir})`;
      const changed = installed.length > 0 || go.source === 'downloaded';
      const detail = `${installed.length ? `installed ${installed.join(', ')}; ` : 'debootstrap, jq, gcc, unzip present; '}${goDetail}`;
      return outcome(changed ? 'ok' : 'cached', installed, detail);
    });
  }

  // The kind node image (Go builds: most of a cold setup) runs alongside the container images: their builds
  // wait on apt and the network much of the time, so on 2 cores the two together take little more than the
  // node image alone. A failed image stops the node build (its finished stages stay cached).
  const kindCancel = new AbortController();
  const kindSignal = options.signal ? AbortSignal.any([options.signal, kindCancel.signal]) : kindCancel.signal;
  const kindWork = options.kind ? kindSteps({ ...options, signal: kindSignal }, catalog, source, cache, ci, result) : undefined;
  kindWork?.catch(() => undefined); // awaited below; a failure before then is not an unhandled rejection
  try {
    await imageSteps(options, catalog, source, cache, result);
  } catch (error) {
    kindCancel.abort();
    await kindWork?.catch(() => undefined);
    throw error;
  }
  await kindWork;

  const counts = Object.values(result.images).reduce<Record<string, number>>((acc, i) => ({ ...acc, [i.status]: (acc[i.status] ?? 0) + 1 }), {});
  result.summary = [
    `image source: ${source} (catalogue: ${IMAGE_CATALOG_FILE.replace(`${PACKAGE_ROOT}/`, '')})`,
    `images: ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}`,
    ...result.skipped.map((s) => `skipped: ${s}`),
    `cache: ${cache}`,
  ].join('\n');
  return result;
}

/** The container images (IMAGE_ORDER, then the optional ones), the reference workload's, smoke checks, k6. */
async function imageSteps(options: SetupOptions, catalog: ImageCatalog, source: ResolvedSource, cache: string, result: SetupResult): Promise<void> {
  const { bus } = options;
  const env = options.env ?? process.env;
  for (const name of [...IMAGE_ORDER, ...OPTIONAL_IMAGES]) {
    const entry = catalog.images[name];
    if (!entry) continue;
    if (source === 'online' && name === 'debian-base') continue;
    const optional = (OPTIONAL_IMAGES as readonly string[]).includes(name);
    const image = await bus.step<ImageRecord | undefined>(`image:${name}`, `Image ${name}${optional ? ' (optional)' : ''}`, async (progress) => {
      const made = () => (source === 'online' ? pullImage(entry.online, progress) : buildImage({ name, catalog, cache, progress, baseImage: catalog.images[BASE_OF[name] ?? 'debian-base']?.offline, signal: options.signal }));
      if (!optional) return made();
      try {
        return await made();
      } catch (error) {
        if (options.signal?.aborted) throw error;
        const why = (error as Error).message.split('\n')[0]!;
        result.skipped.push(`${name} (optional): ${why}`);
        return outcome<ImageRecord | undefined>('warn', undefined, `not built: ${why}`);
      }
    });
    if (image) result.images[name] = image;
  }

  if (source === 'offline') {
    await bus.step('privileged-verify', 'Privileged container check', async () => {
      const base = catalog.images['debian-base']!.offline;
      await run('docker', ['run', '--rm', '--privileged', '--label', 'io.prodlike.managed=true', base, 'true'], { timeoutMs: 60_000 });
      return outcome('ok', true, `docker run --privileged ${base} works`);
    });
  }

  await appImageStep(options, catalog, source, cache, result);

  if (options.smoke) await smokeSteps(options, cache, result);

  const k6 = join(toolBinDir(env), 'k6');
  await bus.step('tool:k6', 'k6 on the host', async () =>
    existsSync(k6) ? outcome('cached', k6, k6) : outcome('warn', undefined, `${k6} missing: \`prodlike load\` needs k6 on the host (offline setup builds it; online, install k6)`),
  );
}

/** inotify limits and the kind node image. */
async function kindSteps(options: SetupOptions, catalog: ImageCatalog, source: ResolvedSource, cache: string, ci: boolean, result: SetupResult): Promise<void> {
  await options.bus.step('inotify', 'inotify limits for kind nodes', async () => {
    const r = await ensureInotifyLimits();
    const text = Object.entries(r.limits).map(([k, v]) => `${k} ${v.before}${v.after !== v.before ? ` -> ${v.after}` : ''}`).join(', ');
    if (r.low.length) return outcome('warn', r, `${text}: too low for more than one kind cluster (kube-proxy fails with "too many open files"); run ${r.low.map((k) => `sudo sysctl fs.inotify.${k}=${INOTIFY_MINIMUMS[k]}`).join(' and ')}`);
    return outcome(r.raised.length ? 'ok' : 'cached', r, r.raised.length ? `raised (until reboot): ${text}` : text);
  });
  await kindNodeStep(options, catalog, source, cache, ci, result);
}

/** The reference workload's images (fixtures/app/build.sh), rebuilt when their inputs changed (app-image.ts). */
async function appImageStep(options: SetupOptions, catalog: ImageCatalog, source: 'online' | 'offline', cache: string, result: SetupResult): Promise<void> {
  if (existsSync(appBuildScript(catalog))) {
    result.images.app = await options.bus.step('image:app', 'Image app (reference workload)', async (progress) => {
      const app = await ensureAppImages({ catalog, source, cache, progress, signal: options.signal });
      return outcome<ImageRecord>(app.status === 'cached' ? 'cached' : 'ok', { tag: catalog.app.backend, status: app.status, id: app.id }, app.detail);
    });
  } else result.skipped.push('app image: fixtures/app/build.sh not present yet');
}

/** Each image's smoke check, skipped when it passed before for the same image id. */
async function smokeSteps(options: SetupOptions, cache: string, result: SetupResult): Promise<void> {
  const { SMOKE_CHECKS } = await import('./smoke-checks.ts');
  for (const [name, check] of Object.entries(SMOKE_CHECKS)) {
    const image = result.images[name];
    if (!image) continue;
    await options.bus.step<string>(`smoke:${name}`, `Smoke check ${name}`, async () => {
      const stamp = await readStamp<{ imageId: string; details: string }>(cache, `smoke-${name}`);
      if (stamp?.imageId === image.id) return outcome('cached', stamp.details, `passed before for this image: ${stamp.details}`);
      const passed = await check({ image: image.tag, ...(options.signal ? { signal: options.signal } : {}) });
      await writeStamp(cache, `smoke-${name}`, { imageId: image.id, details: passed.details, at: new Date().toISOString() });
      return outcome('ok', passed.details, passed.details);
    });
  }
}

/** The kind node image: pulled by kind online, built offline (cold: about 21 min on 2 cores, built alongside the container images; not started cold in CI). */
async function kindNodeStep(options: SetupOptions, catalog: ImageCatalog, source: 'online' | 'offline', cache: string, ci: boolean, result: SetupResult): Promise<void> {
  await options.bus.step('kind-node', 'kind node image', async (progress) => {
    const tag = options.config.kind.nodeImage ?? catalog.kindNode[source];
    if (source === 'online') return outcome('skipped', undefined, `online: kind pulls ${tag} itself`);
    const script = join(IMAGES_DIR, catalog.kindNode.build, 'build-node-image.sh');
    const inputs = await inputsHash({ paths: [join(IMAGES_DIR, catalog.kindNode.build), join(IMAGES_DIR, 'lib.sh')], extra: { version: options.config.kind.kubernetesVersion } });
    const existing = await inspectImage(tag);
    if (existing?.inputs === inputs) return outcome('cached', existing, `${tag} up to date`);
    const k8sCached = existsSync(join(cache, 'kubernetes', options.config.kind.kubernetesVersion, '.stamp'));
    if (ci && !k8sCached) {
      result.skipped.push(`kind node image: a cold Kubernetes build (about 13 min of the node image's 21 min on 2 cores) is never started in CI; run \`npx prodlike setup --kind\` on this host first`);
      return outcome('skipped', undefined, 'cold build not started in CI (no cached Kubernetes build); kind suites will be skipped');
    }
    await runBuildScript({ signal: options.signal, script, tag, inputs, cacheDir: cache, timeoutMs: 3 * 60 * 60_000, progress, env: { K8S_VERSION: options.config.kind.kubernetesVersion } });
    const built = await inspectImage(tag);
    return outcome('ok', built, tag);
  });
}

type ImageRecord = SetupResult['images'][string];

async function pullImage(tag: string, progress: (m: string) => void): Promise<StepOutcome<ImageRecord>> {
  const present = await inspectImage(tag);
  if (present) return outcome('cached', { tag, status: 'present', id: present.id }, `${tag} present`);
  progress(`docker pull ${tag}`);
  await run('docker', ['pull', tag], { timeoutMs: 20 * 60_000, onLine: progress });
  const pulled = await inspectImage(tag);
  return outcome('ok', { tag, status: 'pulled', id: pulled?.id ?? '' }, `pulled ${tag}`);
}

async function buildImage(options: { name: string; catalog: ImageCatalog; cache: string; progress: (m: string) => void; baseImage: string | undefined; signal?: AbortSignal | undefined }): Promise<StepOutcome<ImageRecord>> {
  const entry = options.catalog.images[options.name]!;
  const dir = join(IMAGES_DIR, entry.build);
  const baseId = options.name === 'debian-base' || !options.baseImage ? undefined : (await inspectImage(options.baseImage))?.id;
  const inputs = await inputsHash({ paths: [dir, join(IMAGES_DIR, 'lib.sh')], extra: { tag: entry.offline, base: baseId } });
  const existing = await inspectImage(entry.offline);
  if (existing?.inputs === inputs) {
    return outcome<ImageRecord>('cached', { tag: entry.offline, status: 'cached', id: existing.id }, `${entry.offline} up to date`);
  }
  const started = performance.now();
  await runBuildScript({ signal: options.signal,
    script: join(dir, 'build.sh'),
    tag: entry.offline,
    inputs,
    cacheDir: options.cache,
    timeoutMs: BUILD_TIMEOUT_MS,
    progress: options.progress,
    env: options.baseImage ? { BASE_IMAGE: options.baseImage } : {},
  });
  const built = await inspectImage(entry.offline);
  if (!built) throw new ProdlikeError('BUILD_FAILED', `${entry.build}/build.sh finished but ${entry.offline} does not exist.`);
  return outcome<ImageRecord>('ok', { tag: entry.offline, status: 'built', id: built.id }, `${entry.offline} built in ${formatDuration(performance.now() - started)}`);
}
