import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { resolveFrom, type LoadedConfig } from '../config/load-config.ts';
import type { WorkloadRole } from '../config/schema.ts';
import { ConfigError, ProdlikeError } from '../core/errors.ts';
import { outcome, type EventBus } from '../core/events.ts';
import { run } from '../core/exec.ts';
import { appBuildScript, ensureAppImages } from '../setup/app-image.ts';
import type { ImageCatalog, ResolvedSource } from '../setup/image-catalog.ts';
import { inspectImage, runBuildScript } from '../setup/image-builder.ts';
import { inputsHash } from '../setup/inputs-hash.ts';
import { parseDockerIgnore } from './dockerignore.ts';
import { buildContextArgs, describeRedirect, dockerfileBases, offlineRedirects, redirectedDockerfile, type BaseRedirect } from './offline-bases.ts';

/** One image `prodlike up --build` builds: `build:` of prodlike.yaml, or the reference application. */
export interface BuildPlan {
  image: string;
  /** Absolute build context. */
  context: string;
  /** Absolute Dockerfile (ignored for scripts). */
  dockerfile: string;
  /** `reference-app`: fixtures/app/build.sh as `prodlike setup` runs it; `script`: a configured build script; `dockerfile`: docker build. */
  via: 'reference-app' | 'script' | 'dockerfile';
  script?: string;
  roles: WorkloadRole[];
}

export interface BuiltImage {
  image: string;
  status: 'built' | 'cached';
  id: string;
  inputs: string;
  redirects: BaseRedirect[];
  /** `buildkit` (named build contexts) or `classic` (derived Dockerfile) when docker build ran. */
  builder?: 'buildkit' | 'classic';
  durationMs: number;
  roles: WorkloadRole[];
}

const DEFAULT_ROLES: WorkloadRole[] = ['backend', 'worker'];
const LABEL_INPUTS = 'io.prodlike.inputs';

/** The configured images to build; without `build:` the reference application (fixtures/app, as setup builds it). */
export function resolveBuilds(loaded: LoadedConfig, catalog: ImageCatalog): BuildPlan[] {
  const entries = loaded.config.build;
  if (!entries) {
    const script = appBuildScript(catalog);
    const context = resolve(script, '..');
    return [{ image: catalog.app.backend, context, dockerfile: join(context, 'Dockerfile'), via: 'reference-app', script, roles: DEFAULT_ROLES }];
  }
  return entries.map((e, i) => {
    const context = resolveFrom(loaded, e.context);
    const where = `${loaded.file ?? 'prodlike.yaml'}: build[${i}]`;
    if (!existsSync(context)) throw new ConfigError(`${where}.context ${e.context} does not exist (resolved to ${context}).`, { hint: 'Paths in build: are relative to prodlike.yaml.' });
    const dockerfile = resolve(context, e.dockerfile ?? 'Dockerfile');
    const script = e.script ? resolveFrom(loaded, e.script) : undefined;
    if (!script && !existsSync(dockerfile)) throw new ConfigError(`${where}: no Dockerfile at ${dockerfile}.`, { hint: 'Set build[].dockerfile (relative to the context) or build[].script.' });
    return { image: e.image, context, dockerfile, via: script ? 'script' : 'dockerfile', ...(script ? { script } : {}), roles: e.roles ?? DEFAULT_ROLES };
  });
}

/** BuildKit with named contexts needs the buildx plugin (Docker's `docker build` is buildx from 23.0 on). */
export async function buildxAvailable(): Promise<boolean> {
  const r = await run('docker', ['buildx', 'version'], { allowFailure: true, timeoutMs: 15_000 }).catch(() => undefined);
  return r?.exitCode === 0;
}

export interface BuildOptions {
  catalog: ImageCatalog;
  source: ResolvedSource;
  cache: string;
  bus: EventBus;
  signal?: AbortSignal | undefined;
  /** Whether `docker buildx` exists (probed once when undefined). */
  buildx?: boolean;
}

/** Each plan as a step `build:<image>`: skipped when the image's inputs label matches, built otherwise. */
export async function buildImages(plans: readonly BuildPlan[], options: BuildOptions): Promise<BuiltImage[]> {
  const out: BuiltImage[] = [];
  let buildx = options.buildx;
  for (const plan of plans) {
    out.push(await options.bus.step(`build:${plan.image}`, `Build ${plan.image}`, async (progress) => {
      const started = performance.now();
      if (plan.via === 'reference-app') {
        const app = await ensureAppImages({ catalog: options.catalog, source: options.source, cache: options.cache, progress, signal: options.signal });
        const built: BuiltImage = { image: plan.image, status: app.status, id: app.id, inputs: app.inputs, redirects: [], durationMs: performance.now() - started, roles: plan.roles };
        return outcome(app.status === 'cached' ? 'cached' : 'ok', built, app.status === 'cached' ? `${plan.image} up to date (inputs ${app.inputs})` : `${app.detail} (fixtures/app/build.sh)`);
      }
      if (plan.via === 'script') {
        const inputs = await inputsHash({ paths: [plan.context, plan.script!], extra: { image: plan.image } });
        const existing = await inspectImage(plan.image);
        if (existing?.inputs === inputs) return outcome('cached', { image: plan.image, status: 'cached', id: existing.id, inputs, redirects: [], durationMs: performance.now() - started, roles: plan.roles } satisfies BuiltImage, `${plan.image} up to date`);
        await runBuildScript({ script: plan.script!, tag: plan.image, inputs, cacheDir: options.cache, timeoutMs: 30 * 60_000, progress, signal: options.signal });
        const built = await requireImage(plan.image, plan.script!);
        return outcome('ok', { image: plan.image, status: 'built', id: built, inputs, redirects: [], durationMs: performance.now() - started, roles: plan.roles } satisfies BuiltImage, `${plan.image} (${plan.script})`);
      }
      buildx ??= await buildxAvailable();
      const result = await dockerBuild(plan, { ...options, buildx, progress });
      return outcome(result.status === 'cached' ? 'cached' : 'ok', result, result.status === 'cached' ? `${plan.image} up to date (inputs ${result.inputs})` : `${plan.image} (${result.builder} builder)`);
    }));
  }
  return out;
}

