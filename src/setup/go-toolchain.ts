/**
 * The Go toolchain the offline image builds need (k6 v1.8 needs Go >= 1.25, MinIO >= 1.24, Kubernetes
 * v1.34 >= 1.24). Debian bookworm's golang-go is 1.19, too old, and Go < 1.21 cannot fetch a newer
 * toolchain by itself. So when `go` is missing or older than the minimum, setup downloads the official
 * toolchain from the Go module proxy (the same `golang.org/toolchain` module `GOTOOLCHAIN=auto` uses),
 * unpacks it under the cache and puts it first on PATH for the build scripts.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { arch as hostArch } from 'node:os';
import { delimiter, join } from 'node:path';
import { ProdlikeError } from '../core/errors.ts';
import { run } from '../core/exec.ts';

/** The minimum Go the build scripts need, and the pinned toolchain fetched when the host's is older. */
export const GO_MINIMUM = '1.25.0';
export const GO_PINNED = '1.25.14';

export interface GoToolchain {
  version: string;
  /** Directory holding `go` (prepended to PATH when downloaded). */
  binDir?: string | undefined;
  source: 'host' | 'cache' | 'downloaded';
}

/** Compares dotted Go versions ("1.25.0" vs "1.19.8"); "go1.25" and "go1.25rc1" are accepted. */
export function compareGoVersions(a: string, b: string): number {
  const parse = (v: string) => v.replace(/^go/, '').replace(/(rc|beta).*$/, '').split('.').map((n) => Number.parseInt(n, 10) || 0);
  const [pa, pb] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The first http(s) entry of GOPROXY (default proxy.golang.org). */
export function moduleProxy(goproxy: string | undefined): string {
  const entry = (goproxy ?? '').split(/[,|]/).map((s) => s.trim()).find((s) => /^https?:\/\//.test(s));
  return (entry ?? 'https://proxy.golang.org').replace(/\/+$/, '');
}

export function toolchainZipUrl(options: { proxy: string; version: string; arch?: string }): string {
  const goArch = { x64: 'amd64', arm64: 'arm64' }[options.arch ?? hostArch()] ?? options.arch ?? 'amd64';
  return `${options.proxy}/golang.org/toolchain/@v/v0.0.1-go${options.version}.linux-${goArch}.zip`;
}

async function goVersion(goBinary: string): Promise<string | undefined> {
  const res = await run(goBinary, ['env', 'GOVERSION'], { allowFailure: true, timeoutMs: 30_000, env: { GOTOOLCHAIN: 'local' } }).catch(() => undefined);
  return res && res.exitCode === 0 ? res.stdout.trim().replace(/^go/, '') : undefined;
}

/**
 * Ensures a Go >= GO_MINIMUM is first on PATH (mutates `env.PATH` when it adds the cached toolchain).
 */
export async function ensureGoToolchain(options: { cacheDir: string; env?: NodeJS.ProcessEnv; progress?: (m: string) => void }): Promise<GoToolchain> {
  const env = options.env ?? process.env;
  const host = await goVersion('go');
  if (host && compareGoVersions(host, GO_MINIMUM) >= 0) return { version: host, source: 'host' };
  const root = join(options.cacheDir, 'go', GO_PINNED);
  const binDir = join(root, 'bin');
  const prepend = () => {
    if (!(env.PATH ?? '').split(delimiter).includes(binDir)) env.PATH = `${binDir}${delimiter}${env.PATH ?? ''}`;
  };
  if (existsSync(join(binDir, 'go')) && (await goVersion(join(binDir, 'go')))) {
    prepend();
    return { version: GO_PINNED, binDir, source: 'cache' };
  }
  const url = toolchainZipUrl({ proxy: moduleProxy(env.GOPROXY), version: GO_PINNED });
  options.progress?.(`${host ? `Go ${host} is older than ${GO_MINIMUM}` : 'Go is not installed'}: downloading go${GO_PINNED} from ${url}`);
  const work = join(options.cacheDir, 'go', `.download-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10 * 60_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    const zip = join(work, 'toolchain.zip');
    await writeFile(zip, Buffer.from(await response.arrayBuffer()));
    await run('unzip', ['-q', zip, '-d', work], { timeoutMs: 5 * 60_000 });
    // The module zip holds golang.org/toolchain@v0.0.1-go<ver>.linux-<arch>/…; module zips drop file modes.
    const [moduleDir] = await readdir(join(work, 'golang.org'));
    const extracted = join(work, 'golang.org', moduleDir!);
    for (const dir of [join(extracted, 'bin'), ...(await toolDirs(extracted))]) {
      for (const f of await readdir(dir)) await chmod(join(dir, f), 0o755);
    }
    await rm(root, { recursive: true, force: true });
    await rename(extracted, root);
  } catch (cause) {
    throw new ProdlikeError('TOOL_MISSING', `${host ? `Go ${host} is older than ${GO_MINIMUM}` : 'Go is not installed'} and go${GO_PINNED} could not be fetched from ${url}.`, {
      hint: `Install Go >= ${GO_MINIMUM} (https://go.dev/dl/) and put it on PATH, or make the Go module proxy (GOPROXY) reachable, then run \`npx prodlike setup\` again.`,
      cause,
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  prepend();
  return { version: GO_PINNED, binDir, source: 'downloaded' };
}

async function toolDirs(goroot: string): Promise<string[]> {
  const tool = join(goroot, 'pkg', 'tool');
  if (!existsSync(tool)) return [];
  return (await readdir(tool)).map((d) => join(tool, d));
}
