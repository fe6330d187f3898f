import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { z } from 'zod';
import { ConfigError, ProdlikeError } from '../core/errors.ts';

export interface ConfigProblem {
  file: string;
  line: number | undefined;
  column: number | undefined;
  /** Dotted key path, e.g. `topology.backend.replics`. */
  path: string;
  message: string;
  /** What is allowed at that place (keys or values), when known. */
  allowed?: readonly string[];
}

/**
 * Parses a YAML file and validates it with a zod schema. Every problem names the file, line, key path
 * and what is allowed; a typo gets a "did you mean". Throws ConfigError (exit 2) with all problems.
 */
export async function loadYamlFile<S extends z.ZodType>(file: string, schema: S, what: string): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ProdlikeError('CONFIG_NOT_FOUND', `${what} not found: ${file}`, {
      cause,
      hint: `Create it (see README.md) or point to another file with --config.`,
      details: { file },
    });
  }
  return validateYamlText(text, file, schema, what);
}

export function validateYamlText<S extends z.ZodType>(text: string, file: string, schema: S, what: string): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const display = displayPath(file);
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error) => {
      const pos = lineCounter.linePos(error.pos[0]);
      return { file: display, line: pos.line, column: pos.col, path: '', message: error.message.split('\n')[0] ?? 'YAML syntax error' };
    });
    throw configErrorFrom(problems, what);
  }
  let data: unknown;
  try {
    // maxAliasCount bounds alias expansion ("billion laughs"); an unresolved alias throws here.
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    throw configErrorFrom([{ file: display, line: 1, column: 1, path: '(document)', message: `cannot be read: ${error instanceof Error ? error.message : String(error)}` }], what);
  }
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems: ConfigProblem[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        const allowed = allowedKeysAt(schema, issue.path);
        const suggestion = allowed ? closest(key, allowed) : undefined;
        problems.push({
          ...locate(doc.contents, path, lineCounter, display, true),
          path: path.join('.'),
          message: `unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
          ...(allowed ? { allowed } : {}),
        });
      }
      continue;
    }
    const allowed = issue.code === 'invalid_value' ? issue.values.map(String) : undefined;
    problems.push({
      ...locate(doc.contents, issue.path, lineCounter, display, false),
      path: issue.path.join('.') || '(root)',
      message: issue.message,
      ...(allowed ? { allowed } : {}),
    });
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  throw configErrorFrom(problems, what);
}

export function formatProblem(p: ConfigProblem): string {
  const where = `${p.file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''}`;
  const allowed = p.allowed?.length ? `; allowed: ${p.allowed.join(', ')}` : '';
  return `${where}: ${p.path ? `${p.path}: ` : ''}${p.message}${allowed}`;
}

function configErrorFrom(problems: ConfigProblem[], what: string): ConfigError {
  const lines = problems.map(formatProblem);
  return new ConfigError(`${what} is invalid:\n  ${lines.join('\n  ')}`, {
    hint: 'Fix the keys above; the JSON schema (prodlike.schema.json) gives editors completion and checks.',
    details: { problems },
  });
}

function locate(root: unknown, path: readonly PropertyKey[], lc: LineCounter, file: string, keyNode: boolean) {
  let node = root as Node | null | undefined;
  let best: Node | null | undefined = node;
  for (let i = 0; i < path.length && node; i++) {
    const segment = path[i];
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      const last = i === path.length - 1;
      node = (last && keyNode ? pair.key : pair.value) as Node | null;
      if (last && !keyNode && node == null) node = pair.key as Node;
    } else if (node && 'items' in node && Array.isArray((node as { items: unknown[] }).items)) {
      node = (node as { items: Node[] }).items[Number(segment)];
    } else break;
    if (node) best = node;
  }
  const offset = best?.range?.[0];
  if (offset === undefined) return { file, line: undefined, column: undefined };
  const pos = lc.linePos(offset);
  return { file, line: pos.line, column: pos.col };
}

/** Walks a zod schema along `path` and lists the keys an object there accepts. */
export function allowedKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const segment of path) {
    if (!current) return undefined;
    if (current instanceof z.ZodObject) current = unwrap((current.shape as Record<string, z.ZodType>)[String(segment)]);
    else if (current instanceof z.ZodArray) current = unwrap(current.element as z.ZodType);
    else if (current instanceof z.ZodRecord) current = unwrap(current.valueType as z.ZodType);
    else return undefined;
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape).filter((k) => k !== '$schema') : undefined;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  for (let i = 0; i < 10 && s; i++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault) s = s.def.innerType as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.def.in as z.ZodType;
    else break;
  }
  return s;
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = levenshtein(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}
