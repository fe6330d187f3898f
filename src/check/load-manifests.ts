/**
 * Gets the manifests `prodlike check` reads: a kustomize directory rendered with `kubectl kustomize`,
 * a plain directory of YAML files, or one YAML file. Objects keep the file and line they come from
 * (for a kustomize directory: the resource file in the base/overlay that declares them) so findings
 * and SARIF results point at the source, not at the rendered stream.
 */
import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, ProdlikeError, ToolMissingError } from '../core/errors.ts';
import { run } from '../core/exec.ts';
import { cacheDir, toolBinDir } from '../core/paths.ts';
import { buildManifests, isRecord, parseManifestText, type K8sObject, type Manifests } from './model.ts';

export interface LoadedManifests {
  manifests: Manifests;
  /** The path given (as given, for display). */
  source: string;
  /** How they were read. */
  renderedWith: 'kubectl kustomize' | 'files';
  /** kubectl binary used (kustomize). */
  kubectl?: string;
  files: string[];
  /** What the reader noticed without stopping: duplicate keys, skipped Helm charts. */
  notes: string[];
}

export interface LoadManifestsOptions {
  /** Base for relative paths in locations (default: cwd). */
  relativeTo?: string;
  env?: NodeJS.ProcessEnv;
  kubernetesVersion?: string;
  signal?: AbortSignal;
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export async function loadManifests(path: string, options: LoadManifestsOptions = {}): Promise<LoadedManifests> {
  const abs = resolve(path);
  const base = options.relativeTo ?? process.cwd();
  const show = (p: string) => {
    const r = relative(base, p);
    return r && !r.startsWith('..') ? r : p;
  };
  let info;
  try {
    info = await stat(abs);
  } catch {
    throw new ConfigError(`Manifests not found: ${path}`, {
      hint: 'Pass a kustomize directory, a directory of YAML files or a YAML file (default: `manifests` in prodlike.yaml).',
      details: { path },
    });
  }
  const notes: string[] = [];
  if (info.isFile()) {
    const objects = parseManifestText(await readFile(abs, 'utf8'), show(abs), notes);
    return withObjects({ manifests: buildManifests(objects), source: show(abs), renderedWith: 'files', files: [show(abs)], notes }, path);
  }
  const kustomization = await findKustomization(abs);
  if (!kustomization) {
    const charts = await chartsUnder(abs);
    if (charts.includes(abs)) throw helmChartError(path, show(abs));
    const files = (await yamlFilesUnder(abs)).filter((f) => !charts.some((c) => f.startsWith(`${c}/`)));
    for (const c of charts) notes.push(`${show(c)} is a Helm chart: not read (render it with \`helm template\` and check the output).`);
    if (files.length === 0) {
      if (charts.length > 0) throw helmChartError(path, charts.map(show).join(', '));
      throw new ConfigError(`No kustomization and no YAML files in ${path}.`, {
        hint: 'Point `prodlike check` at a kustomize directory (with kustomization.yaml) or at Kubernetes YAML files.',
        details: { path },
      });
    }
    const objects: K8sObject[] = [];
    for (const f of files) objects.push(...parseManifestText(await readFile(f, 'utf8'), show(f), notes));
    return withObjects({ manifests: buildManifests(objects), source: show(abs), renderedWith: 'files', files: files.map(show), notes }, path);
  }
  const kubectl = await findKubectl(options.env ?? process.env, options.kubernetesVersion);
  const result = await run(kubectl, ['kustomize', abs], { timeoutMs: 120_000, allowFailure: true, ...(options.signal ? { signal: options.signal } : {}) });
  if (result.exitCode !== 0) {
    throw new ConfigError(`\`kubectl kustomize ${path}\` failed: ${result.stderr.trim().split('\n').slice(-6).join('\n')}`, {
      hint: 'Fix the kustomization (the same command reproduces it), or pass a directory of plain YAML.',
      details: { path, kubectl, stderr: result.stderr.slice(-4000) },
    });
  }
  const objects = parseManifestText(result.stdout, `${show(abs)} (rendered)`, notes);
  const sources = await indexSources(abs, show);
  for (const o of objects) {
    const candidates = sources.get(`${o.kind}/${o.name}`) ?? [];
    const best = candidates.find((c) => c.namespace === o.namespace) ?? candidates[0];
    if (best?.location) o.location = best.location;
    else o.location = { file: show(abs) };
  }
  const files = [...new Set([...sources.values()].flat().map((c) => c.location?.file).filter((f): f is string => Boolean(f)))].sort();
  return withObjects({ manifests: buildManifests(objects), source: show(abs), renderedWith: 'kubectl kustomize', kubectl, files, notes }, path);
}

/** Zero Kubernetes objects is never a pass: it is bad input (exit 2), with what was read instead. */
function withObjects(loaded: LoadedManifests, path: string): LoadedManifests {
  if (loaded.manifests.objects.length > 0) return loaded;
  const values = loaded.files.filter((f) => /(^|\/)values[^/]*\.ya?ml$/.test(f));
  throw new ConfigError(`No Kubernetes objects in ${path}: ${loaded.files.length} YAML file${loaded.files.length === 1 ? '' : 's'} read (${loaded.files.slice(0, 5).join(', ')}${loaded.files.length > 5 ? ', …' : ''}), none with apiVersion and kind.`, {
    hint: values.length > 0
      ? `${values.join(', ')} look${values.length === 1 ? 's' : ''} like Helm values, not manifests: render the chart (\`helm template <release> <chart-dir> -f ${values[0]} > rendered.yaml\`) and check rendered.yaml.`
      : 'Point `prodlike check` at Kubernetes manifests: a kustomize directory, YAML files with apiVersion/kind, or the output of `helm template`.',
    details: { path, files: loaded.files, objects: 0 },
  });
}

function helmChartError(path: string, charts: string): ConfigError {
  return new ConfigError(`${path} is a Helm chart (${charts}: Chart.yaml with templates), not rendered manifests: its templates are not Kubernetes YAML until Helm renders them.`, {
    hint: `Render it, then check the output: \`helm template <release> ${path} -f <your values.yaml> > rendered.yaml && prodlike check rendered.yaml\`.`,
    details: { path, helmChart: true },
  });
}

/** Directories holding a Chart.yaml (Helm charts), outermost first. */
async function chartsUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, depth: number) => {
    if (depth > 8) return;
    const entries = await readdir(d, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name === 'Chart.yaml')) {
      out.push(d);
      return;
    }
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') await walk(join(d, e.name), depth + 1);
  };
  await walk(dir, 0);
  return out;
}

