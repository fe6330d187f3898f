/**
 * A `.dockerignore` read for the change hash of a build context: the paths it leaves out of the context
 * are left out of the hash. Only simple files are honoured: comments, blank lines and patterns with `*`,
 * `**` and `?`. A file with `!` exceptions is not interpreted (every file then counts): hashing too much
 * only costs a needless rebuild, hashing too little would skip a needed one.
 */
export interface DockerIgnore {
  /** true: the path (relative to the context, `/`-separated) is not sent to the builder. */
  ignores(relPath: string): boolean;
  /** Why the file was not interpreted, when it was not. */
  unsupported?: string;
}

export function parseDockerIgnore(text: string | undefined): DockerIgnore {
  const patterns = (text ?? '').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const negated = patterns.find((p) => p.startsWith('!'));
  if (negated) return { ignores: () => false, unsupported: `.dockerignore has an exception (${negated}): every file of the context is hashed` };
  const regexes = patterns.map(toRegex);
  // A path is ignored when it or one of its parent folders matches (Docker leaves out a matched folder's content).
  return {
    ignores: (relPath) => {
      const parts = relPath.split('/');
      return parts.some((_, i) => {
        const prefix = parts.slice(0, i + 1).join('/');
        return regexes.some((r) => r.test(prefix));
      });
    },
  };
}

function toRegex(pattern: string): RegExp {
  const clean = pattern.replace(/^\.\//, '').replace(/^\/+/, '').replace(/\/+$/, '');
  let out = '';
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i]!;
    if (c === '*' && clean[i + 1] === '*') {
      // `**/` matches any number of folders (also none); a trailing `**` anything.
      if (clean[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