/**
 * `docker build` of one plan. The change hash covers the context (minus its .dockerignore), the Dockerfile
 * and the IDs of the base images actually used; an image whose `io.prodlike.inputs` label carries it is not
 * rebuilt. Offline, official bases go to their local equivalents (offline-bases.ts), the Dockerfile untouched.
 */
export async function dockerBuild(plan: BuildPlan, options: BuildOptions & { buildx: boolean; progress: (line: string) => void }): Promise<BuiltImage> {
  const started = performance.now();
  const text = await readFile(plan.dockerfile, 'utf8');
  const bases = dockerfileBases(text);
  const redirects = options.source === 'offline' ? offlineRedirects(bases, options.catalog) : [];
  const used = bases.map((b) => redirects.find((r) => r.from === b)?.to ?? b);
  const baseIds: Record<string, string | undefined> = {};
  const missing: string[] = [];
  for (const image of used) {
    baseIds[`base:${image}`] = (await inspectImage(image))?.id;
    if (!baseIds[`base:${image}`] && options.source === 'offline') missing.push(image);
  }
  if (missing.length) {
    throw new ProdlikeError('IMAGE_MISSING', `${relative(process.cwd(), plan.dockerfile)} starts FROM ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not present and no registry is used (offline).`, {
      hint: 'Bases with an equivalent in fixtures/images/images.yaml are built by `npx prodlike setup`; others must be present locally (docker load).',
      details: { missing },
    });
  }
  const ignoreFile = join(plan.context, '.dockerignore');
  const ignore = parseDockerIgnore(existsSync(ignoreFile) ? await readFile(ignoreFile, 'utf8') : undefined);
  if (ignore.unsupported) options.progress(ignore.unsupported);
  const inputs = await inputsHash({ paths: [plan.context], skip: (rel) => rel === '.git' || ignore.ignores(rel), extra: { dockerfile: text, ...baseIds } });
  const existing = await inspectImage(plan.image);
  if (existing?.inputs === inputs) return { image: plan.image, status: 'cached', id: existing.id, inputs, redirects, durationMs: performance.now() - started, roles: plan.roles };
  for (const r of redirects) {
    options.progress(describeRedirect(r));
    options.bus.emit({ kind: 'log', level: 'info', message: `${plan.image}: ${describeRedirect(r)}`, source: 'build' });
  }
  const labels = ['--label', 'io.prodlike.managed=true', '--label', `${LABEL_INPUTS}=${inputs}`];
  const common = { timeoutMs: 30 * 60_000, onLine: options.progress, ...(options.signal ? { signal: options.signal } : {}) };
  let derivedDir: string | undefined;
  try {
    if (options.buildx) {
      await run('docker', ['buildx', 'build', '--load', ...buildContextArgs(redirects), ...labels, '-t', plan.image, '-f', plan.dockerfile, plan.context], common);
    } else {
      // The classic builder has no named contexts: a derived copy of the Dockerfile, outside the context, names the local bases.
      let dockerfile = plan.dockerfile;
      if (redirects.length) {
        derivedDir = await mkdtemp(join(tmpdir(), 'prodlike-dockerfile-'));
        dockerfile = join(derivedDir, 'Dockerfile');
        await writeFile(dockerfile, redirectedDockerfile(text, redirects));
      }
      await run('docker', ['build', '--pull=false', '--rm', '--force-rm', ...labels, '-t', plan.image, '-f', dockerfile, plan.context], { ...common, env: { DOCKER_BUILDKIT: '0' } });
    }
  } catch (error) {
    throw new ProdlikeError('BUILD_FAILED', `docker build of ${plan.image} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error, hint: `Build context ${plan.context}, Dockerfile ${plan.dockerfile}.`, details: { image: plan.image } });
  } finally {
    if (derivedDir) await rm(derivedDir, { recursive: true, force: true });
  }
  const id = await requireImage(plan.image, plan.dockerfile);
  return { image: plan.image, status: 'built', id, inputs, redirects, builder: options.buildx ? 'buildkit' : 'classic', durationMs: performance.now() - started, roles: plan.roles };
}

async function requireImage(image: string, from: string): Promise<string> {
  const built = await inspectImage(image);
  if (!built) throw new ProdlikeError('BUILD_FAILED', `Building ${image} (${from}) finished but the image does not exist.`);
  return built.id;
}