/**
 * kubectl: $PRODLIKE_CACHE/bin/kubectl, then the Kubernetes build in the cache
 * (<cache>/kubernetes/<version>/kubectl), then PATH.
 */
export async function findKubectl(env: NodeJS.ProcessEnv = process.env, version = 'v1.34.4'): Promise<string> {
  const candidates = [join(toolBinDir(env), 'kubectl'), join(cacheDir(env), 'kubernetes', version, 'kubectl')];
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  try {
    const r = await run('kubectl', ['version', '--client'], { timeoutMs: 20_000, allowFailure: true });
    if (r.exitCode === 0) return 'kubectl';
  } catch (error) {
    if (!(error instanceof ProdlikeError) || error.code !== 'TOOL_MISSING') throw error;
  }
  throw new ToolMissingError(
    'kubectl',
    `Rendering a kustomize directory needs kubectl (looked in ${candidates.join(', ')} and PATH). Run \`npx prodlike setup --kind\`, `
      + 'install kubectl, or pass a directory of plain YAML files instead.',
  );
}

async function findKustomization(dir: string): Promise<string | undefined> {
  for (const f of KUSTOMIZATION_FILES) {
    try {
      const s = await stat(join(dir, f));
      if (s.isFile()) return join(dir, f);
    } catch {
      // next
    }
  }
  return undefined;
}

async function yamlFilesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const entries = await readdir(d, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.ya?ml$/.test(e.name)) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

interface SourceEntry {
  namespace: string | undefined;
  location: K8sObject['location'];
}

/** Maps kind/name to the resource files (and lines) of a kustomization tree that declare them. */
async function indexSources(dir: string, show: (p: string) => string): Promise<Map<string, SourceEntry[]>> {
  const index = new Map<string, SourceEntry[]>();
  const seen = new Set<string>();
  const visitFile = async (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    let objects: K8sObject[];
    try {
      objects = parseManifestText(await readFile(file, 'utf8'), show(file));
    } catch {
      return;
    }
    for (const o of objects) {
      const key = `${o.kind}/${o.name}`;
      const list = index.get(key) ?? [];
      list.push({ namespace: o.namespace, location: o.location });
      index.set(key, list);
    }
  };
  const visitDir = async (d: string, depth: number) => {
    if (depth > 10 || seen.has(d)) return;
    seen.add(d);
    const k = await findKustomization(d);
    if (!k) {
      for (const f of await yamlFilesUnder(d)) await visitFile(f);
      return;
    }
    let doc: unknown;
    try {
      doc = parseYaml(await readFile(k, 'utf8'));
    } catch {
      return;
    }
    if (!isRecord(doc)) return;
    const entries = [...(Array.isArray(doc.resources) ? doc.resources : []), ...(Array.isArray(doc.bases) ? doc.bases : []), ...(Array.isArray(doc.components) ? doc.components : [])];
    for (const entry of entries) {
      if (typeof entry !== 'string' || /^[a-z]+:\/\//.test(entry)) continue;
      const p = resolve(d, entry);
      try {
        const s = await stat(p);
        if (s.isDirectory()) await visitDir(p, depth + 1);
        else await visitFile(p);
      } catch {
        // a missing resource makes kubectl fail first
      }
    }
  };
  await visitDir(dir, 0);
  return index;
}
