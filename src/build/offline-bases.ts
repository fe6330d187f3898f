import type { ImageCatalog } from '../setup/image-catalog.ts';
import { splitImage } from '../setup/image-catalog.ts';

/**
 * Offline, a team's Dockerfile still says `FROM node:20-alpine`: no registry serves it here. Its official
 * base images are redirected to the equivalents `prodlike setup` built (fixtures/images/images.yaml)
 * without editing the file: with BuildKit a named build context per base (`--build-context
 * node:20-alpine=docker-image://prodlike.local/node:20-bookworm`), with the classic builder a derived
 * copy of the Dockerfile outside the context whose FROM lines name the local image (`-f <copy>`).
 */
export interface BaseRedirect {
  /** The image the Dockerfile names. */
  from: string;
  /** The locally built image used instead. */
  to: string;
  /** `exact`: the catalogue's official image; `nearest`: same repository and major version, another variant. */
  match: 'exact' | 'nearest';
  /** The catalogue's official image the redirect went through. */
  via: string;
}

const FROM = /^(\s*FROM\s+)((?:--\S+\s+)*)(\S+)(.*)$/i;

/** The images a Dockerfile's stages start FROM (stage names, `scratch` and `${ARG}` references left out). */
export function dockerfileBases(text: string): string[] {
  const stages = new Set<string>();
  const bases: string[] = [];
  for (const line of text.split('\n')) {
    const m = FROM.exec(line);
    if (!m) continue;
    const image = m[3]!;
    const alias = /\bAS\s+(\S+)/i.exec(m[4] ?? '')?.[1];
    if (!stages.has(image.toLowerCase()) && image !== 'scratch' && !image.includes('$') && !bases.includes(image)) bases.push(image);
    if (alias) stages.add(alias.toLowerCase());
  }
  return bases;
}

/** `docker.io/library/node:20` and `library/node:20` are `node:20`; no tag is `latest`. */
export function normalizeImage(ref: string): string {
  const withTag = /:[^/]+$/.test(ref) ? ref : `${ref}:latest`;
  return withTag.replace(/^(docker\.io|index\.docker\.io)\//, '').replace(/^library\//, '');
}

const major = (tag: string) => /^v?(\d+)/.exec(tag)?.[1];

/**
 * Each base the catalogue has an offline equivalent for: the official image itself (exact), or else the
 * same repository with the same major version (nearest: `node:20-alpine` → the catalogue's `node:20-bookworm-slim`
 * equivalent; the variant differs, the runtime does not).
 */
export function offlineRedirects(bases: readonly string[], catalog: ImageCatalog): BaseRedirect[] {
  const entries = Object.values(catalog.images);
  const out: BaseRedirect[] = [];
  for (const from of bases) {
    const want = normalizeImage(from);
    if (want.startsWith(`${catalog.localPrefix}/`)) continue;
    const exact = entries.find((e) => normalizeImage(e.online) === want);
    if (exact) {
      out.push({ from, to: exact.offline, match: 'exact', via: exact.online });
      continue;
    }
    const wanted = splitImage(want);
    const nearest = entries.find((e) => {
      const online = splitImage(normalizeImage(e.online));
      return online.name === wanted.name && major(online.tag) !== undefined && major(online.tag) === major(wanted.tag);
    });
    if (nearest) out.push({ from, to: nearest.offline, match: 'nearest', via: nearest.online });
  }
  return out;
}

/** The line the output shows for a redirect. */
export function describeRedirect(r: BaseRedirect): string {
  return `FROM ${r.from} → ${r.to} (offline${r.match === 'nearest' ? `; nearest in the catalogue: ${r.via}'s equivalent` : ''})`;
}

/** The Dockerfile with its redirected FROM lines naming the local images (every other byte unchanged). */
export function redirectedDockerfile(text: string, redirects: readonly BaseRedirect[]): string {
  return text
    .split('\n')
    .map((line) => {
      const m = FROM.exec(line);
      const r = m && redirects.find((x) => x.from === m[3]);
      return m && r ? `${m[1]}${m[2]}${r.to}${m[4]}` : line;
    })
    .join('\n');
}

/** BuildKit's named contexts for the redirects: the Dockerfile is read as it is. */
export function buildContextArgs(redirects: readonly BaseRedirect[]): string[] {
  return redirects.flatMap((r) => ['--build-context', `${r.from}=docker-image://${r.to}`]);
}
